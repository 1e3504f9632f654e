"""The web pages: server-rendered HTML (Jinja2 through Litestar's template engine) for
the people the service is for, beside the API and calling the same application
services (DESIGN.md: "web pages beside it, same services"). docs/pages.md says how they
are built and why.

- `page_routes(config)`: every page handler in one router (its error pages instead of
  problem+json: api/pages/errors.py) and the static files (our CSS and script);
- `TEMPLATE_CONFIG`: the template engine the application is built with.
"""

from __future__ import annotations

from typing import Any

from litestar import Router
from litestar.static_files import create_static_files_router

from api.config import ApiConfig
from api.pages import cases, exports, home, inspection, registers, signin, supervision
from api.pages.errors import EXCEPTION_HANDLERS
from api.pages.render import STATIC_DIR, STATIC_PATH, TEMPLATE_CONFIG

__all__ = ["TEMPLATE_CONFIG", "page_routes"]


def page_routes(config: ApiConfig) -> list[Any]:
    router = Router(
        path="/",
        route_handlers=[
            *home.home_handlers(config),
            *signin.HANDLERS,
            *cases.HANDLERS,
            # Issue 17: the supervisor's desk and the inspector's pages.
            *supervision.HANDLERS,
            *registers.HANDLERS,
            *inspection.HANDLERS,
            *exports.HANDLERS,
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        include_in_schema=False,
    )
    static = create_static_files_router(
        path=STATIC_PATH, directories=[STATIC_DIR], include_in_schema=False
    )
    return [router, static]
