"""The deadline watchers of project problems and credit repairs: 催办 and escalation.

As for complaints (oversight/complaint_watcher.py): a case whose current step is past
its deadline gets a `Reminded` event from the system, once per deadline; if it is still
overdue when the reminder's grace (5 working days) has run out, an escalation event
tells the supervisors. Both show in the case's history and the audit trail.

- a project problem waits on its resolution (`due_at`) while open or escalated to the
  contact leader; its escalation event is `DeadlineEscalated` (its `Escalated` is the
  escalation to the contact leader);
- a credit repair waits on its initial review while applied and on its re-review while
  initially reviewed. Both reviews are due at the same instant, so reminders are about a
  step and its due: a late initial review reminded does not stand for the re-review.

The views may lag: a case that moved on since is refused by the domain and skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.commands import Escalate, Remind
from domain.credit_repair_case import CREDIT_REPAIR
from domain.project_case import PROBLEM
from domain.project_commands import EscalateDeadline
from oversight.system_moves import send_system_moves

BATCH = 500  # per pass and kind of move; the rest on the next pass

_PROBLEMS = """
    SELECT id FROM views.project_problems
    WHERE status IN ('open', 'escalated') AND due_at < $1 AND {condition}
    ORDER BY due_at, id LIMIT $2
"""


async def remind_and_escalate_problems(app: Any, pool: Any, clock: Callable[[], datetime]) -> int:
    """One pass over the project problems; returns how many events it raised."""
    now = clock()
    async with pool.acquire() as conn:
        to_remind = await conn.fetch(
            _PROBLEMS.format(condition="reminded_due IS DISTINCT FROM due_at"), now, BATCH
        )
        to_escalate = await conn.fetch(
            _PROBLEMS.format(
                condition="reminded_due = due_at AND escalated_due IS DISTINCT FROM due_at "
                "AND escalate_after <= $1"
            ),
            now,
            BATCH,
        )
    reminded = await send_system_moves(
        app, PROBLEM, [r["id"] for r in to_remind], "remind", Remind(), now
    )
    escalated = await send_system_moves(
        app,
        PROBLEM,
        [r["id"] for r in to_escalate],
        "escalate-deadline",
        EscalateDeadline(),
        now,
    )
    return reminded + escalated


# The review each pending credit repair waits on, and its due (as views/warnings do).
_CREDIT_REPAIRS = """
    SELECT id FROM (
      SELECT id, reminded_step, reminded_due, escalate_after, escalated_step, escalated_due,
             CASE status WHEN 'applied' THEN 'initial_review' ELSE 're_review' END AS step,
             CASE status WHEN 'applied' THEN initial_review_due ELSE re_review_due END
               AS due_at
      FROM views.credit_repair_register
      WHERE status IN ('applied', 'initially_reviewed')
    ) AS pending
    WHERE due_at < $1 AND {condition}
    ORDER BY due_at, id LIMIT $2
"""


async def remind_and_escalate_credit_repairs(
    app: Any, pool: Any, clock: Callable[[], datetime]
) -> int:
    """One pass over the pending credit-repair reviews; returns how many events it raised."""
    now = clock()
    async with pool.acquire() as conn:
        to_remind = await conn.fetch(
            _CREDIT_REPAIRS.format(
                condition="(reminded_step, reminded_due) IS DISTINCT FROM (step, due_at)"
            ),
            now,
            BATCH,
        )
        to_escalate = await conn.fetch(
            _CREDIT_REPAIRS.format(
                condition="(reminded_step, reminded_due) = (step, due_at) "
                "AND (escalated_step, escalated_due) IS DISTINCT FROM (step, due_at) "
                "AND escalate_after <= $1"
            ),
            now,
            BATCH,
        )
    reminded = await send_system_moves(
        app, CREDIT_REPAIR, [r["id"] for r in to_remind], "remind", Remind(), now
    )
    escalated = await send_system_moves(
        app, CREDIT_REPAIR, [r["id"] for r in to_escalate], "escalate", Escalate(), now
    )
    return reminded + escalated
