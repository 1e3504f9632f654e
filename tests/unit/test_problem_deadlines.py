"""Reminders (催办) and escalation to the supervisors: the deadline watcher's moves on a
project problem (`remind`, `escalate-deadline`), not the escalation to the contact
leader (`escalate`)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain import project_commands as cmd
from domain.commands import Remind
from domain.errors import MoveNotAllowed
from domain.project import ProblemStatus, ProjectProblem
from domain.project_case import PROBLEM
from domain.values import Role
from tests.gwt import given, refused, replays, then, then_unchanged
from tests.unit.test_project import (
    CALENDAR,
    ESCALATED,
    GRACE_END,
    LATE,
    OPEN,
    RAISED_DUE,
    REOPEN_DUE,
    SUPERVISOR,
    SYSTEM,
    WHEN,
    Context,
    escalate,
    problem_in,
    raise_problem,
    record,
    resolve,
)


def remind_late(case: ProjectProblem, at: datetime) -> None:
    case.remind(SYSTEM, LATE, escalate_after=GRACE_END)


def reminded(at: datetime = LATE, due: datetime = RAISED_DUE, grace: datetime = GRACE_END):
    """The Reminded event's name and attributes."""
    return (
        "Reminded",
        {
            "timestamp": at,
            "actor": SYSTEM,
            "step": "resolution",
            "due": due,
            "escalate_after": grace,
            "note": None,
        },
    )


@pytest.mark.parametrize("status", [OPEN, ESCALATED])
def test_an_overdue_problem_is_reminded_once(status: ProblemStatus) -> None:
    history = problem_in(status)
    case = given(*history)
    case.remind(SYSTEM, LATE, escalate_after=GRACE_END)
    new = then(case, reminded())
    assert (case.reminded_due, case.escalate_after, case.reminders) == (RAISED_DUE, GRACE_END, 1)
    assert (case.status, case.due_at, case.escalated_due) == (status, RAISED_DUE, None)
    replays(history, case, new)
    with pytest.raises(MoveNotAllowed) as error:
        case.remind(SYSTEM, LATE + timedelta(days=1), escalate_after=GRACE_END)
    assert refused(error) == ("remind", status, "this deadline was already reminded")
    then_unchanged(case, [*history, *new])


def test_no_reminder_before_the_deadline_passes() -> None:
    history = problem_in(OPEN)
    case = given(*history)
    for at in (WHEN, RAISED_DUE):  # at the deadline itself: still on time
        with pytest.raises(MoveNotAllowed) as error:
            case.remind(SYSTEM, at, escalate_after=GRACE_END)
        assert refused(error) == ("remind", OPEN, "the deadline has not passed")
        with pytest.raises(MoveNotAllowed) as error:
            case.escalate_deadline(SYSTEM, at)
        assert refused(error) == ("escalate-deadline", OPEN, "the deadline has not passed")
    then_unchanged(case, history)


@pytest.mark.parametrize("status", [OPEN, ESCALATED])
def test_escalation_needs_a_reminder_and_its_grace_to_run_out(status: ProblemStatus) -> None:
    history = problem_in(status)
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        case.escalate_deadline(SYSTEM, GRACE_END)
    assert refused(error) == ("escalate-deadline", status, "this deadline was not reminded yet")
    then_unchanged(case, history)

    case.remind(SYSTEM, LATE, escalate_after=GRACE_END)
    history = [*history, *case.collect_events()]
    with pytest.raises(MoveNotAllowed) as error:
        case.escalate_deadline(SYSTEM, GRACE_END - timedelta(minutes=1))
    assert refused(error) == ("escalate-deadline", status, "the reminder's grace has not run out")
    then_unchanged(case, history)

    case.escalate_deadline(SYSTEM, GRACE_END)
    new = then(
        case,
        (
            "DeadlineEscalated",
            {"timestamp": GRACE_END, "actor": SYSTEM, "step": "resolution", "due": RAISED_DUE},
        ),
    )
    assert case.escalated_due == RAISED_DUE
    replays(history, case, new)
    with pytest.raises(MoveNotAllowed) as error:
        case.escalate_deadline(SYSTEM, GRACE_END + timedelta(days=1))
    assert refused(error) == ("escalate-deadline", status, "this deadline was already escalated")


def test_escalating_a_deadline_is_not_escalating_to_the_contact_leader() -> None:
    def escalate_deadline(case: ProjectProblem, at: datetime) -> None:
        case.escalate_deadline(SYSTEM, GRACE_END)

    history = record(raise_problem, remind_late, escalate_deadline)
    case = given(*history)
    assert case.status is OPEN
    assert (case.escalated, case.escalated_to, case.escalated_at) == (False, None, None)
    assert case.escalated_due == RAISED_DUE
    # The service officer may still escalate it to the contact leader, and resolve it.
    escalate(case, GRACE_END + timedelta(hours=1))
    resolve(case, GRACE_END + timedelta(hours=2))
    assert [type(e).__name__ for e in case.collect_events()] == ["Escalated", "Resolved"]
    assert case.status is ProblemStatus.RESOLVED


def test_a_resolved_problem_is_neither_reminded_nor_escalated() -> None:
    history = record(raise_problem, remind_late, resolve)
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        case.remind(SYSTEM, LATE, escalate_after=GRACE_END)
    assert refused(error) == ("remind", ProblemStatus.RESOLVED, None)
    with pytest.raises(MoveNotAllowed) as error:
        case.escalate_deadline(SYSTEM, GRACE_END)
    assert refused(error) == ("escalate-deadline", ProblemStatus.RESOLVED, None)
    then_unchanged(case, history)


def test_a_reopened_problems_new_deadline_is_reminded_again() -> None:
    def reopen(case: ProjectProblem, at: datetime) -> None:
        case.reopen(SUPERVISOR, WHEN, reason="仍未解决", working_days=5, due=REOPEN_DUE)

    history = record(raise_problem, remind_late, resolve, reopen)
    case = given(*history)
    assert (case.due_at, case.reminded_due) == (REOPEN_DUE, RAISED_DUE)
    with pytest.raises(MoveNotAllowed) as error:  # the old reminder is no escalation's basis
        case.escalate_deadline(SYSTEM, REOPEN_DUE + timedelta(days=30))
    assert refused(error) == ("escalate-deadline", OPEN, "this deadline was not reminded yet")
    late = REOPEN_DUE + timedelta(hours=1)
    grace = late + timedelta(days=7)
    case.remind(SYSTEM, late, escalate_after=grace)
    new = then(case, reminded(late, REOPEN_DUE, grace))
    assert (case.reminded_due, case.reminders) == (REOPEN_DUE, 2)
    replays(history, case, new)


def test_the_case_type_gives_a_grace_of_5_working_days_and_only_the_system_may() -> None:
    # (a supervisor may also remind by hand, with a note: test_a_supervisor_reminds_by_hand)
    assert PROBLEM.move("remind").roles == {Role.SYSTEM, Role.SUPERVISOR}
    assert PROBLEM.move("escalate-deadline").roles == {Role.SYSTEM}
    assert PROBLEM.move("remind").body is Remind
    assert PROBLEM.move("escalate-deadline").body is cmd.EscalateDeadline
    ctx = Context()  # holds no project: the contact leader is not looked up
    case = given(*problem_in(OPEN))
    PROBLEM.move("remind").decide(ctx, case, SYSTEM, LATE, Remind())
    # Saturday 10-12 09:00 (an adjusted working day) + 5 working days: Friday 10-18 17:30.
    assert case.escalate_after == CALENDAR.due_at(LATE, 5) == GRACE_END
    PROBLEM.move("escalate-deadline").decide(ctx, case, SYSTEM, GRACE_END, cmd.EscalateDeadline())
    assert [type(e).__name__ for e in case.collect_events()] == ["Reminded", "DeadlineEscalated"]
