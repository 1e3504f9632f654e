"""Endpoints every case type has, built from its CaseType: create, read (now, at a
version, as of an instant), history, and one POST per move.

Role checks run before the body is read (guards; `before_request` hooks on the command
endpoints: api/guards.py), so a role that may never make a move gets 403 before
422; the application then checks visibility (404), If-Match (412) and the move
(409/422).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache, partial
from typing import Annotated, Any, get_type_hints
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate
from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIFormat
from litestar.params import FromPath, JSONBody, QueryParameter

from api.errors import ApiError, invalid
from api.guards import roles_check, roles_guard
from api.inputs import INT64_MAX, expected_version, not_modified, parse_instant
from api.inspection import inspection_handlers
from api.public_view import answered_case, public_course, read_public, real_expected_version
from api.representation import CaseHistory, Position, Representation, history_body
from api.services import Services
from domain.application import CommandResult
from domain.cases import CaseType
from domain.commands import Command
from domain.errors import ConcurrentUpdate, VersionConflict
from domain.public_course import public_case_created
from domain.values import Actor

# A case type's representation: its aggregate as the viewer may see it, as its read
# body (a Struct the module declares, api/representation.py).
type Present[A: Aggregate] = Callable[[A, Actor], Representation]
# Subscripted at run time with the body class a case type names: a type checker cannot
# follow a type built from a value, so this alias is not one to it.
_JSON_BODY: Any = JSONBody
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


# --- the JSON body: decoded in one place ---------------------------------------------

JSON_MAX_DEPTH = 32  # our bodies nest three levels; msgspec itself stops near 1,000
_DECODER = msgspec.json.Decoder()


class JSONRequest(Request[Any, Any, Any]):
    """The request class of every case router. Litestar's body extractor calls `json()`
    for every JSON `data` parameter (an empty body never gets here: it is reported as a
    missing body), so this is where every command's body is decoded."""

    async def json(self) -> Any:
        media_type, options = self.content_type
        charset = options.get("charset", "utf-8").lower()
        if not _is_json(media_type) or charset not in ("utf-8", "utf8"):
            raise ApiError(
                415,
                "unsupported-media-type",
                "Unsupported media type",
                "the body must be JSON, sent with Content-Type: application/json",
                errors=[{"field": "Content-Type", "rule": "must be application/json (UTF-8)"}],
            )
        return decode_json_body(await self.body())


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def decode_json_body(body: bytes) -> Any:
    """The body as Python values; 400 unless it is UTF-8 JSON nested at most
    `JSON_MAX_DEPTH` levels, with no key twice in one object."""
    try:
        value = _DECODER.decode(body)
    except UnicodeDecodeError:
        raise _malformed("body", "must be UTF-8 encoded") from None
    except RecursionError:
        raise _malformed("body", f"must not nest deeper than {JSON_MAX_DEPTH} levels") from None
    except msgspec.DecodeError as e:
        raise _malformed("body", f"must be valid JSON ({e})") from None
    if type(value) is dict or type(value) is list:
        keys = _count_keys(value, 1)
        # msgspec keeps the last of duplicate keys. Every member of a JSON object has
        # one colon outside strings: fewer keys decoded than that means a duplicate.
        if keys != body.count(b":") and keys != _members(body):
            raise _malformed(_duplicate_key(body), "a key may appear only once in an object")
    return value


def _malformed(field: str, rule: str) -> ApiError:
    detail = f"the body {rule}" if field == "body" else f"{field}: {rule}"
    return ApiError(
        400,
        "malformed-request",
        "Malformed request",
        detail,
        errors=[{"field": field, "rule": rule}],
    )


def _count_keys(value: Any, depth: int) -> int:
    """The keys of every object in `value` (a list or dict); 400 past the depth limit."""
    if depth > JSON_MAX_DEPTH:
        raise _malformed("body", f"must not nest deeper than {JSON_MAX_DEPTH} levels")
    if type(value) is dict:
        keys, children = len(value), value.values()
    else:
        keys, children = 0, value
    for child in children:
        kind = type(child)
        if kind is dict or kind is list:
            keys += _count_keys(child, depth + 1)
    return keys


def _members(body: bytes) -> int:
    """The colons outside JSON strings (valid JSON): one per object member."""
    if b"\\" in body:  # escaped backslashes first, then escaped quotes
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    parts = body.split(b'"')
    return body.count(b":") - sum(part.count(b":") for part in parts[1::2])


class _Pairs(list[tuple[str, Any]]):
    pass


def _duplicate_key(body: bytes) -> str:
    """The path of the first key found twice in one object (the slow path of an error)."""
    try:
        document = json.loads(body, object_pairs_hook=_Pairs)
    except ValueError:  # pragma: no cover - msgspec accepted it, json is more lenient
        return "body"
    return _find_duplicate(document, "") or "body"


def _find_duplicate(value: Any, path: str) -> str | None:
    if isinstance(value, _Pairs):
        seen: set[str] = set()
        for key, _ in value:
            if key in seen:
                return f"{path}.{key}" if path else key
            seen.add(key)
        children = [(f"{path}.{key}" if path else key, child) for key, child in value]
    elif isinstance(value, list):
        children = [(f"{path}[{i}]", child) for i, child in enumerate(value)]
    else:
        return None
    for child_path, child in children:
        found = _find_duplicate(child, child_path)
        if found:
            return found
    return None


def read_type(present: Callable[..., Any]) -> type[Representation]:
    """The read body a case type's `present` returns (its return annotation)."""
    returned = get_type_hints(present).get("return")
    if not (isinstance(returned, type) and issubclass(returned, Representation)):
        raise TypeError(f"{present.__qualname__} must be annotated to return a Representation")
    return returned


@cache
def answer_type(read: type[Representation]) -> type[Representation]:
    """The answer to a command on a case: its read body plus `position`, the notification
    position of the command's last event (named after the read body: `ComplaintRead`
    answers `ComplaintAnswer`)."""
    name = read.__name__.removesuffix("Read") + "Answer"
    answer = msgspec.defstruct(
        name, [("position", Position)], bases=(read,), module=read.__module__
    )
    answer.__doc__ = (
        f"{(read.__doc__ or '').strip()} The answer to a command: the case as it stands after"
        " it, with the `position` of its last event."
    )
    return answer  # type: ignore[return-value]  # a subclass of `read`, made at run time


def answers(present: Callable[..., Any]) -> Any:
    """The return annotation of a command endpoint on the case type of `present`."""
    return Response[answer_type(read_type(present))]  # type: ignore[misc]


# Route options the contract reads (api/contract.py): the headers a case's command and
# read endpoints take and set.
_CREATE_OPT = {"response_headers": ("ETag", "X-Position", "Location")}
_MOVE_OPT = {"request_headers": ("If-Match",), "response_headers": ("ETag", "X-Position")}
_READ_OPT = {"request_headers": ("If-None-Match",), "response_headers": ("ETag",)}


def command_response[A: Aggregate](
    case_type: CaseType[A, Any],
    present: Present[A],
    result: CommandResult[A],
    actor: Actor,
    *,
    status: int,
    shown: Any | None = None,
) -> Response[Any]:
    """`shown`: the case as the actor sees it, when that is not `result.case` (a viewer
    of the public course: api/public_view.py); a case just created needs no events."""
    case = result.case if shown is None else shown
    course = public_course(case_type, actor)
    if shown is None and course is not None:
        case = public_case_created(course, result.case)
    read = present(case, actor)
    body = answer_type(type(read))(**msgspec.structs.asdict(read), position=result.position)
    headers = {"ETag": f'"{case.version}"', "X-Position": str(result.position)}
    if status == 201:
        headers["Location"] = f"/api/v1/{case_type.plural}/{result.case.id}"
    return Response(body, status_code=status, headers=headers)


async def create_case[A: Aggregate, C: Command](
    services: Services, case_type: CaseType[A, C], actor: Actor, data: C
) -> CommandResult[A]:
    """Create a case (the API's create and the web pages', api/pages/)."""
    app, at = services.app, services.now()
    # Decided here and stored by the group committer, with no worker thread held
    # (domain/application.py create_in_memory); otherwise all of it in a thread.
    loop = asyncio.get_running_loop()
    stored: asyncio.Future[CommandResult[A]] = loop.create_future()

    def done(result: CommandResult[A] | None, error: BaseException | None) -> None:
        loop.call_soon_threadsafe(_settle, stored, result, error)

    if app.create_in_memory(case_type, actor, at, data, done):
        return await stored
    return await in_thread(partial(app.create, case_type, actor, at, data))


async def make_move[A: Aggregate](
    services: Services,
    case_type: CaseType[A, Any],
    case_id: UUID,
    move: str,
    actor: Actor,
    data: Command,
    expected: int | None,
) -> tuple[CommandResult[A], Any | None]:
    """Make a move (the API's and the web pages', api/pages/): the result, and the case
    as the actor sees it when that is not `result.case` (a viewer of the public course,
    whose `expected` version is a public one: api/public_view.py)."""
    course = public_course(case_type, actor)
    if course is not None and expected is not None:
        check = partial(
            real_expected_version, services.app, course, case_type, case_id, actor, expected
        )
        expected = await in_thread(check)
    fn = partial(
        services.app.move,
        case_id,
        move,
        actor,
        services.now(),
        data,
        expected_version=expected,
        case_type=case_type,
    )
    try:
        result: CommandResult[A] = await in_thread(fn)
    except VersionConflict:
        if course is None:
            raise
        # Another move came between the check and this one; its version numbers
        # may be ones this viewer does not see.
        raise ConcurrentUpdate("the case changed meanwhile; read it again") from None
    shown = None
    if course is not None:
        shown = await in_thread(partial(answered_case, services.app, course, result.case))
    return result, shown


def _with_example(opt: dict[str, Any], example: Any) -> dict[str, Any]:
    """Route options with an example of the request body (api/contract.py)."""
    return opt if example is None else {**opt, "body_examples": {"example": example}}


def create_handler[A: Aggregate, C: Command](
    case_type: CaseType[A, C], present: Present[A], path: str = "/", example: Any = None
) -> Any:
    async def handler(
        request: Request[Actor, Any, Any], data: C, services: NamedDependency[Services]
    ) -> Response[Any]:
        result = await create_case(services, case_type, request.user, data)
        return command_response(case_type, present, result, request.user, status=201)

    handler.__annotations__ = {
        **handler.__annotations__,
        "data": _JSON_BODY[case_type.create_body],
        "return": answers(present),
    }
    handler.__name__ = handler.__qualname__ = f"create_{case_type.name}"
    return post(
        path,
        before_request=roles_check(case_type.create_roles, f"create a {case_type.name}"),
        summary=f"Create a {case_type.name}",
        opt=_with_example(_CREATE_OPT, example),
    )(handler)


def move_handler[A: Aggregate](
    case_type: CaseType[A, Any], present: Present[A], move: str, example: Any = None
) -> Any:
    spec = case_type.move(move)

    async def handler(
        request: Request[Actor, Any, Any],
        case_id: FromPath[UUID],
        data: Any,
        services: NamedDependency[Services],
    ) -> Response[Any]:
        result, shown = await make_move(
            services, case_type, case_id, move, request.user, data, expected_version(request)
        )
        return command_response(case_type, present, result, request.user, status=200, shown=shown)

    handler.__annotations__ = {
        **handler.__annotations__,
        "data": _JSON_BODY[spec.body],
        "return": answers(present),
    }
    handler.__name__ = handler.__qualname__ = f"{case_type.name}_{move.replace('-', '_')}"
    return post(
        f"/{{case_id:uuid}}/{move}",
        before_request=roles_check(spec.roles, f"{move} a {case_type.name}"),
        summary=spec.summary or f"{move.replace('-', ' ').capitalize()} a {case_type.name}",
        status_code=200,
        opt=_with_example(_MOVE_OPT, example),
    )(handler)


def read_handlers[A: Aggregate](case_type: CaseType[A, Any], present: Present[A]) -> list[Any]:
    guard = roles_guard(case_type.read_roles, f"read {case_type.plural}")

    async def read(
        request: Request[Actor, Any, Any],
        case_id: FromPath[UUID],
        services: NamedDependency[Services],
        as_of: Annotated[
            str | None,
            QueryParameter(
                description="The case as it stood at this instant (RFC 3339, with an offset).",
                format=OpenAPIFormat.DATE_TIME,
            ),
        ] = None,
        version: Annotated[
            int | None,
            QueryParameter(ge=1, le=INT64_MAX, description="The case as of this version."),
        ] = None,
    ) -> Response[Any]:
        """The case now, at a version or as of an instant (not both). `If-None-Match`
        with its ETag answers 304 while the version is unchanged."""
        if as_of is not None and version is not None:
            raise invalid("as_of", "give either as_of or version, not both")
        instant = parse_instant(as_of) if as_of is not None else None
        course = public_course(case_type, request.user)
        if course is None:
            fn = partial(
                services.app.read, case_type, case_id, request.user, version=version, as_of=instant
            )
        else:  # the public course only: its versions (api/public_view.py)
            fn = partial(
                read_public,
                services.app,
                course,
                case_type,
                case_id,
                request.user,
                version=version,
                as_of=instant,
            )
        case = await in_thread(fn)
        if not_modified(request, case.version):
            return _not_modified(case.version)
        return Response(present(case, request.user), headers={"ETag": f'"{case.version}"'})

    async def history(
        request: Request[Actor, Any, Any],
        case_id: FromPath[UUID],
        services: NamedDependency[Services],
    ) -> Response[CaseHistory]:
        """Every event the viewer sees, oldest first; 304 for an unchanged `If-None-Match`."""
        fn = partial(services.app.history, case_type, case_id, request.user)
        case, events = await in_thread(fn)
        entries = history_body(case_type, case, events, request.user)
        # The last version the viewer sees (an enterprise: the last public one).
        version = entries[-1].version
        if not_modified(request, version):
            return _not_modified(version)
        body = CaseHistory(id=case_id, version=version, events=entries)
        return Response(body, headers={"ETag": f'"{version}"'})

    read_body: Any = read_type(present)
    read.__annotations__ = {**read.__annotations__, "return": Response[read_body]}
    read.__name__ = read.__qualname__ = f"read_{case_type.name}"
    history.__name__ = history.__qualname__ = f"{case_type.name}_history"
    return [
        get(
            "/{case_id:uuid}",
            guards=[guard],
            summary=f"Read a {case_type.name}",
            opt=_READ_OPT,
        )(read),
        get(
            "/{case_id:uuid}/history",
            guards=[guard],
            summary=f"A {case_type.name}'s events",
            opt=_READ_OPT,
        )(history),
    ]


def _not_modified(version: int) -> Response[Any]:
    """304: the client's copy (its `If-None-Match`) is the version it would get."""
    return Response(b"", status_code=304, headers={"ETag": f'"{version}"'})


def case_router[A: Aggregate](
    case_type: CaseType[A, Any],
    present: Present[A],
    *,
    extra: Sequence[Any] = (),
    with_create: bool = True,
    examples: Mapping[str, Any] | None = None,
) -> Router:
    """The case type's endpoints (module docstring) and `extra`. `examples`: a request
    body for the OpenAPI document, by move name (`create` for the create's)."""
    examples = examples or {}
    handlers = [
        *(
            [create_handler(case_type, present, example=examples.get("create"))]
            if with_create
            else []
        ),
        *read_handlers(case_type, present),
        *inspection_handlers(case_type),
        *(
            move_handler(case_type, present, move, example=examples.get(move))
            for move in case_type.moves
        ),
        *extra,
    ]
    return Router(
        path=f"/api/v1/{case_type.plural}",
        route_handlers=handlers,
        tags=[case_type.plural],
        request_class=JSONRequest,
    )
