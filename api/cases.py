"""Endpoints every case type has, built from its CaseType: create, read (now, at a
version, as of an instant), history, and one POST per move.

Role checks run before the body is read (guards; `before_request` hooks on the command
endpoints, see `roles_check`), so a role that may never make a move gets 403 before
422; the application then checks visibility (404), If-Match (412) and the move
(409/422).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Annotated, Any
from uuid import UUID

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
# The application is synchronous (eventsourcing, psycopg), so each call runs in a worker
# thread. A plain executor instead of `anyio.to_thread.run_sync`: anyio's capacity
# limiter, cancel scopes and task state cost about a tenth of the server's CPU under
# the command load. As many threads as anyio's default limiter allows (40): a command
# holds its thread until its group commit is stored.
_THREADS = ThreadPoolExecutor(max_workers=40, thread_name_prefix="api-call")


async def in_thread[T](fn: Callable[[], T]) -> T:
    """`fn()` in a worker thread, with the request's context variables (the log
    context bound by the middlewares) as anyio would pass them."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_THREADS, contextvars.copy_context().run, fn)


def _settle(
    future: asyncio.Future[CommandResult],
    result: CommandResult | None,
    error: BaseException | None,
) -> None:
    if future.done():  # the request was cancelled (client gone); the command stands
        return
    if error is None:
        future.set_result(result)  # type: ignore[arg-type]
    else:
        future.set_exception(error)


def roles_check(allowed: frozenset[Role], what: str) -> Callable[[Request], Awaitable[None]]:
    """The role check of a command endpoint, as a `before_request` hook: like a guard it
    runs before the body is read (403 before 422), but Litestar calls a guard with a
    copy of the route handler (`copy.copy`, about 4 % of the server's CPU under the
    command load) and a hook with the request only."""

    async def check(request: Request[Any, Any, Any]) -> None:
        _require_role(request.user, allowed, what)

    return check


def roles_guard(allowed: frozenset[Role], what: str) -> Callable[..., Awaitable[None]]:
    # A coroutine on purpose: Litestar runs a plain-function guard in its thread pool
    # (`sync_to_thread`), a thread hand-off per request for a set lookup.
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        _require_role(connection.user, allowed, what)

    return guard


def _require_role(actor: Actor, allowed: frozenset[Role], what: str) -> None:
    if actor.role not in allowed:
        raise PermissionDeniedException(f"role {actor.role} may not {what}")


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
        app, actor, at = services.app, request.user, services.now()
        # Decided here and stored by the group committer, with no worker thread held
        # (domain/application.py create_in_memory); otherwise all of it in a thread.
        loop = asyncio.get_running_loop()
        stored: asyncio.Future[CommandResult] = loop.create_future()

        def done(result: CommandResult | None, error: BaseException | None) -> None:
            loop.call_soon_threadsafe(_settle, stored, result, error)

        if app.create_in_memory(case_type, actor, at, data, done):
            result = await stored
        else:
            result = await in_thread(partial(app.create, case_type, actor, at, data))
        return command_response(case_type, present, result, request.user, status=201)

    handler.__annotations__ = {**handler.__annotations__, "data": JSONBody[case_type.create_body]}
    handler.__name__ = handler.__qualname__ = f"create_{case_type.name}"
    return post(
        path,
        before_request=roles_check(case_type.create_roles, f"create a {case_type.name}"),
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
        result = await in_thread(fn)
        return command_response(case_type, present, result, request.user, status=200)

    handler.__annotations__ = {**handler.__annotations__, "data": JSONBody[spec.body]}
    handler.__name__ = handler.__qualname__ = f"{case_type.name}_{move.replace('-', '_')}"
    return post(
        f"/{{case_id:uuid}}/{move}",
        before_request=roles_check(spec.roles, f"{move} a {case_type.name}"),
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
        case = await in_thread(fn)
        return Response(present(case, request.user), headers={"ETag": f'"{case.version}"'})

    async def history(
        request: Request[Actor, Any, Any],
        case_id: FromPath[UUID],
        services: NamedDependency[Services],
    ) -> Response[Any]:
        fn = partial(services.app.history, case_type, case_id, request.user)
        case, events = await in_thread(fn)
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
