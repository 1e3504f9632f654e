"""Given/When/Then tests of who serves a project (issue 11 §6): any number of task forces
(专班), chief service officers (首席服务员) and contact leaders (领导联系), each joining and
leaving over time; the old one-of-each assignment events still replay, as the previous
member leaving and the new one joining.

The harness (`record`, `given`, `then`, `then_unchanged`) is tests/unit/test_project.py's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import msgspec
import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent

from domain import project_commands as cmd
from domain.errors import MoveNotAllowed
from domain.project import (
    PROJECT_MOVE_FROM,
    PROJECT_MOVE_ROLES,
    MemberKind,
    Membership,
    Project,
    ProjectStatus,
)
from domain.project_case import PROBLEM, PROJECT, can_see_problem, can_see_project
from domain.values import Role
from tests.gwt import given, replays, then, then_unchanged
from tests.unit.test_project import (
    MAPPER,
    OFFICER,
    OTHER_OFFICER,
    REGISTERED_AT,
    SUPERVISOR,
    WHEN,
    Context,
    raise_problem,
    record,
    register,
)

LATER = WHEN + timedelta(days=3)


class Kind:
    """One kind of member: its moves, events, body field and two members."""

    def __init__(self, kind: MemberKind, field: str, noun: str, a: str, b: str) -> None:
        self.kind, self.field, self.noun, self.a, self.b = kind, field, noun, a, b

    def join(self, case: Project, at: datetime, member: str, note: str | None = None) -> None:
        getattr(case, f"join_{self.kind.value}")(SUPERVISOR, at, note=note, **{self.field: member})

    def leave(self, case: Project, at: datetime, member: str, note: str | None = None) -> None:
        getattr(case, f"leave_{self.kind.value}")(SUPERVISOR, at, note=note, **{self.field: member})

    def assign(self, case: Project, at: datetime, member: str) -> None:
        getattr(case, f"assign_{self.kind.value}")(
            SUPERVISOR, at, note=None, **{self.field: member}
        )

    def event(self, verb: str, member: str, at: datetime, note: str | None = None) -> Any:
        return (
            f"{self.noun}{verb}",
            {"timestamp": at, "actor": SUPERVISOR, self.field: member, "note": note},
        )

    def __repr__(self) -> str:
        return self.kind.value


KINDS = [
    Kind(MemberKind.TASK_FORCE, "task_force", "TaskForce", "汽车产业专班", "招商引资专班"),
    Kind(MemberKind.OFFICER, "officer_id", "Officer", OFFICER.id, OTHER_OFFICER.id),
    Kind(MemberKind.LEADER, "leader", "Leader", "副省长 王某", "副市长 李某"),
]
LATEST = {"task_force": "task_force", "officer": "officer_id", "leader": "leader"}


def step(fn: Callable[..., None], *args: Any) -> Callable[[Any, datetime], None]:
    return lambda case, at: fn(case, at, *args)


# --- the moves' tables -----------------------------------------------------------------


def test_only_supervisors_join_and_leave_any_member_of_an_active_project() -> None:
    for kind in KINDS:
        for verb in ("join", "leave"):
            move = f"{verb}-{kind.kind.value.replace('_', '-')}"
            assert PROJECT_MOVE_ROLES[move] == {Role.SUPERVISOR}
            assert PROJECT_MOVE_FROM[move] == {ProjectStatus.ACTIVE}
            assert set(PROJECT.moves[move].roles) == {Role.SUPERVISOR}


# --- join -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_a_member_joins_with_its_date(kind: Kind) -> None:
    history = record(register)
    case = given(*history)
    kind.join(case, WHEN, kind.a, "领导联系项目")
    new = then(case, kind.event("Joined", kind.a, WHEN, "领导联系项目"))
    assert case.memberships(kind.kind) == [Membership(kind.a, WHEN)]
    assert case.current(kind.kind) == [kind.a]
    assert getattr(case, LATEST[kind.kind.value]) == kind.a
    assert case.last_reason == "领导联系项目"
    replays(history, case, new)


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_several_members_serve_at_once(kind: Kind) -> None:
    history = record(register, step(kind.join, kind.a))
    case = given(*history)
    kind.join(case, WHEN, kind.b)
    new = then(case, kind.event("Joined", kind.b, WHEN))
    assert case.current(kind.kind) == [kind.a, kind.b]
    # The single field of old clients: the one that joined last.
    assert getattr(case, LATEST[kind.kind.value]) == kind.b
    replays(history, case, new)


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_joining_a_member_that_serves_already_is_refused(kind: Kind) -> None:
    history = record(register, step(kind.join, kind.a), step(kind.join, kind.b))
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        kind.join(case, WHEN, kind.a)
    assert error.value.move == f"join-{kind.kind.value.replace('_', '-')}"
    assert error.value.why == f"{kind.a} already serves the project"
    then_unchanged(case, history)


# --- leave ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_a_member_leaves_and_its_membership_is_kept(kind: Kind) -> None:
    history = record(register, step(kind.join, kind.a), step(kind.join, kind.b))
    joined_a, joined_b = (m.joined_at for m in given(*history).memberships(kind.kind))
    case = given(*history)
    kind.leave(case, WHEN, kind.a, "工作调整")
    new = then(case, kind.event("Left", kind.a, WHEN, "工作调整"))
    assert case.memberships(kind.kind) == [
        Membership(kind.a, joined_a, WHEN),
        Membership(kind.b, joined_b),
    ]
    assert case.current(kind.kind) == [kind.b]
    replays(history, case, new)


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_the_last_member_may_leave(kind: Kind) -> None:
    history = record(register, step(kind.join, kind.a))
    case = given(*history)
    kind.leave(case, WHEN, kind.a)
    then(case, kind.event("Left", kind.a, WHEN))
    assert case.current(kind.kind) == []
    assert getattr(case, LATEST[kind.kind.value]) is None


@pytest.mark.parametrize("kind", KINDS, ids=repr)
@pytest.mark.parametrize("past", ["never joined", "left already"])
def test_leaving_a_member_that_does_not_serve_is_refused(kind: Kind, past: str) -> None:
    steps = [step(kind.join, kind.b)]
    if past == "left already":
        steps += [step(kind.join, kind.a), step(kind.leave, kind.a)]
    history = record(register, *steps)
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        kind.leave(case, WHEN, kind.a)
    assert error.value.move == f"leave-{kind.kind.value.replace('_', '-')}"
    assert error.value.why == f"{kind.a} does not serve the project"
    then_unchanged(case, history)


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_a_member_that_left_may_join_again_in_a_second_membership(kind: Kind) -> None:
    history = record(register, step(kind.join, kind.a), step(kind.leave, kind.a))
    first = given(*history).memberships(kind.kind)[0]
    assert first.left_at is not None
    case = given(*history)
    kind.join(case, WHEN, kind.a)
    new = then(case, kind.event("Joined", kind.a, WHEN))
    assert case.memberships(kind.kind) == [first, Membership(kind.a, WHEN)]
    assert case.current(kind.kind) == [kind.a]
    replays(history, case, new)


def test_the_kinds_are_apart() -> None:
    task_force, officer, leader = KINDS
    case = given(*record(register, step(task_force.join, "同名"), step(leader.join, "同名")))
    officer.join(case, WHEN, "同名")
    task_force.leave(case, LATER, "同名")
    assert (case.current(MemberKind.TASK_FORCE), case.current(MemberKind.OFFICER)) == (
        [],
        ["同名"],
    )
    assert case.current(MemberKind.LEADER) == ["同名"]


# --- the old assignments ---------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_an_assignment_is_the_previous_member_leaving_and_the_new_one_joining(
    kind: Kind,
) -> None:
    history = record(register, step(kind.assign, kind.a))
    first_at = given(*history).memberships(kind.kind)[0].joined_at
    case = given(*history)
    kind.assign(case, WHEN, kind.b)
    new = then(
        case,
        (
            f"{kind.noun}Assigned",
            {
                "timestamp": WHEN,
                "actor": SUPERVISOR,
                "previous": kind.a,
                kind.field: kind.b,
                "note": None,
            },
        ),
    )
    assert case.memberships(kind.kind) == [
        Membership(kind.a, first_at, WHEN),
        Membership(kind.b, WHEN),
    ]
    replays(history, case, new)


@pytest.mark.parametrize("kind", KINDS, ids=repr)
def test_an_assignment_is_refused_while_several_serve(kind: Kind) -> None:
    history = record(register, step(kind.join, kind.a), step(kind.join, kind.b))
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        kind.assign(case, WHEN, "第三位")
    move = kind.kind.value.replace("_", "-")
    assert error.value.move == f"assign-{move}"
    assert f"join-{move} and leave-{move}" in (error.value.why or "")
    then_unchanged(case, history)


# The stored form of events written before members joined and left (their bytes as the
# store holds them): they decode and fold as leave-previous + join-new.
OLD_EVENTS = [
    (
        "domain.project:Project.OfficerAssigned",
        {
            "timestamp": "2024-10-08T10:00:00+08:00",
            "actor": {"id": "sup-1", "role": "supervisor", "org": None},
            "previous": None,
            "officer_id": "officer-1",
            "note": None,
        },
    ),
    (
        "domain.project:Project.TaskForceAssigned",
        {
            "timestamp": "2024-10-08T11:00:00+08:00",
            "actor": {"id": "sup-1", "role": "supervisor", "org": None},
            "previous": None,
            "task_force": "汽车产业专班",
            "note": None,
        },
    ),
    (
        "domain.project:Project.LeaderAssigned",
        {
            "timestamp": "2024-10-08T12:00:00+08:00",
            "actor": {"id": "sup-1", "role": "supervisor", "org": None},
            "previous": None,
            "leader": "副省长 王某",
            "note": "领导联系项目",
        },
    ),
    (
        "domain.project:Project.OfficerAssigned",
        {
            "timestamp": "2024-10-09T09:00:00+08:00",
            "actor": {"id": "sup-2", "role": "supervisor", "org": None},
            "previous": "officer-1",
            "officer_id": "officer-2",
            "note": "工作调整",
        },
    ),
]


def test_assignment_events_stored_before_still_replay() -> None:
    registered = register()
    events = registered.collect_events()
    for version, (topic, state) in enumerate(OLD_EVENTS, start=2):
        stored = StoredEvent(
            originator_id=registered.id,
            originator_version=version,
            topic=topic,
            state=json.dumps(state, ensure_ascii=False).encode(),
        )
        events.append(MAPPER.to_domain_event(stored))
    case = given(*events)
    day = datetime.fromisoformat
    assert case.memberships(MemberKind.OFFICER) == [
        Membership("officer-1", day("2024-10-08T10:00:00+08:00"), day("2024-10-09T09:00:00+08:00")),
        Membership("officer-2", day("2024-10-09T09:00:00+08:00")),
    ]
    assert case.memberships(MemberKind.TASK_FORCE) == [
        Membership("汽车产业专班", day("2024-10-08T11:00:00+08:00"))
    ]
    assert case.current(MemberKind.LEADER) == ["副省长 王某"]
    assert (case.officer_id, case.task_force, case.leader) == (
        "officer-2",
        "汽车产业专班",
        "副省长 王某",
    )
    assert case.version == 5
    # And new moves continue the folded history.
    case.join_officer(SUPERVISOR, LATER, officer_id="officer-3", note=None)
    assert case.current(MemberKind.OFFICER) == ["officer-2", "officer-3"]


def test_a_snapshot_of_the_one_of_each_shape_is_not_used() -> None:
    """Taken before memberships: it does not decode, so the application skips it and
    replays the events (domain/application.py TolerantSnapshotStore)."""
    case = given(*record(register, step(KINDS[1].join, OFFICER.id)))
    stored = MAPPER.to_stored_event(Snapshot.take(case))
    envelope = json.loads(stored.state)
    state = envelope["state"]
    for name in ("task_forces", "officers", "leaders"):
        del state[name]
    state.update(task_force=None, officer_id=OFFICER.id, leader=None)
    old = StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(envelope, ensure_ascii=False).encode(),
    )
    with pytest.raises(MapperDeserialisationError):
        MAPPER.to_domain_event(old)
    # A snapshot in the new shape keeps every membership.
    assert MAPPER.to_domain_event(stored).mutate(None) == case


# --- who sees the project, to whom a problem escalates ----------------------------------


def test_every_current_officer_sees_the_project_and_one_that_left_does_not() -> None:
    officer = KINDS[1]
    ctx = Context()
    project = ctx.add(
        given(*record(register, step(officer.join, OFFICER.id), step(officer.join, "officer-3")))
    )
    problem = raise_problem(project_id=project.id)
    assert can_see_project(ctx, OFFICER, project)
    assert can_see_problem(ctx, OFFICER, problem)
    assert not can_see_project(ctx, OTHER_OFFICER, project)
    officer.join(project, WHEN, OTHER_OFFICER.id)
    officer.leave(project, LATER, OFFICER.id)
    assert not can_see_project(ctx, OFFICER, project)
    assert not can_see_problem(ctx, OFFICER, problem)
    assert can_see_problem(ctx, OTHER_OFFICER, problem)


def test_a_problem_escalates_to_the_leader_named_or_the_one_that_joined_last() -> None:
    leader = KINDS[2]
    ctx = Context()
    project = ctx.add(
        given(*record(register, step(leader.join, leader.a), step(leader.join, leader.b)))
    )
    escalation = PROBLEM.move("escalate")

    def problem() -> Any:
        case = raise_problem(project_id=project.id, timestamp=REGISTERED_AT)
        case.collect_events()
        return case

    by_default = problem()
    escalation.decide(ctx, by_default, SUPERVISOR, WHEN, cmd.Escalate(reason="需协调"))
    assert by_default.escalated_to == leader.b
    named = problem()
    escalation.decide(ctx, named, SUPERVISOR, WHEN, cmd.Escalate(reason="需协调", leader=leader.a))
    assert named.escalated_to == leader.a
    stranger = problem()
    with pytest.raises(MoveNotAllowed) as error:
        escalation.decide(
            ctx, stranger, SUPERVISOR, WHEN, cmd.Escalate(reason="需协调", leader="某局长")
        )
    assert error.value.why == "某局长 is not a contact leader of the project"
    assert stranger.collect_events() == []
    leader.leave(project, LATER, leader.a)
    gone = problem()
    with pytest.raises(MoveNotAllowed):
        escalation.decide(ctx, gone, SUPERVISOR, LATER, cmd.Escalate(reason="x", leader=leader.a))


def test_the_move_bodies_name_the_member_and_refuse_anything_else() -> None:
    for move, field in (
        ("join-task-force", "task_force"),
        ("leave-officer", "officer_id"),
        ("join-leader", "leader"),
    ):
        body = PROJECT.moves[move].body
        decoded = msgspec.json.decode(json.dumps({field: "某", "note": "n"}).encode(), type=body)
        assert getattr(decoded, field) == "某"
        with pytest.raises(msgspec.ValidationError, match=field):
            msgspec.json.decode(b'{"%s": ""}' % field.encode(), type=body)
        with pytest.raises(msgspec.ValidationError, match="other"):
            msgspec.json.decode(b'{"%s": "x", "other": 1}' % field.encode(), type=body)
