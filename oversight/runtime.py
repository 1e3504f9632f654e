"""The composition root: the one place that builds what the service runs on from a
plain `Settings` value (oversight/settings.py).

- `database`: the database URL (starting the embedded PostgreSQL when there is none);
- `prepare_secrets`: the explicit step that makes the embedded mode's JWT secret and
  ledger key (reading the settings never writes anything);
- `build_application`: the write side (`Oversight`) on that database;
- `views`: every view the runner keeps, the read side's and the ledger's;
- `start_background_tasks`: the projection runner, the deadline watchers and the ledger
  signer under a supervisor;
- `serving` / `create_app`: the API with its pools and background tasks;
- `run_worker`: the background tasks alone (`oversight worker`).

The ASGI factory (oversight/asgi.py), the CLI, `rebuild`, the demo and the benchmarks
take what they need from here; the packages below (api/, ledger/, projections/,
domain/) never import oversight/.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import anyio.to_thread
import structlog

from api.services import Services, system_clock
from domain.application import Oversight
from domain.calendar import WorkingCalendar
from domain.organisation import StoredDepartments
from domain.sla import calendar_for, load_sla_policy
from ledger.guard import protect_event_store
from ledger.keys import signing_key
from ledger.signer import run_ledger_signer
from ledger.view import LEDGER
from oversight.database import (
    BACKGROUND_STATEMENT_TIMEOUT,
    create_pool,
    eventsourcing_env,
    wait_for_database,
)
from oversight.registry import case_routers, case_views
from oversight.settings import Settings
from oversight.watchers import run_watchers
from projections import shared_views
from projections.runner import Projection, ProjectionRunner, ensure_schema, max_position
from projections.supervision import Supervisor

if TYPE_CHECKING:
    from litestar import Litestar

log = structlog.get_logger(__name__)

# The background pool's connections: the runner's listener and its views, 3 at a time;
# the watchers' lock and their reads; the signer.
BACKGROUND_CONNECTIONS = 7


# --- the database and the secrets ---------------------------------------------------------


def database(settings: Settings) -> tuple[str, bool]:
    """The database URL and whether it is the embedded server (started here, in
    var/pgdata, when DATABASE_URL is unset)."""
    if settings.database_url:
        return settings.database_url, False
    from oversight.database import start_embedded

    return start_embedded(settings.var_dir), True


def jwt_signing_secret(settings: Settings, *, embedded: bool) -> str:
    """The JWT signing secret: from the environment, or in embedded (development) mode
    generated once into var/jwt-secret and kept there (var/ is never committed)."""
    if settings.jwt_secret:
        return settings.jwt_secret
    if not embedded:
        raise SystemExit("OVERSIGHT_JWT_SECRET must be set when DATABASE_URL points at a server")
    path = settings.jwt_secret_path
    if not path.exists():
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another process made it first
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def prepare_ledger_key(settings: Settings) -> None:
    """In embedded (development) mode, make the ledger's signing key in var/ if there is
    none. With DATABASE_URL set a key is never made silently: `oversight ledger
    init-key` makes it, once (docs/ledger.md)."""
    if settings.embedded:
        config = settings.ledger
        signing_key(config.key_path, configured=config.key_configured, embedded=True)


def prepare_secrets(settings: Settings, *, embedded: bool) -> str:
    """The explicit step before a process serves: the ledger key (embedded mode) and
    the JWT secret (returned)."""
    prepare_ledger_key(settings)
    return jwt_signing_secret(settings, embedded=embedded)


# --- the application and the views --------------------------------------------------------


def calendar_of(settings: Settings) -> WorkingCalendar:
    """The working calendar of the configured SLA policy and administrator's year files."""
    return calendar_for(load_sla_policy(settings.sla_file), [settings.calendar_dir])


def build_application(database_url: str, settings: Settings) -> Oversight:
    """The Oversight application on that database; creates the event store's tables
    if they are missing (idempotent). Its connections fail fast during an outage
    (oversight/database.py FailFastPostgresFactory)."""
    sla = load_sla_policy(settings.sla_file)
    env = {
        **eventsourcing_env(
            database_url,
            connect_timeout=settings.db_connect_timeout,
            statement_timeout=settings.db_statement_timeout,
        ),
        "CREATE_TABLE": "y",
    }
    calendar = calendar_for(sla, [settings.calendar_dir])
    app = protect_event_store(Oversight(env, calendar=calendar, sla=sla))
    if settings.identity.departments == "registered":  # issue 15: transfers name one
        app.departments = StoredDepartments(app.load)
    return app


def views(settings: Settings | None = None) -> tuple[Projection, ...]:
    """Every view the runner keeps: the read side's (counting working days on the
    configured calendar; None: the shipped one) and the ledger's."""
    calendar = None if settings is None else calendar_of(settings)
    return (*case_views(), *shared_views(calendar), LEDGER)


# Every view on the shipped calendar, for tools and tests that need no settings.
PROJECTIONS = views()


def start_background_tasks(
    supervisor: Supervisor,
    stop: asyncio.Event,
    *,
    app: Oversight,
    pool: Any,
    settings: Settings,
    clock: Callable[[], datetime],
    projections: Sequence[Projection],
) -> None:
    """The projection runner, the deadline watchers and the ledger signer, each under
    the supervisor (restarted after any failure, ended by `stop`), as `oversight
    serve` and `oversight worker` run them. `pool` is an asyncpg pool for background
    work (BACKGROUND_CONNECTIONS connections)."""
    runner = ProjectionRunner(pool, projections, poll_seconds=settings.projection_poll_seconds)
    supervisor.start("projection-runner", lambda: runner.run(stop), stop)
    if settings.watch_seconds > 0:
        supervisor.start(
            "deadline-watchers",
            lambda: run_watchers(app, pool, clock, stop, every_seconds=settings.watch_seconds),
            stop,
        )
    else:
        supervisor.off("deadline-watchers", "OVERSIGHT_WATCH_SECONDS is 0")
    supervisor.start("ledger-signer", lambda: run_ledger_signer(pool, settings.ledger, stop), stop)


# --- the processes ------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def serving(
    settings: Settings,
    database_url: str,
    projections: Sequence[Projection],
    *,
    clock: Callable[[], datetime] = system_clock,
    run_projections: bool = True,
) -> AsyncIterator[tuple[Services, Supervisor]]:
    """What the API runs on, for its lifespan: the application, a pool for requests
    (short statement timeouts: an outage answers 503 quickly) and one for the
    background tasks (long ones), the views' schema, and with `run_projections` the
    background tasks in this process."""
    await wait_for_database(database_url)
    oversight = await anyio.to_thread.run_sync(build_application, database_url, settings)
    if settings.group_commit:
        oversight.enable_group_commit()
    timeouts = {"connect_timeout": settings.db_connect_timeout}
    pool = await create_pool(
        database_url,
        min_size=1,
        max_size=10,
        statement_timeout=settings.db_statement_timeout,
        application_name="oversight-api",
        **timeouts,
    )
    background = await create_pool(
        database_url,
        min_size=0,
        max_size=BACKGROUND_CONNECTIONS,
        statement_timeout=BACKGROUND_STATEMENT_TIMEOUT,
        application_name="oversight-background",
        **timeouts,
    )
    async with background.acquire() as conn:
        await ensure_schema(conn, projections)
    services = Services(app=oversight, pool=pool, settings=settings.api, clock=clock)
    supervisor = Supervisor()
    stop = asyncio.Event()
    if run_projections:
        start_background_tasks(
            supervisor,
            stop,
            app=oversight,
            pool=background,
            settings=settings,
            clock=clock,
            projections=projections,
        )
    log.info("started", projections=run_projections)
    try:
        yield services, supervisor
    finally:
        await supervisor.stop(stop)
        await pool.close()
        await background.close()
        oversight.close()


def create_app(
    settings: Settings,
    *,
    database_url: str,
    jwt_secret: str,
    clock: Callable[[], datetime] = system_clock,
    run_projections: bool = True,
) -> Litestar:
    """The API on that database, with the projection runner, the watchers and the
    signer in this process unless `run_projections` is off. In embedded mode (no
    DATABASE_URL in the settings) the ledger key is made first (`prepare_ledger_key`)."""
    prepare_ledger_key(settings)
    projections = views(settings)
    from api.app import create_app as create_api  # not for `rebuild` and its workers

    return create_api(
        settings.api,
        jwt_secret=jwt_secret,
        views=projections,
        case_routers=case_routers(),
        serve=lambda: serving(
            settings, database_url, projections, clock=clock, run_projections=run_projections
        ),
    )


async def run_worker(settings: Settings, url: str) -> int:
    """`oversight worker`: the background tasks alone, until SIGINT or SIGTERM."""
    await wait_for_database(url)
    app = await anyio.to_thread.run_sync(build_application, url, settings)  # creates tables
    projections = views(settings)
    try:
        pool = await create_pool(
            url,
            min_size=1,
            max_size=BACKGROUND_CONNECTIONS,
            connect_timeout=settings.db_connect_timeout,
            statement_timeout=BACKGROUND_STATEMENT_TIMEOUT,
            application_name="oversight-worker",
        )
    except BaseException:
        app.close()
        raise
    try:
        async with pool.acquire() as conn:
            await ensure_schema(conn, projections)
            latest = await max_position(conn)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        log.info("worker_started", position=latest)
        # Each task is restarted after any failure until a signal sets `stop`.
        supervisor = Supervisor()
        start_background_tasks(
            supervisor,
            stop,
            app=app,
            pool=pool,
            settings=settings,
            clock=system_clock,
            projections=projections,
        )
        await stop.wait()
        await supervisor.stop(stop)
        return 0
    finally:
        await pool.close()
        app.close()
