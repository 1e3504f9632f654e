"""The province's statistics for the period, recorded by supervisors on the day after
it ends: the last commands of the data set."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.service_statistics import (
    SERVICE_STATISTICS,
    RecordServiceStatistics,
    StatisticsKind,
)
from oversight.demo.data.people import SUPERVISORS
from oversight.demo.data.service_statistics import (
    FOREIGN_TRADE_NOTE,
    FOREIGN_TRADE_RESUMED,
    INDUSTRIAL_NOTE,
    INDUSTRIAL_RESUMED,
    OFFLINE_ITEMS,
    ONLINE_ITEMS,
    SERVICE_ITEMS_NOTE,
)
from oversight.demo.schedule import Case, Plan


def plan_service_statistics(plan: Plan, local_start: datetime, stats_at: datetime) -> Case:
    """The service items, then industrial and foreign-trade resumption, for the months
    from the start's to the one before `stats_at`; returns the first record."""
    period_end = stats_at.date().replace(day=1) - timedelta(days=1)
    period_start = local_start.date().replace(day=1)
    stats = plan.create(
        SERVICE_STATISTICS,
        SUPERVISORS[0],
        stats_at,
        RecordServiceStatistics(
            period_start=period_start,
            period_end=period_end,
            online=ONLINE_ITEMS,
            offline=OFFLINE_ITEMS,
            note=SERVICE_ITEMS_NOTE,
        ),
    )
    for minutes, kind, (resumed, required), note in (
        (10, StatisticsKind.INDUSTRIAL_RESUMPTION, INDUSTRIAL_RESUMED, INDUSTRIAL_NOTE),
        (20, StatisticsKind.FOREIGN_TRADE_RESUMPTION, FOREIGN_TRADE_RESUMED, FOREIGN_TRADE_NOTE),
    ):
        plan.create(
            SERVICE_STATISTICS,
            SUPERVISORS[1],
            stats_at + timedelta(minutes=minutes),
            RecordServiceStatistics(
                period_start=period_start,
                period_end=period_end,
                kind=kind,
                resumed=resumed,
                required=required,
                note=note,
            ),
        )
    return stats
