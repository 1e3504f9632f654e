"""Government service statistics: recorded per reporting period, corrected with a reason."""

from __future__ import annotations

from typing import Any

from api.cases import case_router
from domain.service_statistics import SERVICE_STATISTICS, ServiceStatistics
from domain.values import Actor


def present(stats: ServiceStatistics, viewer: Actor) -> dict[str, Any]:
    total = stats.online + stats.offline
    return {
        "id": str(stats.id),
        "version": stats.version,
        "period_start": stats.period_start,
        "period_end": stats.period_end,
        "online": stats.online,
        "offline": stats.offline,
        "total": total,
        "recorded_at": stats.created_on,
        "updated_at": stats.modified_on,
    }


router = case_router(SERVICE_STATISTICS, present)
