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
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain import reminders
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

    class Event(Aggregate.Event):
        """Every complaint event names its actor; `timestamp` is the time passed in."""

    @staticmethod
    def create_id() -> UUID:
        return uuid4()

    @event("Lodged")
    def __init__(
        self,
        *,
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

    # --- commands ------------------------------------------------------------------

    def accept(self, actor: Actor, at: datetime, *, note: str | None, urgent: bool) -> None:
        self._require("accept")
        self._on_accepted(actor=actor, timestamp=at, note=note, urgent=urgent)

    def reject(self, actor: Actor, at: datetime, *, reason: str) -> None:
        self._require("reject")
        self._on_rejected(actor=actor, timestamp=at, reason=reason)

    def transfer(
        self, actor: Actor, at: datetime, *, department: str, working_days: int, due: datetime
    ) -> None:
        self._require("transfer")
        self._on_transferred(
            actor=actor, timestamp=at, department=department, working_days=working_days, due=due
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
        self, actor: Actor, at: datetime, *, approved: bool, note: str | None, due: datetime
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
        )

    def reply_to(self, actor: Actor, at: datetime, *, answer: str) -> None:
        self._require_handler("reply", actor)
        self._on_replied(actor=actor, timestamp=at, answer=answer)

    def review(
        self, actor: Actor, at: datetime, *, approved: bool, note: str | None, redo_due: datetime
    ) -> None:
        """Approve the reply, or send it back to the same department to redo by `redo_due`."""
        self._require("review")
        if not approved and not note:
            raise RuleViolated("note", "a redo needs a note saying what to redo")
        self._on_reviewed(
            actor=actor,
            timestamp=at,
            approved=approved,
            note=note,
            due=None if approved else redo_due,
        )

    def rate(
        self, actor: Actor, at: datetime, *, rating: Rating, comment: str | None, redo_due: datetime
    ) -> None:
        self._require_lodger("rate", actor)
        self._on_rated(
            actor=actor,
            timestamp=at,
            rating=rating,
            comment=comment,
            due=None if rating.is_satisfied else redo_due,
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

    # --- events: state changes only ------------------------------------------------

    @event("Accepted")
    def _on_accepted(
        self, actor: Actor, timestamp: datetime, note: str | None, urgent: bool
    ) -> None:
        self.status = Status.ACCEPTED
        self.accepted_at = timestamp
        self.acceptance_due = None
        self.urgent = urgent
        self.last_reason = note

    @event("Rejected")
    def _on_rejected(self, actor: Actor, timestamp: datetime, reason: str) -> None:
        self.status = Status.REJECTED
        self.acceptance_due = None
        self.closed_at = timestamp
        self.last_reason = reason

    @event("Transferred")
    def _on_transferred(
        self, actor: Actor, timestamp: datetime, department: str, working_days: int, due: datetime
    ) -> None:
        self.status = Status.TRANSFERRED
        self.department = department
        if department not in self.departments:
            self.departments = [*self.departments, department]
        self.transferred_at = timestamp
        self.handling_due = due

    @event("SentBack")
    def _on_sent_back(self, actor: Actor, timestamp: datetime, reason: str) -> None:
        self.status = Status.ACCEPTED
        self.department = None
        self.handling_due = None
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
    ) -> None:
        self.extension_requested = None
        self.handling_due = due
        self.last_reason = note

    @event("Replied")
    def _on_replied(self, actor: Actor, timestamp: datetime, answer: str) -> None:
        self.status = Status.REPLIED
        self.reply = answer
        self.replied_at = timestamp
        self.handling_due = None
        self.extension_requested = None

    @event("Reviewed")
    def _on_reviewed(
        self,
        actor: Actor,
        timestamp: datetime,
        approved: bool,
        note: str | None,
        due: datetime | None,
    ) -> None:
        self.last_reason = note
        if approved:
            self.status = Status.AWAITING_RATING
        else:
            self._redo(timestamp, due)

    @event("Rated")
    def _on_rated(
        self,
        actor: Actor,
        timestamp: datetime,
        rating: Rating,
        comment: str | None,
        due: datetime | None,
    ) -> None:
        self.rating = rating
        self.last_reason = comment
        if rating.is_satisfied:
            self.status = Status.CLOSED
            self.closed_at = timestamp
        else:
            self._redo(timestamp, due)

    def _redo(self, at: datetime, due: datetime | None) -> None:
        self.status = Status.TRANSFERRED
        self.transferred_at = at
        self.handling_due = due
        self.redo_count += 1

    @event("Supervised")
    def _on_supervised(self, actor: Actor, timestamp: datetime, note: str) -> None:
        self.supervision_count += 1
        self.last_reason = note

    @event("Withdrawn")
    def _on_withdrawn(self, actor: Actor, timestamp: datetime, reason: str) -> None:
        self.status = Status.WITHDRAWN
        self.acceptance_due = None
        self.handling_due = None
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

    @event("Closed")
    def _on_closed(self, actor: Actor, timestamp: datetime, note: str | None) -> None:
        self.status = Status.CLOSED
        self.closed_at = timestamp
        self.last_reason = note
