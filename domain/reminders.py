"""催办 and escalation: the rules every case type with a deadline watcher shares.

When the step a case is waiting on is past its deadline, the watcher (the `system`
actor) reminds: one reminder per deadline. If the deadline is still passed when the
reminder's grace has run out, it escalates to the supervisors: once per deadline, and
never before a reminder. A new deadline (a redo, a reopened problem, the next review)
may be reminded and escalated again.

Aggregates keep their own events and state fields; they call these checks with a `key`
naming the deadline (the due instant, or (step, due) where one case has several steps
with deadlines) and the keys of the last reminder and escalation.

A supervisor may also remind by hand (issue 11 §3), with a note, at any time while the
case waits on a step, before or after its deadline, as often as needed. A reminder by
hand made after the deadline, when the system has not reminded that deadline yet,
stands as the deadline's reminder (the system does not remind it a second time, and the
escalation's grace runs from it); any other reminder by hand changes nothing the
watcher looks at. A case shows the reminders made on the step it waits on (its open
reminders) and how many times that step was escalated (its escalation level), with the
time of the last escalation; both start afresh when the case moves to another step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from domain.errors import MoveNotAllowed, RuleViolated
from domain.values import Actor, Role

# A reminded deadline escalates when still overdue this many working days later: the
# escalation's grace after a reminder, the same for every case type.
ESCALATE_AFTER_WORKING_DAYS = 5

# The roles that may remind (催办) by hand, besides the system's deadline watcher.
BY_HAND = frozenset({Role.SUPERVISOR})
NOTE_RULE = "a reminder by hand needs a note saying what is asked of whom"


class Reminder(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A reminder (催办) made on the step a case waits on: when, by whom, about which
    step and deadline (None: the step has no deadline), and the note of one made by hand."""

    at: datetime
    by: Actor
    step: str
    due: datetime | None = None
    note: str | None = None


def check_by_hand(actor: Actor, note: str | None) -> None:
    """A person's reminder carries a note (the system's never does)."""
    if actor.role is not Role.SYSTEM and not note:
        raise RuleViolated("note", NOTE_RULE)


def stands_for_deadline(*, key: Any, due: datetime | None, reminded: Any, at: datetime) -> bool:
    """Whether a reminder by hand made at `at` stands as the reminder of the deadline
    `key` (due `due`): the deadline has passed and was not reminded yet."""
    return due is not None and at > due and key != reminded


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
