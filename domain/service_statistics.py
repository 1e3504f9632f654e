"""Statistics the bureau records per reporting period and scope (DOMAIN.md, "Figures the
release reports"): government service items handled (政务服务事项办理量, online and
offline), and the resumption of work (复工复产) of industrial enterprises above designated
size (规模以上工业企业: resumed out of those required to) and of foreign-trade
enterprises (外贸企业: opened or resumed out of all of them).

One record per kind, scope and reporting period: the record's id is derived from them
(`statistics_id`), so a second record of the same period is refused with
`PeriodAlreadyRecorded`, which names the record to correct, and two records sent at once
cannot both be stored (the store keeps one creation event per id). A record is corrected
with a reason; every version is kept, so the dashboard shows the figures as they stood
on any day. Records stored before kinds and scopes existed are service items of the
province (their ids are random; the dashboard still counts one record per period).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID, uuid5

import msgspec
from eventsourcing.domain import Aggregate, event

from domain.cases import CaseContext, CaseType, declare_move
from domain.commands import Code, Command, Reason
from domain.errors import CaseNotFound, MoveNotAllowed, RuleViolated
from domain.values import Actor, Role

Count = Annotated[int, msgspec.Meta(ge=0, le=10**12)]
RECORDERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
PROVINCE = "province"  # the scope of figures for the whole province, as the release's


class StatisticsKind(StrEnum):
    SERVICE_ITEMS = "service_items"  # 政务服务事项办理量
    INDUSTRIAL_RESUMPTION = "industrial_resumption"  # 规模以上工业企业复工率
    FOREIGN_TRADE_RESUMPTION = "foreign_trade_resumption"  # 外贸企业开复工率


# The figures each kind records; the others must be absent.
FIGURES: dict[StatisticsKind, tuple[str, str]] = {
    StatisticsKind.SERVICE_ITEMS: ("online", "offline"),
    StatisticsKind.INDUSTRIAL_RESUMPTION: ("resumed", "required"),
    StatisticsKind.FOREIGN_TRADE_RESUMPTION: ("resumed", "required"),
}
ALL_FIGURES = ("online", "offline", "resumed", "required")
RESUMPTION_KINDS = (StatisticsKind.INDUSTRIAL_RESUMPTION, StatisticsKind.FOREIGN_TRADE_RESUMPTION)

_ID_NAMESPACE = UUID("5b0e7f6c-3c4d-4f0e-9a51-7d1a0c2e9b11")


def statistics_id(kind: StatisticsKind, scope: str, period_start: date, period_end: date) -> UUID:
    """The id of the one record of this kind, scope and period."""
    return uuid5(_ID_NAMESPACE, f"{kind}|{scope}|{period_start}|{period_end}")


def check_figures(kind: StatisticsKind, figures: dict[str, int | None]) -> None:
    """ValueError("<field>: <rule>") unless `figures` are exactly the kind's, consistent."""
    wanted = FIGURES[kind]
    for name in ALL_FIGURES:
        given = figures.get(name) is not None
        if name in wanted and not given:
            raise ValueError(f"{name}: is required for {kind} ({' and '.join(wanted)})")
        if name not in wanted and given:
            raise ValueError(
                f"{name}: is not a figure of {kind}, which records {' and '.join(wanted)}"
            )
    resumed, required = figures.get("resumed"), figures.get("required")
    if resumed is not None and required is not None and resumed > required:
        raise ValueError("resumed: must not exceed required")


class RecordServiceStatistics(Command):
    period_start: date
    period_end: date
    kind: StatisticsKind = StatisticsKind.SERVICE_ITEMS
    scope: Code = PROVINCE  # e.g. "province", or a city's division code ("230100")
    online: Count | None = None
    offline: Count | None = None
    resumed: Count | None = None  # resumed (or opened) work
    required: Count | None = None  # of the enterprises required (or expected) to
    note: Reason | None = None

    def check(self) -> None:
        if self.period_end < self.period_start:
            raise ValueError("period_end: must not be before period_start")
        check_figures(self.kind, {n: getattr(self, n) for n in ALL_FIGURES})


class CorrectServiceStatistics(Command):
    """New figures for the record's kind (the others absent), with the reason."""

    reason: Reason
    online: Count | None = None
    offline: Count | None = None
    resumed: Count | None = None
    required: Count | None = None


class PeriodAlreadyRecorded(MoveNotAllowed):
    """The kind, scope and period has its record already: correct that one (HTTP 409)."""

    def __init__(
        self,
        statistics_id: UUID,
        version: int,
        kind: StatisticsKind,
        scope: str,
        period_start: date,
        period_end: date,
    ) -> None:
        self.statistics_id = statistics_id
        self.version = version
        self.kind = kind
        self.scope = scope
        self.period_start = period_start
        self.period_end = period_end
        super().__init__(
            "record",
            "recorded",
            f"{kind} of {scope} for {period_start}..{period_end} is recorded already "
            f"(service statistics {statistics_id}, version {version}): correct that record",
        )


class ServiceStatistics(Aggregate):
    kind: StatisticsKind
    scope: str
    period_start: date
    period_end: date
    online: int | None
    offline: int | None
    resumed: int | None
    required: int | None
    recorded_by: Actor
    corrections: int

    class Event(Aggregate.Event):
        pass

    @staticmethod
    def create_id(
        kind: StatisticsKind | None, scope: str | None, period_start: date, period_end: date
    ) -> UUID:
        return statistics_id(kind or StatisticsKind.SERVICE_ITEMS, scope or PROVINCE,
                             period_start, period_end)  # fmt: skip

    # Events stored before kinds, scopes and resumption figures lack them (None).
    @event("Recorded")
    def __init__(
        self,
        *,
        actor: Actor,
        timestamp: datetime,
        period_start: date,
        period_end: date,
        online: int | None,
        offline: int | None,
        note: str | None,
        kind: StatisticsKind | None,
        scope: str | None,
        resumed: int | None,
        required: int | None,
    ) -> None:
        self.kind = kind or StatisticsKind.SERVICE_ITEMS
        self.scope = scope or PROVINCE
        self.period_start = period_start
        self.period_end = period_end
        self.online = online
        self.offline = offline
        self.resumed = resumed
        self.required = required
        self.recorded_by = actor
        self.corrections = 0

    @property
    def figures(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in ALL_FIGURES}

    def correct(
        self, actor: Actor, at: datetime, *, figures: dict[str, int | None], reason: str
    ) -> None:
        try:
            check_figures(self.kind, figures)
        except ValueError as e:
            field, _, rule = str(e).partition(": ")
            raise RuleViolated(field, rule) from None
        self._on_corrected(
            actor=actor,
            timestamp=at,
            online=figures.get("online"),
            offline=figures.get("offline"),
            reason=reason,
            resumed=figures.get("resumed"),
            required=figures.get("required"),
        )

    @event("Corrected")
    def _on_corrected(
        self,
        actor: Actor,
        timestamp: datetime,
        online: int | None,
        offline: int | None,
        reason: str,
        resumed: int | None = None,
        required: int | None = None,
    ) -> None:
        self.online = online
        self.offline = offline
        self.resumed = resumed
        self.required = required
        self.corrections += 1


def record(
    ctx: CaseContext, actor: Actor, at: datetime, c: RecordServiceStatistics
) -> ServiceStatistics:
    existing_id = statistics_id(c.kind, c.scope, c.period_start, c.period_end)
    try:
        existing = ctx.load(existing_id)
    except CaseNotFound:
        existing = None
    if existing is not None:
        raise PeriodAlreadyRecorded(
            existing_id, existing.version, c.kind, c.scope, c.period_start, c.period_end
        )
    return ServiceStatistics(
        actor=actor,
        timestamp=at,
        period_start=c.period_start,
        period_end=c.period_end,
        online=c.online,
        offline=c.offline,
        note=c.note,
        kind=c.kind,
        scope=c.scope,
        resumed=c.resumed,
        required=c.required,
    )


def correct(
    ctx: CaseContext,
    stats: ServiceStatistics,
    actor: Actor,
    at: datetime,
    c: CorrectServiceStatistics,
) -> None:
    figures = {name: getattr(c, name) for name in ALL_FIGURES}
    stats.correct(actor, at, figures=figures, reason=c.reason)


SERVICE_STATISTICS = CaseType(
    name="service_statistics",
    plural="service-statistics",
    aggregate=ServiceStatistics,
    create_body=RecordServiceStatistics,
    create_roles=RECORDERS,
    create=record,
    moves={"correct": declare_move(CorrectServiceStatistics, RECORDERS, correct)},
    can_see=lambda ctx, actor, stats: (
        actor.role in {Role.SUPERVISOR, Role.ADMIN, Role.INSPECTOR, Role.CLERK, Role.SYSTEM}
    ),
    read_roles=frozenset({Role.SUPERVISOR, Role.ADMIN, Role.INSPECTOR, Role.CLERK}),
)
