"""Role checks, run before a request's body is read (so a role that may never make a
move gets 403 before 422), and the query string's sanity after the role: no control
characters, and no parameter the endpoint does not take (400 naming it).

Every endpoint refuses unknown query parameters: the role checks here do it after the
role, and `refuse_unknown_parameters` (the app's `before_request` hook) does it for
endpoints without one. The roles each check allows are on it (`roles`), for the OpenAPI
document (api/contract.py).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.constants import RESERVED_KWARGS
from litestar.exceptions import PermissionDeniedException
from litestar.handlers import BaseRouteHandler
from litestar.params import ParameterKwarg

from api.errors import ApiError, invalid
from domain.values import Actor, Role

# C0 controls and DEL in a query string, percent-encoded or raw: PostgreSQL text cannot
# hold NUL, and no search term needs the others.
_CONTROL_IN_QUERY = re.compile(rb"%(?:[01][0-9A-Fa-f]|7[Ff])|[\x00-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def roles_check(allowed: frozenset[Role], what: str) -> Callable[[Request], Awaitable[None]]:
    """The role check of a command endpoint, as a `before_request` hook: like a guard it
    runs before the body is read (403 before 422), but Litestar calls a guard with a
    copy of the route handler (`copy.copy`, about 4 % of the server's CPU under the
    command load) and a hook with the request only."""

    async def check(request: Request[Any, Any, Any]) -> None:
        _require_role(request.user, allowed, what)
        query = request.scope.get("query_string", b"")
        if query:
            _check_query(request.scope["route_handler"], query, request.scope["path_params"])

    check.roles = allowed  # type: ignore[attr-defined]
    return check


def roles_guard(allowed: frozenset[Role], what: str) -> Callable[..., Awaitable[None]]:
    """The role check of a read endpoint; then its query string's sanity (after the role,
    so 403 still comes before 422)."""

    # A coroutine on purpose: Litestar runs a plain-function guard in its thread pool
    # (`sync_to_thread`), a thread hand-off per request for a set lookup.
    async def guard(
        connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        _require_role(connection.user, allowed, what)
        query = connection.scope.get("query_string", b"")
        if query:
            _check_query(handler, query, connection.scope["path_params"])

    guard.roles = allowed  # type: ignore[attr-defined]
    return guard


async def refuse_unknown_parameters(request: Request[Any, Any, Any]) -> None:
    """The app's `before_request` hook: the query string's checks for the API's endpoints
    whose own hook does not make them (a route's own `before_request` replaces this one).
    Web pages and static files (not in the OpenAPI document) are left alone: a link with
    a tracking parameter still opens a page."""
    query = request.scope.get("query_string", b"")
    if not query:
        return
    handler: Any = request.scope["route_handler"]  # an HTTP handler: a request has one
    in_api: bool | None = handler.opt.get("_in_api")
    if in_api is None:
        in_api = handler.opt["_in_api"] = handler.resolve_include_in_schema()
    if in_api:
        _check_query(handler, query, request.scope["path_params"])


def _check_query(handler: BaseRouteHandler, query: bytes, path_params: Iterable[str]) -> None:
    if _CONTROL_IN_QUERY.search(query):
        _refuse_control_characters(query)
    known = query_parameters(handler, path_params)
    given = {name for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True)}
    unknown = sorted(given - known)
    if unknown:
        renamed: dict[str, str] = handler.opt.get("renamed_parameters", {})
        known_list = ", ".join(sorted(known)) or "none"
        errors = [
            {
                "field": name,
                "rule": f"renamed: use {renamed[name]}"
                if name in renamed
                else f"not a parameter of this endpoint (it takes: {known_list})",
            }
            for name in unknown
        ]
        raise ApiError(
            400,
            "unknown-parameter",
            "Unknown query parameter",
            "; ".join(f"{e['field']}: {e['rule']}" for e in errors),
            errors=errors,
        )


def query_parameters(handler: BaseRouteHandler, path_params: Iterable[str] = ()) -> frozenset[str]:
    """The public names of the query parameters an endpoint takes (its own and its
    dependencies'), computed once per endpoint."""
    cached: frozenset[str] | None = handler.opt.get("_query_parameters")
    if cached is not None:
        return cached
    dependencies = handler.resolve_dependencies()
    path = set(path_params)
    names: set[str] = set()

    def collect(parameters: dict[str, Any]) -> None:
        for name, field in parameters.items():
            if name in RESERVED_KWARGS or name in path or field.is_di_field:
                continue
            if name in dependencies:
                collect(dependencies[name].parsed_fn_signature.parameters)
                continue
            kwarg = field.kwarg_definition
            if isinstance(kwarg, ParameterKwarg) and (kwarg.header or kwarg.cookie):
                continue
            public = getattr(kwarg, "name", None) or getattr(kwarg, "query", None)
            names.add(public or name)

    collect(handler.parsed_fn_signature.parameters)
    found = frozenset(names)
    handler.opt["_query_parameters"] = found
    return found


def _require_role(actor: Actor, allowed: frozenset[Role], what: str) -> None:
    if actor.role not in allowed:
        raise PermissionDeniedException(f"role {actor.role} may not {what}")


def _refuse_control_characters(query: bytes) -> None:
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if _CONTROL.search(value):
            raise invalid(name, "must not contain control characters (U+0000-U+001F, U+007F)")
