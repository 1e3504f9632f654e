"""The Oversight application: the commands users send and the reads of one case.

Every command goes through the same steps, whatever the case type (domain/cases.py):
the role may make the move at all (403), the case exists and the actor may see it
(404), the caller's expected version (412), the decision (409/422), then one save that
returns the case with the notification position of its last event. Reads of one case
come from the event store (always current); lists come from the views (projections/).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar, overload
from uuid import UUID

import msgspec
import structlog
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import (
    EventStore,
    MapperDeserialisationError,
    RecordConflictError,
    Recording,
)

from domain import commands as cmd
from domain.calendar import WorkingCalendar
from domain.cases import AnyCaseType, CaseContext, CaseType
from domain.complaint import Complaint
from domain.complaint_case import COMPLAINT
from domain.errors import CaseNotFound, ConcurrentUpdate, Forbidden, RuleViolated, VersionConflict
from domain.group_commit import GroupCommitter
from domain.mapper import MsgspecMapper
from domain.organisation import DepartmentDirectory
from domain.registry import ALL_CASE_TYPES
from domain.sla import SlaPolicy
from domain.store import InMemoryRecorder, OversightRecorder
from domain.values import Actor

log = structlog.get_logger(__name__)

CASE_TYPES: dict[str, AnyCaseType] = {c.name: c for c in ALL_CASE_TYPES}
_BY_AGGREGATE: dict[type[Aggregate], AnyCaseType] = {c.aggregate: c for c in CASE_TYPES.values()}

# A stored event as the application reads it back (the history of a case).
type CaseEvent = DomainEventProtocol[UUID]


class TolerantSnapshotStore(EventStore[UUID]):
    """Snapshots are a cache. One taken before the aggregate's state changed shape (a
    field added since) no longer decodes: it is skipped, and the case is rebuilt from
    its events, which are the record; the next snapshot is taken in the new shape."""

    def get(self, originator_id: UUID, **kwargs: Any) -> Iterator[CaseEvent]:
        try:
            return iter(list(super().get(originator_id, **kwargs)))
        except MapperDeserialisationError as e:
            log.warning("snapshot_skipped", case_id=str(originator_id), error=str(e)[:200])
            return iter(())


class CommandResult[A: Aggregate](msgspec.Struct, frozen=True):
    case: A
    position: int


class _NeedsStore(BaseException):
    """A decision asked to load another case: it cannot be made without I/O. A
    BaseException so that no `except Exception` in a decision can swallow it."""


class _InMemory:
    """The decision context without the store: what `create_in_memory` hands a case
    type's `create`. Decisions only use calendar, sla and load (domain/cases.py
    CaseContext); a load ends the attempt, and since a decision changes nothing
    outside the objects it creates, the caller can then simply decide again in a
    worker thread."""

    def __init__(self, app: Oversight) -> None:
        self.calendar = app.calendar
        self.sla = app.sla

    def load(self, case_id: UUID) -> Aggregate:
        raise _NeedsStore(case_id)


class Oversight(Application[UUID]):
    name = "oversight"
    env: ClassVar[dict[str, str]] = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "APPLICATION_RECORDER_TOPIC": "domain.store:OversightRecorder",
    }
    snapshotting_intervals: ClassVar[dict[type[MutableOrImmutableAggregate[Any]], int]] = {
        c: 50 for c in _BY_AGGREGATE
    }

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
        # The departments a transfer must name (domain/organisation.py); None: free text,
        # as before issue 15 (set by the composition root from the settings).
        self.departments: DepartmentDirectory | None = None
        self._committer: GroupCommitter | None = None

    def construct_mapper(self) -> MsgspecMapper:
        return MsgspecMapper()

    def construct_snapshot_store(self) -> EventStore[UUID]:
        return TolerantSnapshotStore(
            mapper=self.mapper, recorder=self.factory.aggregate_recorder(purpose="snapshots")
        )

    @property
    def store(self) -> OversightRecorder | InMemoryRecorder:
        # PostgreSQL, or memory with env=domain.store.IN_MEMORY (the fast test ring)
        assert isinstance(self.recorder, OversightRecorder | InMemoryRecorder)
        return self.recorder

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        # Index each event's time in the same transaction (see domain/store.py).
        event_times = [
            (e.originator_id, e.originator_version, e.timestamp)
            for obj in objs
            for e in getattr(obj, "pending_events", ())
        ]
        return super().save(*objs, event_times=event_times, **kwargs)

    def load(self, case_id: UUID) -> Aggregate:
        """Any aggregate by id, for decisions that look at another case (no visibility
        check: that is the caller's business)."""
        try:
            case: Aggregate = self.repository.get(case_id)
        except AggregateNotFoundError:
            raise CaseNotFound(f"no case {case_id}") from None
        return case

    # --- commands ------------------------------------------------------------------

    def create[A: Aggregate, C: cmd.Command](
        self, case_type: CaseType[A, C], actor: Actor, at: datetime, command: C
    ) -> CommandResult[A]:
        return self._save(self._decide_create(self, case_type, actor, at, command))

    @staticmethod
    def _decide_create[A: Aggregate, C: cmd.Command](
        context: CaseContext, case_type: CaseType[A, C], actor: Actor, at: datetime, command: C
    ) -> A:
        """The new case, decided (its events pending), or Forbidden for the role."""
        if actor.role not in case_type.create_roles:
            raise Forbidden(f"role {actor.role} may not create a {case_type.name}")
        return case_type.create(context, actor, at, command)

    def create_in_memory[A: Aggregate, C: cmd.Command](
        self,
        case_type: CaseType[A, C],
        actor: Actor,
        at: datetime,
        command: C,
        done: Callable[[CommandResult[A] | None, BaseException | None], None],
    ) -> bool:
        """`create` without blocking, for an event loop. Decides at once (raising what
        `create` raises), queues the case to the group committer and returns True; the
        committer thread later calls `done(result, None)` or `done(None, error)` (the
        error `create` would raise). Returns False, having queued nothing, when that
        cannot be done without I/O (no group commit, or the decision loads another
        case): then call `create` in a worker thread.

        The API uses it so that a create holds no worker thread and costs no thread
        hand-off: the loop decides, the committer stores and calls back. `done` runs in
        the committer thread and must not raise."""
        committer = self._committer
        if committer is None:
            return False
        try:
            case = self._decide_create(_InMemory(self), case_type, actor, at, command)
        except _NeedsStore:
            return False

        def deliver(outcome: int | BaseException) -> None:
            if isinstance(outcome, RecordConflictError):
                done(None, _conflict())
            elif isinstance(outcome, BaseException):
                done(None, outcome)
            else:
                done(CommandResult(case=case, position=outcome), None)

        committer.submit(case, deliver)
        return True

    # The case type's overload first: `functools.partial` takes the first that fits.
    @overload
    def move[A: Aggregate](
        self,
        case_id: UUID,
        move: str,
        actor: Actor,
        at: datetime,
        command: cmd.Command,
        *,
        expected_version: int | None = None,
        case_type: CaseType[A, Any],
    ) -> CommandResult[A]: ...

    @overload
    def move(
        self,
        case_id: UUID,
        move: str,
        actor: Actor,
        at: datetime,
        command: cmd.Command,
        *,
        expected_version: int | None = None,
    ) -> CommandResult[Complaint]: ...

    def move(
        self,
        case_id: UUID,
        move: str,
        actor: Actor,
        at: datetime,
        command: cmd.Command,
        *,
        expected_version: int | None = None,
        case_type: AnyCaseType = COMPLAINT,
    ) -> CommandResult[Any]:
        """Make one of the case type's moves on a case (a complaint unless `case_type`
        says otherwise). The move is found by its name, so its body is only known to be a
        command: the case type's table pairs each name with the body its decision takes,
        and the API decodes that body."""
        spec = case_type.move(move)
        if actor.role not in spec.roles:
            raise Forbidden(f"role {actor.role} may not {move} a {case_type.name}")
        case = self._load_visible(case_type, case_id, actor)
        if expected_version is not None and expected_version != case.version:
            raise VersionConflict(expected_version, case.version)
        if at < case.modified_on:
            raise RuleViolated("at", "a move cannot be dated before the case's last event")
        spec.decide(self, case, actor, at, command)
        return self._save(case)

    def lodge_complaint(
        self, actor: Actor, at: datetime, command: cmd.LodgeComplaint
    ) -> CommandResult[Complaint]:
        return self.create(COMPLAINT, actor, at, command)

    # --- reads ---------------------------------------------------------------------

    def read[A: Aggregate](
        self,
        case_type: CaseType[A, Any],
        case_id: UUID,
        actor: Actor,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
    ) -> A:
        """The case now, at a version, or as it stood at an instant (404 when it did not
        exist yet or the actor may not see it)."""
        case = self._load_visible(case_type, case_id, actor)
        if as_of is not None:
            version = self.store.version_at(case_id, as_of)
            if version is None:
                raise CaseNotFound(f"case {case_id} did not exist at {as_of.isoformat()}")
        if version is None or version == case.version:
            return case
        if not 1 <= version <= case.version:
            raise CaseNotFound(f"case {case_id} has no version {version}")
        past: A = self.repository.get(case_id, version=version)
        return past

    def complaint(
        self,
        case_id: UUID,
        actor: Actor,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
    ) -> Complaint:
        return self.read(COMPLAINT, case_id, actor, version=version, as_of=as_of)

    def history[A: Aggregate](
        self, case_type: CaseType[A, Any], case_id: UUID, actor: Actor
    ) -> tuple[A, Sequence[CaseEvent]]:
        """The case now and every one of its events, in order."""
        case = self._load_visible(case_type, case_id, actor)
        events = list(self.events.get(case_id, lte=case.version))
        return case, events

    def _load_visible[A: Aggregate](
        self, case_type: CaseType[A, Any], case_id: UUID, actor: Actor
    ) -> A:
        try:
            case: Aggregate = self.repository.get(case_id)
        except AggregateNotFoundError:
            raise CaseNotFound(f"no {case_type.name} {case_id}") from None
        if not isinstance(case, case_type.aggregate) or not case_type.can_see(self, actor, case):
            raise CaseNotFound(f"no {case_type.name} {case_id}")
        return case

    def enable_group_commit(self, *, max_batch: int = 256) -> None:
        """Store concurrent commands' events together (domain/group_commit.py)."""
        if self._committer is None:
            self._committer = GroupCommitter(self.save, max_batch=max_batch)

    def close(self) -> None:
        if self._committer is not None:
            self._committer.close()
            self._committer = None
        super().close()

    def _save[A: Aggregate](self, case: A) -> CommandResult[A]:
        try:
            if self._committer is not None:
                position = self._committer.commit(case)
            else:
                position = self.save(case)[-1].notification.id
        except RecordConflictError:
            raise _conflict() from None
        return CommandResult(case=case, position=position)


def _conflict() -> ConcurrentUpdate:
    return ConcurrentUpdate("another move on this case was stored first; reload and retry")
