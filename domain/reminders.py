"""催办 and escalation: the rules every case type with a deadline watcher shares.

When the step a case is waiting on is past its deadline, the watcher (the `system`
actor) reminds: one reminder per deadline. If the deadline is still passed when the
reminder's grace has run out, it escalates to the supervisors: once per deadline, and
never before a reminder. A new deadline (a redo, a reopened problem, the next review)
may be reminded and escalated again.

Aggregates keep their own events and state fields; they call these checks with a `key`
naming the deadline (the due instant, or (step, due) where one case has several steps
with deadlines) and the keys of the last reminder and escalation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.errors import MoveNotAllowed


def overdue_step(
    move: str, status: str, deadline: tuple[str, datetime] | None, at: datetime
) -> tuple[str, datetime]:
    """The (step, due) the case waits on, if its due has passed at `at`."""
    if deadline is None or at <= deadline[1]:
        raise MoveNotAllowed(move, status, "the deadline has not passed")
    return deadline


def check_remind(move: str, status: str, *, key: Any, reminded: Any) -> None:
    if key == reminded:
        raise MoveNotAllowed(move, status, "this deadline was already reminded")


def check_escalate(
    move: str,
    status: str,
    *,
    key: Any,
    reminded: Any,
    escalated: Any,
    escalate_after: datetime | None,
    at: datetime,
) -> None:
    if key != reminded or escalate_after is None:
        raise MoveNotAllowed(move, status, "this deadline was not reminded yet")
    if key == escalated:
        raise MoveNotAllowed(move, status, "this deadline was already escalated")
    if at < escalate_after:
        raise MoveNotAllowed(move, status, "the reminder's grace has not run out")
