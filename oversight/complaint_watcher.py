"""The complaints' deadline watcher: 催办 and escalation.

A complaint whose current step (acceptance while lodged, handling while transferred) is
past its deadline gets a `Reminded` event from the system, once per deadline; if it is
still overdue when the reminder's grace (5 working days) has run out, an `Escalated`
event tells the supervisors. Both show in the case's history and the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.commands import Escalate, Remind
from domain.complaint_case import COMPLAINT
from oversight.system_moves import send_system_moves

BATCH = 500  # per pass; the rest on the next pass


async def remind_and_escalate_complaints(app: Any, pool: Any, clock: Callable[[], datetime]) -> int:
    now = clock()
    async with pool.acquire() as conn:
        to_remind = await conn.fetch(
            "SELECT id FROM views.complaint_summary WHERE due_at < $1 "
            "AND reminded_due IS DISTINCT FROM due_at ORDER BY due_at LIMIT $2",
            now,
            BATCH,
        )
        to_escalate = await conn.fetch(
            "SELECT id FROM views.complaint_summary WHERE due_at < $1 AND reminded_due = due_at "
            "AND escalated_due IS DISTINCT FROM due_at AND escalate_after <= $1 "
            "ORDER BY due_at LIMIT $2",
            now,
            BATCH,
        )
    reminded = await send_system_moves(
        app, COMPLAINT, [r["id"] for r in to_remind], "remind", Remind(), now
    )
    escalated = await send_system_moves(
        app, COMPLAINT, [r["id"] for r in to_escalate], "escalate", Escalate(), now
    )
    return reminded + escalated
