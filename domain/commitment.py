"""The Commitment aggregate: an enterprise's written credit commitment for an approval
(信用承诺 / 承诺即开工, DOMAIN.md "Credit commitment").

The enterprise commits that it meets the conditions of a named approval matter and
lists the materials it will supply later: by a date, or within a grace of working days
after the epidemic response ends (待疫情结束后补齐). A clerk grants the approval at once;
materials arrive in parts; the last one fulfils the commitment. A deadline that passes
is an event the deadline watcher raises (`mark_overdue`, as the system actor); the
bureau then records a breach (失信, on the credit record) or an exemption (the epidemic
prevented it: 暂不纳入失信记录, the reason kept). A later check (核查) may revoke the
approval.

As in `domain/complaint.py`: each public method checks the rules and raises a named
error, then calls one `@event` method that only changes state. Time and deadlines are
passed in, computed by the caller from the working-day calendar.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID, uuid4

import msgspec
from eventsourcing.domain import Aggregate, event

from domain import deadlines
from domain.errors import MoveNotAllowed, RuleViolated
from domain.values import Actor, Role


class Status(StrEnum):
    COMMITTED = "committed"
    GRANTED = "granted"
    OVERDUE = "overdue"
    FULFILLED = "fulfilled"
    BREACHED = "breached"
    EXEMPTED = "exempted"
    REVOKED = "revoked"


# Waiting for the approval or for materials.
OPEN_STATUSES = frozenset({Status.COMMITTED, Status.GRANTED, Status.OVERDUE})
# Settled: the approval stands or fell. A fulfilled one may still be revoked after a check.
OUTCOME_STATUSES = frozenset({Status.FULFILLED, Status.BREACHED, Status.EXEMPTED, Status.REVOKED})
# No move at all is left.
FINAL_STATUSES = frozenset({Status.BREACHED, Status.EXEMPTED, Status.REVOKED})

# Which roles may ever make each move (checked before the case is even looked up).
MOVE_ROLES: dict[str, frozenset[Role]] = {
    "commit": frozenset({Role.ENTERPRISE, Role.CLERK}),
    "grant": frozenset({Role.CLERK, Role.SUPERVISOR}),
    "supply": frozenset({Role.ENTERPRISE, Role.CLERK}),
    "epidemic-ended": frozenset({Role.SUPERVISOR}),
    "mark-overdue": frozenset({Role.SYSTEM}),
    "breach": frozenset({Role.SUPERVISOR}),
    "exempt": frozenset({Role.SUPERVISOR}),
    "revoke": frozenset({Role.SUPERVISOR, Role.CLERK}),
}

# The statuses each move requires: the transition table the tests check against.
MOVE_FROM: dict[str, frozenset[Status]] = {
    "grant": frozenset({Status.COMMITTED}),
    "supply": frozenset({Status.GRANTED, Status.OVERDUE}),
    "epidemic-ended": frozenset({Status.COMMITTED, Status.GRANTED}),
    "mark-overdue": frozenset({Status.GRANTED}),
    "breach": frozenset({Status.OVERDUE}),
    "exempt": frozenset({Status.GRANTED, Status.OVERDUE}),
    "revoke": frozenset({Status.GRANTED, Status.OVERDUE, Status.FULFILLED}),
}

NOT_YET_DUE = "the commitment is not yet due"
DUE_UNKNOWN = "the due date waits for the end of the epidemic response"
NOT_EPIDEMIC = "the commitment is not due on the end of the epidemic response"
EPIDEMIC_END_KNOWN = "the end of the epidemic response is already recorded"
NOT_COMMITTER = "only the committing enterprise may do this"


class Enterprise(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The enterprise that commits (its name and unified social credit code)."""

    name: str
    credit_code: str


class Commitment(Aggregate):
    """An enterprise's credit commitment for one approval matter."""

    # The state a snapshot holds (also typed so snapshots decode with msgspec).
    matter: str
    enterprise: Enterprise
    statement: str
    materials: list[str]
    supplied: list[str]
    due_date: date | None
    epidemic_contingent: bool
    grace_working_days: int | None
    epidemic_ended_on: date | None
    due_at: datetime | None
    committed_by: Actor
    committed_at: datetime
    status: Status
    granted_at: datetime | None
    overdue_since: datetime | None
    fulfilled_at: datetime | None
    settled_at: datetime | None
    credit_record: bool
    outcome_reason: str | None
    finding: str | None
    last_note: str | None
    # Whether `due_at` counted days of a year with no official schedule (issue 11).
    due_provisional: bool

    class Event(Aggregate.Event):
        """Every commitment event names its actor; `timestamp` is the time passed in."""

    @staticmethod
    def create_id() -> UUID:
        return uuid4()

    @event("Committed")
    def __init__(  # not keyword-only: eventsourcing then requires even defaulted names
        self,
        actor: Actor,
        timestamp: datetime,
        matter: str,
        enterprise: Enterprise,
        statement: str,
        materials: list[str],
        due_date: date | None,
        epidemic_contingent: bool,
        grace_working_days: int | None,
        due_at: datetime | None,
        due_provisional: bool | None = None,
    ) -> None:
        self.matter = matter
        self.enterprise = enterprise
        self.statement = statement
        self.materials = list(materials)
        self.supplied = []
        self.due_date = due_date
        self.epidemic_contingent = epidemic_contingent
        self.grace_working_days = grace_working_days
        self.epidemic_ended_on = None
        self.due_at = due_at
        self.committed_by = actor
        self.committed_at = timestamp
        self.status = Status.COMMITTED
        self.granted_at = None
        self.overdue_since = None
        self.fulfilled_at = None
        self.settled_at = None
        self.credit_record = False
        self.outcome_reason = None
        self.finding = None
        self.last_note = None
        self.due_provisional = bool(due_provisional) and due_at is not None

    # --- queries used by the rules -------------------------------------------------

    @property
    def outstanding(self) -> list[str]:
        """The promised materials not supplied yet, in the order they were listed."""
        return [m for m in self.materials if m not in self.supplied]

    @property
    def waits_for_epidemic_end(self) -> bool:
        return self.epidemic_contingent and self.epidemic_ended_on is None

    def _require(self, move: str) -> None:
        if self.status not in MOVE_FROM[move]:
            raise MoveNotAllowed(move, self.status)

    # --- commands ------------------------------------------------------------------

    def grant(self, actor: Actor, at: datetime, *, note: str | None) -> None:
        self._require("grant")
        self._on_granted(actor=actor, timestamp=at, note=note)

    def supply(self, actor: Actor, at: datetime, *, materials: list[str]) -> None:
        """Record materials supplied; the last outstanding one fulfils the commitment."""
        self._require("supply")
        if actor.role is Role.ENTERPRISE and actor.org != self.enterprise.credit_code:
            raise MoveNotAllowed("supply", self.status, NOT_COMMITTER)
        outstanding = self.outstanding
        unknown = [m for m in materials if m not in outstanding]
        if unknown:
            raise RuleViolated(
                "materials",
                f"not outstanding: {', '.join(unknown)} (outstanding: {', '.join(outstanding)})",
            )
        if len(set(materials)) != len(materials):
            raise RuleViolated("materials", "each material may be named once")
        self._on_supplied(actor=actor, timestamp=at, materials=list(materials))
        if not self.outstanding:
            self._on_fulfilled(actor=actor, timestamp=at, late=self.overdue_since is not None)

    def record_epidemic_end(
        self,
        actor: Actor,
        at: datetime,
        *,
        ended_on: date,
        due: datetime,
        due_provisional: bool = False,
    ) -> None:
        """`due` is the end of the grace after `ended_on`, computed by the caller."""
        self._require("epidemic-ended")
        if not self.epidemic_contingent:
            raise MoveNotAllowed("epidemic-ended", self.status, NOT_EPIDEMIC)
        if self.epidemic_ended_on is not None:
            raise MoveNotAllowed("epidemic-ended", self.status, EPIDEMIC_END_KNOWN)
        self._on_epidemic_ended(
            actor=actor,
            timestamp=at,
            ended_on=ended_on,
            due=due,
            due_provisional=due_provisional,
        )

    def recompute_deadlines(
        self, actor: Actor, at: datetime, changes: list[deadlines.Recompute]
    ) -> None:
        """The calendar changed: the system's move (domain/deadlines.py). Only the due of
        materials not yet overdue is open (kept out of MOVE_FROM: no user makes it)."""
        if self.status not in (Status.COMMITTED, Status.GRANTED) or self.due_at is None:
            raise MoveNotAllowed(deadlines.MOVE, self.status)
        for change in changes:
            if change.step != "materials" or change.old_due != self.due_at or self.due_at <= at:
                raise MoveNotAllowed(deadlines.MOVE, self.status, deadlines.NOTHING_TO_RECOMPUTE)
            self._on_deadline_recomputed(
                actor=actor,
                timestamp=at,
                step=change.step,
                old_due=change.old_due,
                new_due=change.new.at,
                due_provisional=change.new.provisional,
                calendar_source=change.source,
            )

    def mark_overdue(self, actor: Actor, at: datetime) -> None:
        """The deadline watcher's move: only once the due instant has passed at `at`."""
        self._require("mark-overdue")
        if self.due_at is None:
            raise MoveNotAllowed("mark-overdue", self.status, DUE_UNKNOWN)
        if at <= self.due_at:
            raise MoveNotAllowed("mark-overdue", self.status, NOT_YET_DUE)
        self._on_overdue(actor=actor, timestamp=at, due=self.due_at)

    def breach(self, actor: Actor, at: datetime, *, reason: str) -> None:
        self._require("breach")
        self._on_breached(actor=actor, timestamp=at, reason=reason)

    def exempt(self, actor: Actor, at: datetime, *, reason: str) -> None:
        self._require("exempt")
        self._on_exempted(actor=actor, timestamp=at, reason=reason)

    def revoke(self, actor: Actor, at: datetime, *, reason: str, finding: str) -> None:
        self._require("revoke")
        self._on_revoked(actor=actor, timestamp=at, reason=reason, finding=finding)

    # --- events: state changes only ------------------------------------------------

    @event("Granted")
    def _on_granted(self, actor: Actor, timestamp: datetime, note: str | None) -> None:
        self.status = Status.GRANTED
        self.granted_at = timestamp
        self.last_note = note

    @event("MaterialsSupplied")
    def _on_supplied(self, actor: Actor, timestamp: datetime, materials: list[str]) -> None:
        self.supplied = [*self.supplied, *materials]

    @event("Fulfilled")
    def _on_fulfilled(self, actor: Actor, timestamp: datetime, late: bool) -> None:
        self.status = Status.FULFILLED
        self.fulfilled_at = timestamp
        self.settled_at = timestamp

    @event("EpidemicEnded")
    def _on_epidemic_ended(
        self,
        actor: Actor,
        timestamp: datetime,
        ended_on: date,
        due: datetime,
        due_provisional: bool | None = None,
    ) -> None:
        self.epidemic_ended_on = ended_on
        self.due_at = due
        self.due_provisional = bool(due_provisional)

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

    @event("Overdue")
    def _on_overdue(self, actor: Actor, timestamp: datetime, due: datetime) -> None:
        self.status = Status.OVERDUE
        self.overdue_since = timestamp

    @event("Breached")
    def _on_breached(self, actor: Actor, timestamp: datetime, reason: str) -> None:
        self.status = Status.BREACHED
        self.credit_record = True
        self.settled_at = timestamp
        self.outcome_reason = reason

    @event("Exempted")
    def _on_exempted(self, actor: Actor, timestamp: datetime, reason: str) -> None:
        self.status = Status.EXEMPTED
        self.settled_at = timestamp
        self.outcome_reason = reason

    @event("Revoked")
    def _on_revoked(self, actor: Actor, timestamp: datetime, reason: str, finding: str) -> None:
        self.status = Status.REVOKED
        self.settled_at = timestamp
        self.outcome_reason = reason
        self.finding = finding
