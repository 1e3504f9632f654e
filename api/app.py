"""The Litestar application factory.

The API does not build what it runs on: the composition root (oversight/runtime.py)
hands `create_app` the API's configuration, the JWT secret, the views /readyz reports
on and `serve`, which opens the application, the pools and the background tasks for
the app's lifespan and closes them after it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import structlog
from litestar import Litestar, Request, Router, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router

from api.auth import PUBLIC_PATHS, JWTAuthMiddleware, optional_actor
from api.config import ApiConfig
from api.contract import ContractPlugin
from api.errors import DATABASE_UNAVAILABLE, EXCEPTION_HANDLERS, error_response
from api.export import csv_lists_middleware
from api.guards import refuse_unknown_parameters
from api.health import Health, Readiness
from api.home import REDOC_DIR, SWAGGER_DIR, describe, home_handlers, meta_of
from api.idempotency import IdempotencyMiddleware, ensure_idempotency_table
from api.identity import ensure_identity_schema
from api.middleware import log_unrouted, request_logging_middleware
from api.pages import TEMPLATE_CONFIG, page_routes
from api.ratelimit import RateLimitMiddleware, close_rate_limiter, open_rate_limiter
from api.routers import ROUTERS
from api.security_headers import HtmlCspMiddleware, security_headers
from api.services import Services
from api.sessions import SessionCsrfMiddleware, post_logout
from domain.calendar import calendar_notice_at
from domain.values import Role
from projections.runner import Projection, max_position
from projections.supervision import Supervisor, ViewProgress

log = structlog.get_logger(__name__)

# Opens what the API runs on for the app's lifespan (oversight/runtime.py `serving`):
# the request services and the supervisor of this process's background tasks.
Serving = Callable[[], contextlib.AbstractAsyncContextManager[tuple[Services, Supervisor]]]


@get("/healthz", include_in_schema=True, tags=["health"], opt={"returns": Health})
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


# Who sees readiness in detail (positions, lag per view, the tasks' state).
DETAIL_ROLES = frozenset({Role.SUPERVISOR, Role.INSPECTOR, Role.ADMIN})


@get(
    "/readyz",
    tags=["health"],
    # what the document cannot derive (api/contract.py): a token is optional, a bad one 401
    opt={
        "returns": Readiness,
        "security_doc": [{}, {"bearer": []}],
        "statuses": {
            401: "A token was sent and is not valid (none is needed).",
            503: "Not ready: `reasons` says why (the detail too, for a token that may see it).",
        },
    },
)
async def readyz(request: Request[Any, Any, Any], services: NamedDependency[Services]) -> Any:
    """Ready to serve: the database answers, every background task of this process
    runs, and no view has been behind without progress for OVERSIGHT_VIEW_STALL_SECONDS.
    Otherwise 503 (problem+json) with the reasons. Anyone gets the status; positions,
    the lag of each view and the tasks' state need a supervisor, inspector or admin
    token (docs/operations.md)."""
    actor = await optional_actor(request)
    detailed = actor is not None and actor.role in DETAIL_ROLES
    state = request.app.state
    reasons: list[str] = []
    detail: dict[str, Any] = {}
    try:
        async with services.pool.acquire(timeout=services.settings.db_connect_timeout) as conn:
            latest = await max_position(conn)
            rows = await conn.fetch("SELECT projection, position FROM views.tracking")
    except DATABASE_UNAVAILABLE as e:
        reasons.append("the database cannot be reached")
        detail["database"] = type(e).__name__
    else:
        tracked = {r["projection"]: r["position"] for r in rows}
        positions = {p.name: tracked.get(p.name, 0) for p in state.views}
        stalled = state.view_progress.observe(positions, latest, time.monotonic())
        if stalled:
            reasons.append(
                f"views behind without progress for {state.view_progress.stall_seconds:g} s: "
                + ", ".join(sorted(stalled))
            )
        detail |= {
            "database": "ok",
            "position": latest,
            "projection_lag": latest - min(positions.values(), default=latest),
            "views": {
                name: {"position": position, "lag": latest - position}
                | ({"stalled_seconds": round(stalled[name], 1)} if name in stalled else {})
                for name, position in positions.items()
            },
        }
    supervisor: Supervisor = state.supervisor
    down = supervisor.not_running()
    if down:
        reasons.append("background tasks not running: " + ", ".join(t.name for t in down))
    detail["tasks"] = supervisor.describe()
    # Issue 11: a year that matters has no official holiday schedule (None when all have).
    detail["calendar"] = calendar_notice_at(services.app.calendar, services.now())
    if not reasons:
        state.not_ready = None
        return {"status": "ready"} | (detail if detailed else {})
    if reasons != state.get("not_ready"):  # logged when the reasons change, not per probe
        log.warning("not_ready", reasons=reasons)
        state.not_ready = reasons
    response = error_response(request, 503, "not-ready", "Not ready", "; ".join(reasons))
    response.content["reasons"] = reasons
    if detailed:
        response.content |= detail
    return response


def _services(state: State) -> Services:
    return state.services


def create_app(
    config: ApiConfig,
    *,
    jwt_secret: str,
    views: Sequence[Projection],
    serve: Serving,
    case_routers: Sequence[Router],
) -> Litestar:
    """The API on what `serve` opens, with the case types' routers (oversight/registry.py);
    `views` are the views /readyz reports on."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with serve() as (services, supervisor):
            app.state.services = services
            app.state.supervisor = supervisor
            app.state.view_progress = ViewProgress(config.view_stall_seconds)
            log.info("api_started", **describe(meta_of(config)))  # where the docs are
            yield

    openapi = OpenAPIConfig(
        title="Oversight",
        version=meta_of(config).version,  # the package's, as GET /api/v1/meta says
        description="Case supervision for the business-environment supervision bureau.",
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
        security=[{"bearer": []}],
        use_handler_docstrings=True,  # a handler's docstring is its operation's description
        # Swagger UI 5 and Redoc from drf-spectacular-sidecar, served from our origin
        # (api/home.py; docs/decisions.md "The docs page").
        render_plugins=[
            SwaggerRenderPlugin(
                js_url="/static/swagger/swagger-ui-bundle.js",
                css_url="/static/swagger/swagger-ui.css",
                standalone_preset_js_url="/static/swagger/swagger-ui-standalone-preset.js",
                favicon="<link rel='icon' href='/static/swagger/favicon-32x32.png'>",
            ),
            RedocRenderPlugin(
                js_url="/static/redoc/redoc.standalone.js",
                google_fonts=False,
                favicon="<link rel='icon' href='/static/swagger/favicon-32x32.png'>",
            ),
        ],
    )
    return Litestar(
        route_handlers=[
            healthz,
            readyz,
            *case_routers,
            *ROUTERS,
            *home_handlers(config),
            post_logout,  # /logout (api/sessions.py); /login is a page (api/pages/signin.py)
            *page_routes(config),  # the web pages, `/` included (api/pages/)
            create_static_files_router(
                path="/static/swagger", directories=[SWAGGER_DIR], include_in_schema=False
            ),
            create_static_files_router(
                path="/static/redoc", directories=[REDOC_DIR], include_in_schema=False
            ),
        ],
        dependencies={"services": Provide(_services, sync_to_thread=False)},
        middleware=[
            request_logging_middleware,
            csv_lists_middleware,
            HtmlCspMiddleware,
            SessionCsrfMiddleware,  # cookie sessions and pages only (api/sessions.py)
            DefineMiddleware(JWTAuthMiddleware, exclude=[f"^{p}" for p in PUBLIC_PATHS]),
            RateLimitMiddleware,  # after authentication: it counts per account
            IdempotencyMiddleware,  # after authentication: keys belong to an account
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        # unknown query parameters: 400 (a route's own hook does it after its role check)
        before_request=refuse_unknown_parameters,
        plugins=[ContractPlugin()],  # the OpenAPI document made exact (api/contract.py)
        # every answer, errors outside routes too (log_unrouted: their request log line)
        before_send=[security_headers(config), log_unrouted],
        on_startup=[ensure_idempotency_table, ensure_identity_schema, open_rate_limiter],
        on_shutdown=[close_rate_limiter],
        openapi_config=openapi,
        template_config=TEMPLATE_CONFIG,
        lifespan=[lifespan],
        state=State({"jwt_secret": jwt_secret, "views": tuple(views)}),
        request_max_body_size=1_000_000,
        logging_config=None,  # logs go through structlog (oversight/logs.py)
    )
