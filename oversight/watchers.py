"""Background processes that turn the passing of time into events (deadline watchers).

A watcher never changes a record silently: it reads a view for deadlines that have
passed and sends the same commands a user would, as the `system` actor, so the audit
trail shows it. `oversight serve` and `oversight worker` run every watcher listed in
WATCHERS (one per line: each adds itself here).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import structlog

from oversight.calendar_recompute import log_missing_schedule
from oversight.commitment_watcher import mark_overdue_commitments
from oversight.complaint_watcher import remind_and_escalate_complaints
from oversight.deadline_watchers import (
    remind_and_escalate_credit_repairs,
    remind_and_escalate_problems,
)
from oversight.system_moves import SYSTEM  # noqa: F401 - re-exported

log = structlog.get_logger(__name__)


# A watcher: (application, asyncpg pool, clock) -> one pass; returns how many events it raised.
Watcher = Callable[[Any, Any, Callable[[], datetime]], Awaitable[int]]

WATCHERS: list[Watcher] = [
    remind_and_escalate_complaints,
    mark_overdue_commitments,
    remind_and_escalate_problems,
    remind_and_escalate_credit_repairs,
    log_missing_schedule,  # issue 11: next year's holiday schedule missing (log only)
]


async def run_watchers(
    app: Any,
    pool: Any,
    clock: Callable[[], datetime],
    stop: asyncio.Event,
    *,
    every_seconds: float,
) -> None:
    """Run every watcher once per interval until `stop` is set. One process at a time
    does a pass (a PostgreSQL advisory lock), so several servers don't race; a race
    would be harmless anyway: a second mark of the same deadline is refused (409).
    `every_seconds <= 0` turns them off in this process (another one, e.g. `oversight
    worker`, watches).

    A watcher that fails is logged (`watcher_failed`, with the error's type) and the
    others still run; then the pass raises the first failure, for the supervisor
    (projections/supervision.py) to log and to run the watchers again after a backoff,
    on fresh connections. Anything else (the lock's connection lost) raises at once."""
    if every_seconds <= 0:
        log.info("deadline_watchers_off")
        return
    while not stop.is_set():
        if WATCHERS:
            await _one_pass(app, pool, clock)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)


async def _one_pass(app: Any, pool: Any, clock: Callable[[], datetime]) -> None:
    failures: list[Exception] = []
    async with pool.acquire() as conn:
        if not await conn.fetchval("SELECT pg_try_advisory_lock(hashtext('oversight.watchers'))"):
            return  # another process is doing this pass
        try:
            for watcher in WATCHERS:
                try:
                    raised = await watcher(app, pool, clock)
                except Exception as e:
                    log.warning(
                        "watcher_failed",
                        watcher=watcher.__name__,
                        error=type(e).__name__,
                        sqlstate=getattr(e, "sqlstate", None),
                    )
                    failures.append(e)
                    continue
                if raised:
                    log.info("deadlines_marked", watcher=watcher.__name__, n=raised)
        finally:
            if not conn.is_closed():
                with contextlib.suppress(Exception):  # the pool's reset unlocks it too
                    await conn.execute("SELECT pg_advisory_unlock(hashtext('oversight.watchers'))")
    if failures:
        raise failures[0]
