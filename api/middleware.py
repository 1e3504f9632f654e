"""Request logging: one structured line per request, with a request id.

Logs the request id, method, route, status, duration, the actor (bound by the auth
middleware) and the case id; never bodies, query strings, tokens or personal data.

The status is the one the client got. Litestar answers an exception raised by a
middleware (the authentication's 401) in its app-level handler, outside every route
middleware, so this one turns such exceptions into responses itself; a request no route
matches (404, 405) never reaches a route middleware and is logged by `log_unrouted`,
an app-level `before_send` hook.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from litestar.middleware._internal.exceptions import ExceptionHandlerMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("oversight.request")
_CASE_ID = re.compile(r"/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:/|$)")
_GOOD_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _request_id(scope: Scope) -> str:
    given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
    return given if _GOOD_REQUEST_ID.match(given) else uuid.uuid4().hex


def _route(path: str) -> str:
    return _CASE_ID.sub("/{id}/", path).rstrip("/") or "/"


def request_logging_middleware(app: ASGIApp) -> ASGIApp:
    # Litestar's own exception handling (our EXCEPTION_HANDLERS), between this
    # middleware and the inner ones: what they raise is answered through `send_with_id`.
    handled = ExceptionHandlerMiddleware(app=app, debug=None)

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        request_id = _request_id(scope)
        path: str = scope["path"]
        case = _CASE_ID.search(path)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            request_id=request_id, case_id=case.group(1) if case else None
        )
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers: list[Any] = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await handled(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                method=scope["method"],
                path=_route(path),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            structlog.contextvars.clear_contextvars()

    return middleware


async def log_unrouted(message: Message, scope: Scope) -> None:
    """`before_send` hook: the log line (and request id) of a request no route took."""
    if scope["type"] != "http" or message["type"] != "http.response.start":
        return
    if "route_handler" in scope:  # routed: request_logging_middleware logs it
        return
    request_id = _request_id(scope)
    message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
    log.info(
        "request",
        request_id=request_id,
        method=scope["method"],
        path=_route(scope["path"]),
        status=message["status"],
        duration_ms=None,
    )
