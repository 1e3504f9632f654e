"""The complaints' deadline watcher: 催办, escalation, and the rating window's end.

A complaint whose current step is past its deadline gets a `Reminded` event from the
system, once per step and deadline; if it is still overdue when the reminder's grace (5
working days) has run out, an `Escalated` event tells the supervisors. The steps are the
bureau's acceptance (while lodged) and transfer (while accepted), the department's
handling (while transferred) and the supervisors' review (while replied): issue 11 §2.
A supervisor's reminder by hand after the deadline stands as the deadline's reminder
(domain/reminders.py), so the watcher does not remind it again.

The enterprise's rating window (while awaiting rating) is not reminded: when it has
passed without a rating, the system closes the case as not rated (`ClosedUnrated`).

All of these show in the case's history and the audit trail. The views may lag: a case
that moved on since is refused by the domain and skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.commands import CloseUnrated, Escalate, Remind
from domain.complaint import SYSTEM_REMINDED
from domain.complaint_case import COMPLAINT
from oversight.system_moves import send_system_moves

BATCH = 500  # per pass and kind of move; the rest on the next pass

_REMINDED_STEPS = sorted(SYSTEM_REMINDED)


async def remind_and_escalate_complaints(app: Any, pool: Any, clock: Callable[[], datetime]) -> int:
    """One pass: reminders, escalations, then the cases whose rating window passed;
    returns how many events it raised."""
    now = clock()
    async with pool.acquire() as conn:
        to_remind = await conn.fetch(
            "SELECT id FROM views.complaint_summary WHERE due_at < $1 "
            "AND due_step = ANY($3::text[]) "
            "AND (reminded_step, reminded_due) IS DISTINCT FROM (due_step, due_at) "
            "ORDER BY due_at, id LIMIT $2",
            now,
            BATCH,
            _REMINDED_STEPS,
        )
        to_escalate = await conn.fetch(
            "SELECT id FROM views.complaint_summary WHERE due_at < $1 "
            "AND due_step = ANY($3::text[]) "
            "AND (reminded_step, reminded_due) = (due_step, due_at) "
            "AND (escalated_step, escalated_due) IS DISTINCT FROM (due_step, due_at) "
            "AND escalate_after <= $1 "
            "ORDER BY due_at, id LIMIT $2",
            now,
            BATCH,
            _REMINDED_STEPS,
        )
    reminded = await send_system_moves(
        app, COMPLAINT, [r["id"] for r in to_remind], "remind", Remind(), now
    )
    escalated = await send_system_moves(
        app, COMPLAINT, [r["id"] for r in to_escalate], "escalate", Escalate(), now
    )
    return reminded + escalated + await close_unrated_complaints(app, pool, lambda: now)


async def close_unrated_complaints(app: Any, pool: Any, clock: Callable[[], datetime]) -> int:
    """Close, as not rated, every complaint whose rating window has passed unrated."""
    now = clock()
    async with pool.acquire() as conn:
        lapsed = await conn.fetch(
            "SELECT id FROM views.complaint_summary WHERE due_at < $1 AND due_step = 'rating' "
            "ORDER BY due_at, id LIMIT $2",
            now,
            BATCH,
        )
    return await send_system_moves(
        app, COMPLAINT, [r["id"] for r in lapsed], "close-unrated", CloseUnrated(), now
    )
