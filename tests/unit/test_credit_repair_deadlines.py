"""Reminders (催办) and escalation: the deadline watcher's moves on a credit repair.

The case waits on its initial review while applied and on its re-review while initially
reviewed; both reviews are due at the same instant (1 working day after the
application), so a reminder is about a step and its due.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain import commands as cmd
from domain.credit_repair import CreditRepair, Status
from domain.credit_repair_case import CREDIT_REPAIR
from domain.errors import MoveNotAllowed
from domain.values import Role
from tests.gwt import given, refused, then, then_unchanged
from tests.unit.test_credit_repair import (
    CALENDAR,
    CONTEXT,
    CST,
    GRACE_END,
    LATE,
    REVIEW_DUE,
    SYSTEM,
    WHEN,
    history_in,
    pass_initial,
    record,
)


def remind_late(case: CreditRepair, at: datetime) -> None:
    case.remind(SYSTEM, LATE, escalate_after=GRACE_END)


def escalate_late(case: CreditRepair, at: datetime) -> None:
    case.escalate(SYSTEM, GRACE_END)


def reminded(step: str, at: datetime = LATE, grace: datetime = GRACE_END):
    return (
        "Reminded",
        {
            "timestamp": at,
            "actor": SYSTEM,
            "step": step,
            "due": REVIEW_DUE,
            "escalate_after": grace,
            "note": None,
        },
    )


def test_a_passed_initial_review_due_is_reminded_once() -> None:
    history = history_in(Status.APPLIED)
    case = given(*history)
    case.remind(SYSTEM, LATE, escalate_after=GRACE_END)
    new = then(case, reminded("initial_review"))
    assert (case.reminded_step, case.reminded_due, case.reminders) == (
        "initial_review",
        REVIEW_DUE,
        1,
    )
    assert (case.escalate_after, case.status) == (GRACE_END, Status.APPLIED)
    assert given(*history, *new) == case
    with pytest.raises(MoveNotAllowed) as error:
        case.remind(SYSTEM, LATE + timedelta(hours=1), escalate_after=GRACE_END)
    assert refused(error) == ("remind", Status.APPLIED, "this deadline was already reminded")
    then_unchanged(case, [*history, *new])


@pytest.mark.parametrize("status", [Status.APPLIED, Status.INITIALLY_REVIEWED])
def test_no_reminder_before_the_due_passes(status: Status) -> None:
    history = history_in(status)
    case = given(*history)
    for at in (WHEN, REVIEW_DUE):  # at the due itself: still on time
        with pytest.raises(MoveNotAllowed) as error:
            case.remind(SYSTEM, at, escalate_after=GRACE_END)
        assert refused(error) == ("remind", status, "the deadline has not passed")
        with pytest.raises(MoveNotAllowed) as error:
            case.escalate(SYSTEM, at)
        assert refused(error) == ("escalate", status, "the deadline has not passed")
    then_unchanged(case, history)


def test_escalation_needs_a_reminder_and_its_grace_to_run_out() -> None:
    history = history_in(Status.APPLIED)
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        case.escalate(SYSTEM, GRACE_END)
    assert refused(error) == ("escalate", Status.APPLIED, "this deadline was not reminded yet")
    then_unchanged(case, history)
    case.remind(SYSTEM, LATE, escalate_after=GRACE_END)
    history = [*history, *case.collect_events()]
    with pytest.raises(MoveNotAllowed) as error:
        case.escalate(SYSTEM, GRACE_END - timedelta(minutes=1))
    assert refused(error) == ("escalate", Status.APPLIED, "the reminder's grace has not run out")
    then_unchanged(case, history)
    case.escalate(SYSTEM, GRACE_END)
    new = then(
        case,
        (
            "Escalated",
            {"timestamp": GRACE_END, "actor": SYSTEM, "step": "initial_review", "due": REVIEW_DUE},
        ),
    )
    assert (case.escalated_step, case.escalated_due) == ("initial_review", REVIEW_DUE)
    assert given(*history, *new) == case
    with pytest.raises(MoveNotAllowed) as error:
        case.escalate(SYSTEM, GRACE_END + timedelta(days=1))
    assert refused(error) == ("escalate", Status.APPLIED, "this deadline was already escalated")


def test_the_re_review_is_reminded_and_escalated_on_its_own() -> None:
    """The same due as the initial review's, but another step: a reminder and an
    escalation of its own."""
    history = record(remind_late, escalate_late, pass_initial)
    case = given(*history)
    assert case.status is Status.INITIALLY_REVIEWED
    assert (case.reminded_step, case.escalated_step) == ("initial_review", "initial_review")
    later = datetime(2024, 10, 9, 9, 0, tzinfo=CST)
    with pytest.raises(MoveNotAllowed) as error:
        case.escalate(SYSTEM, later)
    assert refused(error) == (
        "escalate",
        Status.INITIALLY_REVIEWED,
        "this deadline was not reminded yet",
    )
    grace = CALENDAR.due_at(later, 5)
    case.remind(SYSTEM, later, escalate_after=grace)
    then(case, reminded("re_review", later, grace))
    assert (case.reminded_step, case.reminders) == ("re_review", 2)
    with pytest.raises(MoveNotAllowed) as error:
        case.escalate(SYSTEM, later + timedelta(days=1))
    assert refused(error) == (
        "escalate",
        Status.INITIALLY_REVIEWED,
        "the reminder's grace has not run out",
    )
    case.escalate(SYSTEM, grace)
    then(
        case,
        (
            "Escalated",
            {"timestamp": grace, "actor": SYSTEM, "step": "re_review", "due": REVIEW_DUE},
        ),
    )
    assert (case.escalated_step, case.escalated_due) == ("re_review", REVIEW_DUE)


@pytest.mark.parametrize(
    "status", [Status.RE_REVIEWED, Status.SUBMITTED, Status.REFUSED, Status.WITHDRAWN]
)
def test_a_case_waiting_on_no_review_is_neither_reminded_nor_escalated(status: Status) -> None:
    history = history_in(status)
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        case.remind(SYSTEM, LATE, escalate_after=GRACE_END)
    assert refused(error) == ("remind", status, None)
    with pytest.raises(MoveNotAllowed) as error:
        case.escalate(SYSTEM, GRACE_END)
    assert refused(error) == ("escalate", status, None)
    then_unchanged(case, history)


def test_the_case_type_gives_a_grace_of_5_working_days_and_only_the_system_may() -> None:
    remind, escalate = CREDIT_REPAIR.move("remind"), CREDIT_REPAIR.move("escalate")
    # (a supervisor may also remind by hand, with a note: test_a_supervisor_reminds_by_hand)
    assert (remind.roles, escalate.roles) == ({Role.SYSTEM, Role.SUPERVISOR}, {Role.SYSTEM})
    assert (remind.body, escalate.body) == (cmd.Remind, cmd.Escalate)
    case = given(*history_in(Status.APPLIED))
    remind.decide(CONTEXT, case, SYSTEM, LATE, cmd.Remind())
    # Wednesday 09-25 09:00 + 5 working days: 09-26, 09-27, Sunday 09-29 (调休), 09-30,
    # then National Day (10-01..10-07): Tuesday 10-08 17:30.
    assert case.escalate_after == CALENDAR.due_at(LATE, 5) == GRACE_END
    escalate.decide(CONTEXT, case, SYSTEM, GRACE_END, cmd.Escalate())
    assert [type(e).__name__ for e in case.collect_events()] == ["Reminded", "Escalated"]
    assert case.status is Status.APPLIED
