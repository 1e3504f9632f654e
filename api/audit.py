"""The audit trail: who did what and when, across every case (supervisors, inspectors)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request, Router, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.guards import roles_guard
from api.inputs import check_instant
from api.lists import CURSOR_DOC, LIST_OPT, CursorKey, list_page
from api.representation import Cursor, Instant, Representation
from api.services import Services
from domain.values import Actor, Role
from projections.audit_trail import query_audit_trail

AUDIT_ROLES = frozenset({Role.SUPERVISOR, Role.INSPECTOR})
# The trail's order: the events' notification positions.
AUDIT_KEY = CursorKey("int")
AuditCursor = Annotated[
    str | None, QueryParameter(pattern=AUDIT_KEY.pattern, description=CURSOR_DOC)
]


class AuditEntry(Representation):
    """One stored event: which case, what, when and who."""

    position: Annotated[int, msgspec.Meta(description="The event's notification position.")]
    case_id: UUID
    case_type: Annotated[
        str, msgspec.Meta(description="The case type's name, as in the URLs (`complaint`).")
    ]
    version: int
    type: Annotated[str, msgspec.Meta(description="The event's name, e.g. `Transferred`.")]
    at: Instant
    actor_id: str
    actor_role: Role
    actor_org: str | None


class AuditPage(Representation):
    """A page of the audit trail, oldest first."""

    items: list[AuditEntry]
    next_cursor: Cursor


def _entry(row: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        position=row["position"],
        case_id=row["case_id"],
        case_type=row["case_type"],
        version=row["version"],
        type=row["type"],
        at=row["at"],
        actor_id=row["actor_id"],
        actor_role=Role(row["actor_role"]),
        actor_org=row["actor_org"],
    )


@get(
    "/",
    guards=[roles_guard(AUDIT_ROLES, "read the audit trail")],
    # Issue 14: `after` is `cursor` now, like every list (a 400 says so).
    opt={**LIST_OPT, "renamed_parameters": {"after": "cursor"}},
)
async def audit_trail(
    request: Request[Actor, Any, Any],
    services: NamedDependency[Services],
    case_id: FromQuery[UUID | None] = None,
    actor: Annotated[str | None, QueryParameter(description="An actor's user id.")] = None,
    since: Annotated[
        datetime | None, QueryParameter(name="from", description="Events at or after it.")
    ] = None,
    until: Annotated[
        datetime | None, QueryParameter(name="to", description="Events before it.")
    ] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    cursor: AuditCursor = None,
) -> AuditPage:
    """Oldest first (by notification position); `next_cursor` pages on."""
    if since is not None:
        check_instant("from", since)
    if until is not None:
        check_instant("to", until)

    async def fetch(
        conn: asyncpg.Connection, *, limit: int, cursor: tuple[int] | None
    ) -> list[dict[str, Any]]:
        return await query_audit_trail(
            conn,
            case_id=case_id,
            actor_id=actor,
            since=since,
            until=until,
            after_position=cursor[0] if cursor else None,
            limit=limit,
        )

    return await list_page(
        request,
        services,
        AuditPage,
        cursor=cursor,
        decode=AUDIT_KEY.decode,
        limit=limit,
        fetch=fetch,
        body=_entry,
        encode=lambda row: AUDIT_KEY.encode(row["position"]),
    )


router = Router(path="/api/v1/audit-trail", route_handlers=[audit_trail], tags=["audit"])
