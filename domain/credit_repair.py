"""The CreditRepair aggregate: an enterprise's application to repair an administrative-
penalty credit record (信用修复), from application to the national centre's outcome
(DOMAIN.md, "Credit repair").

The bureau makes an initial review (初审) and a re-review (复审), each due within one
working day of the application, then submits the application to the national credit
information centre, whose final review (终审) ends it repaired or refused. The applying
enterprise may withdraw before submission. A review past its due gets a reminder (催办)
from the deadline watcher, and if still pending 5 working days later an `Escalated`
event for the supervisors.

As in `domain/complaint.py`: each public method is a command that checks the rules and
raises a named error, or records exactly one event; the `_on_...` methods decorated with
`@event` only change state. Time and deadlines are passed in.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Self
from uuid import UUID, uuid4

import msgspec
from eventsourcing.domain import Aggregate, event

from domain import deadlines, reminders
from domain.calendar import DueBasis
from domain.errors import MoveNotAllowed, RuleViolated
from domain.values import Actor, Role


class Status(StrEnum):
    APPLIED = "applied"
    INITIALLY_REVIEWED = "initially_reviewed"
    RE_REVIEWED = "re_reviewed"
    SUBMITTED = "submitted"
    REPAIRED = "repaired"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


OPEN_STATUSES = frozenset(
    {Status.APPLIED, Status.INITIALLY_REVIEWED, Status.RE_REVIEWED, Status.SUBMITTED}
)
FINAL_STATUSES = frozenset({Status.REPAIRED, Status.REFUSED, Status.WITHDRAWN})


class Severity(StrEnum):
    """How serious the penalty behind the credit record was (轻微 / 一般 / 严重)."""

    MINOR = "minor"
    GENERAL = "general"
    SERIOUS = "serious"


class Outcome(StrEnum):
    """The national credit information centre's final review (终审)."""

    REPAIRED = "repaired"
    REFUSED = "refused"


class Stage(StrEnum):
    """Where a refused application was refused."""

    INITIAL_REVIEW = "initial_review"
    RE_REVIEW = "re_review"
    NATIONAL_CENTRE = "national_centre"


class Enterprise(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The enterprise whose credit record is to be repaired."""

    name: str
    credit_code: str


# Which roles may ever make each move (checked before the case is even looked up).
MOVE_ROLES: dict[str, frozenset[Role]] = {
    "apply": frozenset({Role.ENTERPRISE, Role.CLERK}),
    "initial-review": frozenset({Role.CLERK, Role.SUPERVISOR}),
    "re-review": frozenset({Role.SUPERVISOR}),
    "submit": frozenset({Role.CLERK, Role.SUPERVISOR}),
    "record-outcome": frozenset({Role.CLERK, Role.SUPERVISOR}),
    "withdraw": frozenset({Role.ENTERPRISE}),
    # 催办: raised by the deadline watcher when a review's due has passed, or by a
    # supervisor by hand with a note (issue 11 §3); escalation: the watcher only.
    "remind": frozenset({Role.SYSTEM}) | reminders.BY_HAND,
    "escalate": frozenset({Role.SYSTEM}),
}

# The status each move requires: the transition table the tests check against.
MOVE_FROM: dict[str, frozenset[Status]] = {
    "initial-review": frozenset({Status.APPLIED}),
    "re-review": frozenset({Status.INITIALLY_REVIEWED}),
    "submit": frozenset({Status.RE_REVIEWED}),
    "record-outcome": frozenset({Status.SUBMITTED}),
    "withdraw": frozenset({Status.APPLIED, Status.INITIALLY_REVIEWED, Status.RE_REVIEWED}),
    "remind": frozenset({Status.APPLIED, Status.INITIALLY_REVIEWED}),
    "escalate": frozenset({Status.APPLIED, Status.INITIALLY_REVIEWED}),
}

NOT_THE_APPLICANT = "only the applying enterprise may do this"
SAME_REVIEWER = "the re-review must be made by someone other than the initial reviewer"


def _has_text(value: str | None) -> bool:
    return bool(value and value.strip())


class CreditRepair(Aggregate):
    """An application to repair one administrative-penalty credit record."""

    # The state a snapshot holds (also typed so snapshots decode with msgspec).
    enterprise: Enterprise
    record_id: str
    penalty_authority: str
    severity: Severity
    proof: str
    pledge_signed: bool
    applied_by: Actor
    applied_at: datetime
    status: Status
    initial_review_due: datetime
    re_review_due: datetime
    initial_reviewed_by: Actor | None
    initial_reviewed_at: datetime | None
    initial_passed: bool | None
    re_reviewed_by: Actor | None
    re_reviewed_at: datetime | None
    re_review_passed: bool | None
    submitted_at: datetime | None
    outcome: Outcome | None
    outcome_at: datetime | None
    refused_stage: Stage | None
    closed_at: datetime | None
    last_reason: str | None
    # Both reviews are due at the same instant, so a reminder is about a step and its due.
    reminded_step: str | None  # the step the last reminder (催办) was about
    reminded_due: datetime | None  # ... and its deadline
    escalate_after: datetime | None  # when that reminder escalates if still overdue
    escalated_step: str | None  # the step escalated to the supervisors
    escalated_due: datetime | None  # ... and its deadline
    reminders: int
    # Whether each review's due counted days of a year with no official schedule, and how
    # both were computed (domain/deadlines.py; None when stored before bases were kept).
    initial_review_due_provisional: bool
    re_review_due_provisional: bool
    review_basis: DueBasis | None

    class Event(Aggregate.Event):
        """Every credit-repair event names its actor; `timestamp` is the time passed in."""

    @staticmethod
    def create_id() -> UUID:
        return uuid4()

    @classmethod
    def apply_for(
        cls,
        actor: Actor,
        at: datetime,
        *,
        enterprise: Enterprise,
        record_id: str,
        penalty_authority: str,
        severity: Severity,
        proof: str,
        pledge_signed: bool,
        review_due: datetime,
        review_due_provisional: bool = False,
        review_working_days: int | None = None,
    ) -> Self:
        """The application; both reviews are due by `review_due` (from the application)."""
        if not pledge_signed:
            raise RuleViolated("pledge_signed", "the credit pledge (信用承诺书) must be signed")
        return cls(
            actor=actor,
            timestamp=at,
            enterprise=enterprise,
            record_id=record_id,
            penalty_authority=penalty_authority,
            severity=severity,
            proof=proof,
            pledge_signed=pledge_signed,
            initial_review_due=review_due,
            re_review_due=review_due,
            review_due_provisional=review_due_provisional,
            review_working_days=review_working_days,
        )

    @event("Applied")
    def __init__(  # not keyword-only: eventsourcing then requires even defaulted names
        self,
        actor: Actor,
        timestamp: datetime,
        enterprise: Enterprise,
        record_id: str,
        penalty_authority: str,
        severity: Severity,
        proof: str,
        pledge_signed: bool,
        initial_review_due: datetime,
        re_review_due: datetime,
        review_due_provisional: bool | None = None,
        review_working_days: int | None = None,
    ) -> None:
        self.enterprise = enterprise
        self.record_id = record_id
        self.penalty_authority = penalty_authority
        self.severity = severity
        self.proof = proof
        self.pledge_signed = pledge_signed
        self.applied_by = actor
        self.applied_at = timestamp
        self.status = Status.APPLIED
        self.initial_review_due = initial_review_due
        self.re_review_due = re_review_due
        self.initial_reviewed_by = None
        self.initial_reviewed_at = None
        self.initial_passed = None
        self.re_reviewed_by = None
        self.re_reviewed_at = None
        self.re_review_passed = None
        self.submitted_at = None
        self.outcome = None
        self.outcome_at = None
        self.refused_stage = None
        self.closed_at = None
        self.last_reason = None
        self.reminded_step = None
        self.reminded_due = None
        self.escalate_after = None
        self.escalated_step = None
        self.escalated_due = None
        self.reminders = 0
        self.initial_review_due_provisional = bool(review_due_provisional)
        self.re_review_due_provisional = bool(review_due_provisional)
        self.review_basis = (
            None
            if review_working_days is None
            else DueBasis(start=timestamp, steps=(review_working_days,))
        )

    # --- queries -------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def initial_on_time(self) -> bool | None:
        """Whether the initial review finished by its due; None until it finished."""
        if self.initial_reviewed_at is None:
            return None
        return self.initial_reviewed_at <= self.initial_review_due

    @property
    def re_review_on_time(self) -> bool | None:
        if self.re_reviewed_at is None:
            return None
        return self.re_reviewed_at <= self.re_review_due

    @property
    def current_deadline(self) -> tuple[str, datetime] | None:
        """The review the case waits on and its deadline, when it waits on one."""
        if self.status is Status.APPLIED:
            return Stage.INITIAL_REVIEW.value, self.initial_review_due
        if self.status is Status.INITIALLY_REVIEWED:
            return Stage.RE_REVIEW.value, self.re_review_due
        return None

    def open_deadlines(self) -> list[deadlines.OpenDeadline]:
        """The reviews still to make and their dues (both from the application)."""
        initial = deadlines.OpenDeadline(
            Stage.INITIAL_REVIEW.value,
            self.initial_review_due,
            self.initial_review_due_provisional,
            self.review_basis,
        )
        re_review = deadlines.OpenDeadline(
            Stage.RE_REVIEW.value,
            self.re_review_due,
            self.re_review_due_provisional,
            self.review_basis,
        )
        if self.status is Status.APPLIED:
            return [initial, re_review]
        if self.status is Status.INITIALLY_REVIEWED:
            return [re_review]
        return []

    def recompute_deadlines(
        self, actor: Actor, at: datetime, changes: list[deadlines.Recompute]
    ) -> None:
        """The calendar changed: the system's move (domain/deadlines.py), one event per
        review still to make (kept out of MOVE_FROM: no user ever makes it)."""
        open_deadlines = self.open_deadlines()
        if not open_deadlines:
            raise MoveNotAllowed(deadlines.MOVE, self.status)
        deadlines.check_changes(open_deadlines, changes, at, self.status)
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

    def _require(self, move: str) -> None:
        if self.status not in MOVE_FROM[move]:
            raise MoveNotAllowed(move, self.status)

    @staticmethod
    def _require_reason_if_refused(passed: bool, reason: str | None, what: str) -> None:
        if not passed and not _has_text(reason):
            raise RuleViolated("reason", f"a refusal {what} needs a reason")

    # --- commands ------------------------------------------------------------------

    def initial_review(
        self, actor: Actor, at: datetime, *, passed: bool, reason: str | None
    ) -> None:
        self._require("initial-review")
        self._require_reason_if_refused(passed, reason, "at initial review")
        self._on_initially_reviewed(
            actor=actor, timestamp=at, passed=passed, reason=reason, due=self.initial_review_due
        )

    def re_review(self, actor: Actor, at: datetime, *, passed: bool, reason: str | None) -> None:
        self._require("re-review")
        if self.initial_reviewed_by is not None and actor.id == self.initial_reviewed_by.id:
            raise MoveNotAllowed("re-review", self.status, SAME_REVIEWER)
        self._require_reason_if_refused(passed, reason, "at re-review")
        self._on_re_reviewed(
            actor=actor, timestamp=at, passed=passed, reason=reason, due=self.re_review_due
        )

    def submit(self, actor: Actor, at: datetime, *, note: str | None) -> None:
        """Send the reviewed application to the national credit information centre."""
        self._require("submit")
        self._on_submitted(actor=actor, timestamp=at, note=note)

    def record_outcome(
        self, actor: Actor, at: datetime, *, repaired: bool, reason: str | None
    ) -> None:
        """Record the national centre's final review (终审)."""
        self._require("record-outcome")
        self._require_reason_if_refused(repaired, reason, "by the national centre")
        self._on_outcome_recorded(actor=actor, timestamp=at, repaired=repaired, reason=reason)

    def withdraw(self, actor: Actor, at: datetime, *, reason: str) -> None:
        self._require("withdraw")
        if actor.role is not Role.ENTERPRISE or actor.org != self.enterprise.credit_code:
            raise MoveNotAllowed("withdraw", self.status, NOT_THE_APPLICANT)
        self._on_withdrawn(actor=actor, timestamp=at, reason=reason)

    def remind(
        self, actor: Actor, at: datetime, *, escalate_after: datetime, note: str | None = None
    ) -> None:
        """催办. The system: the pending review's due has passed; one reminder per step and
        deadline. A supervisor: by hand, with a note, at any time while a review is
        pending (domain/reminders.py says when it stands as the deadline's reminder)."""
        self._require("remind")
        reminded = (self.reminded_step, self.reminded_due)
        if actor.role is Role.SYSTEM:
            step, due = self._overdue_step("remind", at)
            reminders.check_remind("remind", self.status, key=(step, due), reminded=reminded)
            stands = True
        else:
            reminders.check_by_hand(actor, note)
            assert self.current_deadline is not None  # a review is pending (MOVE_FROM)
            step, due = self.current_deadline
            stands = reminders.stands_for_deadline(
                key=(step, due), due=due, reminded=reminded, at=at
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
        """Still overdue when the reminder's grace has run out: the supervisors are told."""
        self._require("escalate")
        step, due = self._overdue_step("escalate", at)
        reminders.check_escalate(
            "escalate", self.status, key=(step, due),
            reminded=(self.reminded_step, self.reminded_due),
            escalated=(self.escalated_step, self.escalated_due),
            escalate_after=self.escalate_after, at=at,
        )  # fmt: skip
        self._on_escalated(actor=actor, timestamp=at, step=step, due=due)

    def _overdue_step(self, move: str, at: datetime) -> tuple[str, datetime]:
        return reminders.overdue_step(move, self.status, self.current_deadline, at)

    # --- events: state changes only ------------------------------------------------

    def _refuse(self, at: datetime, stage: Stage) -> None:
        self.status = Status.REFUSED
        self.refused_stage = stage
        self.closed_at = at

    @event("InitiallyReviewed")
    def _on_initially_reviewed(
        self, actor: Actor, timestamp: datetime, passed: bool, reason: str | None, due: datetime
    ) -> None:
        self.initial_reviewed_by = actor
        self.initial_reviewed_at = timestamp
        self.initial_passed = passed
        self.last_reason = reason
        if passed:
            self.status = Status.INITIALLY_REVIEWED
        else:
            self._refuse(timestamp, Stage.INITIAL_REVIEW)

    @event("ReReviewed")
    def _on_re_reviewed(
        self, actor: Actor, timestamp: datetime, passed: bool, reason: str | None, due: datetime
    ) -> None:
        self.re_reviewed_by = actor
        self.re_reviewed_at = timestamp
        self.re_review_passed = passed
        self.last_reason = reason
        if passed:
            self.status = Status.RE_REVIEWED
        else:
            self._refuse(timestamp, Stage.RE_REVIEW)

    @event("Submitted")
    def _on_submitted(self, actor: Actor, timestamp: datetime, note: str | None) -> None:
        self.status = Status.SUBMITTED
        self.submitted_at = timestamp
        self.last_reason = note

    @event("OutcomeRecorded")
    def _on_outcome_recorded(
        self, actor: Actor, timestamp: datetime, repaired: bool, reason: str | None
    ) -> None:
        self.outcome = Outcome.REPAIRED if repaired else Outcome.REFUSED
        self.outcome_at = timestamp
        self.last_reason = reason
        if repaired:
            self.status = Status.REPAIRED
            self.closed_at = timestamp
        else:
            self._refuse(timestamp, Stage.NATIONAL_CENTRE)

    @event("Withdrawn")
    def _on_withdrawn(self, actor: Actor, timestamp: datetime, reason: str) -> None:
        self.status = Status.WITHDRAWN
        self.closed_at = timestamp
        self.last_reason = reason

    @event("Reminded")
    def _on_reminded(
        self,
        actor: Actor,
        timestamp: datetime,
        step: str,
        due: datetime,
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

    @event("Escalated")
    def _on_escalated(self, actor: Actor, timestamp: datetime, step: str, due: datetime) -> None:
        self.escalated_step = step
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
        if step == Stage.INITIAL_REVIEW.value:
            self.initial_review_due = new_due
            self.initial_review_due_provisional = due_provisional
        else:
            self.re_review_due = new_due
            self.re_review_due_provisional = due_provisional
