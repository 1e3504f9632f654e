"""Complaint endpoints: the case endpoints every type has, plus the supervisors' list."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.cases import case_router
from api.errors import ApiError
from api.guards import roles_guard
from api.lists import list_page
from api.representation import complaint_body, summary_body
from api.services import Services
from domain.complaint import Status
from domain.complaint_case import COMPLAINT
from domain.public_course import sees_public_course_only
from domain.values import Actor, Kind
from projections import complaint_summary


def present(case: Any, viewer: Actor) -> dict[str, Any]:
    return complaint_body(case, viewer, hidden=COMPLAINT.hides_identity(viewer, case))


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
    fetch = partial(
        complaint_summary.list_complaints,
        actor=request.user,
        now=services.now(),
        status=status.value if status else None,
        kind=kind.value if kind else None,
        department=department,
        overdue=overdue,
        escalated=escalated,
        urgent=urgent,
    )
    return await list_page(
        request,
        services,
        cursor=cursor,
        decode=complaint_summary.decode_cursor,
        limit=limit,
        fetch=fetch,
        body=lambda row: summary_body(row, request.user),
        encode=complaint_summary.encode_cursor,
    )


router = case_router(COMPLAINT, present, extra=[list_complaints])
