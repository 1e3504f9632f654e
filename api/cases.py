"""Endpoints every case type has, built from its CaseType: create, read (now, at a
version, as of an instant), history, and one POST per move.

Role checks are guards, so a role that may never make a move gets 403 before its body
is read; the application then checks visibility (404), If-Match (412) and the move
(409/422).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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

from api.problems import invalid
from api.representation import history_body
from api.services import Services
from domain.application import CommandResult
from domain.cases import CaseType
from domain.values import Actor, Role

Present = Callable[[Any, Actor], dict[str, Any]]


def roles_guard(allowed: frozenset[Role], what: str) -> Callable[..., None]:
    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        actor: Actor = connection.user
        if actor.role not in allowed:
            raise PermissionDeniedException(f"role {actor.role} may not {what}")

    return guard


def expected_version(request: Request[Any, Any, Any]) -> int | None:
    header = request.headers.get("if-match")
    if header is None:
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise invalid("If-Match", "must be the case's version, as given in its ETag", status=400)
    return int(value)


def parse_instant(value: str, field: str = "as_of") -> datetime:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise invalid(field, "must be an ISO 8601 date-time with an offset") from None
    if instant.tzinfo is None:
        raise invalid(field, "must carry a UTC offset, e.g. 2026-03-01T09:00:00+08:00")
    return instant


def command_response(
    case_type: CaseType, present: Present, result: CommandResult, actor: Actor, *, status: int
) -> Response[Any]:
    body = present(result.case, actor)
    body["position"] = result.position
    headers = {"ETag": f'"{result.case.version}"', "X-Position": str(result.position)}
    if status == 201:
        headers["Location"] = f"/api/v1/{case_type.plural}/{result.case.id}"
    return Response(body, status_code=status, headers=headers)


def create_handler(case_type: CaseType, present: Present, path: str = "/") -> Any:
    async def handler(
        request: Request[Actor, Any, Any], data: Any, services: NamedDependency[Services]
    ) -> Response[Any]:
        fn = partial(services.app.create, case_type, request.user, services.now(), data)
        result = await anyio.to_thread.run_sync(fn)
        return command_response(case_type, present, result, request.user, status=201)

    handler.__annotations__ = {**handler.__annotations__, "data": JSONBody[case_type.create_body]}
    handler.__name__ = handler.__qualname__ = f"create_{case_type.name}"
    return post(
        path,
        guards=[roles_guard(case_type.create_roles, f"create a {case_type.name}")],
        summary=f"Create a {case_type.name}",
    )(handler)


def move_handler(case_type: CaseType, present: Present, move: str) -> Any:
    spec = case_type.move(move)

    async def handler(
        request: Request[Actor, Any, Any],
        case_id: FromPath[UUID],
        data: Any,
        services: NamedDependency[Services],
    ) -> Response[Any]:
        fn = partial(
            services.app.move,
            case_id,
            move,
            request.user,
            services.now(),
            data,
            expected_version=expected_version(request),
            case_type=case_type,
        )
        result = await anyio.to_thread.run_sync(fn)
        return command_response(case_type, present, result, request.user, status=200)

    handler.__annotations__ = {**handler.__annotations__, "data": JSONBody[spec.body]}
    handler.__name__ = handler.__qualname__ = f"{case_type.name}_{move.replace('-', '_')}"
    return post(
        f"/{{case_id:uuid}}/{move}",
        guards=[roles_guard(spec.roles, f"{move} a {case_type.name}")],
        summary=spec.summary or f"{move.replace('-', ' ').capitalize()} a {case_type.name}",
        status_code=200,
    )(handler)


def read_handlers(case_type: CaseType, present: Present) -> list[Any]:
    guard = roles_guard(case_type.read_roles, f"read {case_type.plural}")

    async def read(
        request: Request[Actor, Any, Any],
        case_id: FromPath[UUID],
        services: NamedDependency[Services],
        as_of: FromQuery[str | None] = None,
        version: Annotated[int | None, QueryParameter(ge=1)] = None,
    ) -> Response[Any]:
        if as_of is not None and version is not None:
            raise invalid("as_of", "give either as_of or version, not both")
        instant = parse_instant(as_of) if as_of is not None else None
        fn = partial(
            services.app.read, case_type, case_id, request.user, version=version, as_of=instant
        )
        case = await anyio.to_thread.run_sync(fn)
        return Response(present(case, request.user), headers={"ETag": f'"{case.version}"'})

    async def history(
        request: Request[Actor, Any, Any],
        case_id: FromPath[UUID],
        services: NamedDependency[Services],
    ) -> Response[Any]:
        fn = partial(services.app.history, case_type, case_id, request.user)
        case, events = await anyio.to_thread.run_sync(fn)
        body = {
            "id": str(case_id),
            "version": case.version,
            "events": history_body(case_type, case, events, request.user),
        }
        return Response(body, headers={"ETag": f'"{case.version}"'})

    read.__name__ = read.__qualname__ = f"read_{case_type.name}"
    history.__name__ = history.__qualname__ = f"{case_type.name}_history"
    return [
        get("/{case_id:uuid}", guards=[guard], summary=f"Read a {case_type.name}")(read),
        get("/{case_id:uuid}/history", guards=[guard], summary=f"A {case_type.name}'s events")(
            history
        ),
    ]


def case_router(
    case_type: CaseType,
    present: Present,
    *,
    extra: Sequence[Any] = (),
    with_create: bool = True,
) -> Router:
    from api.inspection import inspection_handlers  # it builds on this module

    handlers = [
        *([create_handler(case_type, present)] if with_create else []),
        *read_handlers(case_type, present),
        *inspection_handlers(case_type),
        *(move_handler(case_type, present, move) for move in case_type.moves),
        *extra,
    ]
    return Router(
        path=f"/api/v1/{case_type.plural}", route_handlers=handlers, tags=[case_type.plural]
    )
