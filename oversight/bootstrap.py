"""Builds the write-side application for a database URL and starts the background
tasks (the composition root)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.application import Oversight
from domain.sla import calendar_for, load_sla_policy
from ledger.guard import protect_event_store
from ledger.signer import run_ledger_signer
from oversight.database import eventsourcing_env
from oversight.settings import Settings
from oversight.watchers import run_watchers
from projections import PROJECTIONS
from projections.runner import ProjectionRunner
from projections.supervision import Supervisor

# The background pool's connections (oversight/database.py create_pool): the runner's
# listener and its views, 3 at a time; the watchers' lock and their reads; the signer.
BACKGROUND_CONNECTIONS = 7


def build_application(database_url: str, settings: Settings) -> Oversight:
    """The Oversight application on that database; creates the event store's tables
    if they are missing (idempotent). Its connections fail fast during an outage
    (oversight/database.py FailFastPostgresFactory)."""
    sla = load_sla_policy(settings.sla_file)
    calendar = calendar_for(sla, [settings.calendar_dir])
    env = {
        **eventsourcing_env(
            database_url,
            connect_timeout=settings.db_connect_timeout,
            statement_timeout=settings.db_statement_timeout,
        ),
        "CREATE_TABLE": "y",
    }
    return protect_event_store(Oversight(env, calendar=calendar, sla=sla))


def start_background_tasks(
    supervisor: Supervisor,
    stop: asyncio.Event,
    *,
    app: Oversight,
    pool: Any,
    settings: Settings,
    clock: Callable[[], datetime],
) -> None:
    """The projection runner, the deadline watchers and the ledger signer, each under
    the supervisor (restarted after any failure, ended by `stop`), as `oversight
    serve` and `oversight worker` run them. `pool` is an asyncpg pool for background
    work (BACKGROUND_CONNECTIONS connections)."""
    runner = ProjectionRunner(pool, PROJECTIONS, poll_seconds=settings.projection_poll_seconds)
    supervisor.start("projection-runner", lambda: runner.run(stop), stop)
    if settings.watch_seconds > 0:
        supervisor.start(
            "deadline-watchers",
            lambda: run_watchers(app, pool, clock, stop, every_seconds=settings.watch_seconds),
            stop,
        )
    else:
        supervisor.off("deadline-watchers", "OVERSIGHT_WATCH_SECONDS is 0")
    supervisor.start("ledger-signer", lambda: run_ledger_signer(pool, settings, stop), stop)
