"""The audit trail: who did what and when, across every case (supervisors, inspectors)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Router, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.guards import roles_guard
from api.inputs import INT64_MAX, check_instant
from api.positions import wait_for_position
from api.services import Services
from domain.values import Actor, Role
from projections.audit_trail import query_audit_trail

AUDIT_ROLES = frozenset({Role.SUPERVISOR, Role.INSPECTOR})


@get("/", guards=[roles_guard(AUDIT_ROLES, "read the audit trail")])
async def audit_trail(
    request: Request[Actor, Any, Any],
    services: NamedDependency[Services],
    case_id: FromQuery[UUID | None] = None,
    actor: FromQuery[str | None] = None,
    since: Annotated[datetime | None, QueryParameter(name="from")] = None,
    until: Annotated[datetime | None, QueryParameter(name="to")] = None,
    after: Annotated[int | None, QueryParameter(ge=0, le=INT64_MAX)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Oldest first; pass the last `position` you got as `after` for the next page."""
    if since is not None:
        check_instant("from", since)
    if until is not None:
        check_instant("to", until)
    await wait_for_position(services, request)
    async with services.pool.acquire() as conn:
        rows = await query_audit_trail(
            conn,
            case_id=case_id,
            actor_id=actor,
            since=since,
            until=until,
            after_position=after,
            limit=limit,
        )
    for row in rows:
        row["case_id"] = str(row["case_id"])
    return {"items": rows, "next_after": rows[-1]["position"] if len(rows) == limit else None}


router = Router(path="/api/v1/audit-trail", route_handlers=[audit_trail], tags=["audit"])
