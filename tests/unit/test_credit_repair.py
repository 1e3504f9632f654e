"""Given/When/Then tests of the CreditRepair aggregate: every move, allowed and forbidden.

The harness is tests/gwt.py: `given(*events)` folds recorded events into a case, the
`when` is one command method call, and `then(case, ...)` compares the exact events that
call recorded. A refused move must raise the named error and leave the case exactly as
the given events built it. The histories are recorded by the aggregate itself, so they
are events the domain really produces. Deadlines are worked out by hand from the 2024
calendar (National Day: 10-01 to 10-07 off; Sunday 09-29 and Saturday 10-12 are working
days).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest
from eventsourcing.domain import Snapshot

from domain import commands as cmd
from domain import credit_repair_commands as rc
from domain.calendar import Deadline
from domain.credit_code import check_character
from domain.credit_repair import (
    FINAL_STATUSES,
    MOVE_FROM,
    MOVE_ROLES,
    NOT_THE_APPLICANT,
    OPEN_STATUSES,
    SAME_REVIEWER,
    CreditRepair,
    Enterprise,
    Outcome,
    Severity,
    Stage,
    Status,
)
from domain.credit_repair_case import CREDIT_REPAIR
from domain.deadlines import Recompute
from domain.errors import Forbidden, MoveNotAllowed, RuleViolated
from domain.mapper import MsgspecMapper
from domain.sla import SlaPolicy, calendar_for
from domain.values import Actor, Role
from tests import gwt
from tests.gwt import given, refused, then, then_unchanged

CST = timezone(timedelta(hours=8))
SLA = SlaPolicy()
CALENDAR = calendar_for(SLA)
CONTEXT = SimpleNamespace(calendar=CALENDAR, sla=SLA, load=None)
MAPPER = MsgspecMapper()


def credit_code(first17: str) -> str:
    return first17 + check_character(first17)


CODE = credit_code("91230100MA1BCDEF0")
OTHER_CODE = credit_code("91230100MA1XYQW75")
ENTERPRISE_NAME = "黑龙江某某食品有限公司"

ENTERPRISE = Actor(id="ent-1", role=Role.ENTERPRISE, org=CODE)
OTHER_ENTERPRISE = Actor(id="ent-2", role=Role.ENTERPRISE, org=OTHER_CODE)
CLERK = Actor(id="clerk-1", role=Role.CLERK)
SUPERVISOR = Actor(id="sup-1", role=Role.SUPERVISOR)
OTHER_SUPERVISOR = Actor(id="sup-2", role=Role.SUPERVISOR)
SYSTEM = Actor(id="deadline-watcher", role=Role.SYSTEM)
APPLICANT = Enterprise(name=ENTERPRISE_NAME, credit_code=CODE)

# Histories start on Monday 2024-09-23 09:00 in Beijing and make one move an hour (see
# `record`); both reviews are due by the end of Tuesday's office hours. WHEN, the time of
# every `when`, comes after the histories and before that due.
APPLIED_AT = datetime(2024, 9, 23, 9, 0, tzinfo=CST)
REVIEW_DUE = datetime(2024, 9, 24, 17, 30, tzinfo=CST)
WHEN = datetime(2024, 9, 24, 10, 0, tzinfo=CST)
LATE = datetime(2024, 9, 25, 9, 0, tzinfo=CST)
# 5 working days after LATE: 09-26, 09-27, Sunday 09-29, 09-30, then National Day: 10-08.
GRACE_END = datetime(2024, 10, 8, 17, 30, tzinfo=CST)
RECORD_ID = "哈市监罚〔2024〕0127号"
AUTHORITY = "哈尔滨市市场监督管理局"
PROOF = "已缴清罚款并完成整改，附缴款凭证与整改报告"

Event = CreditRepair.Event
Step = Callable[[CreditRepair, datetime], None]


# --- the harness -------------------------------------------------------------------


def apply(**overrides: Any) -> CreditRepair:
    fields: dict[str, Any] = {
        "enterprise": APPLICANT,
        "record_id": RECORD_ID,
        "penalty_authority": AUTHORITY,
        "severity": Severity.GENERAL,
        "proof": PROOF,
        "pledge_signed": True,
        "review_due": REVIEW_DUE,
    }
    actor = overrides.pop("actor", ENTERPRISE)
    at = overrides.pop("at", APPLIED_AT)
    fields.update(overrides)
    return CreditRepair.apply_for(actor, at, **fields)


def live_and_copies(steps: Iterable[Step]) -> tuple[list[Event], list[CreditRepair]]:
    """Every event of a case that went through `steps`, and a copy of it after each."""
    return gwt.live_and_copies(apply, steps, APPLIED_AT)


def record(*steps: Step) -> list[Event]:
    return gwt.record(apply, steps, APPLIED_AT)


# --- the steps of the histories ------------------------------------------------------


def pass_initial(case: CreditRepair, at: datetime) -> None:
    case.initial_review(CLERK, at, passed=True, reason=None)


def pass_initial_by_supervisor(case: CreditRepair, at: datetime) -> None:
    case.initial_review(SUPERVISOR, at, passed=True, reason="材料齐全")


def refuse_initial(case: CreditRepair, at: datetime) -> None:
    case.initial_review(CLERK, at, passed=False, reason="整改材料不全")


def pass_re_review(case: CreditRepair, at: datetime) -> None:
    case.re_review(SUPERVISOR, at, passed=True, reason=None)


def pass_re_review_by_other(case: CreditRepair, at: datetime) -> None:
    case.re_review(OTHER_SUPERVISOR, at, passed=True, reason=None)


def refuse_re_review(case: CreditRepair, at: datetime) -> None:
    case.re_review(SUPERVISOR, at, passed=False, reason="未满最短公示期")


def submit(case: CreditRepair, at: datetime) -> None:
    case.submit(CLERK, at, note=None)


def repaired(case: CreditRepair, at: datetime) -> None:
    case.record_outcome(CLERK, at, repaired=True, reason=None)


def centre_refused(case: CreditRepair, at: datetime) -> None:
    case.record_outcome(SUPERVISOR, at, repaired=False, reason="国家中心终审不予修复")


def withdraw(case: CreditRepair, at: datetime) -> None:
    case.withdraw(ENTERPRISE, at, reason="暂不申请修复")


PATHS: dict[Status, tuple[Step, ...]] = {
    Status.APPLIED: (),
    Status.INITIALLY_REVIEWED: (pass_initial,),
    Status.RE_REVIEWED: (pass_initial, pass_re_review),
    Status.SUBMITTED: (pass_initial, pass_re_review, submit),
    Status.REPAIRED: (pass_initial, pass_re_review, submit, repaired),
    Status.REFUSED: (refuse_initial,),
    Status.WITHDRAWN: (pass_initial, withdraw),
}


def history_in(status: Status) -> list[Event]:
    history = record(*PATHS[status])
    assert given(*history).status is status
    return history


# --- the transition table ------------------------------------------------------------

# The table of docs/api.md ("Credit repair"), written out independently of the code.
DOCUMENTED_FROM: dict[str, set[Status]] = {
    "initial-review": {Status.APPLIED},
    "re-review": {Status.INITIALLY_REVIEWED},
    "submit": {Status.RE_REVIEWED},
    "record-outcome": {Status.SUBMITTED},
    "withdraw": {Status.APPLIED, Status.INITIALLY_REVIEWED, Status.RE_REVIEWED},
    "remind": {Status.APPLIED, Status.INITIALLY_REVIEWED},
    "escalate": {Status.APPLIED, Status.INITIALLY_REVIEWED},
}
STAFF = {Role.CLERK, Role.SUPERVISOR}
DOCUMENTED_ROLES: dict[str, set[Role]] = {
    "apply": {Role.ENTERPRISE, Role.CLERK},
    "initial-review": STAFF,
    "re-review": {Role.SUPERVISOR},
    "submit": STAFF,
    "record-outcome": STAFF,
    "withdraw": {Role.ENTERPRISE},
    "remind": {Role.SYSTEM, Role.SUPERVISOR},
    "escalate": {Role.SYSTEM},
}


def test_the_transition_table_is_the_documented_one() -> None:
    assert MOVE_FROM == DOCUMENTED_FROM
    assert set(MOVE_FROM) == set(rc.CREDIT_REPAIR_MOVES)


def test_the_roles_are_the_documented_ones() -> None:
    assert MOVE_ROLES == DOCUMENTED_ROLES


def test_the_case_type_declares_the_table_bodies_and_readers() -> None:
    assert (CREDIT_REPAIR.name, CREDIT_REPAIR.plural) == ("credit_repair", "credit-repairs")
    assert CREDIT_REPAIR.aggregate is CreditRepair
    assert CREDIT_REPAIR.create_body is rc.ApplyForRepair
    assert CREDIT_REPAIR.create_roles == DOCUMENTED_ROLES["apply"]
    # (recompute-deadlines: the system's move when the calendar changes, domain/deadlines.py)
    assert set(CREDIT_REPAIR.moves) - {"recompute-deadlines"} == set(DOCUMENTED_FROM)
    assert CREDIT_REPAIR.moves["recompute-deadlines"].roles == {Role.SYSTEM}
    for name, spec in CREDIT_REPAIR.moves.items():
        if name == "recompute-deadlines":
            continue
        assert spec.roles == DOCUMENTED_ROLES[name], name
        assert spec.body is rc.CREDIT_REPAIR_MOVES[name], name
    assert CREDIT_REPAIR.read_roles == {
        Role.ENTERPRISE,
        Role.CLERK,
        Role.SUPERVISOR,
        Role.INSPECTOR,
    }


def test_statuses_are_open_or_final_and_final_ones_allow_no_move() -> None:
    assert set(Status) == OPEN_STATUSES | FINAL_STATUSES
    assert not OPEN_STATUSES & FINAL_STATUSES
    assert {Status.REPAIRED, Status.REFUSED, Status.WITHDRAWN} == FINAL_STATUSES
    for move, statuses in MOVE_FROM.items():
        assert not statuses & FINAL_STATUSES, move


def test_every_lifecycle_path_reaches_its_status() -> None:
    assert set(PATHS) == set(Status)
    for status in PATHS:
        history_in(status)


# --- apply ---------------------------------------------------------------------------


def test_apply() -> None:
    case = apply(severity=Severity.SERIOUS)
    (applied,) = then(
        case,
        (
            "Applied",
            {
                "timestamp": APPLIED_AT,
                "originator_topic": "domain.credit_repair:CreditRepair",
                "actor": ENTERPRISE,
                "enterprise": APPLICANT,
                "record_id": RECORD_ID,
                "penalty_authority": AUTHORITY,
                "severity": Severity.SERIOUS,
                "proof": PROOF,
                "pledge_signed": True,
                "initial_review_due": REVIEW_DUE,
                "re_review_due": REVIEW_DUE,
                "review_due_provisional": False,
                "review_working_days": None,
            },
        ),
    )
    assert case.version == 1
    assert case.status is Status.APPLIED
    assert (case.applied_by, case.applied_at) == (ENTERPRISE, APPLIED_AT)
    assert (case.initial_review_due, case.re_review_due) == (REVIEW_DUE, REVIEW_DUE)
    assert (case.initial_on_time, case.re_review_on_time) == (None, None)
    assert (case.outcome, case.refused_stage, case.closed_at) == (None, None, None)
    assert case.is_open
    assert case == given(applied)


def test_apply_without_a_signed_pledge_is_a_rule_violation() -> None:
    with pytest.raises(RuleViolated) as error:
        apply(pledge_signed=False)
    assert error.value.field == "pledge_signed"


@pytest.mark.parametrize(
    ("applied_at", "due"),
    [
        # Monday: by Tuesday's office close.
        (datetime(2024, 9, 23, 9, 0, tzinfo=CST), datetime(2024, 9, 24, 17, 30, tzinfo=CST)),
        # Friday: Saturday is off, Sunday 09-29 is an adjusted working day (调休).
        (datetime(2024, 9, 27, 10, 0, tzinfo=CST), datetime(2024, 9, 29, 17, 30, tzinfo=CST)),
        # Friday after office hours: the same.
        (datetime(2024, 9, 27, 18, 0, tzinfo=CST), datetime(2024, 9, 29, 17, 30, tzinfo=CST)),
        # Monday before National Day: 10-01..10-07 off.
        (datetime(2024, 9, 30, 10, 0, tzinfo=CST), datetime(2024, 10, 8, 17, 30, tzinfo=CST)),
        # During the holiday: the first working day after it.
        (datetime(2024, 10, 3, 10, 0, tzinfo=CST), datetime(2024, 10, 8, 17, 30, tzinfo=CST)),
        # Friday 10-11: Saturday 10-12 is an adjusted working day.
        (datetime(2024, 10, 11, 10, 0, tzinfo=CST), datetime(2024, 10, 12, 17, 30, tzinfo=CST)),
    ],
)
def test_the_case_type_makes_both_reviews_due_one_working_day_after_the_application(
    applied_at: datetime, due: datetime
) -> None:
    body = _apply_body()
    case = CREDIT_REPAIR.create(CONTEXT, ENTERPRISE, applied_at, body)
    assert (case.initial_review_due, case.re_review_due) == (due, due)
    assert case.applied_at == applied_at


def _apply_body(code: str = CODE, **overrides: Any) -> rc.ApplyForRepair:
    fields: dict[str, Any] = {
        "enterprise": rc.EnterpriseIn(name=ENTERPRISE_NAME, credit_code=code),
        "record_id": RECORD_ID,
        "penalty_authority": AUTHORITY,
        "severity": Severity.MINOR,
        "proof": PROOF,
        "pledge_signed": True,
    }
    fields.update(overrides)
    return rc.ApplyForRepair(**fields)


def test_the_case_type_lets_a_clerk_apply_for_any_enterprise_and_an_enterprise_for_itself():
    by_clerk = CREDIT_REPAIR.create(CONTEXT, CLERK, APPLIED_AT, _apply_body(OTHER_CODE))
    assert by_clerk.enterprise == Enterprise(name=ENTERPRISE_NAME, credit_code=OTHER_CODE)
    assert by_clerk.applied_by == CLERK
    with pytest.raises(Forbidden):
        CREDIT_REPAIR.create(CONTEXT, ENTERPRISE, APPLIED_AT, _apply_body(OTHER_CODE))
    with pytest.raises(RuleViolated) as error:
        CREDIT_REPAIR.create(CONTEXT, CLERK, APPLIED_AT, _apply_body(pledge_signed=False))
    assert error.value.field == "pledge_signed"


def test_the_apply_body_validates_the_credit_code_and_the_severity() -> None:
    good = msgspec.to_builtins(_apply_body())
    assert msgspec.convert(good, rc.ApplyForRepair) == _apply_body()
    for change, where in [
        (lambda b: b["enterprise"].update(credit_code=CODE[:17] + "0"), "credit_code"),
        (lambda b: b.update(severity="grave"), "severity"),
        (lambda b: b.update(proof=""), "proof"),
        (lambda b: b.update(extra=1), "extra"),
        (lambda b: b.pop("pledge_signed"), "pledge_signed"),
    ]:
        body = copy.deepcopy(good)
        change(body)
        with pytest.raises(msgspec.ValidationError, match=where):
            msgspec.convert(body, rc.ApplyForRepair)


# --- initial review ------------------------------------------------------------------


@pytest.mark.parametrize("actor", [CLERK, SUPERVISOR], ids=str)
def test_initial_review_passed(actor: Actor) -> None:
    history = history_in(Status.APPLIED)
    case = given(*history)
    case.initial_review(actor, WHEN, passed=True, reason=None)
    then(
        case,
        (
            "InitiallyReviewed",
            {"timestamp": WHEN, "actor": actor, "passed": True, "reason": None, "due": REVIEW_DUE},
        ),
    )
    assert case.status is Status.INITIALLY_REVIEWED
    assert (case.initial_reviewed_by, case.initial_reviewed_at) == (actor, WHEN)
    assert case.initial_passed is True
    assert case.initial_on_time is True
    assert case.re_review_on_time is None


def test_initial_review_refused() -> None:
    case = given(*history_in(Status.APPLIED))
    case.initial_review(CLERK, WHEN, passed=False, reason="整改材料不全")
    then(
        case,
        (
            "InitiallyReviewed",
            {
                "timestamp": WHEN,
                "actor": CLERK,
                "passed": False,
                "reason": "整改材料不全",
                "due": REVIEW_DUE,
            },
        ),
    )
    assert case.status is Status.REFUSED
    assert case.refused_stage is Stage.INITIAL_REVIEW
    assert case.closed_at == WHEN
    assert case.last_reason == "整改材料不全"
    assert case.outcome is None  # the national centre never saw it
    assert case.initial_on_time is True


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_refusal_at_initial_review_needs_a_reason(reason: str | None) -> None:
    history = history_in(Status.APPLIED)
    case = given(*history)
    with pytest.raises(RuleViolated) as error:
        case.initial_review(CLERK, WHEN, passed=False, reason=reason)
    assert error.value.field == "reason"
    then_unchanged(case, history)


@pytest.mark.parametrize(
    ("reviewed_at", "on_time"),
    [
        (REVIEW_DUE - timedelta(seconds=1), True),
        (REVIEW_DUE, True),  # at the due itself: in time
        (REVIEW_DUE + timedelta(microseconds=1), False),
        (LATE, False),
        (REVIEW_DUE.astimezone(UTC), True),  # the same instant in UTC
    ],
)
def test_the_initial_review_records_its_due_and_whether_it_was_met(
    reviewed_at: datetime, on_time: bool
) -> None:
    case = given(*history_in(Status.APPLIED))
    case.initial_review(CLERK, reviewed_at, passed=True, reason=None)
    (reviewed,) = case.collect_events()
    assert reviewed.due == REVIEW_DUE
    assert case.initial_on_time is on_time


# --- re-review -------------------------------------------------------------------------


def test_re_review_passed() -> None:
    case = given(*history_in(Status.INITIALLY_REVIEWED))
    case.re_review(SUPERVISOR, WHEN, passed=True, reason="同意修复")
    then(
        case,
        (
            "ReReviewed",
            {
                "timestamp": WHEN,
                "actor": SUPERVISOR,
                "passed": True,
                "reason": "同意修复",
                "due": REVIEW_DUE,
            },
        ),
    )
    assert case.status is Status.RE_REVIEWED
    assert (case.re_reviewed_by, case.re_reviewed_at, case.re_review_passed) == (
        SUPERVISOR,
        WHEN,
        True,
    )
    assert (case.initial_on_time, case.re_review_on_time) == (True, True)
    assert case.last_reason == "同意修复"


def test_re_review_refused() -> None:
    case = given(*history_in(Status.INITIALLY_REVIEWED))
    case.re_review(SUPERVISOR, LATE, passed=False, reason="未满最短公示期")
    then(
        case,
        (
            "ReReviewed",
            {
                "timestamp": LATE,
                "actor": SUPERVISOR,
                "passed": False,
                "reason": "未满最短公示期",
                "due": REVIEW_DUE,
            },
        ),
    )
    assert case.status is Status.REFUSED
    assert case.refused_stage is Stage.RE_REVIEW
    assert case.closed_at == LATE
    assert (case.initial_on_time, case.re_review_on_time) == (True, False)


@pytest.mark.parametrize("reason", [None, "", " \n"])
def test_a_refusal_at_re_review_needs_a_reason(reason: str | None) -> None:
    history = history_in(Status.INITIALLY_REVIEWED)
    case = given(*history)
    with pytest.raises(RuleViolated) as error:
        case.re_review(SUPERVISOR, WHEN, passed=False, reason=reason)
    assert error.value.field == "reason"
    then_unchanged(case, history)


@pytest.mark.parametrize("passed", [True, False])
def test_the_initial_reviewer_may_not_re_review(passed: bool) -> None:
    history = record(pass_initial_by_supervisor)
    case = given(*history)
    # Same user id, even without a reason for a refusal: the 409 comes first.
    with pytest.raises(MoveNotAllowed) as error:
        case.re_review(SUPERVISOR, WHEN, passed=passed, reason=None)
    assert refused(error) == ("re-review", Status.INITIALLY_REVIEWED, SAME_REVIEWER)
    then_unchanged(case, history)
    case.re_review(OTHER_SUPERVISOR, WHEN, passed=True, reason=None)
    assert [type(e).__name__ for e in case.collect_events()] == ["ReReviewed"]
    assert case.re_reviewed_by == OTHER_SUPERVISOR


# --- submission and the national centre's outcome -------------------------------------


def test_submit() -> None:
    case = given(*history_in(Status.RE_REVIEWED))
    case.submit(SUPERVISOR, WHEN, note="已报送国家公共信用信息中心")
    then(
        case,
        (
            "Submitted",
            {"timestamp": WHEN, "actor": SUPERVISOR, "note": "已报送国家公共信用信息中心"},
        ),
    )
    assert case.status is Status.SUBMITTED
    assert case.submitted_at == WHEN
    assert case.is_open


def test_record_outcome_repaired() -> None:
    case = given(*history_in(Status.SUBMITTED))
    case.record_outcome(CLERK, WHEN, repaired=True, reason=None)
    then(
        case,
        (
            "OutcomeRecorded",
            {"timestamp": WHEN, "actor": CLERK, "repaired": True, "reason": None},
        ),
    )
    assert case.status is Status.REPAIRED
    assert (case.outcome, case.outcome_at, case.closed_at) == (Outcome.REPAIRED, WHEN, WHEN)
    assert case.refused_stage is None
    assert not case.is_open


def test_record_outcome_refused_by_the_national_centre() -> None:
    case = given(*history_in(Status.SUBMITTED))
    case.record_outcome(SUPERVISOR, WHEN, repaired=False, reason="终审不予修复")
    then(
        case,
        (
            "OutcomeRecorded",
            {"timestamp": WHEN, "actor": SUPERVISOR, "repaired": False, "reason": "终审不予修复"},
        ),
    )
    assert case.status is Status.REFUSED
    assert (case.outcome, case.outcome_at, case.closed_at) == (Outcome.REFUSED, WHEN, WHEN)
    assert case.refused_stage is Stage.NATIONAL_CENTRE
    assert case.last_reason == "终审不予修复"


@pytest.mark.parametrize("reason", [None, ""])
def test_a_refusal_by_the_national_centre_needs_a_reason(reason: str | None) -> None:
    history = history_in(Status.SUBMITTED)
    case = given(*history)
    with pytest.raises(RuleViolated) as error:
        case.record_outcome(CLERK, WHEN, repaired=False, reason=reason)
    assert error.value.field == "reason"
    then_unchanged(case, history)


# --- withdrawal ------------------------------------------------------------------------


@pytest.mark.parametrize("status", sorted(MOVE_FROM["withdraw"]))
def test_withdraw(status: Status) -> None:
    case = given(*history_in(status))
    case.withdraw(ENTERPRISE, WHEN, reason="暂不申请修复")
    then(case, ("Withdrawn", {"timestamp": WHEN, "actor": ENTERPRISE, "reason": "暂不申请修复"}))
    assert case.status is Status.WITHDRAWN
    assert (case.closed_at, case.last_reason) == (WHEN, "暂不申请修复")


def test_an_enterprise_may_withdraw_what_a_clerk_applied_for_on_its_behalf() -> None:
    case = apply(actor=CLERK)
    case.collect_events()
    colleague = Actor(id="ent-9", role=Role.ENTERPRISE, org=CODE)
    case.withdraw(colleague, WHEN, reason="撤回")
    assert case.status is Status.WITHDRAWN


NOT_THE_APPLICANT_ACTORS = [
    OTHER_ENTERPRISE,
    Actor(id="ent-3", role=Role.ENTERPRISE, org=None),
    Actor(id="ent-4", role=Role.ENTERPRISE, org=CODE.lower()),
    CLERK,
    Actor(id="dep-1", role=Role.DEPARTMENT, org=CODE),
]


@pytest.mark.parametrize("actor", NOT_THE_APPLICANT_ACTORS, ids=lambda a: f"{a.role}:{a.org}")
def test_only_the_applying_enterprise_may_withdraw(actor: Actor) -> None:
    history = history_in(Status.APPLIED)
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        case.withdraw(actor, WHEN, reason="撤回")
    assert refused(error) == ("withdraw", Status.APPLIED, NOT_THE_APPLICANT)
    then_unchanged(case, history)


# --- every forbidden move --------------------------------------------------------------

# Each move made by an actor who would be allowed to make it, so only the status refuses.
MOVES: dict[str, Callable[[CreditRepair], None]] = {
    "initial-review": lambda case: case.initial_review(CLERK, WHEN, passed=True, reason=None),
    "re-review": lambda case: case.re_review(OTHER_SUPERVISOR, WHEN, passed=True, reason=None),
    "submit": lambda case: case.submit(CLERK, WHEN, note=None),
    "record-outcome": lambda case: case.record_outcome(CLERK, WHEN, repaired=True, reason=None),
    "withdraw": lambda case: case.withdraw(ENTERPRISE, WHEN, reason="撤回"),
    "remind": lambda case: case.remind(SYSTEM, LATE, escalate_after=GRACE_END),
    "escalate": lambda case: case.escalate(SYSTEM, GRACE_END),
}
FORBIDDEN = [
    (move, status)
    for move, allowed in MOVE_FROM.items()
    for status in Status
    if status not in allowed
]


def test_every_move_of_the_table_is_exercised() -> None:
    assert set(MOVES) == set(MOVE_FROM)
    # 7 moves in 7 statuses, less the 11 allowed pairs
    assert len(FORBIDDEN) == 7 * 7 - 11


@pytest.mark.parametrize(("move", "status"), FORBIDDEN, ids=[f"{m}-{s}" for m, s in FORBIDDEN])
def test_a_move_the_table_forbids_is_refused(move: str, status: Status) -> None:
    history = history_in(status)
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        MOVES[move](case)
    assert refused(error) == (move, status, None)
    assert str(error.value) == f"'{move}' is not allowed while the case is {status}"
    then_unchanged(case, history)


@pytest.mark.parametrize("refusal", [refuse_re_review, centre_refused], ids=lambda f: f.__name__)
def test_a_case_refused_later_refuses_every_move(refusal: Step) -> None:
    steps = {
        refuse_re_review: PATHS[Status.INITIALLY_REVIEWED],
        centre_refused: PATHS[Status.SUBMITTED],
    }
    history = record(*steps[refusal], refusal)
    for move, make in MOVES.items():
        case = given(*history)
        assert case.status is Status.REFUSED
        with pytest.raises(MoveNotAllowed) as error:
            make(case)
        assert refused(error) == (move, Status.REFUSED, None)
        then_unchanged(case, history)


# --- the case type's decisions ---------------------------------------------------------


def test_a_whole_life_through_the_case_types_decisions() -> None:
    case = CREDIT_REPAIR.create(CONTEXT, CLERK, APPLIED_AT, _apply_body())
    life: list[tuple[str, Actor, cmd.Command]] = [
        ("initial-review", CLERK, rc.RepairReview(passed=True)),
        ("re-review", SUPERVISOR, rc.RepairReview(passed=True, reason="同意")),
        ("submit", CLERK, rc.SubmitToCentre(note="已报送")),
        ("record-outcome", SUPERVISOR, rc.RecordOutcome(repaired=True)),
    ]
    for hours, (move, actor, body) in enumerate(life, start=1):
        CREDIT_REPAIR.move(move).decide(
            CONTEXT, case, actor, APPLIED_AT + timedelta(hours=hours), body
        )
    assert [type(e).__name__ for e in case.collect_events()] == [
        "Applied",
        "InitiallyReviewed",
        "ReReviewed",
        "Submitted",
        "OutcomeRecorded",
    ]
    assert case.status is Status.REPAIRED
    other = CREDIT_REPAIR.create(CONTEXT, ENTERPRISE, APPLIED_AT, _apply_body())
    CREDIT_REPAIR.move("withdraw").decide(
        CONTEXT, other, ENTERPRISE, WHEN, cmd.Withdraw(reason="x")
    )
    assert other.status is Status.WITHDRAWN


@pytest.mark.parametrize(
    ("actor", "visible"),
    [
        (ENTERPRISE, True),
        (Actor(id="colleague", role=Role.ENTERPRISE, org=CODE), True),
        (OTHER_ENTERPRISE, False),
        (Actor(id="e", role=Role.ENTERPRISE, org=None), False),
        (CLERK, True),
        (SUPERVISOR, True),
        (Actor(id="insp", role=Role.INSPECTOR), True),
        (SYSTEM, True),  # the deadline watcher
        (Actor(id="dep", role=Role.DEPARTMENT, org=CODE), False),
        (Actor(id="adm", role=Role.ADMIN), False),
    ],
    ids=lambda v: f"{v.role}:{v.org}" if isinstance(v, Actor) else str(v),
)
def test_who_sees_a_credit_repair(actor: Actor, visible: bool) -> None:
    assert CREDIT_REPAIR.can_see(CONTEXT, actor, apply(actor=CLERK)) is visible


# --- replaying and storing recorded events ---------------------------------------------


def remind_late(case: CreditRepair, at: datetime) -> None:
    case.remind(SYSTEM, LATE, escalate_after=GRACE_END)


def escalate_late(case: CreditRepair, at: datetime) -> None:
    case.escalate(SYSTEM, GRACE_END)


def recompute(case: CreditRepair, at: datetime) -> None:
    # As if the calendar had moved the last open review's due a day on (one event).
    d = case.open_deadlines()[-1]
    moved = Deadline(d.due + timedelta(days=1), True)
    case.recompute_deadlines(SYSTEM, at, [Recompute(d.step, d.due, moved, "provisional")])


LIVES: dict[str, tuple[Step, ...]] = {
    **{status.value: steps for status, steps in PATHS.items()},
    "refused-at-re-review": (pass_initial, refuse_re_review),
    "reviewed-by-two-supervisors": (pass_initial_by_supervisor, pass_re_review_by_other, submit),
    "refused-by-the-centre": (pass_initial, pass_re_review, submit, centre_refused),
    "withdrawn-when-re-reviewed": (pass_initial, pass_re_review, withdraw),
    "overdue": (remind_late, escalate_late, pass_initial, remind_late),
    "recomputed": (recompute, pass_initial, recompute),
}


def test_the_lives_record_every_event_type() -> None:
    declared = {cls.__name__ for cls in CreditRepair.Event.__subclasses__()}
    recorded = {type(e).__name__ for steps in LIVES.values() for e in record(*steps)}
    assert declared - {"Created"} == recorded
    assert recorded == {
        "Applied",
        "InitiallyReviewed",
        "ReReviewed",
        "Submitted",
        "OutcomeRecorded",
        "Withdrawn",
        "Reminded",
        "Escalated",
        "DeadlineRecomputed",
    }


@pytest.mark.parametrize("life", LIVES)
def test_replaying_the_recorded_events_rebuilds_the_live_case(life: str) -> None:
    events, copies = live_and_copies(LIVES[life])
    assert len(copies) == len(events)  # one event per move
    for count, live in enumerate(copies, start=1):
        replayed = given(*events[:count])
        assert replayed == live
        assert replayed.version == count


def _round_trip(obj: Any) -> Any:
    return MAPPER.to_domain_event(MAPPER.to_stored_event(obj))


@pytest.mark.parametrize("life", LIVES)
def test_events_and_snapshots_round_trip_through_the_msgspec_mapper(life: str) -> None:
    events, copies = live_and_copies(LIVES[life])
    for domain_event in events:
        decoded = _round_trip(domain_event)
        assert type(decoded) is type(domain_event)
        assert vars(decoded) == vars(domain_event)
        for key, value in vars(domain_event).items():
            assert type(vars(decoded)[key]) is type(value), (type(domain_event).__name__, key)
    for case in copies:
        rebuilt = _round_trip(Snapshot.take(case)).mutate(None)
        assert rebuilt == case
        assert type(rebuilt.status) is Status
        assert type(rebuilt.severity) is Severity
        assert type(rebuilt.enterprise) is Enterprise
