"""The API's routers that serve no one case type (one per line). Each case type's router
is registered with the case type in oversight/registry.py."""

from __future__ import annotations

from litestar import Router

from api import (
    accounts,
    audit,
    dashboard,
    ledger,
    organisations,
    warnings,
)

ROUTERS: list[Router] = [
    audit.router,
    dashboard.router,
    dashboard.departments_router,
    warnings.router,
    ledger.router,
    *accounts.ROUTERS,  # /auth, /me, /accounts, /api-keys (issue 15)
    *organisations.ROUTERS,  # /departments, /categories (issue 15)
]
