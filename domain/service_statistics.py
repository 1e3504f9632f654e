"""Government service statistics (政务服务事项办理量): items handled in a reporting
period, online and offline, as the bureau records them. A record can be corrected;
every version is kept, so the dashboard shows the figures as they stood on any day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID, uuid4

import msgspec
from eventsourcing.domain import Aggregate, event

from domain.cases import CaseContext, CaseType, Move
from domain.commands import Command, Reason
from domain.errors import RuleViolated
from domain.values import Actor, Role

Count = Annotated[int, msgspec.Meta(ge=0, le=10**12)]
RECORDERS = frozenset({Role.SUPERVISOR, Role.ADMIN})


class RecordServiceStatistics(Command):
    period_start: date
    period_end: date
    online: Count
    offline: Count
    note: Reason | None = None


class CorrectServiceStatistics(Command):
    online: Count
    offline: Count
    reason: Reason


class ServiceStatistics(Aggregate):
    period_start: date
    period_end: date
    online: int
    offline: int
    recorded_by: Actor

    class Event(Aggregate.Event):
        pass

    @staticmethod
    def create_id() -> UUID:
        return uuid4()

    @event("Recorded")
    def __init__(
        self,
        *,
        actor: Actor,
        timestamp: datetime,
        period_start: date,
        period_end: date,
        online: int,
        offline: int,
        note: str | None,
    ) -> None:
        self.period_start = period_start
        self.period_end = period_end
        self.online = online
        self.offline = offline
        self.recorded_by = actor

    def correct(
        self, actor: Actor, at: datetime, *, online: int, offline: int, reason: str
    ) -> None:
        self._on_corrected(actor=actor, timestamp=at, online=online, offline=offline, reason=reason)

    @event("Corrected")
    def _on_corrected(
        self, actor: Actor, timestamp: datetime, online: int, offline: int, reason: str
    ) -> None:
        self.online = online
        self.offline = offline


def record(
    ctx: CaseContext, actor: Actor, at: datetime, c: RecordServiceStatistics
) -> ServiceStatistics:
    if c.period_end < c.period_start:
        raise RuleViolated("period_end", "must not be before period_start")
    return ServiceStatistics(
        actor=actor,
        timestamp=at,
        period_start=c.period_start,
        period_end=c.period_end,
        online=c.online,
        offline=c.offline,
        note=c.note,
    )


def correct(
    ctx: CaseContext,
    stats: ServiceStatistics,
    actor: Actor,
    at: datetime,
    c: CorrectServiceStatistics,
) -> None:
    stats.correct(actor, at, online=c.online, offline=c.offline, reason=c.reason)


SERVICE_STATISTICS = CaseType(
    name="service_statistics",
    plural="service-statistics",
    aggregate=ServiceStatistics,
    create_body=RecordServiceStatistics,
    create_roles=RECORDERS,
    create=record,
    moves={"correct": Move(body=CorrectServiceStatistics, roles=RECORDERS, decide=correct)},
    can_see=lambda ctx, actor, stats: (
        actor.role in {Role.SUPERVISOR, Role.ADMIN, Role.INSPECTOR, Role.CLERK, Role.SYSTEM}
    ),
    read_roles=frozenset({Role.SUPERVISOR, Role.ADMIN, Role.INSPECTOR, Role.CLERK}),
)
