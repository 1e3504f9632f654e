"""Issue 11 §3: a supervisor reminds (催办) by hand, with a note, on every case type that
has reminders: complaints (tests/unit/test_complaint_bureau_deadlines.py), credit
repairs and project problems (here). Before the deadline it changes nothing the watcher
looks at; after it, when the system has not reminded that deadline, it stands as the
deadline's reminder. Commitments have no reminders (their watcher marks them overdue).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain import commands as cmd
from domain import project_commands as pcmd
from domain.commitment_case import COMMITMENT
from domain.credit_repair import Status
from domain.credit_repair_case import CREDIT_REPAIR
from domain.errors import MoveNotAllowed, RuleViolated
from domain.project_case import PROBLEM
from domain.reminders import NOTE_RULE
from domain.values import Actor, Role
from tests.unit import test_credit_repair as repair
from tests.unit import test_project as project

SUPERVISOR = Actor(id="sup-9", role=Role.SUPERVISOR)


# --- credit repairs ---------------------------------------------------------------------


def test_a_supervisor_reminds_a_pending_review_by_hand_before_its_due() -> None:
    # Given an application whose initial review is due 24 September 17:30
    history = repair.history_in(Status.APPLIED)
    case = repair.given(*history)
    # When a supervisor reminds without a note: refused, nothing recorded
    with pytest.raises(RuleViolated) as error:
        CREDIT_REPAIR.move("remind").decide(
            repair.CONTEXT, case, SUPERVISOR, repair.WHEN, cmd.Remind()
        )
    assert (error.value.field, error.value.rule) == ("note", NOTE_RULE)
    repair.then_unchanged(case, history)
    # When with a note, before the due
    CREDIT_REPAIR.move("remind").decide(
        repair.CONTEXT, case, SUPERVISOR, repair.WHEN, cmd.Remind(note="请今日完成初审")
    )
    # Then a Reminded event by the supervisor that does not stand as the deadline's
    repair.then(
        case,
        (
            "Reminded",
            {
                "timestamp": repair.WHEN,
                "actor": SUPERVISOR,
                "step": "initial_review",
                "due": repair.REVIEW_DUE,
                "escalate_after": None,
                "note": "请今日完成初审",
            },
        ),
    )
    assert (case.reminders, case.reminded_step, case.reminded_due) == (1, None, None)
    # And the watcher still reminds once the due has passed.
    case.remind(repair.SYSTEM, repair.LATE, escalate_after=repair.GRACE_END)
    assert (case.reminded_step, case.reminded_due) == ("initial_review", repair.REVIEW_DUE)


def test_a_reminder_by_hand_after_a_reviews_due_stands_as_its_reminder() -> None:
    case = repair.given(*repair.history_in(Status.APPLIED))
    CREDIT_REPAIR.move("remind").decide(
        repair.CONTEXT, case, SUPERVISOR, repair.LATE, cmd.Remind(note="已超期")
    )
    (event,) = case.collect_events()
    assert event.escalate_after == repair.GRACE_END
    with pytest.raises(MoveNotAllowed) as error:
        case.remind(
            repair.SYSTEM, repair.LATE + timedelta(hours=1), escalate_after=repair.GRACE_END
        )
    assert repair.refused(error)[2] == "this deadline was already reminded"
    case.escalate(repair.SYSTEM, repair.GRACE_END)
    assert case.escalated_step == "initial_review"


def test_no_reminder_by_hand_once_the_reviews_are_done() -> None:
    history = repair.history_in(Status.RE_REVIEWED)
    case = repair.given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        case.remind(SUPERVISOR, repair.LATE, escalate_after=repair.GRACE_END, note="催办")
    assert repair.refused(error) == ("remind", Status.RE_REVIEWED, None)
    repair.then_unchanged(case, history)


# --- project problems -------------------------------------------------------------------


@pytest.mark.parametrize("status", [project.OPEN, project.ESCALATED])
def test_a_supervisor_reminds_an_open_problem_by_hand(status: str) -> None:
    history = project.problem_in(status)
    case = project.given(*history)
    with pytest.raises(RuleViolated):
        case.remind(SUPERVISOR, project.WHEN, escalate_after=project.GRACE_END, note=None)
    project.then_unchanged(case, history)
    # Before the due (RAISED_DUE is after WHEN): it does not stand as the reminder.
    assert project.WHEN < project.RAISED_DUE
    PROBLEM.move("remind").decide(
        project.Context(), case, SUPERVISOR, project.WHEN, cmd.Remind(note="请尽快协调")
    )
    project.then(
        case,
        (
            "Reminded",
            {
                "timestamp": project.WHEN,
                "actor": SUPERVISOR,
                "step": "resolution",
                "due": project.RAISED_DUE,
                "escalate_after": None,
                "note": "请尽快协调",
            },
        ),
    )
    assert (case.reminders, case.reminded_due, case.escalate_after) == (1, None, None)
    # After the due: it stands, and the watcher does not remind the same deadline.
    late = project.LATE
    case.remind(SUPERVISOR, late, escalate_after=project.GRACE_END, note="已超期，请说明")
    assert (case.reminded_due, case.escalate_after) == (project.RAISED_DUE, project.GRACE_END)
    with pytest.raises(MoveNotAllowed) as error:
        case.remind(project.SYSTEM, late + timedelta(hours=1), escalate_after=project.GRACE_END)
    assert project.refused(error)[2] == "this deadline was already reminded"
    case.escalate_deadline(project.SYSTEM, project.GRACE_END)
    assert case.escalated_due == project.RAISED_DUE


def test_no_reminder_by_hand_on_a_resolved_problem() -> None:
    history = project.problem_in(project.ProblemStatus.RESOLVED)
    case = project.given(*history)
    with pytest.raises(MoveNotAllowed):
        case.remind(SUPERVISOR, project.LATE, escalate_after=project.GRACE_END, note="催办")
    project.then_unchanged(case, history)


# --- which types -----------------------------------------------------------------------


def test_every_type_with_reminders_takes_one_by_hand_and_the_escalations_stay_the_systems() -> None:
    from domain.complaint_case import COMPLAINT

    for case_type in (COMPLAINT, CREDIT_REPAIR, PROBLEM):
        assert case_type.move("remind").roles == {Role.SYSTEM, Role.SUPERVISOR}
        assert case_type.move("remind").body is cmd.Remind
    assert COMPLAINT.move("escalate").roles == {Role.SYSTEM}
    assert CREDIT_REPAIR.move("escalate").roles == {Role.SYSTEM}
    assert PROBLEM.move("escalate-deadline").roles == {Role.SYSTEM}
    assert PROBLEM.move("escalate").body is pcmd.Escalate  # the contact leader's: unchanged
    assert "remind" not in COMMITMENT.moves
