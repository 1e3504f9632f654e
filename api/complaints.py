"""Complaint endpoints: the case endpoints every type has, plus the supervisors' list."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.cases import case_router, min_position, roles_guard
from api.errors import ApiError, invalid
from api.representation import complaint_body, summary_body
from api.services import Services
from domain.complaint import Status
from domain.complaint_case import COMPLAINT
from domain.public_course import sees_public_course_only
from domain.values import Actor, Kind
from projections import complaint_summary
from projections.runner import view_position


def present(case: Any, viewer: Actor) -> dict[str, Any]:
    return complaint_body(case, viewer, hidden=COMPLAINT.hides_identity(viewer, case))


async def wait_for_position(services: Services, request: Request[Any, Any, Any]) -> None:
    """Honour X-Min-Position: wait (bounded) until the views have caught up to it."""
    wanted = min_position(request)
    if wanted is None:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + services.settings.min_position_wait_seconds
    delay = 0.01
    while True:
        async with services.pool.acquire() as conn:
            if await view_position(conn) >= wanted:
                return
        if loop.time() >= deadline:
            raise ApiError(
                503,
                "views-behind",
                "Views not caught up",
                f"the views have not reached position {wanted} yet; retry shortly",
                headers={"Retry-After": "1"},
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.2)


@get("/", guards=[roles_guard(COMPLAINT.read_roles, "list complaints")])
async def list_complaints(
    request: Request[Actor, Any, Any],
    services: NamedDependency[Services],
    status: FromQuery[Status | None] = None,
    kind: FromQuery[Kind | None] = None,
    department: FromQuery[str | None] = None,
    overdue: FromQuery[bool | None] = None,
    escalated: FromQuery[bool | None] = None,
    urgent: FromQuery[bool | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    cursor: FromQuery[str | None] = None,
) -> Response[Any]:
    """Newest first, from the complaint_summary view; `next_cursor` pages on.
    `escalated`: whether the step the case waits on was escalated (not for enterprises,
    who never see escalations: 403); `urgent`: 急事快办 or not."""
    if escalated is not None and sees_public_course_only(request.user.role):
        raise ApiError(
            403,
            "forbidden",
            "Forbidden",
            f"role {request.user.role} may not filter by escalation: escalations are internal",
            errors=[{"field": "escalated", "rule": "not a filter this role may use"}],
        )
    try:
        after = complaint_summary.decode_cursor(cursor) if cursor else None
    except ValueError:
        raise invalid("cursor", "not a cursor this API returned") from None
    await wait_for_position(services, request)
    async with services.pool.acquire() as conn:
        rows = await complaint_summary.list_complaints(
            conn,
            request.user,
            now=services.now(),
            status=status.value if status else None,
            kind=kind.value if kind else None,
            department=department,
            overdue=overdue,
            escalated=escalated,
            urgent=urgent,
            limit=limit + 1,
            cursor=after,
        )
    more = len(rows) > limit
    rows = rows[:limit]
    return Response(
        {
            "items": [summary_body(r, request.user) for r in rows],
            "next_cursor": complaint_summary.encode_cursor(rows[-1]) if more else None,
        }
    )


router = case_router(COMPLAINT, present, extra=[list_complaints])
