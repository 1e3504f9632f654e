"""Where the API's docs are, and the API's version and build (`GET /api/v1/meta`).

`/` is the web pages' home (api/pages/home.py, issue 16): it links the API reference
(Swagger UI and Redoc, served offline under /schema), the OpenAPI document, the health
check and the version from `meta_of`.

The version is the installed package's (`importlib.metadata`), the same string the
OpenAPI document's `info.version` carries; the build is what the deployment names in
OVERSIGHT_BUILD (a git commit, read by oversight/settings.py), or `unknown`. Both
answer without a token.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import msgspec
from litestar import get
from litestar.handlers import HTTPRouteHandler

from api.config import ApiConfig


def _sidecar_static() -> Path:
    """drf-spectacular-sidecar's static folder, found without importing the package
    (its __init__ imports Django, which we never load)."""
    spec = find_spec("drf_spectacular_sidecar")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("drf-spectacular-sidecar is not installed (pyproject.toml)")
    return Path(spec.submodule_search_locations[0]) / "static" / "drf_spectacular_sidecar"


# The Swagger UI 5 and Redoc builds the docs pages load from /static/swagger and
# /static/redoc (docs/decisions.md "The docs page").
SWAGGER_DIR = _sidecar_static() / "swagger-ui-dist"
REDOC_DIR = _sidecar_static() / "redoc" / "bundles"

SWAGGER_PATH = "/schema/swagger"
REDOC_PATH = "/schema/redoc"
OPENAPI_PATH = "/schema/openapi.json"
META_PATH = "/api/v1/meta"
# Route option read by the authentication middleware: these answer without a token.
PUBLIC = {"exclude_from_auth": True}


def package_version() -> str:
    """The installed package's version, or `unknown` when it runs from a bare tree."""
    try:
        return version("oversight")
    except PackageNotFoundError:
        return "unknown"


class Meta(msgspec.Struct, frozen=True):
    """The API's version and build."""

    name: str
    version: str  # the package's version, also the OpenAPI document's info.version
    api: str  # the path version of the API (/api/v1)
    build: str  # OVERSIGHT_BUILD (e.g. a git commit), or "unknown"
    docs: str  # Swagger UI
    redoc: str
    openapi: str


def meta_of(config: ApiConfig) -> Meta:
    return Meta(
        name="oversight",
        version=package_version(),
        api="v1",
        build=config.build or "unknown",
        docs=SWAGGER_PATH,
        redoc=REDOC_PATH,
        openapi=OPENAPI_PATH,
    )


def home_handlers(config: ApiConfig) -> list[HTTPRouteHandler]:
    """`GET /api/v1/meta`, for this configuration's build (`/` is a web page:
    api/pages/home.py)."""
    meta = meta_of(config)

    @get(
        META_PATH,
        tags=["meta"],
        opt=PUBLIC,
        security=[{}],  # no token needed
        summary="Version and build",
        description=(
            "The API's version (the package's, as in the OpenAPI `info.version`), its path"
            " version and the build (OVERSIGHT_BUILD, e.g. a git commit, or `unknown`),"
            " with where the docs are. No token needed."
        ),
    )
    async def api_meta() -> Meta:
        return meta

    return [api_meta]


def describe(meta: Meta) -> dict[str, Any]:
    """The fields of the start-up log line that say where the docs are."""
    return {"docs_url": meta.docs, "redoc_url": meta.redoc, "version": meta.version}
