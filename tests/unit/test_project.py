"""Given/When/Then tests of the Project and ProjectProblem aggregates and their case
types: every move, every move the transition table forbids, who may make each move and
who sees what.

The harness is tests/gwt.py: `given(*events)` folds recorded events into an aggregate,
the `when` is one command, and `then(case, ...)` compares the exact events it recorded.
A refused move raises the named error and leaves the aggregate exactly as the given
events built it. The histories are recorded by the aggregates themselves.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import msgspec
import pytest
from eventsourcing.domain import Snapshot

from domain import project_commands as cmd
from domain.calendar import Deadline, WorkingCalendar
from domain.credit_code import check_character
from domain.deadlines import Recompute
from domain.errors import CaseNotFound, MoveNotAllowed
from domain.mapper import MsgspecMapper
from domain.project import (
    ENDED_PROBLEM_STATUSES,
    NO_LEADER,
    OPEN_PROBLEM_STATUSES,
    PROBLEM_MOVE_FROM,
    PROBLEM_MOVE_ROLES,
    PROJECT_MOVE_FROM,
    PROJECT_MOVE_ROLES,
    Classification,
    ClassificationEntry,
    CoordinationNote,
    CoordinationRole,
    Investor,
    ProblemCategory,
    ProblemStatus,
    Project,
    ProjectProblem,
    ProjectStatus,
)
from domain.project_case import PROBLEM, PROJECT, can_see_problem, can_see_project
from domain.sla import SlaPolicy, calendar_for
from domain.values import Actor, Role
from tests import gwt
from tests.gwt import given, refused, replays, then, then_unchanged

CST = timezone(timedelta(hours=8))
SLA = SlaPolicy()
CALENDAR = calendar_for(SLA)


def credit_code(first17: str) -> str:
    return first17 + check_character(first17)


CODE = credit_code("91230100MA1PRJCT0")
OTHER_CODE = credit_code("91230100MA1XYQW75")
INVESTOR = Investor(name="哈尔滨某某汽车零部件有限公司", credit_code=CODE)

CLERK = Actor(id="clerk-1", role=Role.CLERK)
SUPERVISOR = Actor(id="sup-1", role=Role.SUPERVISOR)
INSPECTOR = Actor(id="insp-1", role=Role.INSPECTOR)
OFFICER = Actor(id="officer-1", role=Role.SERVICE_OFFICER)
OTHER_OFFICER = Actor(id="officer-2", role=Role.SERVICE_OFFICER)
ENTERPRISE = Actor(id="ent-1", role=Role.ENTERPRISE, org=CODE)
OTHER_ENTERPRISE = Actor(id="ent-2", role=Role.ENTERPRISE, org=OTHER_CODE)
DEPARTMENT = Actor(id="dep-1", role=Role.DEPARTMENT, org="hlj-fgw")
ADMIN = Actor(id="admin-1", role=Role.ADMIN)
SYSTEM = Actor(id="deadline-watcher", role=Role.SYSTEM)

# Histories start on Monday 2024-09-23 and make one move an hour; WHEN comes after all.
REGISTERED_AT = datetime(2024, 9, 23, 9, 0, tzinfo=CST)
WHEN = datetime(2024, 10, 8, 10, 0, tzinfo=CST)
PROJECT_ID = UUID("0f0e0d0c-0b0a-4909-8807-060504030201")
RAISED_DUE = CALENDAR.due_at(REGISTERED_AT, 10)
REOPEN_DUE = CALENDAR.due_at(WHEN, 5)
# After RAISED_DUE (2024-10-11 17:30), and 5 working days after that (Saturday 10-12 works).
LATE = datetime(2024, 10, 12, 9, 0, tzinfo=CST)
GRACE_END = datetime(2024, 10, 18, 17, 30, tzinfo=CST)
LEADER = "副省长 王某"

AnyEvent = Any
Step = Callable[[Any, datetime], None]


# --- the harness -------------------------------------------------------------------


def register(**overrides: Any) -> Project:
    fields: dict[str, Any] = {
        "actor": CLERK,
        "timestamp": REGISTERED_AT,
        "name": "年产十万套汽车零部件项目",
        "investor": INVESTOR,
        "city": "哈尔滨市",
        "investment_cny": Decimal("1250000000.00"),
        "sector": "汽车制造",
        "classification": None,
    }
    fields.update(overrides)
    return Project(**fields)


def raise_problem(**overrides: Any) -> ProjectProblem:
    fields: dict[str, Any] = {
        "actor": ENTERPRISE,
        "timestamp": REGISTERED_AT,
        "project_id": PROJECT_ID,
        "investor_credit_code": CODE,
        "category": ProblemCategory.LAND,
        "description": "项目用地手续未办结，影响开工",
        "working_days": 10,
        "due": RAISED_DUE,
    }
    fields.update(overrides)
    return ProjectProblem(**fields)


def record(start: Callable[[], Any], *steps: Step) -> list[AnyEvent]:
    """The events of a new aggregate that went through `steps`, one an hour."""
    return gwt.record(start, steps, REGISTERED_AT)


# --- project steps ---------------------------------------------------------------------


def classify_resumed(case: Project, at: datetime) -> None:
    case.classify(CLERK, at, classification=Classification.RESUMED, note=None)


def classify_planning(case: Project, at: datetime) -> None:
    case.classify(OFFICER, at, classification=Classification.PLANNING_TO_RESUME, note="待复工")


def assign_officer(case: Project, at: datetime) -> None:
    case.assign_officer(SUPERVISOR, at, officer_id=OFFICER.id, note=None)


def assign_task_force(case: Project, at: datetime) -> None:
    case.assign_task_force(SUPERVISOR, at, task_force="汽车产业专班", note=None)


def assign_leader(case: Project, at: datetime) -> None:
    case.assign_leader(SUPERVISOR, at, leader=LEADER, note=None)


# --- problem steps ---------------------------------------------------------------------


def note(case: ProjectProblem, at: datetime) -> None:
    case.note(OFFICER, at, role=CoordinationRole.COORDINATOR, text="已协调自然资源局")


def escalate(case: ProjectProblem, at: datetime) -> None:
    case.escalate(OFFICER, at, reason="需省级协调", leader=LEADER)


def resolve(case: ProjectProblem, at: datetime) -> None:
    case.resolve(SUPERVISOR, at, solution="用地手续已办结")


def declare_unresolvable(case: ProjectProblem, at: datetime) -> None:
    case.declare_unresolvable(SUPERVISOR, at, reason="不符合国土空间规划")


PROBLEM_PATHS: dict[ProblemStatus, tuple[Step, ...]] = {
    ProblemStatus.OPEN: (),
    ProblemStatus.ESCALATED: (note, escalate),
    ProblemStatus.RESOLVED: (note, escalate, resolve),
    ProblemStatus.UNRESOLVABLE: (declare_unresolvable,),
}


def problem_in(status: ProblemStatus) -> list[AnyEvent]:
    history = record(raise_problem, *PROBLEM_PATHS[status])
    assert given(*history).status is status
    return history


# --- the transition tables ------------------------------------------------------------

# The tables of docs/api.md ("Projects and their problems"), written out independently.
DOCUMENTED_PROJECT_ROLES: dict[str, set[Role]] = {
    "register": {Role.CLERK, Role.SUPERVISOR},
    "classify": {Role.CLERK, Role.SUPERVISOR, Role.SERVICE_OFFICER},
    "assign-task-force": {Role.SUPERVISOR},
    "assign-officer": {Role.SUPERVISOR},
    "assign-leader": {Role.SUPERVISOR},
    "join-task-force": {Role.SUPERVISOR},
    "leave-task-force": {Role.SUPERVISOR},
    "join-officer": {Role.SUPERVISOR},
    "leave-officer": {Role.SUPERVISOR},
    "join-leader": {Role.SUPERVISOR},
    "leave-leader": {Role.SUPERVISOR},
}
DOCUMENTED_PROBLEM_ROLES: dict[str, set[Role]] = {
    "raise": {Role.ENTERPRISE, Role.SERVICE_OFFICER, Role.CLERK},
    "note": {Role.SERVICE_OFFICER},
    "escalate": {Role.SERVICE_OFFICER, Role.SUPERVISOR},
    "resolve": {Role.SERVICE_OFFICER, Role.SUPERVISOR},
    "declare-unresolvable": {Role.SERVICE_OFFICER, Role.SUPERVISOR},
    "reopen": {Role.SUPERVISOR},
    "remind": {Role.SYSTEM, Role.SUPERVISOR},
    "escalate-deadline": {Role.SYSTEM},
}
OPEN, ESCALATED = ProblemStatus.OPEN, ProblemStatus.ESCALATED
RESOLVED, UNRESOLVABLE = ProblemStatus.RESOLVED, ProblemStatus.UNRESOLVABLE
DOCUMENTED_PROBLEM_FROM: dict[str, set[ProblemStatus]] = {
    "note": {OPEN, ESCALATED},
    "escalate": {OPEN},
    "resolve": {OPEN, ESCALATED},
    "declare-unresolvable": {OPEN, ESCALATED},
    "reopen": {RESOLVED, UNRESOLVABLE},
    "remind": {OPEN, ESCALATED},
    "escalate-deadline": {OPEN, ESCALATED},
}


def test_the_tables_are_the_documented_ones() -> None:
    assert PROJECT_MOVE_ROLES == DOCUMENTED_PROJECT_ROLES
    assert PROBLEM_MOVE_ROLES == DOCUMENTED_PROBLEM_ROLES
    assert PROBLEM_MOVE_FROM == DOCUMENTED_PROBLEM_FROM
    always = {move: {ProjectStatus.ACTIVE} for move in cmd.PROJECT_MOVES}
    assert always == PROJECT_MOVE_FROM
    assert set(PROBLEM_MOVE_FROM) == set(cmd.PROBLEM_MOVES)
    assert set(OPEN_PROBLEM_STATUSES | ENDED_PROBLEM_STATUSES) == set(ProblemStatus)


def test_the_case_types_use_the_tables() -> None:
    assert PROJECT.create_roles == PROJECT_MOVE_ROLES["register"]
    assert PROBLEM.create_roles == PROBLEM_MOVE_ROLES["raise"]
    assert {name: m.roles for name, m in PROJECT.moves.items()} == {
        name: roles for name, roles in PROJECT_MOVE_ROLES.items() if name != "register"
    }
    # (recompute-deadlines: the system's move when the calendar changes, domain/deadlines.py)
    assert {
        name: m.roles for name, m in PROBLEM.moves.items() if name != "recompute-deadlines"
    } == {name: roles for name, roles in PROBLEM_MOVE_ROLES.items() if name != "raise"}
    readers = {Role.ENTERPRISE, Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR, Role.SERVICE_OFFICER}
    assert PROJECT.read_roles == PROBLEM.read_roles == readers
    assert (PROJECT.plural, PROBLEM.plural) == ("projects", "problems")


def test_the_vocabularies() -> None:
    assert [c.value for c in Classification] == [
        "never_stopped",
        "resumed",
        "planning_to_resume",
        "newly_signed",
    ]
    assert [c.value for c in ProblemCategory] == [
        "land",
        "approval",
        "financing",
        "labour",
        "logistics",
        "supplies",
        "other",
    ]
    assert [r.value for r in CoordinationRole] == [
        "coordinator",
        "informer",
        "liaison",
        "service_officer",
        "supervisor",
    ]


# --- project: register and classify ---------------------------------------------------


def test_register_without_a_class() -> None:
    case = register()
    (registered,) = then(
        case,
        (
            "Registered",
            {
                "timestamp": REGISTERED_AT,
                "originator_topic": "domain.project:Project",
                "actor": CLERK,
                "name": "年产十万套汽车零部件项目",
                "investor": INVESTOR,
                "city": "哈尔滨市",
                "investment_cny": Decimal("1250000000.00"),
                "sector": "汽车制造",
                "classification": None,
            },
        ),
    )
    assert case.status is ProjectStatus.ACTIVE
    assert case.classification is None
    assert case.classification_history == []
    assert (case.task_force, case.officer_id, case.leader) == (None, None, None)
    assert (case.registered_by, case.registered_at) == (CLERK, REGISTERED_AT)
    assert case == given(registered)


def test_register_with_a_class_starts_its_history() -> None:
    case = register(actor=SUPERVISOR, classification=Classification.NEVER_STOPPED)
    (registered,) = case.collect_events()
    assert registered.classification is Classification.NEVER_STOPPED
    assert case.classification is Classification.NEVER_STOPPED
    assert case.classification_history == [
        ClassificationEntry(Classification.NEVER_STOPPED, REGISTERED_AT)
    ]


def test_first_classification() -> None:
    history = record(register)
    case = given(*history)
    case.classify(CLERK, WHEN, classification=Classification.NEWLY_SIGNED, note="新签约")
    new = then(
        case,
        (
            "Reclassified",
            {
                "timestamp": WHEN,
                "actor": CLERK,
                "previous": None,
                "classification": Classification.NEWLY_SIGNED,
                "note": "新签约",
            },
        ),
    )
    assert case.classification is Classification.NEWLY_SIGNED
    assert case.classification_history == [ClassificationEntry(Classification.NEWLY_SIGNED, WHEN)]
    assert case.last_reason == "新签约"
    replays(history, case, new)


def test_reclassification_keeps_the_history() -> None:
    history = record(register, classify_resumed, classify_planning)
    case = given(*history)
    before = list(case.classification_history)
    case.classify(OFFICER, WHEN, classification=Classification.RESUMED, note=None)
    new = then(
        case,
        (
            "Reclassified",
            {
                "timestamp": WHEN,
                "actor": OFFICER,
                "previous": Classification.PLANNING_TO_RESUME,
                "classification": Classification.RESUMED,
                "note": None,
            },
        ),
    )
    assert case.classification_history == [
        *before,
        ClassificationEntry(Classification.RESUMED, WHEN),
    ]
    assert [e.classification for e in case.classification_history] == [
        Classification.RESUMED,
        Classification.PLANNING_TO_RESUME,
        Classification.RESUMED,
    ]
    replays(history, case, new)


@pytest.mark.parametrize("current", list(Classification))
def test_classifying_to_the_same_class_is_refused(current: Classification) -> None:
    history = [*register(classification=current).collect_events()]
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        case.classify(SUPERVISOR, WHEN, classification=current, note=None)
    assert refused(error) == ("classify", "active", f"the project is already {current}")
    then_unchanged(case, history)


# --- project: assignments --------------------------------------------------------------

ASSIGNMENTS: dict[str, tuple[str, str, Callable[..., None], Step]] = {
    # move: (event, field, command, the step that assigns the first value)
    "assign-task-force": (
        "TaskForceAssigned",
        "task_force",
        lambda case, at, value, note: case.assign_task_force(
            SUPERVISOR, at, task_force=value, note=note
        ),
        assign_task_force,
    ),
    "assign-officer": (
        "OfficerAssigned",
        "officer_id",
        lambda case, at, value, note: case.assign_officer(
            SUPERVISOR, at, officer_id=value, note=note
        ),
        assign_officer,
    ),
    "assign-leader": (
        "LeaderAssigned",
        "leader",
        lambda case, at, value, note: case.assign_leader(SUPERVISOR, at, leader=value, note=note),
        assign_leader,
    ),
}


@pytest.mark.parametrize("move", ASSIGNMENTS)
def test_first_assignment(move: str) -> None:
    event_name, attribute, command, _ = ASSIGNMENTS[move]
    history = record(register)
    case = given(*history)
    command(case, WHEN, "新值", None)
    new = then(
        case,
        (
            event_name,
            {
                "timestamp": WHEN,
                "actor": SUPERVISOR,
                "previous": None,
                attribute: "新值",
                "note": None,
            },
        ),
    )
    assert getattr(case, attribute) == "新值"
    replays(history, case, new)


@pytest.mark.parametrize("move", ASSIGNMENTS)
def test_replacement_records_the_previous_one(move: str) -> None:
    event_name, attribute, command, first = ASSIGNMENTS[move]
    history = record(register, first)
    case = given(*history)
    previous = getattr(case, attribute)
    assert previous is not None
    command(case, WHEN, "接任者", "工作调整")
    new = then(
        case,
        (
            event_name,
            {
                "timestamp": WHEN,
                "actor": SUPERVISOR,
                "previous": previous,
                attribute: "接任者",
                "note": "工作调整",
            },
        ),
    )
    assert getattr(case, attribute) == "接任者"
    assert case.last_reason == "工作调整"
    replays(history, case, new)


@pytest.mark.parametrize("move", ASSIGNMENTS)
def test_assigning_the_same_one_again_is_refused(move: str) -> None:
    _, attribute, command, first = ASSIGNMENTS[move]
    history = record(register, first)
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        command(case, WHEN, getattr(case, attribute), None)
    assert error.value.move == move
    assert error.value.status == ProjectStatus.ACTIVE
    assert error.value.why
    then_unchanged(case, history)


def test_assignments_leave_the_class_alone() -> None:
    case = given(*record(register, classify_resumed, assign_officer, assign_task_force))
    assert case.classification is Classification.RESUMED
    assert len(case.classification_history) == 1
    assert (case.officer_id, case.task_force) == (OFFICER.id, "汽车产业专班")


# --- problem: raise and the officer's notes --------------------------------------------


def test_raise() -> None:
    case = raise_problem(category=ProblemCategory.FINANCING)
    (raised,) = then(
        case,
        (
            "Raised",
            {
                "timestamp": REGISTERED_AT,
                "originator_topic": "domain.project:ProjectProblem",
                "actor": ENTERPRISE,
                "project_id": PROJECT_ID,
                "investor_credit_code": CODE,
                "category": ProblemCategory.FINANCING,
                "description": "项目用地手续未办结，影响开工",
                "working_days": 10,
                "due": RAISED_DUE,
                "due_provisional": None,
            },
        ),
    )
    assert case.status is ProblemStatus.OPEN
    assert case.is_open
    assert (case.raised_by, case.raised_at, case.due_at) == (ENTERPRISE, REGISTERED_AT, RAISED_DUE)
    assert case.notes == []
    assert (case.escalated, case.reopen_count) == (False, 0)
    assert case == given(raised)


@pytest.mark.parametrize("status", sorted(OPEN_PROBLEM_STATUSES))
@pytest.mark.parametrize("role", list(CoordinationRole))
def test_note_in_every_role(status: ProblemStatus, role: CoordinationRole) -> None:
    history = problem_in(status)
    case = given(*history)
    before = copy.deepcopy(case)
    case.note(OFFICER, WHEN, role=role, text="已联系企业核实")
    new = then(
        case,
        ("Noted", {"timestamp": WHEN, "actor": OFFICER, "role": role, "text": "已联系企业核实"}),
    )
    assert case.notes == [
        *before.notes,
        CoordinationNote(role=role, text="已联系企业核实", by=OFFICER.id, at=WHEN),
    ]
    assert (case.status, case.due_at) == (before.status, before.due_at)
    replays(history, case, new)


# --- problem: escalate, resolve, declare unresolvable, reopen --------------------------


def test_escalate_to_the_contact_leader() -> None:
    history = problem_in(OPEN)
    case = given(*history)
    case.escalate(SUPERVISOR, WHEN, reason="跨部门难以协调", leader=LEADER)
    new = then(
        case,
        (
            "Escalated",
            {"timestamp": WHEN, "actor": SUPERVISOR, "reason": "跨部门难以协调", "leader": LEADER},
        ),
    )
    assert case.status is ProblemStatus.ESCALATED
    assert (case.escalated, case.escalated_to, case.escalated_at) == (True, LEADER, WHEN)
    assert case.due_at == RAISED_DUE
    assert case.last_reason == "跨部门难以协调"
    replays(history, case, new)


def test_escalate_without_a_contact_leader_is_refused() -> None:
    history = problem_in(OPEN)
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        case.escalate(OFFICER, WHEN, reason="需省级协调", leader=None)
    assert refused(error) == ("escalate", ProblemStatus.OPEN, NO_LEADER)
    then_unchanged(case, history)


@pytest.mark.parametrize("status", sorted(OPEN_PROBLEM_STATUSES))
@pytest.mark.parametrize("actor", [OFFICER, SUPERVISOR], ids=lambda a: a.role)
def test_resolve(status: ProblemStatus, actor: Actor) -> None:
    history = problem_in(status)
    case = given(*history)
    case.resolve(actor, WHEN, solution="协调银行完成授信")
    new = then(
        case, ("Resolved", {"timestamp": WHEN, "actor": actor, "solution": "协调银行完成授信"})
    )
    assert case.status is ProblemStatus.RESOLVED
    assert (case.solution, case.resolved_at, case.closed_at) == ("协调银行完成授信", WHEN, WHEN)
    assert case.due_at is None
    assert not case.is_open
    assert case.escalated is (status is ESCALATED)
    replays(history, case, new)


@pytest.mark.parametrize("status", sorted(OPEN_PROBLEM_STATUSES))
@pytest.mark.parametrize("actor", [OFFICER, SUPERVISOR], ids=lambda a: a.role)
def test_declare_unresolvable(status: ProblemStatus, actor: Actor) -> None:
    history = problem_in(status)
    case = given(*history)
    case.declare_unresolvable(actor, WHEN, reason="涉及生态红线")
    new = then(
        case,
        ("DeclaredUnresolvable", {"timestamp": WHEN, "actor": actor, "reason": "涉及生态红线"}),
    )
    assert case.status is ProblemStatus.UNRESOLVABLE
    assert (case.unresolvable_reason, case.closed_at, case.resolved_at) == (
        "涉及生态红线",
        WHEN,
        None,
    )
    assert case.due_at is None
    assert case.solution is None
    replays(history, case, new)


@pytest.mark.parametrize("status", sorted(ENDED_PROBLEM_STATUSES))
def test_reopen(status: ProblemStatus) -> None:
    history = problem_in(status)
    case = given(*history)
    was_escalated = case.escalated
    case.reopen(SUPERVISOR, WHEN, reason="企业反映问题仍存在", working_days=5, due=REOPEN_DUE)
    new = then(
        case,
        (
            "Reopened",
            {
                "timestamp": WHEN,
                "actor": SUPERVISOR,
                "reason": "企业反映问题仍存在",
                "working_days": 5,
                "due": REOPEN_DUE,
                "due_provisional": False,
            },
        ),
    )
    assert case.status is ProblemStatus.OPEN
    assert (case.due_at, case.working_days, case.reopen_count) == (REOPEN_DUE, 5, 1)
    assert (case.solution, case.resolved_at, case.unresolvable_reason, case.closed_at) == (
        None,
        None,
        None,
        None,
    )
    assert case.escalated is was_escalated  # it was escalated once, whatever comes next
    assert case.last_reason == "企业反映问题仍存在"
    replays(history, case, new)


def test_a_reopened_problem_may_be_escalated_and_ended_again() -> None:
    def reopen(case: ProjectProblem, at: datetime) -> None:
        case.reopen(SUPERVISOR, at, reason="仍未解决", working_days=3, due=REOPEN_DUE)

    history = record(raise_problem, escalate, resolve, reopen, escalate, declare_unresolvable)
    case = given(*history)
    assert case.status is ProblemStatus.UNRESOLVABLE
    assert case.reopen_count == 1
    reopen(case, WHEN)
    assert case.reopen_count == 2
    assert [type(e).__name__ for e in case.collect_events()] == ["Reopened"]


# --- every move the table forbids ------------------------------------------------------

# Each move made by an actor allowed to make it, so only the status refuses.
PROBLEM_MOVES: dict[str, Callable[[ProjectProblem], None]] = {
    "note": lambda case: case.note(OFFICER, WHEN, role=CoordinationRole.LIAISON, text="联络"),
    "escalate": lambda case: case.escalate(OFFICER, WHEN, reason="需协调", leader=LEADER),
    "resolve": lambda case: case.resolve(OFFICER, WHEN, solution="已解决"),
    "declare-unresolvable": lambda case: case.declare_unresolvable(OFFICER, WHEN, reason="无法"),
    "reopen": lambda case: case.reopen(
        SUPERVISOR, WHEN, reason="重新办理", working_days=5, due=REOPEN_DUE
    ),
    "remind": lambda case: case.remind(SYSTEM, LATE, escalate_after=GRACE_END),
    "escalate-deadline": lambda case: case.escalate_deadline(SYSTEM, GRACE_END),
}
FORBIDDEN = [
    (move, status)
    for move, allowed in PROBLEM_MOVE_FROM.items()
    for status in ProblemStatus
    if status not in allowed
]


def test_every_move_of_the_table_is_exercised() -> None:
    assert set(PROBLEM_MOVES) == set(PROBLEM_MOVE_FROM)
    assert len(FORBIDDEN) == 15


@pytest.mark.parametrize(("move", "status"), FORBIDDEN, ids=[f"{m}-{s}" for m, s in FORBIDDEN])
def test_a_move_the_table_forbids_is_refused(move: str, status: ProblemStatus) -> None:
    history = problem_in(status)
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        PROBLEM_MOVES[move](case)
    assert refused(error) == (move, status, None)
    assert str(error.value) == f"'{move}' is not allowed while the case is {status}"
    then_unchanged(case, history)


@pytest.mark.parametrize("status", [ESCALATED, RESOLVED, UNRESOLVABLE])
def test_escalating_without_a_leader_where_the_status_forbids_it_names_the_status(
    status: ProblemStatus,
) -> None:
    history = problem_in(status)
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        case.escalate(OFFICER, WHEN, reason="需协调", leader=None)
    assert refused(error) == ("escalate", status, None)
    then_unchanged(case, history)


# --- the case types: who creates, who sees, what the decisions look up ----------------


@dataclass
class Context:
    """The CaseContext decisions get, with an in-memory store of other aggregates."""

    calendar: WorkingCalendar = CALENDAR
    sla: SlaPolicy = SLA
    cases: dict[UUID, Any] = field(default_factory=dict)

    def load(self, case_id: UUID) -> Any:
        if case_id not in self.cases:
            raise CaseNotFound(f"no case {case_id}")
        return self.cases[case_id]

    def add(self, case: Any) -> Any:
        case.collect_events()
        self.cases[case.id] = case
        return case


def project_with(*steps: Step) -> Project:
    return given(*record(register, *steps))


def test_register_through_the_case_type() -> None:
    body = msgspec.json.decode(
        b'{"name": "p", "investor": {"name": "i", "credit_code": "%s"}, "city": "c",'
        b' "investment_cny": 12, "sector": "s", "classification": "resumed"}' % CODE.encode(),
        type=cmd.RegisterProject,
    )
    case = PROJECT.create(Context(), SUPERVISOR, WHEN, body)
    assert isinstance(case, Project)
    assert case.investment_cny == Decimal("12.00")
    assert str(case.investment_cny) == "12.00"
    assert case.investor == Investor(name="i", credit_code=CODE)
    assert case.classification_history == [ClassificationEntry(Classification.RESUMED, WHEN)]


VISIBILITY = [
    (CLERK, True),
    (SUPERVISOR, True),
    (INSPECTOR, True),
    (ENTERPRISE, True),
    (OTHER_ENTERPRISE, False),
    (Actor(id="ent-3", role=Role.ENTERPRISE, org=None), False),
    (OFFICER, True),
    (OTHER_OFFICER, False),
    (DEPARTMENT, False),
    (ADMIN, False),
    (SYSTEM, True),  # the deadline watcher
]


@pytest.mark.parametrize(("actor", "sees"), VISIBILITY, ids=lambda v: str(v))
def test_who_sees_a_project_and_its_problems(actor: Actor, sees: bool) -> None:
    ctx = Context()
    project = ctx.add(project_with(assign_officer))
    problem = raise_problem(project_id=project.id)
    assert can_see_project(ctx, actor, project) is sees
    assert can_see_problem(ctx, actor, problem) is sees


def test_a_project_without_an_officer_is_seen_by_no_service_officer() -> None:
    ctx = Context()
    project = ctx.add(project_with())
    assert not can_see_project(ctx, Actor(id="", role=Role.SERVICE_OFFICER), project)
    assert not can_see_problem(ctx, OFFICER, raise_problem(project_id=project.id))


def test_a_replaced_officer_loses_the_project_and_its_problems_at_once() -> None:
    ctx = Context()
    project = ctx.add(project_with(assign_officer))
    problem = raise_problem(project_id=project.id)
    assert can_see_problem(ctx, OFFICER, problem)
    project.assign_officer(SUPERVISOR, WHEN, officer_id=OTHER_OFFICER.id, note="轮换")
    assert not can_see_project(ctx, OFFICER, project)
    assert not can_see_problem(ctx, OFFICER, problem)
    assert can_see_problem(ctx, OTHER_OFFICER, problem)


def raise_body(project_id: UUID, working_days: int | None = None) -> cmd.RaiseProblem:
    return cmd.RaiseProblem(
        project_id=project_id,
        category=ProblemCategory.LABOUR,
        description="用工缺口二百人",
        working_days=working_days,
    )


@pytest.mark.parametrize("actor", [ENTERPRISE, OFFICER, CLERK], ids=lambda a: a.role)
def test_raise_through_the_case_type(actor: Actor) -> None:
    ctx = Context()
    project = ctx.add(project_with(assign_officer))
    problem = PROBLEM.create(ctx, actor, WHEN, raise_body(project.id))
    assert isinstance(problem, ProjectProblem)
    assert (problem.project_id, problem.investor_credit_code) == (project.id, CODE)
    assert problem.raised_by == actor
    assert problem.working_days == SLA.problem_working_days
    assert problem.due_at == CALENDAR.due_at(WHEN, SLA.problem_working_days)
    # Tuesday 10-08 + 10 working days, Saturday 10-12 being one (2024 National Day swap)
    assert problem.due_at == datetime(2024, 10, 21, 17, 30, tzinfo=CST)
    given_days = PROBLEM.create(ctx, actor, WHEN, raise_body(project.id, 2))
    assert given_days.working_days == 2
    assert given_days.due_at == datetime(2024, 10, 10, 17, 30, tzinfo=CST)


@pytest.mark.parametrize("actor", [OTHER_ENTERPRISE, OTHER_OFFICER], ids=lambda a: a.id)
def test_raising_for_a_project_the_actor_does_not_see_is_not_found(actor: Actor) -> None:
    ctx = Context()
    project = ctx.add(project_with(assign_officer))
    with pytest.raises(CaseNotFound):
        PROBLEM.create(ctx, actor, WHEN, raise_body(project.id))


def test_raising_for_no_project_is_not_found() -> None:
    ctx = Context()
    problem = ctx.add(raise_problem())
    for missing in (uuid4(), problem.id):  # nothing at all, or not a project
        with pytest.raises(CaseNotFound, match="no project"):
            PROBLEM.create(ctx, CLERK, WHEN, raise_body(missing))


def test_escalation_goes_to_the_projects_current_leader() -> None:
    ctx = Context()
    project = ctx.add(project_with())
    problem = raise_problem(project_id=project.id)
    problem.collect_events()
    escalation = PROBLEM.move("escalate")
    with pytest.raises(MoveNotAllowed) as error:
        escalation.decide(ctx, problem, SUPERVISOR, WHEN, cmd.Escalate(reason="需协调"))
    assert error.value.why == NO_LEADER
    project.assign_leader(SUPERVISOR, WHEN, leader=LEADER, note=None)
    escalation.decide(ctx, problem, SUPERVISOR, WHEN, cmd.Escalate(reason="需协调"))
    assert problem.escalated_to == LEADER


def test_reopen_through_the_case_type_counts_the_working_days_again() -> None:
    ctx = Context()
    problem = given(*problem_in(RESOLVED))
    PROBLEM.move("reopen").decide(ctx, problem, SUPERVISOR, WHEN, cmd.Reopen(reason="仍存在"))
    assert problem.working_days == SLA.problem_working_days
    assert problem.due_at == CALENDAR.due_at(WHEN, SLA.problem_working_days)


# --- the stored form: every event and every state round-trips -------------------------

MAPPER = MsgspecMapper()


def _lives() -> list[tuple[list[AnyEvent], Any]]:
    def members_come_and_go(case: Project, at: datetime) -> None:
        case.join_officer(SUPERVISOR, at, officer_id=OTHER_OFFICER.id, note=None)
        case.leave_officer(SUPERVISOR, at, officer_id=OFFICER.id, note="轮换")
        case.join_task_force(SUPERVISOR, at, task_force="招商专班", note=None)
        case.leave_task_force(SUPERVISOR, at, task_force="招商专班", note=None)
        case.join_leader(SUPERVISOR, at, leader="副市长 李某", note=None)
        case.leave_leader(SUPERVISOR, at, leader=LEADER, note=None)

    project = record(
        register,
        classify_resumed,
        classify_planning,
        assign_task_force,
        assign_officer,
        assign_leader,
        members_come_and_go,
    )

    def reopen(case: ProjectProblem, at: datetime) -> None:
        case.reopen(SUPERVISOR, at, reason="仍存在", working_days=3, due=REOPEN_DUE)

    def remind(case: ProjectProblem, at: datetime) -> None:
        case.remind(SYSTEM, LATE, escalate_after=GRACE_END)

    def escalate_deadline(case: ProjectProblem, at: datetime) -> None:
        case.escalate_deadline(SYSTEM, GRACE_END)

    def recompute(case: ProjectProblem, at: datetime) -> None:
        moved = Deadline(case.due_at + timedelta(days=1), True)  # type: ignore[operator]
        change = Recompute("resolution", case.due_at, moved, "provisional")  # type: ignore[arg-type]
        case.recompute_deadlines(SYSTEM, at, [change])

    problem = record(
        raise_problem, note, escalate, resolve, reopen, recompute, note, declare_unresolvable
    )
    overdue = record(raise_problem, remind, escalate, escalate_deadline, resolve)
    return [(project, given(*project)), (problem, given(*problem)), (overdue, given(*overdue))]


def test_every_event_and_snapshot_round_trips_through_the_mapper() -> None:
    names: set[str] = set()
    for events, final in _lives():
        case = None
        for domain_event in events:
            decoded = MAPPER.to_domain_event(MAPPER.to_stored_event(domain_event))
            assert vars(decoded) == vars(domain_event)
            names.add(type(decoded).__name__)
            case = decoded.mutate(case)
            snapshot = MAPPER.to_domain_event(MAPPER.to_stored_event(Snapshot.take(case)))
            rebuilt = snapshot.mutate(None)
            assert rebuilt == case
        assert case == final
    declared = {
        cls.__name__
        for agg in (Project, ProjectProblem)
        for cls in agg.Event.__subclasses__()
        if cls.__name__ != "Created"
    }
    assert names == declared
    project = _lives()[0][1]
    assert type(project.investment_cny) is Decimal
    assert type(project.classification_history[0]) is ClassificationEntry
