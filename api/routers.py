"""Every API router (one per line: each resource adds itself here)."""

from __future__ import annotations

from litestar import Router

from api import (
    audit,
    commitments,
    complaints,
    credit_repairs,
    dashboard,
    ledger,
    projects,
    service_statistics,
    warnings,
)

ROUTERS: list[Router] = [
    complaints.router,
    commitments.router,
    credit_repairs.router,
    projects.router,
    audit.router,
    dashboard.router,
    dashboard.departments_router,
    warnings.router,
    service_statistics.router,
    ledger.router,
]
