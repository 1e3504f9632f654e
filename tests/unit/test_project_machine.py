"""Hypothesis state machines for ProjectProblem and for a Project's class and members.

One rule per command, the actor drawn among the roles that may ever make the move. A
small model predicts every outcome from the transition table (PROBLEM_MOVE_FROM) and the
documented targets: an allowed move records exactly one event and lands in the modeled
state; any other raises MoveNotAllowed and changes nothing. The deadline watcher's moves
(remind, escalate-deadline) are rules too, made by the system actor at any time.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.errors import MoveNotAllowed
from domain.project import (
    ENDED_PROBLEM_STATUSES,
    MEMBER_ATTRIBUTE,
    MEMBER_MOVE,
    NO_LEADER,
    OPEN_PROBLEM_STATUSES,
    PROBLEM_MOVE_FROM,
    PROBLEM_MOVE_ROLES,
    Classification,
    ClassificationEntry,
    CoordinationRole,
    MemberKind,
    Membership,
    ProblemStatus,
    Project,
    ProjectProblem,
)
from domain.values import Actor, Role
from tests.gwt import given
from tests.unit.test_project import (
    CALENDAR,
    LEADER,
    OFFICER,
    REGISTERED_AT,
    SUPERVISOR,
    SYSTEM,
    raise_problem,
    register,
)

steps = st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=3))
# The watcher's waits: sometimes past the due (10 working days) or a reminder's grace.
waits = st.one_of(steps, st.timedeltas(min_value=timedelta(days=3), max_value=timedelta(days=12)))


def actors_for(move: str) -> st.SearchStrategy[Actor]:
    return st.sampled_from(
        [Actor(id=f"{role}-user", role=role) for role in sorted(PROBLEM_MOVE_ROLES[move])]
    )


class Machine(RuleBasedStateMachine):
    """What both machines share: a clock, the recorded events, the one-move check."""

    case: ProjectProblem | Project
    first: list[Any]

    def __init__(self) -> None:
        super().__init__()
        self.now = REGISTERED_AT
        self.recorded: list[Any] = []

    def tick(self, step: timedelta) -> datetime:
        self.now += step
        return self.now

    def make(self, move: str, call: Callable[[], None], *, allowed: bool, why: str | None) -> bool:
        """Make the move: one event when `allowed`, else MoveNotAllowed(move, status, why)
        and nothing changes."""
        version, status = self.case.version, self.case.status
        if allowed:
            call()
            new = self.case.collect_events()
            assert len(new) == 1
            assert new[0].originator_version == version + 1
            self.recorded += new
            event(f"{move} recorded")
            return True
        with pytest.raises(MoveNotAllowed) as error:
            call()
        assert (error.value.move, error.value.status, error.value.why) == (move, status, why)
        assert (self.case.version, self.case.status) == (version, status)
        assert self.case.collect_events() == []
        event(f"{move} refused")
        return False

    @invariant()
    def version_counts_every_event(self) -> None:
        assert self.case.version == 1 + len(self.recorded)
        last = self.recorded[-1].timestamp if self.recorded else REGISTERED_AT
        assert self.case.modified_on == last

    @invariant()
    def replaying_every_event_rebuilds_the_case(self) -> None:
        assert given(*self.first, *self.recorded) == self.case


class ProblemMachine(Machine):
    def __init__(self) -> None:
        super().__init__()
        self.case = raise_problem(due=CALENDAR.due_at(REGISTERED_AT, 10))
        self.first = list(self.case.collect_events())
        # the model
        self.status = ProblemStatus.OPEN
        self.due: datetime | None = self.case.due_at
        self.escalated = False
        self.escalated_to: str | None = None
        self.notes = 0
        self.reopen_count = 0
        self.reminded_due: datetime | None = None
        self.escalate_after: datetime | None = None
        self.escalated_due: datetime | None = None
        self.reminders = 0

    def allowed(self, move: str) -> bool:
        return self.status in PROBLEM_MOVE_FROM[move]

    @initialize(start=st.sampled_from(["open", "escalated", "resolved", "unresolvable"]))
    def start(self, start: str) -> None:
        """Begin in any status, so every move is tried in every status early."""
        hour = timedelta(hours=1)
        if start == "escalated":
            self.escalate(SUPERVISOR, "需协调", LEADER, hour)
        elif start == "resolved":
            self.resolve(OFFICER, hour)
        elif start == "unresolvable":
            self.declare_unresolvable(SUPERVISOR, hour)
        assert self.status.value == start

    @rule(
        actor=actors_for("note"),
        role=st.sampled_from(list(CoordinationRole)),
        step=steps,
    )
    def note(self, actor: Actor, role: CoordinationRole, step: timedelta) -> None:
        at = self.tick(step)
        if self.make(
            "note",
            lambda: self.case.note(actor, at, role=role, text="已协调"),
            allowed=self.allowed("note"),
            why=None,
        ):
            self.notes += 1

    @rule(
        actor=actors_for("escalate"),
        reason=st.sampled_from(["需省级协调", "跨部门"]),
        leader=st.sampled_from([LEADER, None, "另一位领导"]),
        step=steps,
    )
    def escalate(self, actor: Actor, reason: str, leader: str | None, step: timedelta) -> None:
        at = self.tick(step)
        allowed = self.allowed("escalate") and leader is not None
        why = NO_LEADER if self.allowed("escalate") and leader is None else None
        if self.make(
            "escalate",
            lambda: self.case.escalate(actor, at, reason=reason, leader=leader),
            allowed=allowed,
            why=why,
        ):
            self.status = ProblemStatus.ESCALATED
            self.escalated = True
            self.escalated_to = leader

    @rule(actor=actors_for("resolve"), step=steps)
    def resolve(self, actor: Actor, step: timedelta) -> None:
        at = self.tick(step)
        if self.make(
            "resolve",
            lambda: self.case.resolve(actor, at, solution="已解决"),
            allowed=self.allowed("resolve"),
            why=None,
        ):
            self.status = ProblemStatus.RESOLVED
            self.due = None

    @rule(actor=actors_for("declare-unresolvable"), step=steps)
    def declare_unresolvable(self, actor: Actor, step: timedelta) -> None:
        at = self.tick(step)
        if self.make(
            "declare-unresolvable",
            lambda: self.case.declare_unresolvable(actor, at, reason="无法解决"),
            allowed=self.allowed("declare-unresolvable"),
            why=None,
        ):
            self.status = ProblemStatus.UNRESOLVABLE
            self.due = None

    @rule(actor=actors_for("reopen"), working_days=st.integers(0, 15), step=steps)
    def reopen(self, actor: Actor, working_days: int, step: timedelta) -> None:
        at = self.tick(step)
        due = CALENDAR.due_at(at, working_days)
        if self.make(
            "reopen",
            lambda: self.case.reopen(
                actor, at, reason="仍未解决", working_days=working_days, due=due
            ),
            allowed=self.allowed("reopen"),
            why=None,
        ):
            self.status = ProblemStatus.OPEN
            self.due = due
            self.reopen_count += 1

    def overdue_refusal(self, at: datetime) -> str | None:
        """Why a watcher's move is refused although the status allows it (due passed?)."""
        if self.due is None or at <= self.due:
            return "the deadline has not passed"
        return None

    @rule(step=waits)
    def remind(self, step: timedelta) -> None:
        at = self.tick(step)
        escalate_after = CALENDAR.due_at(at, 5)
        why = self.overdue_refusal(at)
        if why is None and self.reminded_due == self.due:
            why = "this deadline was already reminded"
        allowed = self.allowed("remind")
        if self.make(
            "remind",
            lambda: self.case.remind(SYSTEM, at, escalate_after=escalate_after),
            allowed=allowed and why is None,
            why=why if allowed else None,
        ):
            self.reminded_due, self.escalate_after = self.due, escalate_after
            self.reminders += 1

    @rule(step=waits)
    def escalate_deadline(self, step: timedelta) -> None:
        at = self.tick(step)
        why = self.overdue_refusal(at)
        if why is None and (self.reminded_due != self.due or self.escalate_after is None):
            why = "this deadline was not reminded yet"
        elif why is None and self.escalated_due == self.due:
            why = "this deadline was already escalated"
        elif why is None and self.escalate_after is not None and at < self.escalate_after:
            why = "the reminder's grace has not run out"
        allowed = self.allowed("escalate-deadline")
        if self.make(
            "escalate-deadline",
            lambda: self.case.escalate_deadline(SYSTEM, at),
            allowed=allowed and why is None,
            why=why if allowed else None,
        ):
            self.escalated_due = self.due

    @invariant()
    def state_is_the_modeled_one(self) -> None:
        case = self.case
        assert isinstance(case, ProjectProblem)
        assert case.status is self.status
        assert case.due_at == self.due
        assert (case.escalated, case.escalated_to) == (self.escalated, self.escalated_to)
        assert len(case.notes) == self.notes
        assert case.reopen_count == self.reopen_count
        assert (case.reminded_due, case.escalate_after, case.escalated_due) == (
            self.reminded_due,
            self.escalate_after,
            self.escalated_due,
        )
        assert case.reminders == self.reminders

    @invariant()
    def dates_match_the_status(self) -> None:
        case = self.case
        assert isinstance(case, ProjectProblem)
        assert (case.due_at is not None) == (case.status in OPEN_PROBLEM_STATUSES)
        assert (case.closed_at is not None) == (case.status in ENDED_PROBLEM_STATUSES)
        resolved = case.status is ProblemStatus.RESOLVED
        assert (case.resolved_at is not None) == resolved == (case.solution is not None)
        unresolvable = case.status is ProblemStatus.UNRESOLVABLE
        assert (case.unresolvable_reason is not None) == unresolvable
        if case.due_at is not None:
            assert case.due_at >= case.raised_at


OFFICERS = ["officer-1", "officer-2", "officer-3"]
TASK_FORCES = ["汽车专班", "能源专班"]
LEADERS = [LEADER, "副市长 李某"]


MEMBERS: dict[MemberKind, list[str]] = {
    MemberKind.OFFICER: OFFICERS,
    MemberKind.TASK_FORCE: TASK_FORCES,
    MemberKind.LEADER: LEADERS,
}
FIELD = {MemberKind.OFFICER: "officer_id", MemberKind.TASK_FORCE: "task_force",
         MemberKind.LEADER: "leader"}  # fmt: skip
kinds = st.sampled_from(list(MemberKind))


class ProjectMachine(Machine):
    def __init__(self) -> None:
        super().__init__()
        # The modeled memberships of each kind: [member, joined_at, left_at], in order.
        self.members: dict[MemberKind, list[list[Any]]] = {kind: [] for kind in MemberKind}
        self.register(None)

    def register(self, initial: Classification | None) -> None:
        self.case = register(classification=initial)
        self.first = list(self.case.collect_events())
        self.initial = initial
        self.classes: list[Classification] = [] if initial is None else [initial]

    def current(self, kind: MemberKind) -> list[str]:
        return [m[0] for m in self.members[kind] if m[2] is None]

    @initialize(initial=st.sampled_from([None, *Classification]))
    def start(self, initial: Classification | None) -> None:
        """Registered with or without a class."""
        self.register(initial)

    @rule(
        actor=st.sampled_from([SUPERVISOR, OFFICER, Actor(id="clerk-1", role=Role.CLERK)]),
        classification=st.sampled_from(list(Classification)),
        step=steps,
    )
    def classify(self, actor: Actor, classification: Classification, step: timedelta) -> None:
        at = self.tick(step)
        current = self.classes[-1] if self.classes else None
        same = classification == current
        if self.make(
            "classify",
            lambda: self.case.classify(actor, at, classification=classification, note=None),
            allowed=not same,
            why=f"the project is already {classification}" if same else None,
        ):
            self.classes.append(classification)

    @staticmethod
    def case_why(move: str) -> str:
        return {
            "assign-officer": "that officer already serves the project",
            "assign-task-force": "that task force is already assigned",
            "assign-leader": "that leader is already assigned",
        }[move]

    @rule(kind=kinds, pick=st.integers(0, 2), step=steps)
    def assign(self, kind: MemberKind, pick: int, step: timedelta) -> None:
        """The one-of-each move: replaces the only member; refused while several serve."""
        at = self.tick(step)
        value = MEMBERS[kind][pick % len(MEMBERS[kind])]
        move = f"assign-{MEMBER_MOVE[kind]}"
        current = self.current(kind)
        why = None
        if len(current) > 1:
            why = (
                f"the project has {len(current)} {MEMBER_ATTRIBUTE[kind].replace('_', ' ')}: "
                f"join-{MEMBER_MOVE[kind]} and leave-{MEMBER_MOVE[kind]} name the one"
            )
        elif current == [value]:
            why = self.case_why(move)
        call = getattr(self.case, f"assign_{kind.value}")
        if self.make(
            move,
            lambda: call(SUPERVISOR, at, note=None, **{FIELD[kind]: value}),
            allowed=why is None,
            why=why,
        ):
            for membership in self.members[kind]:
                if membership[2] is None:
                    membership[2] = at
            self.members[kind].append([value, at, None])

    @rule(kind=kinds, pick=st.integers(0, 2), step=steps)
    def join(self, kind: MemberKind, pick: int, step: timedelta) -> None:
        at = self.tick(step)
        value = MEMBERS[kind][pick % len(MEMBERS[kind])]
        serving = value in self.current(kind)
        call = getattr(self.case, f"join_{kind.value}")
        if self.make(
            f"join-{MEMBER_MOVE[kind]}",
            lambda: call(SUPERVISOR, at, note=None, **{FIELD[kind]: value}),
            allowed=not serving,
            why=f"{value} already serves the project" if serving else None,
        ):
            self.members[kind].append([value, at, None])

    @rule(kind=kinds, pick=st.integers(0, 2), step=steps)
    def leave(self, kind: MemberKind, pick: int, step: timedelta) -> None:
        at = self.tick(step)
        value = MEMBERS[kind][pick % len(MEMBERS[kind])]
        serving = value in self.current(kind)
        call = getattr(self.case, f"leave_{kind.value}")
        if self.make(
            f"leave-{MEMBER_MOVE[kind]}",
            lambda: call(SUPERVISOR, at, note=None, **{FIELD[kind]: value}),
            allowed=serving,
            why=None if serving else f"{value} does not serve the project",
        ):
            for membership in self.members[kind]:
                if membership[0] == value and membership[2] is None:
                    membership[2] = at

    @invariant()
    def the_class_history_is_every_class_in_order(self) -> None:
        case = self.case
        assert isinstance(case, Project)
        history = case.classification_history
        assert [entry.classification for entry in history] == self.classes
        assert case.classification == (self.classes[-1] if self.classes else None)
        # each entry is a change, dated by the event that made it, in time order
        assert all(a.classification != b.classification for a, b in itertools.pairwise(history))
        assert [entry.at for entry in history] == sorted(entry.at for entry in history)
        reclassified = [e.timestamp for e in self.recorded if type(e).__name__ == "Reclassified"]
        registered = [] if self.initial is None else [REGISTERED_AT]
        assert [entry.at for entry in history] == registered + reclassified
        assert all(isinstance(entry, ClassificationEntry) for entry in history)

    @invariant()
    def memberships_are_the_modeled_ones(self) -> None:
        case = self.case
        assert isinstance(case, Project)
        for kind in MemberKind:
            assert case.memberships(kind) == [Membership(*m) for m in self.members[kind]]
            current = self.current(kind)
            assert case.current(kind) == current
            assert len(set(current)) == len(current)  # nobody serves twice at once
            # the single field of old clients: the one that joined last, of those serving
            assert getattr(case, FIELD[kind]) == (current[-1] if current else None)


ProblemMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)
ProjectMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
TestProblemMachine = ProblemMachine.TestCase
TestProjectMachine = ProjectMachine.TestCase
