"""Every error as RFC 9457 problem+json, mapped in one place.

Order of checks (each stops the request, nothing is stored): 401 no or bad token;
403 the role may never make this move; 400/422 bad input, naming the field and the
rule; 404 no such case for this user; 412 stale If-Match; 409 the case's status
forbids the move.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import Enum
from typing import Any, Literal, get_args, get_origin
from uuid import UUID

import asyncpg
import psycopg
import structlog
from eventsourcing import persistence
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from domain.errors import (
    CaseNotFound,
    ConcurrentUpdate,
    DomainError,
    Forbidden,
    MoveNotAllowed,
    RuleViolated,
    VersionConflict,
)

log = structlog.get_logger(__name__)

ERROR_MEDIA_TYPE = "application/problem+json"
ERROR_TYPE_BASE = "https://oversight.example/problems/"


class ApiError(Exception):
    """An error the API raises itself (bad header, bad query parameter, not ready)."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers


def invalid(field: str, rule: str, *, status: int = 422) -> ApiError:
    return ApiError(
        status,
        "invalid-input",
        "Invalid input",
        f"{field}: {rule}",
        errors=[{"field": field, "rule": rule}],
    )


def error_response(
    request: Request[Any, Any, Any],
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": ERROR_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=ERROR_MEDIA_TYPE, headers=headers)


_DOMAIN_STATUS: list[tuple[type[DomainError], int, str, str]] = [
    (Forbidden, 403, "forbidden", "Forbidden"),
    (CaseNotFound, 404, "not-found", "Not found"),
    (VersionConflict, 412, "stale-version", "Precondition failed"),
    (MoveNotAllowed, 409, "move-not-allowed", "Move not allowed"),
    (ConcurrentUpdate, 409, "concurrent-update", "Concurrent update"),
    (RuleViolated, 422, "invalid-input", "Invalid input"),
]


def domain_error_handler(
    request: Request[Any, Any, Any], exc: DomainError
) -> Response[dict[str, Any]]:
    for cls, status, slug, title in _DOMAIN_STATUS:
        if isinstance(exc, cls):
            errors = (
                [{"field": exc.field, "rule": exc.rule}] if isinstance(exc, RuleViolated) else None
            )
            return error_response(request, status, slug, title, str(exc), errors=errors)
    raise exc  # pragma: no cover - every DomainError subclass is listed above


def api_error_handler(request: Request[Any, Any, Any], exc: ApiError) -> Response[Any]:
    return error_response(
        request, exc.status, exc.slug, exc.title, exc.detail, errors=exc.errors, headers=exc.headers
    )


_AT_PATH = re.compile(r" - at `\$\.?([^`]*)`$")
# Errors about a field of an object name it only in the message.
_NAMED_FIELD = re.compile(r"^Object (?:missing required|contains unknown) field `([^`]+)`$")
# Our own checks inside an object say which field they are about: "credit_code: ...".
_NESTED_FIELD = re.compile(r"^([a-z_]+): (.*)$", re.S)
_EMPTY_BODY = "'data'"  # what Litestar reports when there is no body at all


def _join(base: str, name: str) -> str:
    return f"{base}.{name}" if base else name


def _field_errors(
    exc: ValidationException, request: Request[Any, Any, Any]
) -> list[dict[str, str]]:
    errors = []
    parameters = None
    for item in exc.extra if isinstance(exc.extra, list) else []:
        message = str(item.get("message", ""))
        key = str(item.get("key") or "")
        if item.get("source") in _PARAMETER_SOURCES:
            # Named by its public name (`from`, not the handler's `first`), with what it
            # must be rather than msgspec's wording.
            parameters = parameters if parameters is not None else _parameters(request)
            name, what = parameters.get(key, (key, None))
            errors.append({"field": name, "rule": f"must be {what}" if what else message})
            continue
        # Litestar names the request body "data": the body's own fields are top level.
        field = "" if key == "data" and str(item.get("source")) in {"body", "None"} else key
        at = _AT_PATH.search(message)
        if at:
            field = field or at.group(1)
            message = message[: at.start()]
        for pattern in (_NAMED_FIELD, _NESTED_FIELD):
            named = pattern.match(message)
            if named:
                field = _join(field, named.group(1))
                if pattern is _NESTED_FIELD:
                    message = named.group(2)
                break
        errors.append({"field": field or "body", "rule": message})
    return errors


def validation_handler(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    missing = _MISSING.match(exc.detail or "") if not exc.extra else None
    if missing:
        name = missing.group(2)
        what = next((w for n, w in _parameters(request).values() if n == name), None)
        errors = [{"field": name, "rule": f"is required: {what}" if what else "is required"}]
        detail = f"{name}: {errors[0]['rule']}"
        return error_response(request, 422, "invalid-input", "Invalid input", detail, errors=errors)
    errors = _field_errors(exc, request)
    if not errors or [e["rule"] for e in errors] == [_EMPTY_BODY]:
        return error_response(
            request, 400, "malformed-request", "Malformed request", "the body must be a JSON object"
        )
    detail = "; ".join(f"{e['field']}: {e['rule']}" for e in errors)
    return error_response(request, 422, "invalid-input", "Invalid input", detail, errors=errors)


_MISSING = re.compile(r"^Missing required (\w+) parameter '([^']+)'")
_PARAMETER_SOURCES = frozenset({"query", "path", "header", "cookie"})


def _parameters(request: Request[Any, Any, Any]) -> dict[str, tuple[str, str | None]]:
    """The route handler's parameters: its name for each -> (public name, what it must be)."""
    handler = request.scope.get("route_handler")
    if handler is None:
        return {}
    found = {}
    for key, field in handler.parsed_fn_signature.parameters.items():
        kwarg = field.kwarg_definition
        public = getattr(kwarg, "name", None) or getattr(kwarg, "query", None) or key
        found[key] = (public, _what(field))
    return found


def _what(field: Any) -> str | None:
    """What a query or path parameter must be, in words."""
    kind = field.annotation
    if field.is_optional:
        kind = next(t.annotation for t in field.inner_types if t.annotation is not type(None))
    kwarg = field.kwarg_definition
    if kind is bool:
        return "true or false"
    if kind is int or kind is float:
        ge, le = getattr(kwarg, "ge", None), getattr(kwarg, "le", None)
        what = "a whole number" if kind is int else "a number"
        if ge is not None and le is not None:
            return f"{what} from {ge} to {le}"
        if ge is not None:
            return f"{what} of at least {ge}"
        return what if le is None else f"{what} of at most {le}"
    if kind is datetime:
        return "a date-time with a UTC offset, e.g. 2026-03-01T09:00:00+08:00"
    if kind is date:
        return "a date, YYYY-MM-DD"
    if kind is UUID:
        return "a UUID"
    if isinstance(kind, type) and issubclass(kind, Enum):
        return "one of " + ", ".join(str(m.value) for m in kind)
    if get_origin(kind) is Literal:
        return "one of " + ", ".join(str(a) for a in get_args(kind))
    return None


def http_exception_handler(
    request: Request[Any, Any, Any], exc: HTTPException
) -> Response[dict[str, Any]]:
    if isinstance(exc, NotAuthorizedException):
        return error_response(
            request,
            401,
            "unauthenticated",
            "Unauthenticated",
            exc.detail,
            headers={"WWW-Authenticate": 'Bearer realm="oversight"'},
        )
    status = exc.status_code
    slug = {
        400: "malformed-request",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        413: "too-large",
    }.get(status, "error")
    return error_response(request, status, slug, _title(status), exc.detail, headers=exc.headers)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled_error", error=type(exc).__name__)
    return error_response(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal",
        "Internal error",
        "the server failed; the request id in the logs identifies it",
    )


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


# The database is down, restarting, unreachable or too slow (issue 10): 503 with
# Retry-After, at once (the timeouts are in oversight/database.py). An append is one
# statement: a command is stored whole or not at all. ConnectionError includes
# oversight.database.DatabaseUnavailable; TimeoutError asyncpg's command timeout.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    ConnectionError,
    TimeoutError,
    asyncpg.InterfaceError,  # "the underlying connection is closed", ...
    asyncpg.InternalClientError,  # "cannot switch to state 15" after a restart
    asyncpg.PostgresConnectionError,  # ConnectionDoesNotExistError, ...
    asyncpg.exceptions.OperatorInterventionError,  # CannotConnectNow, AdminShutdown, QueryCanceled
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections
    psycopg.OperationalError,  # includes psycopg_pool.PoolTimeout
    psycopg.InterfaceError,
    persistence.OperationalError,  # what eventsourcing makes of psycopg's
    persistence.InterfaceError,
)
RETRY_AFTER_SECONDS = 2


def database_unavailable_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.warning("database_unavailable", error=type(exc).__name__, status=503)
    return error_response(
        request,
        503,
        "unavailable",
        "Service unavailable",
        "the database cannot be reached just now; try again shortly",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    **dict.fromkeys(DATABASE_UNAVAILABLE, database_unavailable_handler),
    DomainError: domain_error_handler,
    ApiError: api_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}
