"""Complaint endpoints: lodge, read (now / version / as_of), history, moves, list."""

from __future__ import annotations

import asyncio
from datetime import datetime
from functools import partial
from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
from litestar import Request, Response, Router, get, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.problems import ApiProblem, invalid
from api.representation import complaint_body, history_body, summary_body
from api.services import Services
from domain import commands as cmd
from domain.application import CommandResult
from domain.complaint import MOVE_ROLES, Status
from domain.values import Actor, Kind, Role
from projections import complaint_summary
from projections.runner import view_position

LIST_ROLES = frozenset(
    {Role.ENTERPRISE, Role.CLERK, Role.DEPARTMENT, Role.SUPERVISOR, Role.INSPECTOR}
)


def roles_guard(allowed: frozenset[Role], what: str):
    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        actor: Actor = connection.user
        if actor.role not in allowed:
            raise PermissionDeniedException(f"role {actor.role} may not {what}")

    return guard


def expected_version(request: Request[Any, Any, Any]) -> int | None:
    header = request.headers.get("if-match")
    if header is None:
        return None
    value = header.strip()
    value = value.removeprefix("W/").strip('"')
    if not value.isdigit():
        raise invalid("If-Match", "must be the case's version, as given in its ETag", status=400)
    return int(value)


def _case_response(result: CommandResult, actor: Actor, *, status: int) -> Response[Any]:
    body = complaint_body(result.case, actor)
    body["position"] = result.position
    headers = {"ETag": f'"{result.case.version}"', "X-Position": str(result.position)}
    if status == 201:
        headers["Location"] = f"/api/v1/complaints/{result.case.id}"
    return Response(body, status_code=status, headers=headers)


@post(
    "/",
    guards=[roles_guard(MOVE_ROLES["lodge"], "lodge a complaint")],
    summary="Lodge a complaint",
)
async def lodge(
    request: Request[Actor, Any, Any],
    data: JSONBody[cmd.LodgeComplaint],
    services: NamedDependency[Services],
) -> Response[Any]:
    actor = request.user
    fn = partial(services.app.lodge_complaint, actor, services.now(), data)
    result = await anyio.to_thread.run_sync(fn)
    return _case_response(result, actor, status=201)


def _move_handler(move: str, body_type: type[cmd.Command]) -> Any:
    async def handler(
        request: Request[Actor, Any, Any],
        case_id: FromPath[UUID],
        data: Any,
        services: NamedDependency[Services],
    ) -> Response[Any]:
        actor = request.user
        fn = partial(
            services.app.move,
            case_id,
            move,
            actor,
            services.now(),
            data,
            expected_version=expected_version(request),
        )
        result = await anyio.to_thread.run_sync(fn)
        return _case_response(result, actor, status=200)

    handler.__annotations__ = {**handler.__annotations__, "data": JSONBody[body_type]}
    handler.__name__ = handler.__qualname__ = "move_" + move.replace("-", "_")
    return post(
        f"/{{case_id:uuid}}/{move}",
        guards=[roles_guard(MOVE_ROLES[move], f"{move} a complaint")],
        summary=f"{move.replace('-', ' ').capitalize()} a complaint",
        status_code=200,
    )(handler)


def _parse_instant(value: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise invalid("as_of", "must be an ISO 8601 date-time with an offset") from None
    if instant.tzinfo is None:
        raise invalid("as_of", "must carry a UTC offset, e.g. 2026-03-01T09:00:00+08:00")
    return instant


@get("/{case_id:uuid}", guards=[roles_guard(LIST_ROLES, "read complaints")])
async def read(
    request: Request[Actor, Any, Any],
    case_id: FromPath[UUID],
    services: NamedDependency[Services],
    as_of: FromQuery[str | None] = None,
    version: Annotated[int | None, QueryParameter(ge=1)] = None,
) -> Response[Any]:
    if as_of is not None and version is not None:
        raise invalid("as_of", "give either as_of or version, not both")
    instant = _parse_instant(as_of) if as_of is not None else None
    fn = partial(services.app.complaint, case_id, request.user, version=version, as_of=instant)
    case = await anyio.to_thread.run_sync(fn)
    return Response(complaint_body(case, request.user), headers={"ETag": f'"{case.version}"'})


@get("/{case_id:uuid}/history", guards=[roles_guard(LIST_ROLES, "read complaints")])
async def history(
    request: Request[Actor, Any, Any], case_id: FromPath[UUID], services: NamedDependency[Services]
) -> Response[Any]:
    case, events = await anyio.to_thread.run_sync(
        partial(services.app.history, case_id, request.user)
    )
    return Response(
        {
            "id": str(case_id),
            "version": case.version,
            "events": history_body(case, events, request.user),
        },
        headers={"ETag": f'"{case.version}"'},
    )


async def wait_for_position(
    services: NamedDependency[Services], request: Request[Any, Any, Any]
) -> None:
    """Honour X-Min-Position: wait (bounded) until the views have caught up to it."""
    header = request.headers.get("x-min-position")
    if header is None:
        return
    if not header.strip().isdigit():
        raise invalid("X-Min-Position", "must be a position returned by a command", status=400)
    wanted = int(header)
    deadline = asyncio.get_running_loop().time() + services.settings.min_position_wait_seconds
    delay = 0.01
    while True:
        async with services.pool.acquire() as conn:
            if await view_position(conn) >= wanted:
                return
        if asyncio.get_running_loop().time() >= deadline:
            raise ApiProblem(
                503,
                "views-behind",
                "Views not caught up",
                f"the views have not reached position {wanted} yet; retry shortly",
                headers={"Retry-After": "1"},
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.2)


@get("/", guards=[roles_guard(LIST_ROLES, "list complaints")])
async def list_complaints(
    request: Request[Actor, Any, Any],
    services: NamedDependency[Services],
    status: FromQuery[Status | None] = None,
    kind: FromQuery[Kind | None] = None,
    department: FromQuery[str | None] = None,
    overdue: FromQuery[bool | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    cursor: FromQuery[str | None] = None,
) -> Response[Any]:
    position = None
    try:
        position = complaint_summary.decode_cursor(cursor) if cursor else None
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
            limit=limit + 1,
            cursor=position,
        )
    more = len(rows) > limit
    rows = rows[:limit]
    return Response(
        {
            "items": [summary_body(r, request.user) for r in rows],
            "next_cursor": complaint_summary.encode_cursor(rows[-1]) if more else None,
        }
    )


router = Router(
    path="/api/v1/complaints",
    route_handlers=[
        lodge,
        read,
        history,
        list_complaints,
        *(_move_handler(move, body) for move, body in cmd.COMPLAINT_MOVES.items()),
    ],
    tags=["complaints"],
)
