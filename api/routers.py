"""Every API router (one per line: each resource adds itself here)."""

from __future__ import annotations

from litestar import Router

from api import audit, complaints, dashboard, service_statistics, warnings

ROUTERS: list[Router] = [
    complaints.router,
    audit.router,
    dashboard.router,
    dashboard.departments_router,
    warnings.router,
    service_statistics.router,
]
