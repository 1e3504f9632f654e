"""Given/When/Then tests of the Commitment aggregate and its case type: every move,
allowed and forbidden, and the rules the case type adds (who may commit, due instants).

The harness is tests/gwt.py: `given(*events)` folds recorded events into a commitment,
the `when` is one command method call, and `then(case, ...)` compares the exact events
it recorded. A refused move raises the named error and leaves the case exactly as the
given events built it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from eventsourcing.domain import Snapshot

from domain.calendar import Deadline
from domain.cases import CaseType
from domain.commitment import (
    DUE_UNKNOWN,
    EPIDEMIC_END_KNOWN,
    FINAL_STATUSES,
    MOVE_FROM,
    MOVE_ROLES,
    NOT_COMMITTER,
    NOT_EPIDEMIC,
    NOT_YET_DUE,
    OPEN_STATUSES,
    OUTCOME_STATUSES,
    Commitment,
    Enterprise,
    Status,
)
from domain.commitment_case import COMMITMENT, date_due_at, epidemic_due_at
from domain.commitment_commands import COMMITMENT_MOVES, Commit, EpidemicEnded, MarkOverdue
from domain.credit_code import check_character
from domain.deadlines import Recompute
from domain.errors import Forbidden, MoveNotAllowed, RuleViolated
from domain.mapper import MsgspecMapper
from domain.registry import ALL_CASE_TYPES
from domain.sla import SlaPolicy, calendar_for
from domain.values import Actor, Role
from oversight.watchers import SYSTEM
from tests import gwt
from tests.gwt import given, payload, refused, then, then_unchanged

CST = timezone(timedelta(hours=8))
SLA = SlaPolicy()
CALENDAR = calendar_for(SLA)


def credit_code(first17: str) -> str:
    return first17 + check_character(first17)


CODE = credit_code("91230100MA1BCDEF0")
OTHER_CODE = credit_code("91230100MA1XYQW75")

ENTERPRISE = Actor(id="ent-1", role=Role.ENTERPRISE, org=CODE)
OTHER_ENTERPRISE = Actor(id="ent-2", role=Role.ENTERPRISE, org=OTHER_CODE)
CLERK = Actor(id="clerk-1", role=Role.CLERK)
SUPERVISOR = Actor(id="sup-1", role=Role.SUPERVISOR)
COMPANY = Enterprise(name="黑龙江某某建设有限公司", credit_code=CODE)
MATTER = "建筑工程施工许可"
STATEMENT = "本企业承诺已符合施工许可条件，所缺材料于承诺期限内补齐。"
MATERIALS = ["施工图审查合格书", "中标通知书", "安全生产条件证明"]

# Histories start on Monday 2024-09-23 09:00 Beijing time and make one move an hour; the
# due date is Tuesday 2024-10-08 (the first working day after National Day), so a
# history's moves are all before it, except `mark_overdue`, made on OVERDUE_AT.
COMMITTED_AT = datetime(2024, 9, 23, 9, 0, tzinfo=CST)
DUE_DATE = date(2024, 10, 8)
DUE_AT = datetime(2024, 10, 8, 17, 30, tzinfo=CST)
OVERDUE_AT = datetime(2024, 10, 9, 9, 0, tzinfo=CST)
WHEN = datetime(2024, 10, 10, 10, 0, tzinfo=CST)
ENDED_ON = date(2024, 9, 27)
GRACE = 3
EPIDEMIC_DUE = datetime(2024, 10, 8, 17, 30, tzinfo=CST)  # 3rd working day after 09-27

Event = Commitment.Event
Step = Callable[[Commitment, datetime], None]


# --- the harness -------------------------------------------------------------------


def commit(**overrides: Any) -> Commitment:
    fields: dict[str, Any] = {
        "actor": ENTERPRISE,
        "timestamp": COMMITTED_AT,
        "matter": MATTER,
        "enterprise": COMPANY,
        "statement": STATEMENT,
        "materials": list(MATERIALS),
        "due_date": DUE_DATE,
        "epidemic_contingent": False,
        "grace_working_days": None,
        "due_at": DUE_AT,
    }
    fields.update(overrides)
    return Commitment(**fields)


def commit_for_epidemic() -> Commitment:
    return commit(due_date=None, epidemic_contingent=True, grace_working_days=GRACE, due_at=None)


def live_and_copies(
    steps: Iterable[Step], start: Callable[[], Commitment] = commit
) -> tuple[list[Event], list[Commitment]]:
    """Every event of a case that went through `steps`, and a copy of it after each (a
    step's `earliest` attribute dates it no earlier than that)."""
    return gwt.live_and_copies(start, steps, COMMITTED_AT)


def record(*steps: Step, start: Callable[[], Commitment] = commit) -> list[Event]:
    return gwt.record(start, steps, COMMITTED_AT)


# --- the steps of the histories ------------------------------------------------------


def grant(case: Commitment, at: datetime) -> None:
    case.grant(CLERK, at, note=None)


def supply_first(case: Commitment, at: datetime) -> None:
    case.supply(ENTERPRISE, at, materials=[MATERIALS[0]])


def supply_rest(case: Commitment, at: datetime) -> None:
    case.supply(CLERK, at, materials=case.outstanding)


def epidemic_ended(case: Commitment, at: datetime) -> None:
    case.record_epidemic_end(SUPERVISOR, at, ended_on=ENDED_ON, due=EPIDEMIC_DUE)


def mark_overdue(case: Commitment, at: datetime) -> None:
    case.mark_overdue(SYSTEM, at)


mark_overdue.earliest = OVERDUE_AT  # type: ignore[attr-defined]


def breach(case: Commitment, at: datetime) -> None:
    case.breach(SUPERVISOR, at, reason="逾期未补齐材料且无正当理由")


def exempt(case: Commitment, at: datetime) -> None:
    case.exempt(SUPERVISOR, at, reason="受疫情防控影响无法如期补齐")


def revoke(case: Commitment, at: datetime) -> None:
    case.revoke(CLERK, at, reason="核查不符合审批条件", finding="现场核查发现安全设施未到位")


PATHS: dict[Status, tuple[Step, ...]] = {
    Status.COMMITTED: (),
    Status.GRANTED: (grant,),
    Status.OVERDUE: (grant, mark_overdue),
    Status.FULFILLED: (grant, supply_first, supply_rest),
    Status.BREACHED: (grant, mark_overdue, breach),
    Status.EXEMPTED: (grant, mark_overdue, exempt),
    Status.REVOKED: (grant, supply_first, revoke),
}


@pytest.fixture
def committed() -> list[Event]:
    return record(*PATHS[Status.COMMITTED])


@pytest.fixture
def granted() -> list[Event]:
    return record(*PATHS[Status.GRANTED])


@pytest.fixture
def overdue() -> list[Event]:
    return record(*PATHS[Status.OVERDUE])


@pytest.fixture
def fulfilled() -> list[Event]:
    return record(*PATHS[Status.FULFILLED])


@pytest.fixture
def breached() -> list[Event]:
    return record(*PATHS[Status.BREACHED])


@pytest.fixture
def exempted() -> list[Event]:
    return record(*PATHS[Status.EXEMPTED])


@pytest.fixture
def revoked() -> list[Event]:
    return record(*PATHS[Status.REVOKED])


@pytest.fixture
def partly_supplied() -> list[Event]:
    return record(grant, supply_first)


@pytest.fixture
def waiting_for_epidemic() -> list[Event]:
    return record(grant, start=commit_for_epidemic)


def history_in(request: pytest.FixtureRequest, status: Status) -> list[Event]:
    history = request.getfixturevalue(status.value)
    assert given(*history).status is status
    return history


# --- the transition table ------------------------------------------------------------

# The table of docs/api.md ("Commitments"), written out independently of the code.
DOCUMENTED_FROM: dict[str, set[Status]] = {
    "grant": {Status.COMMITTED},
    "supply": {Status.GRANTED, Status.OVERDUE},
    "epidemic-ended": {Status.COMMITTED, Status.GRANTED},
    "mark-overdue": {Status.GRANTED},
    "breach": {Status.OVERDUE},
    "exempt": {Status.GRANTED, Status.OVERDUE},
    "revoke": {Status.GRANTED, Status.OVERDUE, Status.FULFILLED},
}
DOCUMENTED_ROLES: dict[str, set[Role]] = {
    "commit": {Role.ENTERPRISE, Role.CLERK},
    "grant": {Role.CLERK, Role.SUPERVISOR},
    "supply": {Role.ENTERPRISE, Role.CLERK},
    "epidemic-ended": {Role.SUPERVISOR},
    "mark-overdue": {Role.SYSTEM},
    "breach": {Role.SUPERVISOR},
    "exempt": {Role.SUPERVISOR},
    "revoke": {Role.SUPERVISOR, Role.CLERK},
}


def test_the_transition_table_is_the_documented_one() -> None:
    assert MOVE_FROM == DOCUMENTED_FROM
    # (recompute-deadlines: the system's move when the calendar changes, domain/deadlines.py)
    assert set(MOVE_FROM) == set(COMMITMENT_MOVES) == set(COMMITMENT.moves) - {RECOMPUTE}


def test_the_roles_are_the_documented_ones() -> None:
    assert MOVE_ROLES == DOCUMENTED_ROLES
    assert COMMITMENT.create_roles == DOCUMENTED_ROLES["commit"]
    for name, move in COMMITMENT.moves.items():
        if name == RECOMPUTE:
            assert move.roles == {Role.SYSTEM}
            continue
        assert move.roles == DOCUMENTED_ROLES[name], name
        assert move.body is COMMITMENT_MOVES[name], name
    # Departments, administrators and service officers never read commitments.
    assert COMMITMENT.read_roles == {Role.ENTERPRISE, Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR}


def test_only_the_system_may_mark_a_commitment_overdue() -> None:
    assert MOVE_ROLES["mark-overdue"] == {Role.SYSTEM}
    assert all(Role.SYSTEM not in roles for m, roles in MOVE_ROLES.items() if m != "mark-overdue")
    assert SYSTEM.role is Role.SYSTEM


def test_the_commitment_is_a_registered_case_type() -> None:
    assert COMMITMENT in ALL_CASE_TYPES
    assert isinstance(COMMITMENT, CaseType)
    assert (COMMITMENT.name, COMMITMENT.plural, COMMITMENT.aggregate) == (
        "commitment",
        "commitments",
        Commitment,
    )


def test_statuses_and_their_groups() -> None:
    assert set(Status) == OPEN_STATUSES | OUTCOME_STATUSES
    assert not OPEN_STATUSES & OUTCOME_STATUSES
    assert {Status.BREACHED, Status.EXEMPTED, Status.REVOKED} == FINAL_STATUSES
    for move, statuses in MOVE_FROM.items():
        assert not statuses & FINAL_STATUSES, move


def test_every_lifecycle_fixture_reaches_its_status() -> None:
    assert set(PATHS) == set(Status)
    for status, steps in PATHS.items():
        assert given(*record(*steps)).status is status


# --- commit --------------------------------------------------------------------------


def test_commit_with_a_due_date() -> None:
    case = commit()
    (committed_event,) = then(
        case,
        (
            "Committed",
            {
                "timestamp": COMMITTED_AT,
                "originator_topic": "domain.commitment:Commitment",
                "actor": ENTERPRISE,
                "matter": MATTER,
                "enterprise": COMPANY,
                "statement": STATEMENT,
                "materials": MATERIALS,
                "due_date": DUE_DATE,
                "epidemic_contingent": False,
                "grace_working_days": None,
                "due_at": DUE_AT,
                "due_provisional": None,
            },
        ),
    )
    assert case.version == 1
    assert case.status is Status.COMMITTED
    assert (case.committed_by, case.committed_at) == (ENTERPRISE, COMMITTED_AT)
    assert case.outstanding == MATERIALS
    assert case.supplied == []
    assert case.waits_for_epidemic_end is False
    assert case.credit_record is False
    assert case == given(committed_event)


def test_commit_due_on_the_end_of_the_epidemic() -> None:
    case = commit_for_epidemic()
    (event,) = case.collect_events()
    assert payload(event)["due_date"] is None
    assert payload(event)["due_at"] is None
    assert (case.epidemic_contingent, case.grace_working_days) == (True, GRACE)
    assert case.waits_for_epidemic_end is True
    assert case.due_at is None


# --- grant ---------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [CLERK, SUPERVISOR])
def test_grant(committed: list[Event], actor: Actor) -> None:
    case = given(*committed)
    case.grant(actor, WHEN, note="承诺即开工，当场办结")
    then(case, ("Granted", {"timestamp": WHEN, "actor": actor, "note": "承诺即开工，当场办结"}))
    assert case.status is Status.GRANTED
    assert case.granted_at == WHEN
    assert case.last_note == "承诺即开工，当场办结"
    assert case.due_at == DUE_AT


# --- supply --------------------------------------------------------------------------


def test_supply_a_part(granted: list[Event]) -> None:
    case = given(*granted)
    case.supply(ENTERPRISE, WHEN, materials=[MATERIALS[1]])
    then(
        case,
        (
            "MaterialsSupplied",
            {"timestamp": WHEN, "actor": ENTERPRISE, "materials": [MATERIALS[1]]},
        ),
    )
    assert case.status is Status.GRANTED
    assert case.supplied == [MATERIALS[1]]
    assert case.outstanding == [MATERIALS[0], MATERIALS[2]]
    assert case.fulfilled_at is None


def test_supplying_the_last_material_fulfils_the_commitment(partly_supplied: list[Event]) -> None:
    case = given(*partly_supplied)
    case.supply(CLERK, WHEN, materials=[MATERIALS[2], MATERIALS[1]])
    then(
        case,
        (
            "MaterialsSupplied",
            {"timestamp": WHEN, "actor": CLERK, "materials": [MATERIALS[2], MATERIALS[1]]},
        ),
        ("Fulfilled", {"timestamp": WHEN, "actor": CLERK, "late": False}),
    )
    assert case.status is Status.FULFILLED
    assert case.outstanding == []
    assert case.supplied == [MATERIALS[0], MATERIALS[2], MATERIALS[1]]
    assert (case.fulfilled_at, case.settled_at) == (WHEN, WHEN)
    assert case.credit_record is False


def test_supplying_everything_at_once_fulfils_it(granted: list[Event]) -> None:
    case = given(*granted)
    case.supply(ENTERPRISE, WHEN, materials=list(MATERIALS))
    assert [type(e).__name__ for e in case.collect_events()] == ["MaterialsSupplied", "Fulfilled"]
    assert case.status is Status.FULFILLED


def test_supplying_the_rest_while_overdue_fulfils_it_late() -> None:
    history = record(grant, supply_first, mark_overdue)
    case = given(*history)
    case.supply(ENTERPRISE, WHEN, materials=MATERIALS[1:])
    then(
        case,
        ("MaterialsSupplied", {"timestamp": WHEN, "actor": ENTERPRISE, "materials": MATERIALS[1:]}),
        ("Fulfilled", {"timestamp": WHEN, "actor": ENTERPRISE, "late": True}),
    )
    assert case.status is Status.FULFILLED
    assert case.overdue_since == OVERDUE_AT


def test_a_part_supplied_while_overdue_keeps_it_overdue(overdue: list[Event]) -> None:
    case = given(*overdue)
    case.supply(CLERK, WHEN, materials=[MATERIALS[0]])
    assert [type(e).__name__ for e in case.collect_events()] == ["MaterialsSupplied"]
    assert case.status is Status.OVERDUE


@pytest.mark.parametrize(
    ("materials", "named"),
    [
        ([MATERIALS[0]], MATERIALS[0]),  # already supplied
        (["营业执照"], "营业执照"),  # never promised
        ([MATERIALS[1], "营业执照"], "营业执照"),  # one good, one not: nothing is recorded
    ],
)
def test_supplying_a_material_not_outstanding_is_a_rule_violation(
    partly_supplied: list[Event], materials: list[str], named: str
) -> None:
    case = given(*partly_supplied)
    with pytest.raises(RuleViolated) as error:
        case.supply(ENTERPRISE, WHEN, materials=materials)
    assert error.value.field == "materials"
    assert f"not outstanding: {named}" in error.value.rule
    assert "outstanding: " + ", ".join(MATERIALS[1:]) in error.value.rule
    then_unchanged(case, partly_supplied)


def test_supplying_a_material_twice_in_one_move_is_a_rule_violation(
    granted: list[Event],
) -> None:
    case = given(*granted)
    with pytest.raises(RuleViolated) as error:
        case.supply(ENTERPRISE, WHEN, materials=[MATERIALS[0], MATERIALS[0]])
    assert error.value.field == "materials"
    then_unchanged(case, granted)


NOT_THE_COMMITTER = [
    OTHER_ENTERPRISE,
    Actor(id="ent-3", role=Role.ENTERPRISE, org=None),
    Actor(id="ent-4", role=Role.ENTERPRISE, org=CODE.lower()),
]


@pytest.mark.parametrize("actor", NOT_THE_COMMITTER, ids=lambda a: f"{a.role}:{a.org}")
def test_only_the_committing_enterprise_may_supply(granted: list[Event], actor: Actor) -> None:
    case = given(*granted)
    with pytest.raises(MoveNotAllowed) as error:
        case.supply(actor, WHEN, materials=[MATERIALS[0]])
    assert refused(error) == ("supply", Status.GRANTED, NOT_COMMITTER)
    then_unchanged(case, granted)


# --- the end of the epidemic ----------------------------------------------------------


@pytest.mark.parametrize("steps", [(), (grant,)], ids=["committed", "granted"])
def test_record_the_end_of_the_epidemic(steps: tuple[Step, ...]) -> None:
    case = given(*record(*steps, start=commit_for_epidemic))
    case.record_epidemic_end(SUPERVISOR, WHEN, ended_on=ENDED_ON, due=EPIDEMIC_DUE)
    then(
        case,
        (
            "EpidemicEnded",
            {
                "timestamp": WHEN,
                "actor": SUPERVISOR,
                "ended_on": ENDED_ON,
                "due": EPIDEMIC_DUE,
                "due_provisional": False,
            },
        ),
    )
    assert (case.epidemic_ended_on, case.due_at) == (ENDED_ON, EPIDEMIC_DUE)
    assert case.waits_for_epidemic_end is False
    assert case.status is (Status.GRANTED if steps else Status.COMMITTED)


def test_the_end_of_the_epidemic_is_recorded_once(waiting_for_epidemic: list[Event]) -> None:
    history = [*waiting_for_epidemic]
    case = given(*history)
    epidemic_ended(case, WHEN)
    history += case.collect_events()
    with pytest.raises(MoveNotAllowed) as error:
        case.record_epidemic_end(SUPERVISOR, WHEN, ended_on=ENDED_ON, due=EPIDEMIC_DUE)
    assert refused(error) == ("epidemic-ended", Status.GRANTED, EPIDEMIC_END_KNOWN)
    then_unchanged(case, history)


def test_a_commitment_with_a_due_date_takes_no_epidemic_end(granted: list[Event]) -> None:
    case = given(*granted)
    with pytest.raises(MoveNotAllowed) as error:
        case.record_epidemic_end(SUPERVISOR, WHEN, ended_on=ENDED_ON, due=EPIDEMIC_DUE)
    assert refused(error) == ("epidemic-ended", Status.GRANTED, NOT_EPIDEMIC)
    then_unchanged(case, granted)


# --- overdue, and what the bureau then decides ------------------------------------------


def test_mark_overdue_once_the_due_instant_has_passed(granted: list[Event]) -> None:
    case = given(*granted)
    at = DUE_AT + timedelta(seconds=1)
    case.mark_overdue(SYSTEM, at)
    then(case, ("Overdue", {"timestamp": at, "actor": SYSTEM, "due": DUE_AT}))
    assert case.status is Status.OVERDUE
    assert case.overdue_since == at
    assert case.credit_record is False


@pytest.mark.parametrize(
    "at",
    [COMMITTED_AT + timedelta(hours=2), DUE_AT - timedelta(seconds=1), DUE_AT],
    ids=["long-before", "a-second-before", "at-the-due-instant"],
)
def test_mark_overdue_before_the_due_instant_is_refused(granted: list[Event], at: datetime) -> None:
    case = given(*granted)
    with pytest.raises(MoveNotAllowed) as error:
        case.mark_overdue(SYSTEM, at)
    assert refused(error) == ("mark-overdue", Status.GRANTED, NOT_YET_DUE)
    then_unchanged(case, granted)


def test_mark_overdue_while_the_due_waits_for_the_epidemic_is_refused(
    waiting_for_epidemic: list[Event],
) -> None:
    case = given(*waiting_for_epidemic)
    with pytest.raises(MoveNotAllowed) as error:
        case.mark_overdue(SYSTEM, datetime(2030, 1, 1, tzinfo=UTC))
    assert refused(error) == ("mark-overdue", Status.GRANTED, DUE_UNKNOWN)
    then_unchanged(case, waiting_for_epidemic)


def test_mark_overdue_after_the_epidemic_grace(waiting_for_epidemic: list[Event]) -> None:
    history = [*waiting_for_epidemic]
    case = given(*history)
    epidemic_ended(case, WHEN - timedelta(days=5))
    history += case.collect_events()
    with pytest.raises(MoveNotAllowed):
        case.mark_overdue(SYSTEM, EPIDEMIC_DUE)
    then_unchanged(case, history)
    case.mark_overdue(SYSTEM, WHEN)
    then(case, ("Overdue", {"timestamp": WHEN, "actor": SYSTEM, "due": EPIDEMIC_DUE}))


def test_breach_goes_on_the_credit_record(overdue: list[Event]) -> None:
    case = given(*overdue)
    case.breach(SUPERVISOR, WHEN, reason="逾期未补齐材料")
    then(case, ("Breached", {"timestamp": WHEN, "actor": SUPERVISOR, "reason": "逾期未补齐材料"}))
    assert case.status is Status.BREACHED
    assert case.credit_record is True
    assert (case.outcome_reason, case.settled_at) == ("逾期未补齐材料", WHEN)


@pytest.mark.parametrize("status", [Status.GRANTED, Status.OVERDUE])
def test_exempt_keeps_the_reason_and_no_credit_record(
    request: pytest.FixtureRequest, status: Status
) -> None:
    history = history_in(request, status)
    case = given(*history)
    case.exempt(SUPERVISOR, WHEN, reason="受疫情防控影响无法如期补齐")
    then(
        case,
        (
            "Exempted",
            {"timestamp": WHEN, "actor": SUPERVISOR, "reason": "受疫情防控影响无法如期补齐"},
        ),
    )
    assert case.status is Status.EXEMPTED
    assert case.credit_record is False
    assert (case.outcome_reason, case.settled_at) == ("受疫情防控影响无法如期补齐", WHEN)


@pytest.mark.parametrize("actor", [CLERK, SUPERVISOR])
@pytest.mark.parametrize("status", [Status.GRANTED, Status.OVERDUE, Status.FULFILLED])
def test_revoke_after_a_check(request: pytest.FixtureRequest, status: Status, actor: Actor) -> None:
    history = history_in(request, status)
    case = given(*history)
    case.revoke(actor, WHEN, reason="核查不符合审批条件", finding="安全设施未到位")
    then(
        case,
        (
            "Revoked",
            {
                "timestamp": WHEN,
                "actor": actor,
                "reason": "核查不符合审批条件",
                "finding": "安全设施未到位",
            },
        ),
    )
    assert case.status is Status.REVOKED
    assert (case.outcome_reason, case.finding, case.settled_at) == (
        "核查不符合审批条件",
        "安全设施未到位",
        WHEN,
    )
    assert case.credit_record is False


# --- every forbidden move --------------------------------------------------------------

# Each move made by an actor allowed to make it, and at a time it would be allowed, so
# only the status refuses it.
MOVES: dict[str, Callable[[Commitment], None]] = {
    "grant": lambda case: case.grant(SUPERVISOR, WHEN, note=None),
    "supply": lambda case: case.supply(ENTERPRISE, WHEN, materials=case.outstanding[:1]),
    "epidemic-ended": lambda case: case.record_epidemic_end(
        SUPERVISOR, WHEN, ended_on=ENDED_ON, due=EPIDEMIC_DUE
    ),
    "mark-overdue": lambda case: case.mark_overdue(SYSTEM, WHEN),
    "breach": lambda case: case.breach(SUPERVISOR, WHEN, reason="失信"),
    "exempt": lambda case: case.exempt(SUPERVISOR, WHEN, reason="疫情影响"),
    "revoke": lambda case: case.revoke(CLERK, WHEN, reason="核查不符", finding="不符合条件"),
}
FORBIDDEN = [
    (move, status)
    for move, allowed in MOVE_FROM.items()
    for status in Status
    if status not in allowed
]


def test_every_move_of_the_table_is_exercised() -> None:
    assert set(MOVES) == set(MOVE_FROM)
    assert len(FORBIDDEN) == 7 * 7 - 12


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


def test_the_epidemic_end_is_refused_by_status_before_anything_else(
    fulfilled: list[Event],
) -> None:
    # A fulfilled commitment due on a date: the status speaks first (no `why`).
    case = given(*fulfilled)
    with pytest.raises(MoveNotAllowed) as error:
        MOVES["epidemic-ended"](case)
    assert refused(error) == ("epidemic-ended", Status.FULFILLED, None)


# --- the case type: who commits, the due instants, who sees --------------------------


class Context:
    calendar = CALENDAR
    sla = SLA

    def load(self, case_id: Any) -> Any:  # pragma: no cover - commitments load nothing
        raise AssertionError("a commitment decision loads no other case")


CTX = Context()


def commit_body(due: dict[str, Any] | None = None, **overrides: Any) -> Commit:
    body = {
        "matter": MATTER,
        "enterprise": {"name": COMPANY.name, "credit_code": CODE},
        "statement": STATEMENT,
        "materials": MATERIALS,
        "due": {"date": DUE_DATE.isoformat()} if due is None else due,
        **overrides,
    }
    return msgspec.convert(body, Commit)


@pytest.mark.parametrize("actor", [ENTERPRISE, CLERK])
def test_the_case_type_commits_with_the_due_instant(actor: Actor) -> None:
    case = COMMITMENT.create(CTX, actor, COMMITTED_AT, commit_body())
    assert isinstance(case, Commitment)
    assert (case.due_date, case.due_at) == (DUE_DATE, DUE_AT)
    assert case.committed_by == actor
    assert case.enterprise == COMPANY


def test_an_enterprise_commits_only_for_itself() -> None:
    with pytest.raises(Forbidden):
        COMMITMENT.create(CTX, OTHER_ENTERPRISE, COMMITTED_AT, commit_body())


def test_a_due_date_before_the_day_of_the_commitment_is_refused() -> None:
    with pytest.raises(RuleViolated) as error:
        COMMITMENT.create(CTX, CLERK, COMMITTED_AT, commit_body({"date": "2024-09-22"}))
    assert error.value.field == "due.date"
    # the same day is fine: due at the end of its office hours
    case = COMMITMENT.create(CTX, CLERK, COMMITTED_AT, commit_body({"date": "2024-09-23"}))
    assert case.due_at == datetime(2024, 9, 23, 17, 30, tzinfo=CST)


@pytest.mark.parametrize(
    ("day", "due"),
    [
        (date(2024, 9, 27), datetime(2024, 9, 27, 17, 30, tzinfo=CST)),  # a Friday
        (date(2024, 9, 28), datetime(2024, 9, 29, 17, 30, tzinfo=CST)),  # Sat off, Sun a workday
        (date(2024, 10, 1), datetime(2024, 10, 8, 17, 30, tzinfo=CST)),  # National Day
        (date(2024, 10, 12), datetime(2024, 10, 12, 17, 30, tzinfo=CST)),  # adjusted Saturday
    ],
)
def test_a_due_date_ends_at_office_close_on_the_first_working_day_from_it(
    day: date, due: datetime
) -> None:
    assert date_due_at(CALENDAR, day) == due


@pytest.mark.parametrize(
    ("ended_on", "grace", "due"),
    [
        (date(2024, 9, 27), 0, datetime(2024, 9, 27, 17, 30, tzinfo=CST)),
        (date(2024, 9, 27), 1, datetime(2024, 9, 29, 17, 30, tzinfo=CST)),
        (ENDED_ON, GRACE, EPIDEMIC_DUE),
        (date(2024, 10, 3), 1, datetime(2024, 10, 8, 17, 30, tzinfo=CST)),
    ],
)
def test_the_epidemic_due_is_the_grace_in_working_days_after_its_end(
    ended_on: date, grace: int, due: datetime
) -> None:
    assert epidemic_due_at(CALENDAR, ended_on, grace) == due


def test_the_epidemic_end_decision_computes_the_due(waiting_for_epidemic: list[Event]) -> None:
    case = given(*waiting_for_epidemic)
    COMMITMENT.move("epidemic-ended").decide(
        CTX, case, SUPERVISOR, WHEN, EpidemicEnded(ended_on=ENDED_ON)
    )
    (event,) = case.collect_events()
    assert payload(event)["due"] == EPIDEMIC_DUE


def test_an_epidemic_end_in_the_future_is_refused(waiting_for_epidemic: list[Event]) -> None:
    case = given(*waiting_for_epidemic)
    tomorrow = (WHEN + timedelta(days=1)).date()
    with pytest.raises(RuleViolated) as error:
        COMMITMENT.move("epidemic-ended").decide(
            CTX, case, SUPERVISOR, WHEN, EpidemicEnded(ended_on=tomorrow)
        )
    assert error.value.field == "ended_on"
    then_unchanged(case, waiting_for_epidemic)
    # today is fine
    COMMITMENT.move("epidemic-ended").decide(
        CTX, case, SUPERVISOR, WHEN, EpidemicEnded(ended_on=WHEN.date())
    )
    assert len(case.collect_events()) == 1


def test_the_overdue_decision_is_the_aggregates(granted: list[Event]) -> None:
    case = given(*granted)
    with pytest.raises(MoveNotAllowed):
        COMMITMENT.move("mark-overdue").decide(CTX, case, SYSTEM, DUE_AT, MarkOverdue())
    COMMITMENT.move("mark-overdue").decide(CTX, case, SYSTEM, WHEN, MarkOverdue())
    assert case.status is Status.OVERDUE


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [
        (ENTERPRISE, True),
        (OTHER_ENTERPRISE, False),
        (Actor(id="e", role=Role.ENTERPRISE, org=None), False),
        (CLERK, True),
        (SUPERVISOR, True),
        (Actor(id="i", role=Role.INSPECTOR), True),
        (Actor(id="d", role=Role.DEPARTMENT, org="hlj-fgw"), False),
        (Actor(id="a", role=Role.ADMIN), False),
        (Actor(id="s", role=Role.SERVICE_OFFICER), False),
        (SYSTEM, True),
    ],
    ids=lambda v: f"{v.role}:{v.org}" if isinstance(v, Actor) else str(v),
)
def test_who_sees_a_commitment(viewer: Actor, sees: bool) -> None:
    assert COMMITMENT.can_see(CTX, viewer, commit()) is sees


# --- the request bodies ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "field"),
    [
        ({}, "date"),
        ({"epidemic_end": False}, "date"),
        ({"date": "2024-10-08", "epidemic_end": True, "grace_working_days": 3}, "date"),
        ({"epidemic_end": True}, "grace_working_days"),
        ({"date": "2024-10-08", "grace_working_days": 3}, "grace_working_days"),
    ],
)
def test_the_due_takes_exactly_one_form(due: dict[str, Any], field: str) -> None:
    with pytest.raises(msgspec.ValidationError) as error:
        commit_body(due)
    assert str(error.value).startswith(f"{field}: ")
    assert "$.due" in str(error.value)


def test_materials_must_be_unique_and_at_most_fifty() -> None:
    due = {"epidemic_end": True, "grace_working_days": 0}
    with pytest.raises(msgspec.ValidationError, match="materials: each material"):
        commit_body(due, materials=["a", "b", "a"])
    with pytest.raises(msgspec.ValidationError, match="length <= 50"):
        commit_body(due, materials=[f"m{i}" for i in range(51)])
    with pytest.raises(msgspec.ValidationError, match="length >= 1"):
        commit_body(due, materials=[])
    with pytest.raises(msgspec.ValidationError, match=r"length >= 1 - at `\$.materials\[1\]`"):
        commit_body(due, materials=["a", ""])
    ok = commit_body(due, materials=[f"m{i}" for i in range(50)])
    assert (ok.due.epidemic_end, ok.due.grace_working_days, len(ok.materials)) == (True, 0, 50)


def test_a_bad_credit_code_is_refused_in_the_body() -> None:
    with pytest.raises(msgspec.ValidationError, match=r"credit_code: .*\$\.enterprise"):
        commit_body(
            enterprise={"name": "x", "credit_code": CODE[:-1] + ("0" if CODE[-1] != "0" else "1")}
        )


# --- replaying and storing the recorded events ------------------------------------------

RECOMPUTE = "recompute-deadlines"


def recompute(case: Commitment, at: datetime) -> None:
    # As if the calendar had moved the due a day on: one DeadlineRecomputed event.
    moved = Deadline(case.due_at + timedelta(days=1), True)  # type: ignore[operator]
    case.recompute_deadlines(
        SYSTEM,
        at,
        [Recompute("materials", case.due_at, moved, "provisional")],  # type: ignore[arg-type]
    )


LIVES: dict[str, tuple[tuple[Step, ...], Callable[[], Commitment]]] = {
    **{status.value: (steps, commit) for status, steps in PATHS.items()},
    "epidemic-fulfilled-late": (
        (grant, supply_first, epidemic_ended, mark_overdue, supply_rest),
        commit_for_epidemic,
    ),
    "epidemic-exempted": ((epidemic_ended, grant, mark_overdue, exempt), commit_for_epidemic),
    "fulfilled-then-revoked": ((grant, supply_first, supply_rest, revoke), commit),
    "recomputed": ((grant, recompute, supply_first, supply_rest), commit),
}
MAPPER = MsgspecMapper()


def test_the_lives_record_every_event_type() -> None:
    declared = {cls.__name__ for cls in Commitment.Event.__subclasses__()} - {"Created"}
    recorded = {
        type(e).__name__ for steps, start in LIVES.values() for e in record(*steps, start=start)
    }
    assert declared == recorded


@pytest.mark.parametrize("life", LIVES)
def test_replaying_the_recorded_events_rebuilds_the_live_case(life: str) -> None:
    steps, start = LIVES[life]
    events, copies = live_and_copies(steps, start)
    for live in copies:
        replayed = given(*events[: live.version])
        assert replayed == live


@pytest.mark.parametrize("life", LIVES)
def test_every_event_and_snapshot_round_trips_through_the_store_mapper(life: str) -> None:
    steps, start = LIVES[life]
    events, copies = live_and_copies(steps, start)
    for event in events:
        decoded = MAPPER.to_domain_event(MAPPER.to_stored_event(event))
        assert vars(decoded) == vars(event)
        for key, value in vars(event).items():
            assert type(vars(decoded)[key]) is type(value), (type(event).__name__, key)
    for live in copies:
        snapshot = Snapshot.take(live)
        decoded = MAPPER.to_domain_event(MAPPER.to_stored_event(snapshot))
        assert decoded.mutate(None) == live


def test_the_epidemic_life_ends_fulfilled_late_with_its_full_record() -> None:
    steps, start = LIVES["epidemic-fulfilled-late"]
    events, copies = live_and_copies(steps, start)
    case = copies[-1]
    assert case.status is Status.FULFILLED
    assert case.epidemic_ended_on == ENDED_ON
    assert case.due_at == EPIDEMIC_DUE
    assert case.overdue_since == OVERDUE_AT
    assert case.supplied == MATERIALS
    assert [type(e).__name__ for e in events] == [
        "Committed",
        "Granted",
        "MaterialsSupplied",
        "EpidemicEnded",
        "Overdue",
        "MaterialsSupplied",
        "Fulfilled",
    ]
    assert case.version == len(events) == 7
    assert payload(events[-1])["late"] is True
