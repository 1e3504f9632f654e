"""Given/When/Then tests of the Complaint aggregate: every move, allowed and forbidden.

The harness is tests/gwt.py: `given(*events)` folds recorded events into a case, the
`when` is one command method call, and `then(case, ...)` compares the exact events that
call recorded. A refused move must raise the named error and leave the case exactly as
the given events built it. The histories behind the fixtures are recorded by the
aggregate itself, so they are events the domain really produces.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from domain.commands import COMPLAINT_MOVES
from domain.complaint import (
    FINAL_STATUSES,
    MOVE_FROM,
    MOVE_ROLES,
    OPEN_STATUSES,
    Complaint,
    Status,
    StepDue,
)
from domain.credit_code import check_character
from domain.deadlines import Recompute
from domain.errors import MoveNotAllowed, RuleViolated
from domain.sla import SlaPolicy, calendar_for
from domain.values import Actor, Channel, Complainant, Kind, Rating, Role
from tests import gwt
from tests.gwt import given, payload, refused, then, then_unchanged

CST = timezone(timedelta(hours=8))
SLA = SlaPolicy()
CALENDAR = calendar_for(SLA)


def credit_code(first17: str) -> str:
    return first17 + check_character(first17)


CODE = credit_code("91230100MA1BCDEF0")
OTHER_CODE = credit_code("91230100MA1XYQW75")
DEPT = "hlj-fgw"
OTHER_DEPT = "hlj-scjg"

ENTERPRISE = Actor(id="ent-1", role=Role.ENTERPRISE, org=CODE)
OTHER_ENTERPRISE = Actor(id="ent-2", role=Role.ENTERPRISE, org=OTHER_CODE)
CLERK = Actor(id="clerk-1", role=Role.CLERK)
SUPERVISOR = Actor(id="sup-1", role=Role.SUPERVISOR)
SYSTEM = Actor(id="deadline-watcher", role=Role.SYSTEM)
DEPARTMENT = Actor(id="dep-1", role=Role.DEPARTMENT, org=DEPT)
OTHER_DEPARTMENT = Actor(id="dep-2", role=Role.DEPARTMENT, org=OTHER_DEPT)
COMPLAINANT = Complainant(name="黑龙江某某建设有限公司", credit_code=CODE, phone="13800000000")

# Histories start on Monday 2024-09-23 and make one move an hour (see `record`);
# WHEN, the time of every `when`, comes after all of them.
LODGED_AT = datetime(2024, 9, 23, 9, 0, tzinfo=CST)
WHEN = datetime(2024, 10, 8, 10, 0, tzinfo=CST)

ACCEPTANCE_DUE = CALENDAR.due_at(LODGED_AT, SLA.acceptance_working_days)
HANDLING_DUE = CALENDAR.due_at(LODGED_AT, SLA.handling_days("complaint", urgent=False))
EXTENDED_DUE = CALENDAR.due_at(HANDLING_DUE, 5)
REDO_DUE = CALENDAR.due_at(WHEN, SLA.handling_days("complaint", urgent=False))
ANSWER = "已督促审批部门在三个工作日内办结施工许可"


def step_due(at: datetime, working_days: int) -> StepDue:
    """A step's deadline as domain/complaint_case.py computes it."""
    due = CALENDAR.deadline(at, working_days)
    return StepDue(due.at, due.provisional, working_days)


# The bureau's steps and the rating window from WHEN (issue 11 §2).
TRANSFER_DUE = step_due(WHEN, SLA.transfer_working_days)
REVIEW_DUE = step_due(WHEN, SLA.review_working_days)
RATING_DUE = step_due(WHEN, SLA.rating_window_working_days)

Event = Complaint.Event
Step = Callable[[Complaint, datetime], None]


# --- the harness -------------------------------------------------------------------


def lodge(**overrides: Any) -> Complaint:
    fields: dict[str, Any] = {
        "actor": ENTERPRISE,
        "timestamp": LODGED_AT,
        "kind": Kind.COMPLAINT,
        "channel": Channel.WEB,
        "category": "approval",
        "title": "审批超时",
        "description": "施工许可申请超过承诺时限未办结",
        "complainant": COMPLAINANT,
        "respondent_department": DEPT,
        "confidential": False,
        "acceptance_due": ACCEPTANCE_DUE,
    }
    fields.update(overrides)
    return Complaint(**fields)


def live_and_copies(steps: Iterable[Step]) -> tuple[list[Event], list[Complaint]]:
    """Every event of a case that went through `steps`, and a copy of it after each."""
    return gwt.live_and_copies(lodge, steps, LODGED_AT)


def record(*steps: Step) -> list[Event]:
    """The events of a new case that went through `steps`."""
    return gwt.record(lodge, steps, LODGED_AT)


# --- the steps of the histories ------------------------------------------------------


def accept(case: Complaint, at: datetime) -> None:
    case.accept(CLERK, at, note=None, urgent=False, transfer_due=step_due(at, 1))


def accept_urgent(case: Complaint, at: datetime) -> None:
    case.accept(CLERK, at, note="紧急", urgent=True, transfer_due=step_due(at, 0))


def reject(case: Complaint, at: datetime) -> None:
    case.reject(CLERK, at, reason="不属于受理范围")


def transfer(case: Complaint, at: datetime) -> None:
    case.transfer(CLERK, at, department=DEPT, working_days=10, due=HANDLING_DUE)


def transfer_elsewhere(case: Complaint, at: datetime) -> None:
    case.transfer(SUPERVISOR, at, department=OTHER_DEPT, working_days=10, due=HANDLING_DUE)


def send_back(case: Complaint, at: datetime) -> None:
    case.send_back(DEPARTMENT, at, reason="不属于本部门职责", transfer_due=step_due(at, 1))


def request_extension(case: Complaint, at: datetime) -> None:
    case.request_extension(DEPARTMENT, at, working_days=5, reason="需现场核查")


def decide_approved(case: Complaint, at: datetime) -> None:
    case.decide_extension(SUPERVISOR, at, approved=True, note=None, due=EXTENDED_DUE)


def decide_refused(case: Complaint, at: datetime) -> None:
    case.decide_extension(SUPERVISOR, at, approved=False, note="理由不充分", due=EXTENDED_DUE)


def reply(case: Complaint, at: datetime) -> None:
    case.reply_to(DEPARTMENT, at, answer=ANSWER, review_due=step_due(at, 2))


def approve(case: Complaint, at: datetime) -> None:
    case.review(
        SUPERVISOR, at, approved=True, note=None, redo_due=REDO_DUE, rating_due=step_due(at, 5)
    )


def redo(case: Complaint, at: datetime) -> None:
    case.review(SUPERVISOR, at, approved=False, note="请补充整改措施", redo_due=HANDLING_DUE)


def rate_satisfied(case: Complaint, at: datetime) -> None:
    case.rate(ENTERPRISE, at, rating=Rating.SATISFIED, comment=None, redo_due=REDO_DUE)


def rate_unsatisfied(case: Complaint, at: datetime) -> None:
    case.rate(ENTERPRISE, at, rating=Rating.UNSATISFIED, comment="未解决", redo_due=HANDLING_DUE)


def supervise(case: Complaint, at: datetime) -> None:
    case.supervise(SUPERVISOR, at, note="督办")


def withdraw(case: Complaint, at: datetime) -> None:
    case.withdraw(ENTERPRISE, at, reason="问题已自行解决")


def close(case: Complaint, at: datetime) -> None:
    case.close(SUPERVISOR, at, note=None)


PATHS: dict[Status, tuple[Step, ...]] = {
    Status.LODGED: (),
    Status.ACCEPTED: (accept,),
    Status.REJECTED: (reject,),
    Status.TRANSFERRED: (accept, transfer),
    Status.REPLIED: (accept, transfer, reply),
    Status.AWAITING_RATING: (accept, transfer, reply, approve),
    Status.CLOSED: (accept, transfer, reply, approve, rate_satisfied),
    Status.WITHDRAWN: (accept, transfer, withdraw),
}


# One fixture per lifecycle status; each is the given history of a fresh case.


@pytest.fixture
def lodged() -> list[Event]:
    return record(*PATHS[Status.LODGED])


@pytest.fixture
def accepted() -> list[Event]:
    return record(*PATHS[Status.ACCEPTED])


@pytest.fixture
def rejected() -> list[Event]:
    return record(*PATHS[Status.REJECTED])


@pytest.fixture
def transferred() -> list[Event]:
    return record(*PATHS[Status.TRANSFERRED])


@pytest.fixture
def replied() -> list[Event]:
    return record(*PATHS[Status.REPLIED])


@pytest.fixture
def awaiting_rating() -> list[Event]:
    return record(*PATHS[Status.AWAITING_RATING])


@pytest.fixture
def closed() -> list[Event]:
    return record(*PATHS[Status.CLOSED])


@pytest.fixture
def withdrawn() -> list[Event]:
    return record(*PATHS[Status.WITHDRAWN])


@pytest.fixture
def extension_pending() -> list[Event]:
    return record(accept, transfer, request_extension)


def history_in(request: pytest.FixtureRequest, status: Status) -> list[Event]:
    history = request.getfixturevalue(status.value)
    assert given(*history).status is status
    return history


# --- the transition table ------------------------------------------------------------


# The table of docs/api.md ("Roles and moves"), written out independently of the code.
ANY_OPEN = {
    Status.LODGED,
    Status.ACCEPTED,
    Status.TRANSFERRED,
    Status.REPLIED,
    Status.AWAITING_RATING,
}
DOCUMENTED_FROM: dict[str, set[Status]] = {
    "accept": {Status.LODGED},
    "reject": {Status.LODGED},
    "transfer": {Status.ACCEPTED},
    "send-back": {Status.TRANSFERRED},
    "request-extension": {Status.TRANSFERRED},
    "decide-extension": {Status.TRANSFERRED},
    "reply": {Status.TRANSFERRED},
    "review": {Status.REPLIED},
    "rate": {Status.AWAITING_RATING},
    "supervise": ANY_OPEN,
    "withdraw": ANY_OPEN,
    "close": {Status.AWAITING_RATING},
    "record-rating": {Status.AWAITING_RATING},
    # By hand on any open step; the deadline watcher's only on the bureau's and the
    # department's steps (never the rating window: tests/unit/test_complaint_bureau_deadlines.py).
    "remind": ANY_OPEN,
    "escalate": {Status.LODGED, Status.ACCEPTED, Status.TRANSFERRED, Status.REPLIED},
    "close-unrated": {Status.AWAITING_RATING},
}
STAFF = {Role.CLERK, Role.SUPERVISOR}
DOCUMENTED_ROLES: dict[str, set[Role]] = {
    "lodge": {Role.ENTERPRISE, Role.CLERK},
    "accept": STAFF,
    "reject": STAFF,
    "transfer": STAFF,
    "send-back": {Role.DEPARTMENT},
    "request-extension": {Role.DEPARTMENT},
    "decide-extension": {Role.SUPERVISOR},
    "reply": {Role.DEPARTMENT},
    "review": {Role.SUPERVISOR},
    "rate": {Role.ENTERPRISE},
    "supervise": {Role.SUPERVISOR},
    "withdraw": {Role.ENTERPRISE},
    "close": {Role.SUPERVISOR},
    "record-rating": {Role.CLERK},
    "remind": {Role.SYSTEM, Role.SUPERVISOR},
    "escalate": {Role.SYSTEM},
    "close-unrated": {Role.SYSTEM},
}


def test_the_transition_table_is_the_documented_one() -> None:
    assert MOVE_FROM == DOCUMENTED_FROM
    assert set(MOVE_FROM) == set(COMPLAINT_MOVES)


def test_the_roles_are_the_documented_ones() -> None:
    assert MOVE_ROLES == DOCUMENTED_ROLES


def test_statuses_are_open_or_final_and_final_ones_allow_no_move() -> None:
    assert set(Status) == OPEN_STATUSES | FINAL_STATUSES
    assert not OPEN_STATUSES & FINAL_STATUSES
    assert {Status.REJECTED, Status.CLOSED, Status.WITHDRAWN} == FINAL_STATUSES
    for move, statuses in MOVE_FROM.items():
        assert not statuses & FINAL_STATUSES, move


def test_every_lifecycle_fixture_reaches_its_status() -> None:
    assert set(PATHS) == set(Status)
    for status, steps in PATHS.items():
        assert given(*record(*steps)).status is status


# --- lodge -----------------------------------------------------------------------------


def test_lodge() -> None:
    case = lodge(confidential=True)
    (lodged_event,) = then(
        case,
        (
            "Lodged",
            {
                "timestamp": LODGED_AT,
                "originator_topic": "domain.complaint:Complaint",
                "actor": ENTERPRISE,
                "kind": Kind.COMPLAINT,
                "channel": Channel.WEB,
                "category": "approval",
                "title": "审批超时",
                "description": "施工许可申请超过承诺时限未办结",
                "complainant": COMPLAINANT,
                "respondent_department": DEPT,
                "confidential": True,
                "acceptance_due": ACCEPTANCE_DUE,
                "acceptance_due_provisional": None,
                "acceptance_working_days": None,
                "urgent": None,
            },
        ),
    )
    assert case.version == 1
    assert case.status is Status.LODGED
    assert case.lodged_by == ENTERPRISE
    assert case.lodged_at == LODGED_AT
    assert case.acceptance_due == ACCEPTANCE_DUE
    assert case.departments == []
    assert (case.redo_count, case.supervision_count, case.urgent) == (0, 0, False)
    assert case == given(lodged_event)


# --- accept, reject, transfer ----------------------------------------------------------


def test_accept(lodged: list[Event]) -> None:
    case = given(*lodged)
    case.accept(CLERK, WHEN, note="材料齐全，予以受理", urgent=True, transfer_due=TRANSFER_DUE)
    then(
        case,
        (
            "Accepted",
            {
                "timestamp": WHEN,
                "actor": CLERK,
                "note": "材料齐全，予以受理",
                "urgent": True,
                "transfer_due": TRANSFER_DUE.at,
                "transfer_due_provisional": False,
                "transfer_working_days": 1,
            },
        ),
    )
    assert case.status is Status.ACCEPTED
    assert case.accepted_at == WHEN
    assert case.acceptance_due is None
    assert (case.transfer_due, case.current_deadline) == (
        TRANSFER_DUE.at,
        ("transfer", TRANSFER_DUE.at),
    )
    assert case.urgent is True
    assert case.last_reason == "材料齐全，予以受理"
    assert case.version == 2


def test_reject(lodged: list[Event]) -> None:
    case = given(*lodged)
    case.reject(SUPERVISOR, WHEN, reason="不属于受理范围")
    then(case, ("Rejected", {"timestamp": WHEN, "actor": SUPERVISOR, "reason": "不属于受理范围"}))
    assert case.status is Status.REJECTED
    assert case.closed_at == WHEN
    assert case.acceptance_due is None
    assert case.last_reason == "不属于受理范围"


def test_transfer(accepted: list[Event]) -> None:
    case = given(*accepted)
    case.transfer(CLERK, WHEN, department=DEPT, working_days=10, due=REDO_DUE)
    then(
        case,
        (
            "Transferred",
            {
                "timestamp": WHEN,
                "actor": CLERK,
                "department": DEPT,
                "working_days": 10,
                "due": REDO_DUE,
                "due_provisional": False,
            },
        ),
    )
    assert case.status is Status.TRANSFERRED
    assert case.department == DEPT
    assert case.departments == [DEPT]
    assert case.transferred_at == WHEN
    assert case.handling_due == REDO_DUE
    assert case.transfer_due is None  # the bureau's step is done


def test_transfer_after_send_back_remembers_every_department_once() -> None:
    def send_back_other(case: Complaint, at: datetime) -> None:
        case.send_back(OTHER_DEPARTMENT, at, reason="同上")

    case = given(*record(accept, transfer, send_back, transfer_elsewhere, send_back_other))
    assert (case.status, case.departments) == (Status.ACCEPTED, [DEPT, OTHER_DEPT])
    case.transfer(CLERK, WHEN, department=DEPT, working_days=10, due=REDO_DUE)
    then(
        case,
        (
            "Transferred",
            {
                "timestamp": WHEN,
                "actor": CLERK,
                "department": DEPT,
                "working_days": 10,
                "due": REDO_DUE,
                "due_provisional": False,
            },
        ),
    )
    assert case.departments == [DEPT, OTHER_DEPT]
    assert case.department == DEPT


# --- the department's moves ----------------------------------------------------------


def test_send_back(transferred: list[Event]) -> None:
    case = given(*transferred)
    case.send_back(DEPARTMENT, WHEN, reason="不属于本部门职责", transfer_due=TRANSFER_DUE)
    then(
        case,
        (
            "SentBack",
            {
                "timestamp": WHEN,
                "actor": DEPARTMENT,
                "reason": "不属于本部门职责",
                "transfer_due": TRANSFER_DUE.at,
                "transfer_due_provisional": False,
                "transfer_working_days": 1,
            },
        ),
    )
    assert case.status is Status.ACCEPTED
    assert case.department is None
    assert case.handling_due is None
    assert case.current_deadline == ("transfer", TRANSFER_DUE.at)  # to transfer again
    assert case.departments == [DEPT]  # it keeps seeing the case it once had
    assert case.last_reason == "不属于本部门职责"


def test_send_back_drops_a_pending_extension(extension_pending: list[Event]) -> None:
    case = given(*extension_pending)
    assert case.extension_requested == 5
    case.send_back(DEPARTMENT, WHEN, reason="不属于本部门职责")
    then(
        case,
        (
            "SentBack",
            {
                "timestamp": WHEN,
                "actor": DEPARTMENT,
                "reason": "不属于本部门职责",
                "transfer_due": None,
                "transfer_due_provisional": None,
                "transfer_working_days": None,
            },
        ),
    )
    assert case.extension_requested is None


def test_request_extension(transferred: list[Event]) -> None:
    case = given(*transferred)
    case.request_extension(DEPARTMENT, WHEN, working_days=5, reason="需现场核查")
    then(
        case,
        (
            "ExtensionRequested",
            {"timestamp": WHEN, "actor": DEPARTMENT, "working_days": 5, "reason": "需现场核查"},
        ),
    )
    assert case.status is Status.TRANSFERRED
    assert case.extension_requested == 5
    assert case.handling_due == HANDLING_DUE
    assert case.last_reason == "需现场核查"


def test_a_second_extension_request_while_one_is_pending_is_refused(
    extension_pending: list[Event],
) -> None:
    case = given(*extension_pending)
    with pytest.raises(MoveNotAllowed) as error:
        case.request_extension(DEPARTMENT, WHEN, working_days=2, reason="再延两天")
    assert refused(error) == (
        "request-extension",
        Status.TRANSFERRED,
        "an extension request is already pending",
    )
    then_unchanged(case, extension_pending)


def test_a_new_extension_may_be_requested_once_the_last_was_decided(
    extension_pending: list[Event],
) -> None:
    case = given(*extension_pending)
    case.decide_extension(SUPERVISOR, WHEN, approved=False, note=None, due=EXTENDED_DUE)
    case.request_extension(DEPARTMENT, WHEN, working_days=2, reason="再延两天")
    names = [type(e).__name__ for e in case.collect_events()]
    assert names == ["ExtensionDecided", "ExtensionRequested"]
    assert case.extension_requested == 2


def test_decide_extension_approved(extension_pending: list[Event]) -> None:
    case = given(*extension_pending)
    case.decide_extension(SUPERVISOR, WHEN, approved=True, note="同意延期", due=EXTENDED_DUE)
    then(
        case,
        (
            "ExtensionDecided",
            {
                "timestamp": WHEN,
                "actor": SUPERVISOR,
                "approved": True,
                "note": "同意延期",
                "due": EXTENDED_DUE,
                "due_provisional": False,
            },
        ),
    )
    assert case.status is Status.TRANSFERRED
    assert case.handling_due == EXTENDED_DUE
    assert case.extension_requested is None
    assert case.last_reason == "同意延期"


def test_decide_extension_refused_keeps_the_deadline(extension_pending: list[Event]) -> None:
    case = given(*extension_pending)
    case.decide_extension(SUPERVISOR, WHEN, approved=False, note="理由不充分", due=EXTENDED_DUE)
    then(
        case,
        (
            "ExtensionDecided",
            {
                "timestamp": WHEN,
                "actor": SUPERVISOR,
                "approved": False,
                "note": "理由不充分",
                "due": HANDLING_DUE,
                "due_provisional": False,
            },
        ),
    )
    assert case.handling_due == HANDLING_DUE
    assert case.extension_requested is None


def test_decide_extension_with_none_pending_is_refused(transferred: list[Event]) -> None:
    case = given(*transferred)
    with pytest.raises(MoveNotAllowed) as error:
        case.decide_extension(SUPERVISOR, WHEN, approved=True, note=None, due=EXTENDED_DUE)
    assert refused(error) == ("decide-extension", Status.TRANSFERRED, "no extension is pending")
    then_unchanged(case, transferred)


def replied_event(review_due: StepDue | None) -> tuple[str, dict[str, Any]]:
    return (
        "Replied",
        {
            "timestamp": WHEN,
            "actor": DEPARTMENT,
            "answer": ANSWER,
            "review_due": review_due and review_due.at,
            "review_due_provisional": review_due and review_due.provisional,
            "review_working_days": review_due and review_due.working_days,
        },
    )


def test_reply_to(transferred: list[Event]) -> None:
    case = given(*transferred)
    case.reply_to(DEPARTMENT, WHEN, answer=ANSWER, review_due=REVIEW_DUE)
    then(case, replied_event(REVIEW_DUE))
    assert case.status is Status.REPLIED
    assert case.reply == ANSWER
    assert case.replied_at == WHEN
    assert case.handling_due is None
    assert case.current_deadline == ("review", REVIEW_DUE.at)


def test_reply_ends_a_pending_extension(extension_pending: list[Event]) -> None:
    case = given(*extension_pending)
    case.reply_to(DEPARTMENT, WHEN, answer=ANSWER)
    then(case, replied_event(None))
    assert case.extension_requested is None


HANDLER_MOVES: dict[str, Callable[[Complaint, Actor], None]] = {
    "send-back": lambda case, actor: case.send_back(actor, WHEN, reason="不属于本部门职责"),
    "reply": lambda case, actor: case.reply_to(actor, WHEN, answer=ANSWER),
    "request-extension": lambda case, actor: case.request_extension(
        actor, WHEN, working_days=3, reason="需现场核查"
    ),
}
NOT_THE_HANDLER = [
    OTHER_DEPARTMENT,
    Actor(id="dep-3", role=Role.DEPARTMENT, org=None),
    Actor(id="dep-4", role=Role.DEPARTMENT, org=DEPT.upper()),
    ENTERPRISE,
    SUPERVISOR,
]


@pytest.mark.parametrize("actor", NOT_THE_HANDLER, ids=lambda a: f"{a.role}:{a.org}")
@pytest.mark.parametrize("move", HANDLER_MOVES)
def test_only_the_current_department_may_handle_the_case(
    transferred: list[Event], move: str, actor: Actor
) -> None:
    case = given(*transferred)
    with pytest.raises(MoveNotAllowed) as error:
        HANDLER_MOVES[move](case, actor)
    assert refused(error) == (move, Status.TRANSFERRED, "the case is not with your department")
    then_unchanged(case, transferred)


@pytest.mark.parametrize("move", HANDLER_MOVES)
def test_a_department_that_sent_the_case_back_no_longer_handles_it(move: str) -> None:
    history = record(accept, transfer, send_back, transfer_elsewhere)
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        HANDLER_MOVES[move](case, DEPARTMENT)
    assert refused(error) == (move, Status.TRANSFERRED, "the case is not with your department")
    then_unchanged(case, history)
    HANDLER_MOVES[move](case, OTHER_DEPARTMENT)
    assert len(case.collect_events()) == 1


# --- the supervisor's review -----------------------------------------------------------


def test_review_approved(replied: list[Event]) -> None:
    case = given(*replied)
    case.review(
        SUPERVISOR, WHEN, approved=True, note=None, redo_due=REDO_DUE, rating_due=RATING_DUE
    )
    then(
        case,
        (
            "Reviewed",
            {
                "timestamp": WHEN,
                "actor": SUPERVISOR,
                "approved": True,
                "note": None,
                "due": None,
                "due_provisional": None,
                "working_days": None,
                "rating_due": RATING_DUE.at,
                "rating_due_provisional": False,
                "rating_working_days": 5,
            },
        ),
    )
    assert case.status is Status.AWAITING_RATING
    assert case.handling_due is None
    assert case.review_due is None
    assert (case.reviewed_at, case.current_deadline) == (WHEN, ("rating", RATING_DUE.at))
    assert case.redo_count == 0


def test_review_redo_sends_the_case_back_to_the_same_department(replied: list[Event]) -> None:
    case = given(*replied)
    case.review(
        SUPERVISOR,
        WHEN,
        approved=False,
        note="请补充整改措施",
        redo_due=REDO_DUE,
        rating_due=RATING_DUE,  # not used: no rating window opens
    )
    then(
        case,
        (
            "Reviewed",
            {
                "timestamp": WHEN,
                "actor": SUPERVISOR,
                "approved": False,
                "note": "请补充整改措施",
                "due": REDO_DUE,
                "due_provisional": False,
                "working_days": None,
                "rating_due": None,
                "rating_due_provisional": None,
                "rating_working_days": None,
            },
        ),
    )
    assert case.status is Status.TRANSFERRED
    assert case.department == DEPT
    assert case.transferred_at == WHEN
    assert case.handling_due == REDO_DUE
    assert case.redo_count == 1
    assert case.last_reason == "请补充整改措施"


@pytest.mark.parametrize("note", [None, ""])
def test_review_redo_without_a_note_is_a_rule_violation(
    replied: list[Event], note: str | None
) -> None:
    case = given(*replied)
    with pytest.raises(RuleViolated) as error:
        case.review(SUPERVISOR, WHEN, approved=False, note=note, redo_due=REDO_DUE)
    assert error.value.field == "note"
    assert error.value.rule == "a redo needs a note saying what to redo"
    then_unchanged(case, replied)


# --- the enterprise's moves ------------------------------------------------------------

# Inside the rating window the fixtures' approving review opened (5 working days from
# 2024-09-23: until 2024-09-29 17:30, a Sunday made a working day); WHEN is after it.
IN_WINDOW = datetime(2024, 9, 27, 10, 0, tzinfo=CST)

# A Rated event of the enterprise's own rating: no call, nobody recorded it for it.
NOT_BY_PHONE = {"channel": None, "call_reference": None, "called_at": None, "recorded_for": None}


@pytest.mark.parametrize(
    ("rating", "status"),
    [
        (Rating.VERY_SATISFIED, Status.CLOSED),
        (Rating.SATISFIED, Status.CLOSED),
        (Rating.BASICALLY_SATISFIED, Status.CLOSED),
        (Rating.UNSATISFIED, Status.TRANSFERRED),
        (Rating.VERY_UNSATISFIED, Status.TRANSFERRED),
    ],
)
def test_rate(awaiting_rating: list[Event], rating: Rating, status: Status) -> None:
    case = given(*awaiting_rating)
    case.rate(ENTERPRISE, IN_WINDOW, rating=rating, comment="处理及时", redo_due=REDO_DUE)
    satisfied = status is Status.CLOSED
    then(
        case,
        (
            "Rated",
            {
                "timestamp": IN_WINDOW,
                "actor": ENTERPRISE,
                "rating": rating,
                "comment": "处理及时",
                "due": None if satisfied else REDO_DUE,
                "due_provisional": None if satisfied else False,
                "working_days": None,
                **NOT_BY_PHONE,
            },
        ),
    )
    assert case.status is status
    assert case.rating is rating
    assert case.last_reason == "处理及时"
    assert case.rating_due is None
    if satisfied:
        assert (case.closed_at, case.redo_count, case.handling_due) == (IN_WINDOW, 0, None)
    else:
        assert (case.closed_at, case.redo_count, case.handling_due) == (None, 1, REDO_DUE)
        assert (case.department, case.transferred_at) == (DEPT, IN_WINDOW)


def test_every_unsatisfied_rating_counts_another_redo() -> None:
    history = record(*PATHS[Status.AWAITING_RATING], rate_unsatisfied, reply, approve)
    case = given(*history)
    assert (case.status, case.redo_count) == (Status.AWAITING_RATING, 1)
    case.rate(
        ENTERPRISE, IN_WINDOW, rating=Rating.VERY_UNSATISFIED, comment=None, redo_due=REDO_DUE
    )
    then(
        case,
        (
            "Rated",
            {
                "timestamp": IN_WINDOW,
                "actor": ENTERPRISE,
                "rating": Rating.VERY_UNSATISFIED,
                "comment": None,
                "due": REDO_DUE,
                "due_provisional": False,
                "working_days": None,
                **NOT_BY_PHONE,
            },
        ),
    )
    assert (case.status, case.redo_count, case.handling_due) == (
        Status.TRANSFERRED,
        2,
        REDO_DUE,
    )


@pytest.mark.parametrize("status", sorted(OPEN_STATUSES))
def test_withdraw(request: pytest.FixtureRequest, status: Status) -> None:
    history = history_in(request, status)
    case = given(*history)
    case.withdraw(ENTERPRISE, WHEN, reason="问题已自行解决")
    then(case, ("Withdrawn", {"timestamp": WHEN, "actor": ENTERPRISE, "reason": "问题已自行解决"}))
    assert case.status is Status.WITHDRAWN
    assert case.closed_at == WHEN
    assert case.acceptance_due is None
    assert case.handling_due is None
    assert case.last_reason == "问题已自行解决"


def test_withdraw_drops_a_pending_extension(extension_pending: list[Event]) -> None:
    case = given(*extension_pending)
    case.withdraw(ENTERPRISE, WHEN, reason="问题已自行解决")
    then(case, ("Withdrawn", {"timestamp": WHEN, "actor": ENTERPRISE, "reason": "问题已自行解决"}))
    assert (case.extension_requested, case.handling_due) == (None, None)


LODGER_MOVES: dict[str, tuple[Status, Callable[[Complaint, Actor], None]]] = {
    "rate": (
        Status.AWAITING_RATING,
        lambda case, actor: case.rate(
            actor, IN_WINDOW, rating=Rating.SATISFIED, comment=None, redo_due=REDO_DUE
        ),
    ),
    "withdraw": (
        Status.TRANSFERRED,
        lambda case, actor: case.withdraw(actor, WHEN, reason="问题已自行解决"),
    ),
}
NOT_THE_LODGER = [
    OTHER_ENTERPRISE,
    Actor(id="ent-3", role=Role.ENTERPRISE, org=None),
    Actor(id="ent-4", role=Role.ENTERPRISE, org=CODE.lower()),
    DEPARTMENT,
    CLERK,
]


@pytest.mark.parametrize("actor", NOT_THE_LODGER, ids=lambda a: f"{a.role}:{a.org}")
@pytest.mark.parametrize("move", LODGER_MOVES)
def test_only_the_lodging_enterprise_may_rate_or_withdraw(
    request: pytest.FixtureRequest, move: str, actor: Actor
) -> None:
    status, make_move = LODGER_MOVES[move]
    history = history_in(request, status)
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        make_move(case, actor)
    assert refused(error) == (move, status, "only the lodging enterprise may do this")
    then_unchanged(case, history)


# --- the supervisor's other moves ------------------------------------------------------


@pytest.mark.parametrize("status", sorted(OPEN_STATUSES))
def test_supervise(request: pytest.FixtureRequest, status: Status) -> None:
    history = history_in(request, status)
    case = given(*history)
    before = copy.deepcopy(case)
    case.supervise(SUPERVISOR, WHEN, note="请加快办理")
    then(case, ("Supervised", {"timestamp": WHEN, "actor": SUPERVISOR, "note": "请加快办理"}))
    assert case.status is status
    assert case.supervision_count == 1
    assert case.last_reason == "请加快办理"
    # nothing else moves: no deadline, no handler
    assert (case.acceptance_due, case.handling_due, case.department) == (
        before.acceptance_due,
        before.handling_due,
        before.department,
    )


def test_supervision_is_counted(transferred: list[Event]) -> None:
    case = given(*transferred)
    case.supervise(SUPERVISOR, WHEN, note="第一次督办")
    case.supervise(SUPERVISOR, WHEN + timedelta(days=1), note="第二次督办")
    assert [payload(e)["note"] for e in case.collect_events()] == ["第一次督办", "第二次督办"]
    assert case.supervision_count == 2
    assert case.last_reason == "第二次督办"


def test_close(awaiting_rating: list[Event]) -> None:
    case = given(*awaiting_rating)
    case.close(SUPERVISOR, WHEN, note="企业逾期未评价")
    then(case, ("Closed", {"timestamp": WHEN, "actor": SUPERVISOR, "note": "企业逾期未评价"}))
    assert case.status is Status.CLOSED
    assert case.closed_at == WHEN
    assert case.rating is None
    assert case.last_reason == "企业逾期未评价"


# --- every forbidden move --------------------------------------------------------------

# Each move made by the actor who would be allowed to make it, so only the status refuses.
MOVES: dict[str, Callable[[Complaint], None]] = {
    "accept": lambda case: case.accept(CLERK, WHEN, note=None, urgent=False),
    "reject": lambda case: case.reject(CLERK, WHEN, reason="不属于受理范围"),
    "transfer": lambda case: case.transfer(
        CLERK, WHEN, department=DEPT, working_days=10, due=REDO_DUE
    ),
    "send-back": lambda case: HANDLER_MOVES["send-back"](case, DEPARTMENT),
    "request-extension": lambda case: HANDLER_MOVES["request-extension"](case, DEPARTMENT),
    "decide-extension": lambda case: case.decide_extension(
        SUPERVISOR, WHEN, approved=True, note=None, due=EXTENDED_DUE
    ),
    "reply": lambda case: HANDLER_MOVES["reply"](case, DEPARTMENT),
    "review": lambda case: case.review(
        SUPERVISOR, WHEN, approved=False, note="请补充", redo_due=REDO_DUE
    ),
    "rate": lambda case: LODGER_MOVES["rate"][1](case, ENTERPRISE),
    "supervise": lambda case: case.supervise(SUPERVISOR, WHEN, note="请加快办理"),
    "withdraw": lambda case: LODGER_MOVES["withdraw"][1](case, ENTERPRISE),
    "close": lambda case: case.close(SUPERVISOR, WHEN, note=None),
    "record-rating": lambda case: case.record_rating(
        CLERK,
        WHEN,
        rating=Rating.SATISFIED,
        comment=None,
        call_reference="HL-1",
        called_at=WHEN,
        redo_due=REDO_DUE,
    ),
    "remind": lambda case: case.remind(SYSTEM, WHEN, escalate_after=REDO_DUE),
    "escalate": lambda case: case.escalate(SYSTEM, WHEN),
    "close-unrated": lambda case: case.close_unrated(SYSTEM, WHEN),
}
FORBIDDEN = [
    (move, status)
    for move, allowed in MOVE_FROM.items()
    for status in Status
    if status not in allowed
]


def test_every_move_of_the_table_is_exercised() -> None:
    assert set(MOVES) == set(MOVE_FROM)
    assert len(FORBIDDEN) == 97


@pytest.mark.parametrize(("move", "status"), FORBIDDEN, ids=[f"{m}-{s}" for m, s in FORBIDDEN])
def test_a_move_the_table_forbids_is_refused(
    request: pytest.FixtureRequest, move: str, status: Status
) -> None:
    history = history_in(request, status)
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        MOVES[move](case)
    assert refused(error) == (move, status, None)
    assert str(error.value) == f"'{move}' is not allowed while the case is {status}"
    then_unchanged(case, history)


@pytest.mark.parametrize("move", ["supervise", "withdraw"])
@pytest.mark.parametrize("status", sorted(FINAL_STATUSES))
def test_a_final_case_refuses_even_the_moves_open_cases_always_allow(
    request: pytest.FixtureRequest, move: str, status: Status
) -> None:
    history = history_in(request, status)
    case = given(*history)
    with pytest.raises(MoveNotAllowed):
        MOVES[move](case)
    then_unchanged(case, history)


# --- replaying recorded events -------------------------------------------------------


def remind_late(case: Complaint, at: datetime) -> None:
    # The acceptance deadline (2024-09-24 17:30) has passed by the 25th.
    late = datetime(2024, 9, 25, 10, 0, tzinfo=CST)
    case.remind(SYSTEM, late, escalate_after=datetime(2024, 10, 9, 17, 30, tzinfo=CST))


def escalate_late(case: Complaint, at: datetime) -> None:
    case.escalate(SYSTEM, datetime(2024, 10, 9, 17, 30, tzinfo=CST))


def remind_by_hand(case: Complaint, at: datetime) -> None:
    case.remind(SUPERVISOR, at, escalate_after=at + timedelta(days=7), note="请尽快转办")


def record_by_phone(case: Complaint, at: datetime) -> None:
    case.record_rating(
        CLERK,
        at,
        rating=Rating.VERY_SATISFIED,
        comment="电话回访：满意",
        call_reference="12345-20240923-0001",
        called_at=at - timedelta(minutes=10),
        redo_due=REDO_DUE,
    )


def close_unrated_late(case: Complaint, at: datetime) -> None:
    # The window the fixtures' approval opened ends 2024-09-29 17:30.
    case.close_unrated(SYSTEM, datetime(2024, 9, 30, 9, 0, tzinfo=CST))


def transfer_provisional(case: Complaint, at: datetime) -> None:
    # As if 2024 had had no official schedule: a due one day later, provisional.
    case.transfer(
        CLERK,
        at,
        department=DEPT,
        working_days=10,
        due=HANDLING_DUE + timedelta(days=1),
        due_provisional=True,
    )


def recompute(case: Complaint, at: datetime) -> None:
    # The schedule is loaded: the handling deadline moves back to what the calendar says.
    new = CALENDAR.compute(case.handling_basis)  # type: ignore[arg-type]
    case.recompute_deadlines(
        SYSTEM, at, [Recompute("handling", case.handling_due, new, "chinese_calendar")]
    )  # type: ignore[arg-type]


LIVES: dict[str, tuple[Step, ...]] = {
    **{status.value: steps for status, steps in PATHS.items()},
    "long": (
        supervise,
        accept_urgent,
        transfer,
        request_extension,
        decide_refused,
        request_extension,
        decide_approved,
        send_back,
        transfer,
        reply,
        redo,
        reply,
        approve,
        rate_unsatisfied,
        supervise,
        reply,
        approve,
        close,
    ),
    "withdrawn-while-extension-pending": (accept, transfer, request_extension, withdraw),
    "overdue": (remind_late, escalate_late, accept),
    "recomputed": (accept, transfer_provisional, recompute, reply),
    "reminded-by-hand": (accept, remind_by_hand, remind_by_hand, transfer),
    "rated-by-phone": (*PATHS[Status.AWAITING_RATING], record_by_phone),
    "unrated": (*PATHS[Status.AWAITING_RATING], close_unrated_late),
}


def test_the_lives_record_every_event_type() -> None:
    declared = {cls.__name__ for cls in Complaint.Event.__subclasses__()}
    # `Created` is the library's default creation event; Complaint is created by Lodged.
    assert declared - {"Created"} == {
        type(e).__name__ for steps in LIVES.values() for e in live_and_copies(steps)[0]
    }


@pytest.mark.parametrize("life", LIVES)
def test_replaying_the_recorded_events_rebuilds_the_live_case(life: str) -> None:
    events, copies = live_and_copies(LIVES[life])
    assert len(copies) == len(events)  # one event per move
    for count, live in enumerate(copies, start=1):
        replayed = given(*events[:count])
        assert replayed == live
        assert replayed.version == count


def test_the_long_life_ends_with_its_full_record() -> None:
    events, copies = live_and_copies(LIVES["long"])
    case = copies[-1]
    assert case.status is Status.CLOSED
    assert case.urgent is True
    assert case.departments == [DEPT]
    assert (case.redo_count, case.supervision_count) == (2, 2)
    assert case.rating is Rating.UNSATISFIED
    assert case.closed_at == LODGED_AT + timedelta(hours=18)
    assert case.version == len(events) == 19
