"""The Oversight application: the commands users send and the reads of one case.

Every command method loads the case, checks visibility (404), the caller's expected
version (412) and the domain's rules (409/422), then saves the new events and returns
the case with the notification position of its last event. Reads of one case come from
the event store (always current); lists come from the views (projections/).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import RecordConflictError

from domain import commands as cmd
from domain.access import can_see
from domain.calendar import WorkingCalendar
from domain.complaint import MOVE_ROLES, Complaint
from domain.errors import CaseNotFound, ConcurrentUpdate, Forbidden, RuleViolated, VersionConflict
from domain.mapper import MsgspecMapper
from domain.sla import SlaPolicy
from domain.store import OversightRecorder
from domain.values import Actor, Complainant, Role


class CommandResult(msgspec.Struct, frozen=True):
    case: Complaint
    position: int


class Oversight(Application):
    name = "oversight"
    env: ClassVar[dict[str, str]] = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": "domain.store:OversightRecorder",
    }
    snapshotting_intervals: ClassVar[dict[type, int]] = {Complaint: 50}

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        calendar: WorkingCalendar,
        sla: SlaPolicy,
    ) -> None:
        super().__init__(env)
        self.calendar = calendar
        self.sla = sla

    def construct_mapper(self) -> MsgspecMapper:
        return MsgspecMapper()

    @property
    def store(self) -> OversightRecorder:
        assert isinstance(self.recorder, OversightRecorder)
        return self.recorder

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        # Index each event's time in the same transaction (see domain/store.py).
        event_times = [
            (e.originator_id, e.originator_version, e.timestamp)
            for obj in objs
            for e in getattr(obj, "pending_events", ())
        ]
        return super().save(*objs, event_times=event_times, **kwargs)

    # --- commands ------------------------------------------------------------------

    def lodge_complaint(
        self, actor: Actor, at: datetime, command: cmd.LodgeComplaint
    ) -> CommandResult:
        _require_role("lodge", actor)
        if actor.role is Role.ENTERPRISE and actor.org != command.complainant.credit_code:
            raise Forbidden("an enterprise may lodge complaints only for itself")
        complainant = Complainant(
            name=command.complainant.name,
            credit_code=command.complainant.credit_code,
            phone=command.complainant.phone,
        )
        case = Complaint(
            actor=actor,
            timestamp=at,
            kind=command.kind,
            channel=command.channel,
            category=command.category,
            title=command.title,
            description=command.description,
            complainant=complainant,
            respondent_department=command.respondent_department,
            confidential=command.confidential,
            acceptance_due=self.calendar.due_at(at, self.sla.acceptance_working_days),
        )
        return self._save(case)

    def move(
        self,
        case_id: UUID,
        move: str,
        actor: Actor,
        at: datetime,
        command: cmd.Command,
        *,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Make one of the moves in COMPLAINT_MOVES on a case."""
        _require_role(move, actor)
        decide = self._decisions[type(command)]
        case = self._load_visible(case_id, actor)
        if expected_version is not None and expected_version != case.version:
            raise VersionConflict(expected_version, case.version)
        if at < case.modified_on:
            raise RuleViolated("at", "a move cannot be dated before the case's last event")
        decide(self, case, actor, at, command)
        return self._save(case)

    def _handling_days(self, case: Complaint) -> int:
        return self.sla.handling_days(case.kind, urgent=case.urgent)

    def _redo_due(self, case: Complaint, at: datetime) -> datetime:
        return self.calendar.due_at(at, self._handling_days(case))

    def _accept(self, case: Complaint, actor: Actor, at: datetime, c: cmd.Accept) -> None:
        case.accept(actor, at, note=c.note, urgent=c.urgent)

    def _reject(self, case: Complaint, actor: Actor, at: datetime, c: cmd.Reject) -> None:
        case.reject(actor, at, reason=c.reason)

    def _transfer(self, case: Complaint, actor: Actor, at: datetime, c: cmd.Transfer) -> None:
        days = self._handling_days(case) if c.working_days is None else c.working_days
        due = self.calendar.due_at(at, days)
        case.transfer(actor, at, department=c.department, working_days=days, due=due)

    def _send_back(self, case: Complaint, actor: Actor, at: datetime, c: cmd.SendBack) -> None:
        case.send_back(actor, at, reason=c.reason)

    def _request_extension(
        self, case: Complaint, actor: Actor, at: datetime, c: cmd.RequestExtension
    ) -> None:
        if c.working_days > self.sla.max_extension_working_days:
            raise RuleViolated(
                "working_days", f"at most {self.sla.max_extension_working_days} working days"
            )
        case.request_extension(actor, at, working_days=c.working_days, reason=c.reason)

    def _decide_extension(
        self, case: Complaint, actor: Actor, at: datetime, c: cmd.DecideExtension
    ) -> None:
        due = case.handling_due
        if case.extension_requested is not None and due is not None:
            due = self.calendar.due_at(due, case.extension_requested)
        case.decide_extension(actor, at, approved=c.approved, note=c.note, due=due or at)

    def _reply(self, case: Complaint, actor: Actor, at: datetime, c: cmd.Reply) -> None:
        case.reply_to(actor, at, answer=c.answer)

    def _review(self, case: Complaint, actor: Actor, at: datetime, c: cmd.Review) -> None:
        case.review(actor, at, approved=c.approved, note=c.note, redo_due=self._redo_due(case, at))

    def _rate(self, case: Complaint, actor: Actor, at: datetime, c: cmd.Rate) -> None:
        case.rate(
            actor,
            at,
            rating=c.rating,
            comment=c.comment,
            redo_due=self._redo_due(case, at),
        )

    def _supervise(self, case: Complaint, actor: Actor, at: datetime, c: cmd.Supervise) -> None:
        case.supervise(actor, at, note=c.note)

    def _withdraw(self, case: Complaint, actor: Actor, at: datetime, c: cmd.Withdraw) -> None:
        case.withdraw(actor, at, reason=c.reason)

    def _close(self, case: Complaint, actor: Actor, at: datetime, c: cmd.Close) -> None:
        case.close(actor, at, note=c.note)

    _decisions: ClassVar[dict[type, Callable[..., None]]] = {
        cmd.Accept: _accept,
        cmd.Reject: _reject,
        cmd.Transfer: _transfer,
        cmd.SendBack: _send_back,
        cmd.RequestExtension: _request_extension,
        cmd.DecideExtension: _decide_extension,
        cmd.Reply: _reply,
        cmd.Review: _review,
        cmd.Rate: _rate,
        cmd.Supervise: _supervise,
        cmd.Withdraw: _withdraw,
        cmd.Close: _close,
    }

    # --- reads ---------------------------------------------------------------------

    def complaint(
        self,
        case_id: UUID,
        actor: Actor,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
    ) -> Complaint:
        """The case now, at a version, or as it stood at an instant (404 when it did not
        exist yet or the actor may not see it)."""
        case = self._load_visible(case_id, actor)
        if as_of is not None:
            version = self.store.version_at(case_id, as_of)
            if version is None:
                raise CaseNotFound(f"case {case_id} did not exist at {as_of.isoformat()}")
        if version is None or version == case.version:
            return case
        if not 1 <= version <= case.version:
            raise CaseNotFound(f"case {case_id} has no version {version}")
        return self.repository.get(case_id, version=version)

    def history(self, case_id: UUID, actor: Actor) -> tuple[Complaint, Sequence[Any]]:
        """The case now and every one of its events, in order."""
        case = self._load_visible(case_id, actor)
        events = list(self.events.get(case_id, lte=case.version))
        return case, events

    def _load_visible(self, case_id: UUID, actor: Actor) -> Complaint:
        try:
            case = self.repository.get(case_id)
        except AggregateNotFoundError:
            raise CaseNotFound(f"no case {case_id}") from None
        if not isinstance(case, Complaint) or not can_see(actor, case):
            raise CaseNotFound(f"no case {case_id}")
        return case

    def _save(self, case: Complaint) -> CommandResult:
        try:
            recordings = self.save(case)
        except RecordConflictError:
            raise ConcurrentUpdate(
                "another move on this case was stored first; reload and retry"
            ) from None
        return CommandResult(case=case, position=recordings[-1].notification.id)


def _require_role(move: str, actor: Actor) -> None:
    if actor.role not in MOVE_ROLES[move]:
        raise Forbidden(f"role {actor.role} may not {move} a complaint")
