"""After a year's official schedule is loaded: recompute the open deadlines of that year.

`oversight calendar load FILE` installs the year file (every running process reads it on
its next calendar question: domain/calendar.py watches the directory), then calls
:func:`recompute_open_deadlines`. It finds, in the views, every case of every type with
an open deadline on or after 1 January of that year that has not passed yet, and sends
each the system's `recompute-deadlines` move. The domain decides (domain/deadlines.py):
each step whose deadline the calendar now puts elsewhere gets one `DeadlineRecomputed`
event (old due, new due, calendar source) by the system actor; a case with nothing to
change is refused and skipped, so running it twice is harmless. Closed cases have no open
deadline in the views, and a deadline already passed is never rewritten.

The views may lag the store by a moment: a case created or moved in the last instant
before the load may be missed; running the load again (idempotent) catches it.

This module also holds the watcher that logs, once a day, that next year's schedule is
missing (from 1 November; domain/calendar.py `log_calendar_notice`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog

from domain import deadlines
from domain.calendar import log_calendar_notice
from domain.cases import CaseType
from domain.commitment_case import COMMITMENT
from domain.complaint_case import COMPLAINT
from domain.credit_repair_case import CREDIT_REPAIR
from domain.project_case import PROBLEM
from oversight.system_moves import send_system_moves

log = structlog.get_logger(__name__)

# Per case type: the ids of cases with an open deadline at or after $1 (the start of the
# year) that has not passed at $2 (now).
_AFFECTED: tuple[tuple[CaseType, str], ...] = (
    (
        COMPLAINT,
        "SELECT id FROM views.complaint_summary WHERE due_at >= $1 AND due_at > $2 ORDER BY id",
    ),
    (
        PROBLEM,
        "SELECT id FROM views.project_problems WHERE status IN ('open', 'escalated') "
        "AND due_at >= $1 AND due_at > $2 ORDER BY id",
    ),
    (
        COMMITMENT,
        "SELECT id FROM views.commitment_register WHERE status IN ('committed', 'granted') "
        "AND due_at >= $1 AND due_at > $2 ORDER BY id",
    ),
    (
        CREDIT_REPAIR,
        "SELECT id FROM views.credit_repair_register "
        "WHERE (status = 'applied' AND GREATEST(initial_review_due, re_review_due) >= $1 "
        "       AND GREATEST(initial_review_due, re_review_due) > $2) "
        "   OR (status = 'initially_reviewed' AND re_review_due >= $1 AND re_review_due > $2) "
        "ORDER BY id",
    ),
)


async def recompute_open_deadlines(app: Any, pool: Any, now: datetime, *, year: int) -> int:
    """Send the recompute move to every case with an open deadline in or after `year`;
    returns how many cases got new deadlines (each has one event per step that moved)."""
    start = datetime(year, 1, 1, tzinfo=app.calendar.timezone)
    total = 0
    for case_type, sql in _AFFECTED:
        async with pool.acquire() as conn:
            ids = [r["id"] for r in await conn.fetch(sql, start, now)]
        changed = await send_system_moves(
            app, case_type, ids, deadlines.MOVE, deadlines.RecomputeDeadlines(), now
        )
        log.info(
            "deadlines_recomputed",
            case_type=case_type.name,
            year=year,
            looked_at=len(ids),
            changed=changed,
        )
        total += changed
    return total


async def log_missing_schedule(app: Any, pool: Any, clock: Callable[[], datetime]) -> int:
    """A watcher (oversight/watchers.py): from 1 November, while next year's schedule is
    missing, the warning `calendar_next_year_provisional` once a day. Raises no event."""
    calendar = app.calendar
    log_calendar_notice(calendar, clock().astimezone(calendar.timezone).date())
    return 0
