"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import anyio.to_thread
import asyncpg
import structlog
from litestar import Litestar, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

from api.auth import PUBLIC_PATHS, JWTAuthMiddleware
from api.export import csv_lists_middleware
from api.idempotency import IdempotencyMiddleware, ensure_idempotency_table
from api.middleware import log_unrouted, request_logging_middleware
from api.problems import EXCEPTION_HANDLERS
from api.ratelimit import RateLimitMiddleware, close_rate_limiter, open_rate_limiter
from api.routers import ROUTERS
from api.security_headers import HtmlCspMiddleware, security_headers
from api.services import Services, system_clock
from domain.calendar import calendar_notice_at
from ledger.signer import run_ledger_signer
from oversight.bootstrap import build_application
from oversight.database import asyncpg_dsn
from oversight.settings import Settings
from oversight.watchers import run_watchers
from projections import PROJECTIONS
from projections.runner import ProjectionRunner, ensure_schema, max_position, view_position

log = structlog.get_logger(__name__)


@get("/healthz", include_in_schema=True, tags=["health"])
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@get("/readyz", tags=["health"])
async def readyz(services: NamedDependency[Services]) -> Any:
    """The database answers; how far the views lag behind the event store."""
    from litestar import Response

    try:
        async with services.pool.acquire(timeout=2) as conn:
            latest = await max_position(conn)
            seen = await view_position(conn)
    except (OSError, asyncpg.PostgresError, TimeoutError) as e:
        return Response({"status": "unavailable", "database": type(e).__name__}, status_code=503)
    return {
        "status": "ready",
        "database": "ok",
        "position": latest,
        "projection_lag": latest - seen,
        # Issue 11: a year that matters has no official holiday schedule (None when all have).
        "calendar": calendar_notice_at(services.app.calendar, services.now()),
    }


def _services(state: State) -> Services:
    return state.services


def create_app(
    settings: Settings,
    *,
    database_url: str,
    jwt_secret: str,
    clock: Callable[[], datetime] = system_clock,
    run_projections: bool = True,
) -> Litestar:
    """The API. With `run_projections`, the projection runner runs in this process."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        oversight = await anyio.to_thread.run_sync(build_application, database_url, settings)
        if settings.group_commit:
            oversight.enable_group_commit()
        pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=10)
        async with pool.acquire() as conn:
            await ensure_schema(conn, PROJECTIONS)
        app.state.services = Services(app=oversight, pool=pool, settings=settings, clock=clock)
        stop = asyncio.Event()
        tasks = []
        if run_projections:
            tasks.append(
                asyncio.create_task(
                    run_watchers(
                        oversight, pool, clock, stop, every_seconds=settings.watch_seconds
                    ),
                    name="deadline-watchers",
                )
            )
            runner = ProjectionRunner(
                pool, PROJECTIONS, poll_seconds=settings.projection_poll_seconds
            )
            tasks.append(asyncio.create_task(runner.run(stop), name="projection-runner"))
            tasks.append(
                asyncio.create_task(run_ledger_signer(pool, settings, stop), name="ledger-signer")
            )
        log.info("started", projections=run_projections)
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks)
            await pool.close()
            oversight.close()

    openapi = OpenAPIConfig(
        title="Oversight",
        version="1",
        description="Case supervision for the business-environment supervision bureau.",
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
        security=[{"bearer": []}],
        render_plugins=[
            SwaggerRenderPlugin(
                js_url="/static/swagger/swagger-ui-bundle.js",
                css_url="/static/swagger/swagger-ui.css",
                standalone_preset_js_url="/static/swagger/swagger-ui-standalone-preset.js",
                favicon="<link rel='icon' href='/static/swagger/favicon-32x32.png'>",
            )
        ],
    )
    return Litestar(
        route_handlers=[
            healthz,
            readyz,
            *ROUTERS,
            create_static_files_router(
                path="/static/swagger", directories=[swagger_ui_path], include_in_schema=False
            ),
        ],
        dependencies={"services": Provide(_services, sync_to_thread=False)},
        middleware=[
            request_logging_middleware,
            csv_lists_middleware,
            HtmlCspMiddleware,
            DefineMiddleware(JWTAuthMiddleware, exclude=[f"^{p}" for p in PUBLIC_PATHS]),
            RateLimitMiddleware,  # after authentication: it counts per account
            IdempotencyMiddleware,  # after authentication: keys belong to an account
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        # every answer, errors outside routes too (log_unrouted: their request log line)
        before_send=[security_headers(settings), log_unrouted],
        on_startup=[ensure_idempotency_table, open_rate_limiter],
        on_shutdown=[close_rate_limiter],
        openapi_config=openapi,
        lifespan=[lifespan],
        state=State({"jwt_secret": jwt_secret}),
        request_max_body_size=1_000_000,
        logging_config=None,  # logs go through structlog (oversight/logs.py)
    )
