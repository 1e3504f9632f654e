"""The Complaint aggregate: an enterprise's complaint, appeal or report, from lodging
to closing (DOMAIN.md, "Complaint or appeal").

Each public method is a command: it checks the rules against the current state and
raises a named error, or records exactly one event. The `_on_...` methods decorated
with `@event` only change state, so replaying stored events never re-runs a rule.
Time is always passed in (`at`); deadlines are computed by the caller from the
working-day calendar and passed in too.

Every step the case waits on has a deadline (issue 11 §2): acceptance while lodged,
transfer while accepted (the bureau's), handling while transferred (the department's),
review while replied (the supervisors'), rating while awaiting rating (the enterprise's
window: when it passes unrated, the system closes the case as not rated). Each step's
due is kept with whether it is provisional and how it was computed (`<step>_due`,
`<step>_due_provisional`, `<step>_basis`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Final, NamedTuple
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain import deadlines, reminders
from domain.calendar import DueBasis
from domain.errors import MoveNotAllowed, RuleViolated
from domain.reminders import BY_HAND, Reminder
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
    # A rating the enterprise gave by phone, recorded for it by a clerk (issue 11 §5).
    "record-rating": frozenset({Role.CLERK}),
    # 催办: raised by the deadline watcher when a deadline has passed, or by a
    # supervisor by hand with a note (issue 11 §3); escalation: the watcher only.
    "remind": frozenset({Role.SYSTEM}) | BY_HAND,
    "escalate": frozenset({Role.SYSTEM}),
    # The rating window passed unrated: the watcher closes the case as not rated.
    "close-unrated": frozenset({Role.SYSTEM}),
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
    "record-rating": frozenset({Status.AWAITING_RATING}),
    # By hand on any step; the watcher only on the steps in SYSTEM_REMINDED.
    "remind": OPEN_STATUSES,
    "escalate": frozenset({Status.LODGED, Status.ACCEPTED, Status.TRANSFERRED, Status.REPLIED}),
    "close-unrated": frozenset({Status.AWAITING_RATING}),
}

# The step a case waits on in each open status; each has a deadline (`<step>_due`).
STEP_OF: Final[dict[Status, str]] = {
    Status.LODGED: "acceptance",
    Status.ACCEPTED: "transfer",
    Status.TRANSFERRED: "handling",
    Status.REPLIED: "review",
    Status.AWAITING_RATING: "rating",
}
STEPS: Final[tuple[str, ...]] = tuple(STEP_OF.values())
# The steps the deadline watcher reminds and escalates when late. The rating window is
# the enterprise's: its passing closes the case instead (`close-unrated`).
SYSTEM_REMINDED: Final[frozenset[str]] = frozenset({"acceptance", "transfer", "handling", "review"})
# Who acts on each step: the bureau's intake (clerks), the department the case is with,
# the supervisors, the lodging enterprise. The department ranking counts only the
# department's step (handling).
OWNER_OF: Final[dict[str, str]] = {
    "acceptance": "bureau",
    "transfer": "bureau",
    "handling": "department",
    "review": "bureau",
    "rating": "enterprise",
}
NOT_RATED: Final[str] = "not_rated"
NO_RATING_REMINDER = "the rating window is not reminded: when it passes the case closes unrated"


class StepDue(NamedTuple):
    """A step's deadline as the caller computed it: when, whether provisional, and the
    working days counted from the move (kept to compute it again: domain/deadlines.py)."""

    at: datetime
    provisional: bool
    working_days: int


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
    # Several steps may fall due at the same instant: reminders are about a step and its
    # due (every Reminded and Escalated event names its step).
    reminded_step: str | None
    escalated_step: str | None
    # The step the case waits on now: its reminders, and how many times it was escalated
    # (the level, 0 when never) and when last (domain/reminders.py).
    open_reminders: list[Reminder]
    escalation_level: int
    escalated_at: datetime | None
    # The bureau's own steps and the enterprise's rating window (issue 11 §2).
    transfer_due: datetime | None
    transfer_due_provisional: bool
    transfer_basis: DueBasis | None
    review_due: datetime | None
    review_due_provisional: bool
    review_basis: DueBasis | None
    rating_due: datetime | None
    rating_due_provisional: bool
    rating_basis: DueBasis | None
    reviewed_at: datetime | None  # the approving review that opened the rating window
    rating_lapsed: bool  # closed by the system when the window passed unrated
    # A rating the enterprise gave by phone and a clerk recorded (issue 11 §5).
    rating_channel: Channel | None
    rating_call_reference: str | None
    rating_called_at: datetime | None
    rating_recorded_by: Actor | None
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
        urgent: bool | None = None,
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
        self.urgent = bool(urgent)
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
        self.reminded_step = None
        self.escalated_step = None
        self.open_reminders = []
        self.escalation_level = 0
        self.escalated_at = None
        for step in ("transfer", "review", "rating"):
            self._set_due(step, None, None, None)
        self.reviewed_at = None
        self.rating_lapsed = False
        self._set_rating_record(None, None, None, None)

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
    def current_step(self) -> str | None:
        """The step the case waits on (None once it is final)."""
        return STEP_OF.get(self.status)

    @property
    def current_deadline(self) -> tuple[str, datetime] | None:
        """The step the case waits on and its deadline, when that step has one."""
        step = self.current_step
        if step is None:
            return None
        due = getattr(self, f"{step}_due", None)
        return None if due is None else (step, due)

    @property
    def due_provisional(self) -> bool:
        """Whether the deadline of the step the case waits on is provisional."""
        current = self.current_deadline
        return current is not None and bool(getattr(self, f"{current[0]}_due_provisional"))

    def open_deadlines(self) -> list[deadlines.OpenDeadline]:
        current = self.current_deadline
        if current is None:
            return []
        step, due = current
        return [
            deadlines.OpenDeadline(
                step, due, self.due_provisional, getattr(self, f"{step}_basis", None)
            )
        ]

    @property
    def rating_shown(self) -> str | None:
        """The rating as the case shows it: a level, `not_rated` once the window passed
        unrated, or None."""
        if self.rating is not None:
            return self.rating.value
        return NOT_RATED if getattr(self, "rating_lapsed", False) else None

    # --- commands ------------------------------------------------------------------

    def accept(
        self,
        actor: Actor,
        at: datetime,
        *,
        note: str | None,
        urgent: bool,
        transfer_due: StepDue | None = None,
    ) -> None:
        """`transfer_due`: when the case must be transferred to a department."""
        self._require("accept")
        self._on_accepted(
            actor=actor,
            timestamp=at,
            note=note,
            urgent=urgent,
            **_due_fields("transfer", transfer_due),
        )

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

    def send_back(
        self, actor: Actor, at: datetime, *, reason: str, transfer_due: StepDue | None = None
    ) -> None:
        """`transfer_due`: when the bureau must transfer the case again."""
        self._require_handler("send-back", actor)
        self._on_sent_back(
            actor=actor, timestamp=at, reason=reason, **_due_fields("transfer", transfer_due)
        )

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

    def reply_to(
        self, actor: Actor, at: datetime, *, answer: str, review_due: StepDue | None = None
    ) -> None:
        """`review_due`: when the supervisors must have reviewed the reply."""
        self._require_handler("reply", actor)
        self._on_replied(
            actor=actor, timestamp=at, answer=answer, **_due_fields("review", review_due)
        )

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
        rating_due: StepDue | None = None,
    ) -> None:
        """Approve the reply, opening the enterprise's rating window until `rating_due`,
        or send it back to the same department to redo by `redo_due` (`redo_working_days`
        after `at`)."""
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
            **_due_fields("rating", rating_due if approved else None),
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
        if self.rating_due is not None and at > self.rating_due:
            raise MoveNotAllowed("rate", self.status, self._window_closed())
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

    def record_rating(
        self,
        actor: Actor,
        at: datetime,
        *,
        rating: Rating,
        comment: str | None,
        call_reference: str,
        called_at: datetime,
        redo_due: datetime,
        redo_provisional: bool = False,
        redo_working_days: int | None = None,
    ) -> None:
        """A clerk records the rating the enterprise gave by phone (the hotline), naming
        the call. The call must fall inside the rating window (after the approving review,
        by its due) and not after the recording; the rating then counts as the
        enterprise's own (it closes the case or sends it back to redo), and the enterprise
        can no longer rate this reply itself."""
        self._require("record-rating")
        if called_at > at:
            raise RuleViolated("called_at", "must not be after the rating is recorded")
        if self.reviewed_at is not None and called_at < self.reviewed_at:
            raise RuleViolated(
                "called_at",
                f"must not be before the rating window opened ({self.reviewed_at.isoformat()})",
            )
        if self.rating_due is not None and called_at > self.rating_due:
            raise RuleViolated(
                "called_at",
                f"must be within the rating window (until {self.rating_due.isoformat()})",
            )
        redo = not rating.is_satisfied
        self._on_rated(
            actor=actor,
            timestamp=at,
            rating=rating,
            comment=comment,
            due=redo_due if redo else None,
            due_provisional=redo_provisional if redo else None,
            working_days=redo_working_days if redo else None,
            channel=Channel.HOTLINE,
            call_reference=call_reference,
            called_at=called_at,
            recorded_for=self.complainant.credit_code,
        )

    def close_unrated(self, actor: Actor, at: datetime) -> None:
        """The rating window has passed and nobody rated: the case closes, not rated (the
        system's move; never counted as satisfied)."""
        self._require("close-unrated")
        if self.rating_due is None or at <= self.rating_due:
            raise MoveNotAllowed("close-unrated", self.status, "the rating window has not passed")
        self._on_closed_unrated(
            actor=actor, timestamp=at, rating=NOT_RATED, rating_due=self.rating_due
        )

    def _window_closed(self) -> str:
        assert self.rating_due is not None
        return f"the rating window closed at {self.rating_due.isoformat()}"

    def supervise(self, actor: Actor, at: datetime, *, note: str) -> None:
        self._require("supervise")
        self._on_supervised(actor=actor, timestamp=at, note=note)

    def withdraw(self, actor: Actor, at: datetime, *, reason: str) -> None:
        self._require_lodger("withdraw", actor)
        self._on_withdrawn(actor=actor, timestamp=at, reason=reason)

    def close(self, actor: Actor, at: datetime, *, note: str | None) -> None:
        self._require("close")
        self._on_closed(actor=actor, timestamp=at, note=note)

    def remind(
        self, actor: Actor, at: datetime, *, escalate_after: datetime, note: str | None = None
    ) -> None:
        """催办. The system: the current step's deadline has passed; one reminder per step
        and deadline. A supervisor: by hand, with a note, on whatever step the case waits
        on, at any time (domain/reminders.py says when it stands as the deadline's
        reminder)."""
        self._require("remind")
        step = self.current_step
        assert step is not None  # every open status waits on a step
        due: datetime | None  # by hand: the step's due, if it has one
        if actor.role is Role.SYSTEM:
            if step not in SYSTEM_REMINDED:
                raise MoveNotAllowed("remind", self.status, NO_RATING_REMINDER)
            step, due = self._overdue_step("remind", at)
            reminders.check_remind("remind", self.status, key=(step, due), reminded=self._reminded)
            stands = True
        else:
            reminders.check_by_hand(actor, note)
            due = getattr(self, f"{step}_due", None)
            stands = step in SYSTEM_REMINDED and reminders.stands_for_deadline(
                key=(step, due), due=due, reminded=self._reminded, at=at
            )
        self._on_reminded(
            actor=actor,
            timestamp=at,
            step=step,
            due=due,
            escalate_after=escalate_after if stands else None,
            note=note,
        )

    def escalate(self, actor: Actor, at: datetime) -> None:
        """Still overdue when the reminder's grace has run out: the supervisors are told.
        Each escalation of the step the case waits on raises its level by one."""
        self._require("escalate")
        step, due = self._overdue_step("escalate", at)
        reminders.check_escalate(
            "escalate", self.status, key=(step, due), reminded=self._reminded,
            escalated=(self.escalated_step, self.escalated_due),
            escalate_after=self.escalate_after, at=at,
        )  # fmt: skip
        self._on_escalated(
            actor=actor, timestamp=at, step=step, due=due, level=self.escalation_level + 1
        )

    @property
    def _reminded(self) -> tuple[str | None, datetime | None]:
        """The (step, due) the deadline's reminder was last about."""
        return self.reminded_step, self.reminded_due

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

    # --- events: state changes only ------------------------------------------------

    def _set_due(
        self, step: str, due: datetime | None, provisional: bool | None, basis: Any
    ) -> None:
        setattr(self, f"{step}_due", due)
        setattr(self, f"{step}_due_provisional", bool(provisional) and due is not None)
        setattr(self, f"{step}_basis", basis if due is not None else None)

    def _set_step_due(
        self,
        step: str,
        at: datetime,
        due: datetime | None,
        provisional: bool | None,
        working_days: int | None,
    ) -> None:
        """`step`'s deadline as an event carries it (`working_days` after `at`); events
        stored before the step had a deadline carry None."""
        basis = None if working_days is None else DueBasis(start=at, steps=(working_days,))
        self._set_due(step, due, provisional, basis)

    def _clear_acceptance(self) -> None:
        self._set_due("acceptance", None, None, None)

    def _set_handling(self, due: datetime | None, provisional: bool | None, basis: Any) -> None:
        self._set_due("handling", due, provisional, basis)

    def _clear_dues(self) -> None:
        for step in STEPS:
            self._set_due(step, None, None, None)

    def _enter_step(self) -> None:
        """The case moved on to another step (or ended): the reminders and escalations of
        the step it waited on are no longer open."""
        self.open_reminders = []
        self.escalation_level = 0
        self.escalated_at = None

    def _set_rating_record(
        self,
        channel: Channel | None,
        call_reference: str | None,
        called_at: datetime | None,
        recorded_by: Actor | None,
    ) -> None:
        self.rating_channel = channel
        self.rating_call_reference = call_reference
        self.rating_called_at = called_at
        self.rating_recorded_by = recorded_by

    @event("Accepted")
    def _on_accepted(
        self,
        actor: Actor,
        timestamp: datetime,
        note: str | None,
        urgent: bool,
        transfer_due: datetime | None = None,
        transfer_due_provisional: bool | None = None,
        transfer_working_days: int | None = None,
    ) -> None:
        self.status = Status.ACCEPTED
        self.accepted_at = timestamp
        self._clear_acceptance()
        self._set_step_due(
            "transfer", timestamp, transfer_due, transfer_due_provisional, transfer_working_days
        )
        self.urgent = urgent
        self.last_reason = note
        self._enter_step()

    @event("Rejected")
    def _on_rejected(self, actor: Actor, timestamp: datetime, reason: str) -> None:
        self.status = Status.REJECTED
        self._clear_dues()
        self.closed_at = timestamp
        self.last_reason = reason
        self._enter_step()

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
        self._set_due("transfer", None, None, None)
        self._set_handling(due, due_provisional, DueBasis(start=timestamp, steps=(working_days,)))
        self._enter_step()

    @event("SentBack")
    def _on_sent_back(
        self,
        actor: Actor,
        timestamp: datetime,
        reason: str,
        transfer_due: datetime | None = None,
        transfer_due_provisional: bool | None = None,
        transfer_working_days: int | None = None,
    ) -> None:
        self.status = Status.ACCEPTED
        self.department = None
        self._set_handling(None, None, None)
        self._set_step_due(
            "transfer", timestamp, transfer_due, transfer_due_provisional, transfer_working_days
        )
        self.extension_requested = None
        self.last_reason = reason
        self._enter_step()

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
    def _on_replied(
        self,
        actor: Actor,
        timestamp: datetime,
        answer: str,
        review_due: datetime | None = None,
        review_due_provisional: bool | None = None,
        review_working_days: int | None = None,
    ) -> None:
        self.status = Status.REPLIED
        self.reply = answer
        self.replied_at = timestamp
        self._set_handling(None, None, None)
        self._set_step_due(
            "review", timestamp, review_due, review_due_provisional, review_working_days
        )
        self.extension_requested = None
        self._enter_step()

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
        rating_due: datetime | None = None,
        rating_due_provisional: bool | None = None,
        rating_working_days: int | None = None,
    ) -> None:
        self.last_reason = note
        self._set_due("review", None, None, None)
        if approved:
            self.status = Status.AWAITING_RATING
            self.reviewed_at = timestamp
            self._set_step_due(
                "rating", timestamp, rating_due, rating_due_provisional, rating_working_days
            )
        else:
            self._redo(timestamp, due, due_provisional, working_days)
        self._enter_step()

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
        channel: Channel | None = None,
        call_reference: str | None = None,
        called_at: datetime | None = None,
        recorded_for: str | None = None,
    ) -> None:
        """`recorded_for` (the enterprise's credit code), `channel`, `call_reference` and
        `called_at`: a rating given by phone that the actor (a clerk) recorded for it."""
        self.rating = rating
        self.last_reason = comment
        self._set_due("rating", None, None, None)
        self._set_rating_record(
            channel, call_reference, called_at, actor if recorded_for is not None else None
        )
        if rating.is_satisfied:
            self.status = Status.CLOSED
            self.closed_at = timestamp
        else:
            self._redo(timestamp, due, due_provisional, working_days)
        self._enter_step()

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
        self._clear_dues()
        self.extension_requested = None
        self.closed_at = timestamp
        self.last_reason = reason
        self._enter_step()

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
            self.reminded_step = step
            self.reminded_due = due
            self.escalate_after = escalate_after
        self.reminders += 1
        self.open_reminders = [
            *self.open_reminders,
            Reminder(at=timestamp, by=actor, step=step, due=due, note=note),
        ]

    @event("Escalated")
    def _on_escalated(
        self,
        actor: Actor,
        timestamp: datetime,
        step: str,
        due: datetime,
        level: int | None = None,
    ) -> None:
        self.escalated_step = step
        self.escalated_due = due
        self.escalation_level += 1
        self.escalated_at = timestamp

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
        setattr(self, f"{step}_due", new_due)
        setattr(self, f"{step}_due_provisional", due_provisional)

    @event("Closed")
    def _on_closed(self, actor: Actor, timestamp: datetime, note: str | None) -> None:
        self.status = Status.CLOSED
        self._clear_dues()
        self.closed_at = timestamp
        self.last_reason = note
        self._enter_step()

    @event("ClosedUnrated")
    def _on_closed_unrated(
        self, actor: Actor, timestamp: datetime, rating: str, rating_due: datetime
    ) -> None:
        """`rating` is always `not_rated`: the history says so in words."""
        self.status = Status.CLOSED
        self._clear_dues()
        self.rating_lapsed = True
        self.closed_at = timestamp
        self.last_reason = None
        self._enter_step()


def _due_fields(step: str, due: StepDue | None) -> dict[str, Any]:
    """A step's deadline as an event's fields (all None when there is none)."""
    return {
        f"{step}_due": None if due is None else due.at,
        f"{step}_due_provisional": None if due is None else due.provisional,
        f"{step}_working_days": None if due is None else due.working_days,
    }
