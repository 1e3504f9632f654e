"""The Complaint aggregate: an enterprise's complaint, appeal or report, from lodging
to closing (DOMAIN.md, "Complaint or appeal").

Each public method is a command: it checks the rules against the current state and
raises a named error, or records exactly one event. The `_on_...` methods decorated
with `@event` only change state, so replaying stored events never re-runs a rule.
Time is always passed in (`at`); deadlines are computed by the caller from the
working-day calendar and passed in too.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain import deadlines, reminders
from domain.calendar import DueBasis
from domain.errors import MoveNotAllowed, RuleViolated
from domain.values import Actor, Channel, Complainant, Kind, Rating, Role


class Status(StrEnum):
    LODGED = "lodged"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    TRANSFERRED = "transferred"
    REPLIED = "replied"
    AWAITING_RATING = "awaiting_rating"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


OPEN_STATUSES = frozenset(
    {Status.LODGED, Status.ACCEPTED, Status.TRANSFERRED, Status.REPLIED, Status.AWAITING_RATING}
)
FINAL_STATUSES = frozenset({Status.REJECTED, Status.CLOSED, Status.WITHDRAWN})

# Which roles may ever make each move (checked before the case is even looked up).
MOVE_ROLES: dict[str, frozenset[Role]] = {
    "lodge": frozenset({Role.ENTERPRISE, Role.CLERK}),
    "accept": frozenset({Role.CLERK, Role.SUPERVISOR}),
    "reject": frozenset({Role.CLERK, Role.SUPERVISOR}),
    "transfer": frozenset({Role.CLERK, Role.SUPERVISOR}),
    "send-back": frozenset({Role.DEPARTMENT}),
    "request-extension": frozenset({Role.DEPARTMENT}),
    "decide-extension": frozenset({Role.SUPERVISOR}),
    "reply": frozenset({Role.DEPARTMENT}),
    "review": frozenset({Role.SUPERVISOR}),
    "rate": frozenset({Role.ENTERPRISE}),
    "supervise": frozenset({Role.SUPERVISOR}),
    "withdraw": frozenset({Role.ENTERPRISE}),
    "close": frozenset({Role.SUPERVISOR}),
    # 催办 and escalation: raised by the deadline watcher when a deadline has passed.
    "remind": frozenset({Role.SYSTEM}),
    "escalate": frozenset({Role.SYSTEM}),
}

# The status each move requires: the transition table the tests check against.
MOVE_FROM: dict[str, frozenset[Status]] = {
    "accept": frozenset({Status.LODGED}),
    "reject": frozenset({Status.LODGED}),
    "transfer": frozenset({Status.ACCEPTED}),
    "send-back": frozenset({Status.TRANSFERRED}),
    "request-extension": frozenset({Status.TRANSFERRED}),
    "decide-extension": frozenset({Status.TRANSFERRED}),
    "reply": frozenset({Status.TRANSFERRED}),
    "review": frozenset({Status.REPLIED}),
    "rate": frozenset({Status.AWAITING_RATING}),
    "supervise": OPEN_STATUSES,
    "withdraw": OPEN_STATUSES,
    "close": frozenset({Status.AWAITING_RATING}),
    "remind": frozenset({Status.LODGED, Status.TRANSFERRED}),
    "escalate": frozenset({Status.LODGED, Status.TRANSFERRED}),
}


class Complaint(Aggregate):
    """A complaint, appeal or report lodged by an enterprise."""

    # The state a snapshot holds (also typed so snapshots decode with msgspec).
    kind: Kind
    channel: Channel
    category: str
    title: str
    description: str
    complainant: Complainant
    respondent_department: str | None
    confidential: bool
    lodged_by: Actor
    lodged_at: datetime
    status: Status
    acceptance_due: datetime | None
    accepted_at: datetime | None
    urgent: bool
    department: str | None
    departments: list[str]
    transferred_at: datetime | None
    handling_due: datetime | None
    extension_requested: int | None
    reply: str | None
    replied_at: datetime | None
    rating: Rating | None
    redo_count: int
    supervision_count: int
    closed_at: datetime | None
    last_reason: str | None
    reminded_due: datetime | None  # the deadline the last reminder was about
    escalate_after: datetime | None  # when that reminder escalates if still overdue
    escalated_due: datetime | None  # the deadline that was escalated
    reminders: int
    # Whether each deadline counted days of a year with no official schedule, and how it
    # was computed (to compute it again when that year's schedule is loaded). A basis is
    # None for a deadline stored before bases were kept.
    acceptance_due_provisional: bool
    acceptance_basis: DueBasis | None
    handling_due_provisional: bool
    handling_basis: DueBasis | None

    class Event(Aggregate.Event):
        """Every complaint event names its actor; `timestamp` is the time passed in."""

    @staticmethod
    def create_id() -> UUID:
        return uuid4()

    @event("Lodged")
    def __init__(  # not keyword-only: eventsourcing then requires even defaulted names
        self,
        actor: Actor,
        timestamp: datetime,
        kind: Kind,
        channel: Channel,
        category: str,
        title: str,
        description: str,
        complainant: Complainant,
        respondent_department: str | None,
        confidential: bool,
        acceptance_due: datetime,
        acceptance_due_provisional: bool | None = None,
        acceptance_working_days: int | None = None,
    ) -> None:
        self.kind = kind
        self.channel = channel
        self.category = category
        self.title = title
        self.description = description
        self.complainant = complainant
        self.respondent_department = respondent_department
        self.confidential = confidential
        self.lodged_by = actor
        self.lodged_at = timestamp
        self.status = Status.LODGED
        self.acceptance_due = acceptance_due
        self.accepted_at = None
        self.urgent = False
        self.department = None
        self.departments = []
        self.transferred_at = None
        self.handling_due = None
        self.extension_requested = None
        self.reply = None
        self.replied_at = None
        self.rating = None
        self.redo_count = 0
        self.supervision_count = 0
        self.closed_at = None
        self.last_reason = None
        self.reminded_due = None
        self.escalate_after = None
        self.escalated_due = None
        self.reminders = 0
        self.acceptance_due_provisional = bool(acceptance_due_provisional)
        self.acceptance_basis = (
            None
            if acceptance_working_days is None
            else DueBasis(start=timestamp, steps=(acceptance_working_days,))
        )
        self.handling_due_provisional = False
        self.handling_basis = None

    # --- queries used by the rules -------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def _require(self, move: str) -> None:
        if self.status not in MOVE_FROM[move]:
            raise MoveNotAllowed(move, self.status)

    def _require_handler(self, move: str, actor: Actor) -> None:
        self._require(move)
        if actor.org != self.department:
            raise MoveNotAllowed(move, self.status, "the case is not with your department")

    def _require_lodger(self, move: str, actor: Actor) -> None:
        self._require(move)
        if actor.org != self.complainant.credit_code:
            raise MoveNotAllowed(move, self.status, "only the lodging enterprise may do this")

    @property
    def current_deadline(self) -> tuple[str, datetime] | None:
        """The step the case waits on and its deadline, when that step has one."""
        if self.status is Status.LODGED and self.acceptance_due is not None:
            return "acceptance", self.acceptance_due
        if self.status is Status.TRANSFERRED and self.handling_due is not None:
            return "handling", self.handling_due
        return None

    @property
    def due_provisional(self) -> bool:
        """Whether the deadline of the step the case waits on is provisional."""
        current = self.current_deadline
        if current is None:
            return False
        if current[0] == "acceptance":
            return self.acceptance_due_provisional
        return self.handling_due_provisional

    def open_deadlines(self) -> list[deadlines.OpenDeadline]:
        if self.status is Status.LODGED and self.acceptance_due is not None:
            return [
                deadlines.OpenDeadline(
                    "acceptance",
                    self.acceptance_due,
                    self.acceptance_due_provisional,
                    self.acceptance_basis,
                )
            ]
        if self.status is Status.TRANSFERRED and self.handling_due is not None:
            return [
                deadlines.OpenDeadline(
                    "handling",
                    self.handling_due,
                    self.handling_due_provisional,
                    self.handling_basis,
                )
            ]
        return []

    # --- commands ------------------------------------------------------------------

    def accept(self, actor: Actor, at: datetime, *, note: str | None, urgent: bool) -> None:
        self._require("accept")
        self._on_accepted(actor=actor, timestamp=at, note=note, urgent=urgent)

    def reject(self, actor: Actor, at: datetime, *, reason: str) -> None:
        self._require("reject")
        self._on_rejected(actor=actor, timestamp=at, reason=reason)

    def transfer(
        self,
        actor: Actor,
        at: datetime,
        *,
        department: str,
        working_days: int,
        due: datetime,
        due_provisional: bool = False,
    ) -> None:
        self._require("transfer")
        self._on_transferred(
            actor=actor,
            timestamp=at,
            department=department,
            working_days=working_days,
            due=due,
            due_provisional=due_provisional,
        )

    def send_back(self, actor: Actor, at: datetime, *, reason: str) -> None:
        self._require_handler("send-back", actor)
        self._on_sent_back(actor=actor, timestamp=at, reason=reason)

    def request_extension(
        self, actor: Actor, at: datetime, *, working_days: int, reason: str
    ) -> None:
        self._require_handler("request-extension", actor)
        if self.extension_requested is not None:
            raise MoveNotAllowed(
                "request-extension", self.status, "an extension request is already pending"
            )
        self._on_extension_requested(
            actor=actor, timestamp=at, working_days=working_days, reason=reason
        )

    def decide_extension(
        self,
        actor: Actor,
        at: datetime,
        *,
        approved: bool,
        note: str | None,
        due: datetime,
        due_provisional: bool = False,
    ) -> None:
        """`due` is the handling deadline moved by the requested working days; it is only
        applied when approved."""
        self._require("decide-extension")
        if self.extension_requested is None:
            raise MoveNotAllowed("decide-extension", self.status, "no extension is pending")
        self._on_extension_decided(
            actor=actor,
            timestamp=at,
            approved=approved,
            note=note,
            due=due if approved else self.handling_due,
            due_provisional=due_provisional if approved else self.handling_due_provisional,
        )

    def reply_to(self, actor: Actor, at: datetime, *, answer: str) -> None:
        self._require_handler("reply", actor)
        self._on_replied(actor=actor, timestamp=at, answer=answer)

    def review(
        self,
        actor: Actor,
        at: datetime,
        *,
        approved: bool,
        note: str | None,
        redo_due: datetime,
        redo_provisional: bool = False,
        redo_working_days: int | None = None,
    ) -> None:
        """Approve the reply, or send it back to the same department to redo by `redo_due`
        (`redo_working_days` after `at`)."""
        self._require("review")
        if not approved and not note:
            raise RuleViolated("note", "a redo needs a note saying what to redo")
        self._on_reviewed(
            actor=actor,
            timestamp=at,
            approved=approved,
            note=note,
            due=None if approved else redo_due,
            due_provisional=None if approved else redo_provisional,
            working_days=None if approved else redo_working_days,
        )

    def rate(
        self,
        actor: Actor,
        at: datetime,
        *,
        rating: Rating,
        comment: str | None,
        redo_due: datetime,
        redo_provisional: bool = False,
        redo_working_days: int | None = None,
    ) -> None:
        self._require_lodger("rate", actor)
        redo = not rating.is_satisfied
        self._on_rated(
            actor=actor,
            timestamp=at,
            rating=rating,
            comment=comment,
            due=redo_due if redo else None,
            due_provisional=redo_provisional if redo else None,
            working_days=redo_working_days if redo else None,
        )

    def supervise(self, actor: Actor, at: datetime, *, note: str) -> None:
        self._require("supervise")
        self._on_supervised(actor=actor, timestamp=at, note=note)

    def withdraw(self, actor: Actor, at: datetime, *, reason: str) -> None:
        self._require_lodger("withdraw", actor)
        self._on_withdrawn(actor=actor, timestamp=at, reason=reason)

    def close(self, actor: Actor, at: datetime, *, note: str | None) -> None:
        self._require("close")
        self._on_closed(actor=actor, timestamp=at, note=note)

    def remind(self, actor: Actor, at: datetime, *, escalate_after: datetime) -> None:
        """催办: the current step's deadline has passed. One reminder per deadline."""
        self._require("remind")
        step, due = self._overdue_step("remind", at)
        reminders.check_remind("remind", self.status, key=due, reminded=self.reminded_due)
        self._on_reminded(
            actor=actor, timestamp=at, step=step, due=due, escalate_after=escalate_after
        )

    def escalate(self, actor: Actor, at: datetime) -> None:
        """Still overdue when the reminder's grace has run out: the supervisors are told."""
        self._require("escalate")
        step, due = self._overdue_step("escalate", at)
        reminders.check_escalate(
            "escalate", self.status, key=due, reminded=self.reminded_due,
            escalated=self.escalated_due, escalate_after=self.escalate_after, at=at,
        )  # fmt: skip
        self._on_escalated(actor=actor, timestamp=at, step=step, due=due)

    def _overdue_step(self, move: str, at: datetime) -> tuple[str, datetime]:
        return reminders.overdue_step(move, self.status, self.current_deadline, at)

    def recompute_deadlines(
        self, actor: Actor, at: datetime, changes: list[deadlines.Recompute]
    ) -> None:
        """The calendar changed: rewrite each open deadline it now puts elsewhere
        (domain/deadlines.py decides which), one event per step. The system's move
        (domain/complaint_case.py), kept out of MOVE_FROM: no user ever makes it."""
        if not self.is_open:
            raise MoveNotAllowed(deadlines.MOVE, self.status)
        open_steps = {d.step: d.due for d in self.open_deadlines()}
        for change in changes:
            if open_steps.get(change.step) != change.old_due or change.old_due <= at:
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

    # --- events: state changes only ------------------------------------------------

    def _clear_acceptance(self) -> None:
        self.acceptance_due = None
        self.acceptance_due_provisional = False
        self.acceptance_basis = None

    def _set_handling(self, due: datetime | None, provisional: bool | None, basis: Any) -> None:
        self.handling_due = due
        self.handling_due_provisional = bool(provisional) and due is not None
        self.handling_basis = basis if due is not None else None

    @event("Accepted")
    def _on_accepted(
        self, actor: Actor, timestamp: datetime, note: str | None, urgent: bool
    ) -> None:
        self.status = Status.ACCEPTED
        self.accepted_at = timestamp
        self._clear_acceptance()
        self.urgent = urgent
        self.last_reason = note

    @event("Rejected")
    def _on_rejected(self, actor: Actor, timestamp: datetime, reason: str) -> None:
        self.status = Status.REJECTED
        self._clear_acceptance()
        self.closed_at = timestamp
        self.last_reason = reason

    @event("Transferred")
    def _on_transferred(
        self,
        actor: Actor,
        timestamp: datetime,
        department: str,
        working_days: int,
        due: datetime,
        due_provisional: bool | None = None,
    ) -> None:
        self.status = Status.TRANSFERRED
        self.department = department
        if department not in self.departments:
            self.departments = [*self.departments, department]
        self.transferred_at = timestamp
        self._set_handling(due, due_provisional, DueBasis(start=timestamp, steps=(working_days,)))

    @event("SentBack")
    def _on_sent_back(self, actor: Actor, timestamp: datetime, reason: str) -> None:
        self.status = Status.ACCEPTED
        self.department = None
        self._set_handling(None, None, None)
        self.extension_requested = None
        self.last_reason = reason

    @event("ExtensionRequested")
    def _on_extension_requested(
        self, actor: Actor, timestamp: datetime, working_days: int, reason: str
    ) -> None:
        self.extension_requested = working_days
        self.last_reason = reason

    @event("ExtensionDecided")
    def _on_extension_decided(
        self,
        actor: Actor,
        timestamp: datetime,
        approved: bool,
        note: str | None,
        due: datetime | None,
        due_provisional: bool | None = None,
    ) -> None:
        basis = self.handling_basis
        if approved and basis is not None and self.extension_requested is not None:
            basis = basis.extended(self.extension_requested)
        elif approved:
            basis = None
        self.extension_requested = None
        self._set_handling(due, due_provisional, basis)
        self.last_reason = note

    @event("Replied")
    def _on_replied(self, actor: Actor, timestamp: datetime, answer: str) -> None:
        self.status = Status.REPLIED
        self.reply = answer
        self.replied_at = timestamp
        self._set_handling(None, None, None)
        self.extension_requested = None

    @event("Reviewed")
    def _on_reviewed(
        self,
        actor: Actor,
        timestamp: datetime,
        approved: bool,
        note: str | None,
        due: datetime | None,
        due_provisional: bool | None = None,
        working_days: int | None = None,
    ) -> None:
        self.last_reason = note
        if approved:
            self.status = Status.AWAITING_RATING
        else:
            self._redo(timestamp, due, due_provisional, working_days)

    @event("Rated")
    def _on_rated(
        self,
        actor: Actor,
        timestamp: datetime,
        rating: Rating,
        comment: str | None,
        due: datetime | None,
        due_provisional: bool | None = None,
        working_days: int | None = None,
    ) -> None:
        self.rating = rating
        self.last_reason = comment
        if rating.is_satisfied:
            self.status = Status.CLOSED
            self.closed_at = timestamp
        else:
            self._redo(timestamp, due, due_provisional, working_days)

    def _redo(
        self,
        at: datetime,
        due: datetime | None,
        provisional: bool | None,
        working_days: int | None,
    ) -> None:
        self.status = Status.TRANSFERRED
        self.transferred_at = at
        basis = None if working_days is None else DueBasis(start=at, steps=(working_days,))
        self._set_handling(due, provisional, basis)
        self.redo_count += 1

    @event("Supervised")
    def _on_supervised(self, actor: Actor, timestamp: datetime, note: str) -> None:
        self.supervision_count += 1
        self.last_reason = note

    @event("Withdrawn")
    def _on_withdrawn(self, actor: Actor, timestamp: datetime, reason: str) -> None:
        self.status = Status.WITHDRAWN
        self._clear_acceptance()
        self._set_handling(None, None, None)
        self.extension_requested = None
        self.closed_at = timestamp
        self.last_reason = reason

    @event("Reminded")
    def _on_reminded(
        self, actor: Actor, timestamp: datetime, step: str, due: datetime, escalate_after: datetime
    ) -> None:
        self.reminded_due = due
        self.escalate_after = escalate_after
        self.reminders += 1

    @event("Escalated")
    def _on_escalated(self, actor: Actor, timestamp: datetime, step: str, due: datetime) -> None:
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
        if step == "acceptance":
            self.acceptance_due = new_due
            self.acceptance_due_provisional = due_provisional
        else:
            self.handling_due = new_due
            self.handling_due_provisional = due_provisional

    @event("Closed")
    def _on_closed(self, actor: Actor, timestamp: datetime, note: str | None) -> None:
        self.status = Status.CLOSED
        self.closed_at = timestamp
        self.last_reason = note
