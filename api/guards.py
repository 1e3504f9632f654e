"""Role checks, run before a request's body is read (so a role that may never make a
move gets 403 before 422), and the query string's sanity after the role."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from api.errors import invalid
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

    return check


def roles_guard(allowed: frozenset[Role], what: str) -> Callable[..., Awaitable[None]]:
    """The role check of a read endpoint; then its query string's sanity (after the role,
    so 403 still comes before 422)."""

    # A coroutine on purpose: Litestar runs a plain-function guard in its thread pool
    # (`sync_to_thread`), a thread hand-off per request for a set lookup.
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        _require_role(connection.user, allowed, what)
        query = connection.scope.get("query_string", b"")
        if query and _CONTROL_IN_QUERY.search(query):
            _refuse_control_characters(query)

    return guard


def _require_role(actor: Actor, allowed: frozenset[Role], what: str) -> None:
    if actor.role not in allowed:
        raise PermissionDeniedException(f"role {actor.role} may not {what}")


def _refuse_control_characters(query: bytes) -> None:
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if _CONTROL.search(value):
            raise invalid(name, "must not contain control characters (U+0000-U+001F, U+007F)")
