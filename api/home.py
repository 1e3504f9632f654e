"""What a person finds at `/`, and the API's version and build (`GET /api/v1/meta`).

Until the web pages exist, `/` is a short HTML page (Chinese first, then English)
linking the API reference (Swagger UI and Redoc, served offline under /schema), the
OpenAPI document, the health check and the version. It has no inline script or style,
so the strict Content-Security-Policy of api/security_headers.py applies unchanged.

The version is the installed package's (`importlib.metadata`), the same string the
OpenAPI document's `info.version` carries; the build is what the deployment names in
OVERSIGHT_BUILD (a git commit, read by oversight/settings.py), or `unknown`. Both
answer without a token.
"""

from __future__ import annotations

import html
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import msgspec
from litestar import MediaType, Response, get
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


def render_home(meta: Meta) -> str:
    """The page at `/` (plain HTML, nothing inline to run)."""
    v = html.escape(meta.version)
    b = html.escape(meta.build)

    def link(path: str, text: str) -> str:
        return f'<a href="{html.escape(path)}">{text}</a>'

    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Oversight 营商环境监督 API</title>
<link rel="icon" href="/static/swagger/favicon-32x32.png">
</head>
<body>
<main>
<h1>营商环境建设监督局 · 案件监督 API</h1>
<p>本服务提供投诉、重大项目、信用承诺与信用修复等案件的监督接口（<code>/api/v1</code>）。</p>
<ul>
<li>{link(meta.docs, "接口文档（Swagger UI，可试用）")}</li>
<li>{link(meta.redoc, "接口参考（Redoc）")}</li>
<li>{link(meta.openapi, "OpenAPI 文档（JSON）")}</li>
<li>{link("/healthz", "健康检查")}（{link("/readyz", "就绪状态")}）</li>
<li>{link(META_PATH, "版本信息")}：版本 <span id="version">{v}</span>，
构建 <span id="build">{b}</span></li>
</ul>
<section lang="en">
<h2>Oversight: case supervision API</h2>
<p>Case supervision for the business-environment supervision bureau, under
<code>/api/v1</code> (a bearer token is needed; see the docs).</p>
<ul>
<li>{link(meta.docs, "API docs (Swagger UI, try it out)")}</li>
<li>{link(meta.redoc, "API reference (Redoc)")}</li>
<li>{link(meta.openapi, "OpenAPI document (JSON)")}</li>
<li>{link("/healthz", "Health check")} ({link("/readyz", "readiness")})</li>
<li>{link(META_PATH, "Version")}: {v}, build {b}</li>
</ul>
</section>
</main>
</body>
</html>
"""


def home_handlers(config: ApiConfig) -> list[HTTPRouteHandler]:
    """`/` and `GET /api/v1/meta`, for this configuration's build."""
    meta = meta_of(config)
    page = render_home(meta)

    @get("/", media_type=MediaType.HTML, include_in_schema=False, opt=PUBLIC)
    async def home() -> Response[str]:
        """A short page for a person: where the docs, the health check and the version are."""
        return Response(page, media_type="text/html; charset=utf-8")

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

    return [home, api_meta]


def describe(meta: Meta) -> dict[str, Any]:
    """The fields of the start-up log line that say where the docs are."""
    return {"docs_url": meta.docs, "redoc_url": meta.redoc, "version": meta.version}
