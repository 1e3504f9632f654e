"""Warnings (预警): deadlines close or past, with who must act, oldest first."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import asyncpg
from litestar import Request, Response, Router, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.guards import roles_guard
from api.inputs import INT64_MAX
from api.lists import list_page
from api.services import Services
from domain.values import Actor, Role
from projections.warnings import Cursor, decode_cursor, encode_cursor, list_warnings

WARNING_ROLES = frozenset({Role.SUPERVISOR, Role.INSPECTOR, Role.CLERK})


@get("/", guards=[roles_guard(WARNING_ROLES, "read warnings")])
async def warnings(
    request: Request[Actor, Any, Any],
    services: NamedDependency[Services],
    level: FromQuery[Literal["due_soon", "overdue"] | None] = None,
    case_type: FromQuery[str | None] = None,
    responsible: FromQuery[str | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    # The query adds offset and limit in bigint: leave room for the largest limit.
    offset: Annotated[int, QueryParameter(ge=0, le=INT64_MAX - 1001)] = 0,
    cursor: FromQuery[str | None] = None,
) -> Response[Any]:
    """`overdue` (red): the deadline has passed; `due_soon` (yellow): it falls by the end
    of the next working day. Escalated steps first, then oldest deadline first;
    `next_cursor` pages on."""
    now = services.now()
    due_soon_until = services.app.calendar.due_at(now, 1)

    def fetch(conn: asyncpg.Connection, *, limit: int, cursor: Cursor | None) -> Any:
        return list_warnings(
            conn,
            now=now,
            due_soon_until=due_soon_until,
            level=level,
            case_type=case_type,
            responsible=responsible,
            limit=limit,
            offset=offset,
            after=cursor,
        )

    return await list_page(
        request,
        services,
        cursor=cursor,
        decode=decode_cursor,
        limit=limit,
        fetch=fetch,
        body=_warning_body,
        encode=encode_cursor,
        extra={"as_of": now, "due_soon_until": due_soon_until},
    )


def _warning_body(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "case_type": r["case_type"],
        "case_id": str(r["case_id"]),
        "title": r["title"],
        "step": r["step"],
        "due_at": r["due_at"],
        "due_provisional": r["due_provisional"],
        "level": r["level"],
        "responsible": {"kind": r["responsible_kind"], "id": r["responsible"]},
        # The deadline was escalated to the supervisors (listed first); the level is
        # how many times the step was, and `at` the last time (null when unknown).
        "escalated": r["escalated"],
        "escalation": {"level": r["escalation_level"], "at": r["escalated_at"]},
    }


router = Router(path="/api/v1/warnings", route_handlers=[warnings], tags=["warnings"])
