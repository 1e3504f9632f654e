"""Major projects under service and the problems raised for them (DOMAIN.md, "Major
project and its problems").

A `Project` is registered once and stays active; it is classified and reclassified over
time (the history of its class is kept), and is served by any number of task forces
(专班), chief service officers (首席服务员) and contact leaders (领导联系), each joining and
leaving over time (every membership is kept, with its dates). A `ProjectProblem` is
raised for one project, coordinated by the project's service officers, may be escalated
to a contact leader, and ends resolved or unresolvable; a supervisor may reopen it. A
problem past its due gets a reminder (催办) from the deadline watcher, and if still
overdue 5 working days later a `DeadlineEscalated` event for the supervisors.

As in domain/complaint.py: each public method is a command that checks the rules and
raises a named error, or records exactly one event through an `_on_...` method that only
changes state. Time and deadlines are passed in.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

import msgspec
from eventsourcing.domain import Aggregate, event

from domain import deadlines, reminders
from domain.calendar import DueBasis
from domain.errors import MoveNotAllowed
from domain.values import Actor, Role


class Classification(StrEnum):
    NEVER_STOPPED = "never_stopped"  # 未停工
    RESUMED = "resumed"  # 已开复工
    PLANNING_TO_RESUME = "planning_to_resume"  # 拟开复工
    NEWLY_SIGNED = "newly_signed"  # 新签约


class ProblemCategory(StrEnum):
    LAND = "land"
    APPROVAL = "approval"
    FINANCING = "financing"
    LABOUR = "labour"
    LOGISTICS = "logistics"
    SUPPLIES = "supplies"
    OTHER = "other"


class CoordinationRole(StrEnum):
    """The five roles a chief service officer plays (协调员、信息员、联络员、服务员、监督员)."""

    COORDINATOR = "coordinator"
    INFORMER = "informer"
    LIAISON = "liaison"
    SERVICE_OFFICER = "service_officer"
    SUPERVISOR = "supervisor"


class ProjectStatus(StrEnum):
    ACTIVE = "active"


class MemberKind(StrEnum):
    """Who serves a project: its task forces, chief service officers, contact leaders."""

    TASK_FORCE = "task_force"  # 项目推进专班, by name
    OFFICER = "officer"  # 首席服务员, by user id (a `service_officer` token's `sub`)
    LEADER = "leader"  # 联系领导, by name and office


class ProblemStatus(StrEnum):
    OPEN = "open"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    UNRESOLVABLE = "unresolvable"


OPEN_PROBLEM_STATUSES = frozenset({ProblemStatus.OPEN, ProblemStatus.ESCALATED})
ENDED_PROBLEM_STATUSES = frozenset({ProblemStatus.RESOLVED, ProblemStatus.UNRESOLVABLE})


class Investor(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The enterprise investing in a project."""

    name: str
    credit_code: str


class ClassificationEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A project's class from `at` on (until the next entry)."""

    classification: Classification
    at: datetime


class Membership(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One member serving a project from `joined_at` until `left_at` (None: still). A
    member that leaves and joins again has a second membership."""

    member: str
    joined_at: datetime
    left_at: datetime | None = None


class CoordinationNote(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    role: CoordinationRole
    text: str
    by: str
    at: datetime


# Which roles may ever make each move (checked before the case is even looked up).
# A service officer acts only on the projects it currently serves: visibility
# (domain/project_case.py) makes every other project unknown to it.
PROJECT_MOVE_ROLES: dict[str, frozenset[Role]] = {
    "register": frozenset({Role.CLERK, Role.SUPERVISOR}),
    "classify": frozenset({Role.CLERK, Role.SUPERVISOR, Role.SERVICE_OFFICER}),
    "assign-task-force": frozenset({Role.SUPERVISOR}),
    "assign-officer": frozenset({Role.SUPERVISOR}),
    "assign-leader": frozenset({Role.SUPERVISOR}),
    "join-task-force": frozenset({Role.SUPERVISOR}),
    "leave-task-force": frozenset({Role.SUPERVISOR}),
    "join-officer": frozenset({Role.SUPERVISOR}),
    "leave-officer": frozenset({Role.SUPERVISOR}),
    "join-leader": frozenset({Role.SUPERVISOR}),
    "leave-leader": frozenset({Role.SUPERVISOR}),
}

# A project stays active: every move is always open to it (the table is here so that
# projects answer the same questions as every other case type).
PROJECT_MOVE_FROM: dict[str, frozenset[ProjectStatus]] = {
    "classify": frozenset({ProjectStatus.ACTIVE}),
    "assign-task-force": frozenset({ProjectStatus.ACTIVE}),
    "assign-officer": frozenset({ProjectStatus.ACTIVE}),
    "assign-leader": frozenset({ProjectStatus.ACTIVE}),
    "join-task-force": frozenset({ProjectStatus.ACTIVE}),
    "leave-task-force": frozenset({ProjectStatus.ACTIVE}),
    "join-officer": frozenset({ProjectStatus.ACTIVE}),
    "leave-officer": frozenset({ProjectStatus.ACTIVE}),
    "join-leader": frozenset({ProjectStatus.ACTIVE}),
    "leave-leader": frozenset({ProjectStatus.ACTIVE}),
}

# The move names' part for each kind of member ("join-officer", "assign-officer").
MEMBER_MOVE: dict[MemberKind, str] = {
    MemberKind.TASK_FORCE: "task-force",
    MemberKind.OFFICER: "officer",
    MemberKind.LEADER: "leader",
}
# The aggregate's list of each kind's memberships.
MEMBER_ATTRIBUTE: dict[MemberKind, str] = {
    MemberKind.TASK_FORCE: "task_forces",
    MemberKind.OFFICER: "officers",
    MemberKind.LEADER: "leaders",
}

PROBLEM_MOVE_ROLES: dict[str, frozenset[Role]] = {
    "raise": frozenset({Role.ENTERPRISE, Role.SERVICE_OFFICER, Role.CLERK}),
    "note": frozenset({Role.SERVICE_OFFICER}),
    "escalate": frozenset({Role.SERVICE_OFFICER, Role.SUPERVISOR}),
    "resolve": frozenset({Role.SERVICE_OFFICER, Role.SUPERVISOR}),
    "declare-unresolvable": frozenset({Role.SERVICE_OFFICER, Role.SUPERVISOR}),
    "reopen": frozenset({Role.SUPERVISOR}),
    # 催办 and escalation to the supervisors, raised by the deadline watcher when the
    # problem is past its due (not the escalation to the contact leader above).
    "remind": frozenset({Role.SYSTEM}) | reminders.BY_HAND,  # by hand: a note (issue 11 §3)
    "escalate-deadline": frozenset({Role.SYSTEM}),
}

PROBLEM_MOVE_FROM: dict[str, frozenset[ProblemStatus]] = {
    "note": OPEN_PROBLEM_STATUSES,
    "escalate": frozenset({ProblemStatus.OPEN}),
    "resolve": OPEN_PROBLEM_STATUSES,
    "declare-unresolvable": OPEN_PROBLEM_STATUSES,
    "reopen": ENDED_PROBLEM_STATUSES,
    "remind": OPEN_PROBLEM_STATUSES,
    "escalate-deadline": OPEN_PROBLEM_STATUSES,
}

NO_LEADER = "the project has no contact leader to escalate to"


class Project(Aggregate):
    """A major project under the bureau's service."""

    name: str
    investor: Investor
    city: str
    investment_cny: Decimal
    sector: str
    status: ProjectStatus
    registered_by: Actor
    registered_at: datetime
    classification: Classification | None
    classification_history: list[ClassificationEntry]
    # Every membership, current and past, in the order they began.
    task_forces: list[Membership]
    officers: list[Membership]
    leaders: list[Membership]
    last_reason: str | None

    class Event(Aggregate.Event):
        """Every project event names its actor; `timestamp` is the time passed in."""

    @staticmethod
    def create_id() -> UUID:
        return uuid4()

    @event("Registered")
    def __init__(
        self,
        *,
        actor: Actor,
        timestamp: datetime,
        name: str,
        investor: Investor,
        city: str,
        investment_cny: Decimal,
        sector: str,
        classification: Classification | None,
    ) -> None:
        self.name = name
        self.investor = investor
        self.city = city
        self.investment_cny = investment_cny
        self.sector = sector
        self.status = ProjectStatus.ACTIVE
        self.registered_by = actor
        self.registered_at = timestamp
        self.classification = classification
        self.classification_history = (
            [] if classification is None else [ClassificationEntry(classification, timestamp)]
        )
        self.task_forces = []
        self.officers = []
        self.leaders = []
        self.last_reason = None

    def _require(self, move: str) -> None:
        if self.status not in PROJECT_MOVE_FROM[move]:
            raise MoveNotAllowed(move, self.status)

    # --- who serves the project ------------------------------------------------------

    def memberships(self, kind: MemberKind) -> list[Membership]:
        memberships: list[Membership] = getattr(self, MEMBER_ATTRIBUTE[kind])
        return memberships

    def current(self, kind: MemberKind) -> list[str]:
        """The members serving now, in the order they joined."""
        return [m.member for m in self.memberships(kind) if m.left_at is None]

    def _latest(self, kind: MemberKind) -> str | None:
        current = self.current(kind)
        return current[-1] if current else None

    # The member that joined last, of those serving now (what a project had when it had
    # one of each: clients of the single fields, and a problem's default leader).
    @property
    def task_force(self) -> str | None:
        return self._latest(MemberKind.TASK_FORCE)

    @property
    def officer_id(self) -> str | None:
        return self._latest(MemberKind.OFFICER)

    @property
    def leader(self) -> str | None:
        return self._latest(MemberKind.LEADER)

    def _check_join(self, kind: MemberKind, member: str) -> None:
        move = f"join-{MEMBER_MOVE[kind]}"
        self._require(move)
        if member in self.current(kind):
            raise MoveNotAllowed(move, self.status, f"{member} already serves the project")

    def _check_leave(self, kind: MemberKind, member: str) -> None:
        move = f"leave-{MEMBER_MOVE[kind]}"
        self._require(move)
        if member not in self.current(kind):
            raise MoveNotAllowed(move, self.status, f"{member} does not serve the project")

    def _check_assign(self, kind: MemberKind, member: str, same: str) -> None:
        """The old one-of-each move: replaces the one member of that kind, so it is
        refused when the project has several (they join and leave one by one)."""
        move = f"assign-{MEMBER_MOVE[kind]}"
        self._require(move)
        current = self.current(kind)
        if len(current) > 1:
            raise MoveNotAllowed(
                move,
                self.status,
                f"the project has {len(current)} {MEMBER_ATTRIBUTE[kind].replace('_', ' ')}: "
                f"join-{MEMBER_MOVE[kind]} and leave-{MEMBER_MOVE[kind]} name the one",
            )
        if current == [member]:
            raise MoveNotAllowed(move, self.status, same)

    def _join(self, kind: MemberKind, member: str, at: datetime) -> None:
        attribute = MEMBER_ATTRIBUTE[kind]
        setattr(self, attribute, [*getattr(self, attribute), Membership(member, at)])

    def _leave(self, kind: MemberKind, at: datetime, member: str | None = None) -> None:
        """`member` leaves (every current member when None)."""
        attribute = MEMBER_ATTRIBUTE[kind]
        setattr(
            self,
            attribute,
            [
                msgspec.structs.replace(m, left_at=at)
                if m.left_at is None and member in (None, m.member)
                else m
                for m in getattr(self, attribute)
            ],
        )

    def _replace(self, kind: MemberKind, member: str, at: datetime) -> None:
        """An assignment (events stored before members joined and left): the previous
        one leaves and the new one joins."""
        self._leave(kind, at)
        self._join(kind, member, at)

    # --- commands ------------------------------------------------------------------

    def classify(
        self, actor: Actor, at: datetime, *, classification: Classification, note: str | None
    ) -> None:
        self._require("classify")
        if classification == self.classification:
            raise MoveNotAllowed(
                "classify", self.status, f"the project is already {classification}"
            )
        self._on_reclassified(
            actor=actor,
            timestamp=at,
            previous=self.classification,
            classification=classification,
            note=note,
        )

    def assign_task_force(
        self, actor: Actor, at: datetime, *, task_force: str, note: str | None
    ) -> None:
        self._check_assign(MemberKind.TASK_FORCE, task_force, "that task force is already assigned")
        self._on_task_force_assigned(
            actor=actor, timestamp=at, previous=self.task_force, task_force=task_force, note=note
        )

    def assign_officer(
        self, actor: Actor, at: datetime, *, officer_id: str, note: str | None
    ) -> None:
        self._check_assign(
            MemberKind.OFFICER, officer_id, "that officer already serves the project"
        )
        self._on_officer_assigned(
            actor=actor, timestamp=at, previous=self.officer_id, officer_id=officer_id, note=note
        )

    def assign_leader(self, actor: Actor, at: datetime, *, leader: str, note: str | None) -> None:
        self._check_assign(MemberKind.LEADER, leader, "that leader is already assigned")
        self._on_leader_assigned(
            actor=actor, timestamp=at, previous=self.leader, leader=leader, note=note
        )

    def join_task_force(
        self, actor: Actor, at: datetime, *, task_force: str, note: str | None
    ) -> None:
        self._check_join(MemberKind.TASK_FORCE, task_force)
        self._on_task_force_joined(actor=actor, timestamp=at, task_force=task_force, note=note)

    def leave_task_force(
        self, actor: Actor, at: datetime, *, task_force: str, note: str | None
    ) -> None:
        self._check_leave(MemberKind.TASK_FORCE, task_force)
        self._on_task_force_left(actor=actor, timestamp=at, task_force=task_force, note=note)

    def join_officer(
        self, actor: Actor, at: datetime, *, officer_id: str, note: str | None
    ) -> None:
        self._check_join(MemberKind.OFFICER, officer_id)
        self._on_officer_joined(actor=actor, timestamp=at, officer_id=officer_id, note=note)

    def leave_officer(
        self, actor: Actor, at: datetime, *, officer_id: str, note: str | None
    ) -> None:
        self._check_leave(MemberKind.OFFICER, officer_id)
        self._on_officer_left(actor=actor, timestamp=at, officer_id=officer_id, note=note)

    def join_leader(self, actor: Actor, at: datetime, *, leader: str, note: str | None) -> None:
        self._check_join(MemberKind.LEADER, leader)
        self._on_leader_joined(actor=actor, timestamp=at, leader=leader, note=note)

    def leave_leader(self, actor: Actor, at: datetime, *, leader: str, note: str | None) -> None:
        self._check_leave(MemberKind.LEADER, leader)
        self._on_leader_left(actor=actor, timestamp=at, leader=leader, note=note)

    # --- events: state changes only ------------------------------------------------

    @event("Reclassified")
    def _on_reclassified(
        self,
        actor: Actor,
        timestamp: datetime,
        previous: Classification | None,
        classification: Classification,
        note: str | None,
    ) -> None:
        self.classification = classification
        self.classification_history = [
            *self.classification_history,
            ClassificationEntry(classification, timestamp),
        ]
        self.last_reason = note

    @event("TaskForceAssigned")
    def _on_task_force_assigned(
        self,
        actor: Actor,
        timestamp: datetime,
        previous: str | None,
        task_force: str,
        note: str | None,
    ) -> None:
        self._replace(MemberKind.TASK_FORCE, task_force, timestamp)
        self.last_reason = note

    @event("OfficerAssigned")
    def _on_officer_assigned(
        self,
        actor: Actor,
        timestamp: datetime,
        previous: str | None,
        officer_id: str,
        note: str | None,
    ) -> None:
        self._replace(MemberKind.OFFICER, officer_id, timestamp)
        self.last_reason = note

    @event("LeaderAssigned")
    def _on_leader_assigned(
        self, actor: Actor, timestamp: datetime, previous: str | None, leader: str, note: str | None
    ) -> None:
        self._replace(MemberKind.LEADER, leader, timestamp)
        self.last_reason = note

    @event("TaskForceJoined")
    def _on_task_force_joined(
        self, actor: Actor, timestamp: datetime, task_force: str, note: str | None
    ) -> None:
        self._join(MemberKind.TASK_FORCE, task_force, timestamp)
        self.last_reason = note

    @event("TaskForceLeft")
    def _on_task_force_left(
        self, actor: Actor, timestamp: datetime, task_force: str, note: str | None
    ) -> None:
        self._leave(MemberKind.TASK_FORCE, timestamp, task_force)
        self.last_reason = note

    @event("OfficerJoined")
    def _on_officer_joined(
        self, actor: Actor, timestamp: datetime, officer_id: str, note: str | None
    ) -> None:
        self._join(MemberKind.OFFICER, officer_id, timestamp)
        self.last_reason = note

    @event("OfficerLeft")
    def _on_officer_left(
        self, actor: Actor, timestamp: datetime, officer_id: str, note: str | None
    ) -> None:
        self._leave(MemberKind.OFFICER, timestamp, officer_id)
        self.last_reason = note

    @event("LeaderJoined")
    def _on_leader_joined(
        self, actor: Actor, timestamp: datetime, leader: str, note: str | None
    ) -> None:
        self._join(MemberKind.LEADER, leader, timestamp)
        self.last_reason = note

    @event("LeaderLeft")
    def _on_leader_left(
        self, actor: Actor, timestamp: datetime, leader: str, note: str | None
    ) -> None:
        self._leave(MemberKind.LEADER, timestamp, leader)
        self.last_reason = note


class ProjectProblem(Aggregate):
    """A problem raised for one project, from raising to resolved or unresolvable."""

    project_id: UUID
    investor_credit_code: str  # a copy of the project's, which never changes
    category: ProblemCategory
    description: str
    raised_by: Actor
    raised_at: datetime
    status: ProblemStatus
    working_days: int
    due_at: datetime | None
    notes: list[CoordinationNote]
    escalated: bool  # ever escalated (stays true once it was)
    escalated_to: str | None
    escalated_at: datetime | None
    solution: str | None
    resolved_at: datetime | None
    unresolvable_reason: str | None
    closed_at: datetime | None  # when it was resolved or declared unresolvable
    reopen_count: int
    last_reason: str | None
    reminded_due: datetime | None  # the deadline the last reminder (催办) was about
    escalate_after: datetime | None  # when that reminder escalates if still overdue
    escalated_due: datetime | None  # the deadline escalated to the supervisors
    reminders: int
    # Whether `due_at` counted days of a year with no official schedule, and how it was
    # computed (domain/deadlines.py); None for a due stored before bases were kept.
    due_provisional: bool
    due_basis: DueBasis | None

    class Event(Aggregate.Event):
        """Every problem event names its actor; `timestamp` is the time passed in."""

    @staticmethod
    def create_id() -> UUID:
        return uuid4()

    @event("Raised")
    def __init__(  # not keyword-only: eventsourcing then requires even defaulted names
        self,
        actor: Actor,
        timestamp: datetime,
        project_id: UUID,
        investor_credit_code: str,
        category: ProblemCategory,
        description: str,
        working_days: int,
        due: datetime,
        due_provisional: bool | None = None,
    ) -> None:
        self.project_id = project_id
        self.investor_credit_code = investor_credit_code
        self.category = category
        self.description = description
        self.raised_by = actor
        self.raised_at = timestamp
        self.status = ProblemStatus.OPEN
        self.working_days = working_days
        self.due_at = due
        self.notes = []
        self.escalated = False
        self.escalated_to = None
        self.escalated_at = None
        self.solution = None
        self.resolved_at = None
        self.unresolvable_reason = None
        self.closed_at = None
        self.reopen_count = 0
        self.last_reason = None
        self.reminded_due = None
        self.escalate_after = None
        self.escalated_due = None
        self.reminders = 0
        self._set_due(due, due_provisional, DueBasis(start=timestamp, steps=(working_days,)))

    def _set_due(self, due: datetime | None, provisional: bool | None, basis: Any) -> None:
        self.due_at = due
        self.due_provisional = bool(provisional) and due is not None
        self.due_basis = basis if due is not None else None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_PROBLEM_STATUSES

    def open_deadlines(self) -> list[deadlines.OpenDeadline]:
        if self.status in OPEN_PROBLEM_STATUSES and self.due_at is not None:
            return [
                deadlines.OpenDeadline(
                    "resolution", self.due_at, self.due_provisional, self.due_basis
                )
            ]
        return []

    def recompute_deadlines(
        self, actor: Actor, at: datetime, changes: list[deadlines.Recompute]
    ) -> None:
        """The calendar changed: the system's move (domain/deadlines.py), one event per step;
        kept out of PROBLEM_MOVE_FROM as no user ever makes it."""
        if not self.is_open:
            raise MoveNotAllowed(deadlines.MOVE, self.status)
        deadlines.check_changes(self.open_deadlines(), changes, at, self.status)
        for change in changes:
            self._on_deadline_recomputed(
                actor=actor,
                timestamp=at,
                step=change.step,
                old_due=change.old_due,
                new_due=change.new.at,
                due_provisional=change.new.provisional,
                calendar_source=change.source,
            )

    @property
    def current_deadline(self) -> tuple[str, datetime] | None:
        """The step the problem waits on (its resolution) and its deadline, while open."""
        if self.status in OPEN_PROBLEM_STATUSES and self.due_at is not None:
            return "resolution", self.due_at
        return None

    def _require(self, move: str) -> None:
        if self.status not in PROBLEM_MOVE_FROM[move]:
            raise MoveNotAllowed(move, self.status)

    # --- commands ------------------------------------------------------------------

    def note(self, actor: Actor, at: datetime, *, role: CoordinationRole, text: str) -> None:
        self._require("note")
        self._on_noted(actor=actor, timestamp=at, role=role, text=text)

    def escalate(self, actor: Actor, at: datetime, *, reason: str, leader: str | None) -> None:
        """`leader`: the project's contact leader now (None when it has none)."""
        self._require("escalate")
        if leader is None:
            raise MoveNotAllowed("escalate", self.status, NO_LEADER)
        self._on_escalated(actor=actor, timestamp=at, reason=reason, leader=leader)

    def resolve(self, actor: Actor, at: datetime, *, solution: str) -> None:
        self._require("resolve")
        self._on_resolved(actor=actor, timestamp=at, solution=solution)

    def declare_unresolvable(self, actor: Actor, at: datetime, *, reason: str) -> None:
        self._require("declare-unresolvable")
        self._on_declared_unresolvable(actor=actor, timestamp=at, reason=reason)

    def reopen(
        self,
        actor: Actor,
        at: datetime,
        *,
        reason: str,
        working_days: int,
        due: datetime,
        due_provisional: bool = False,
    ) -> None:
        self._require("reopen")
        self._on_reopened(
            actor=actor,
            timestamp=at,
            reason=reason,
            working_days=working_days,
            due=due,
            due_provisional=due_provisional,
        )

    def remind(
        self, actor: Actor, at: datetime, *, escalate_after: datetime, note: str | None = None
    ) -> None:
        """催办. The system: the problem is past its due; one reminder per deadline (a
        reopened problem's new due may be reminded again). A supervisor: by hand, with a
        note, at any time while it is open (domain/reminders.py says when it stands as
        the deadline's reminder)."""
        self._require("remind")
        due: datetime | None  # by hand: the due, if any, of a problem waiting on none
        if actor.role is Role.SYSTEM:
            step, due = self._overdue_step("remind", at)
            reminders.check_remind("remind", self.status, key=due, reminded=self.reminded_due)
            stands = True
        else:
            reminders.check_by_hand(actor, note)
            step, due = "resolution", self.due_at
            stands = reminders.stands_for_deadline(
                key=due, due=due, reminded=self.reminded_due, at=at
            )
        self._on_reminded(
            actor=actor,
            timestamp=at,
            step=step,
            due=due,
            escalate_after=escalate_after if stands else None,
            note=note,
        )

    def escalate_deadline(self, actor: Actor, at: datetime) -> None:
        """Still overdue when the reminder's grace has run out: the supervisors are told."""
        move = "escalate-deadline"
        self._require(move)
        step, due = self._overdue_step(move, at)
        reminders.check_escalate(
            move, self.status, key=due, reminded=self.reminded_due,
            escalated=self.escalated_due, escalate_after=self.escalate_after, at=at,
        )  # fmt: skip
        self._on_deadline_escalated(actor=actor, timestamp=at, step=step, due=due)

    def _overdue_step(self, move: str, at: datetime) -> tuple[str, datetime]:
        return reminders.overdue_step(move, self.status, self.current_deadline, at)

    # --- events: state changes only ------------------------------------------------

    @event("Noted")
    def _on_noted(
        self, actor: Actor, timestamp: datetime, role: CoordinationRole, text: str
    ) -> None:
        self.notes = [
            *self.notes,
            CoordinationNote(role=role, text=text, by=actor.id, at=timestamp),
        ]

    @event("Escalated")
    def _on_escalated(self, actor: Actor, timestamp: datetime, reason: str, leader: str) -> None:
        self.status = ProblemStatus.ESCALATED
        self.escalated = True
        self.escalated_to = leader
        self.escalated_at = timestamp
        self.last_reason = reason

    @event("Resolved")
    def _on_resolved(self, actor: Actor, timestamp: datetime, solution: str) -> None:
        self.status = ProblemStatus.RESOLVED
        self.solution = solution
        self.resolved_at = timestamp
        self.closed_at = timestamp
        self._set_due(None, None, None)

    @event("DeclaredUnresolvable")
    def _on_declared_unresolvable(self, actor: Actor, timestamp: datetime, reason: str) -> None:
        self.status = ProblemStatus.UNRESOLVABLE
        self.unresolvable_reason = reason
        self.closed_at = timestamp
        self._set_due(None, None, None)
        self.last_reason = reason

    @event("Reopened")
    def _on_reopened(
        self,
        actor: Actor,
        timestamp: datetime,
        reason: str,
        working_days: int,
        due: datetime,
        due_provisional: bool | None = None,
    ) -> None:
        self.status = ProblemStatus.OPEN
        self.working_days = working_days
        self._set_due(due, due_provisional, DueBasis(start=timestamp, steps=(working_days,)))
        self.solution = None
        self.resolved_at = None
        self.unresolvable_reason = None
        self.closed_at = None
        self.reopen_count += 1
        self.last_reason = reason

    @event("Reminded")
    def _on_reminded(
        self,
        actor: Actor,
        timestamp: datetime,
        step: str,
        due: datetime | None,
        escalate_after: datetime | None,
        note: str | None = None,
    ) -> None:
        """`escalate_after` None: a reminder by hand that does not stand as the
        deadline's reminder (domain/reminders.py)."""
        if escalate_after is not None:
            self.reminded_due = due
            self.escalate_after = escalate_after
        self.reminders += 1

    @event("DeadlineEscalated")
    def _on_deadline_escalated(
        self, actor: Actor, timestamp: datetime, step: str, due: datetime
    ) -> None:
        self.escalated_due = due

    @event("DeadlineRecomputed")
    def _on_deadline_recomputed(
        self,
        actor: Actor,
        timestamp: datetime,
        step: str,
        old_due: datetime,
        new_due: datetime,
        due_provisional: bool,
        calendar_source: str,
    ) -> None:
        self.due_at = new_due
        self.due_provisional = due_provisional
