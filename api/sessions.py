"""Signing in to the web pages: the session cookie, CSRF, and `POST /logout` (the
sign-in, registration and password pages are issue 16's, api/pages/signin.py, over the
functions here).

What a page's form handler calls (no HTTP to ourselves; /work/notes/accounts-interface.md
and docs/api.md say the same):

- `await sign_in(request, login=..., password=..., totp=None)` -> `SessionSignIn`:
  attach `.cookie` to your response; `.signed.must_change_password` says to send the
  person to the change-password page (their session allows only that until then).
  Raises identity.SignInFailed / SignInLocked / TotpRequired / AccountUnavailable.
- `await sign_out(request)` -> the expired cookie to attach.
- `csrf_token(request)`: the value of the hidden `_csrf_token` field of every form.
- `await current_actor(request)`: the actor on a public page, or None.

The session cookie `oversight_session` holds 32 random bytes; PostgreSQL keeps only
their SHA-256 (`identity.sessions`, api/identity.py). HttpOnly, SameSite=Lax, Path=/,
Secure when the request came over https (OVERSIGHT_SECURE_COOKIES=auto; `on`, `off`).

CSRF: Litestar's CSRFMiddleware (CSRFConfig: cookie `oversight_csrf`, header
`X-CSRF-Token`, form field `_csrf_token`, secret derived from the JWT secret) runs for
every request without an `Authorization` header that is either a page (not /api/,
/schema, /static, /healthz, /readyz, /) or carries the session cookie (except the token
endpoints, `TOKEN_ENDPOINTS`, which read no cookie). A bearer token or an API key cannot
be sent by another site's form, so those requests never need it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from litestar import MediaType, Request, Response, post
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from api.auth import optional_actor
from api.identity import (
    SESSION_COOKIE,
    SignedIn,
    authenticate,
    close_session,
    open_session,
)
from api.identity_config import IdentityConfig
from api.services import Services
from domain.values import Actor

CSRF_COOKIE = "oversight_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "_csrf_token"  # Litestar's name for the form field
# Requests outside these are pages: CSRF applies to them whatever they carry.
NOT_PAGES = ("/api/", "/schema", "/static", "/healthz", "/readyz")
# API calls that carry their credentials in the body and answer them in the body (no
# cookie is read or set): a forged one gains its sender nothing, so no CSRF token.
TOKEN_ENDPOINTS = frozenset(
    {"/api/v1/auth/login", "/api/v1/auth/register", "/api/v1/auth/refresh", "/api/v1/auth/logout"}
)


def _secure(scope: Scope, config: IdentityConfig) -> bool:
    mode = config.secure_cookies
    return mode == "on" or (mode == "auto" and scope.get("scheme") == "https")


def _identity_config(scope: Scope) -> IdentityConfig:
    services = scope["litestar_app"].state.get("services")
    return services.settings.identity if services is not None else IdentityConfig()


def session_cookie(request: Request[Any, Any, Any], value: str, max_age: int) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request.scope, _identity_config(request.scope)),
    )


def expired_session_cookie(request: Request[Any, Any, Any]) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value="",
        max_age=0,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request.scope, _identity_config(request.scope)),
    )


@dataclass(frozen=True)
class SessionSignIn:
    signed: SignedIn
    cookie: Cookie

    @property
    def actor(self) -> Actor:
        return self.signed.actor

    @property
    def must_change_password(self) -> bool:
        return self.signed.must_change_password


def _services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


async def sign_in(
    request: Request[Any, Any, Any], *, login: str, password: str, totp: str | None = None
) -> SessionSignIn:
    """Check the sign-in and open a session; the caller attaches `.cookie`."""
    services = _services(request)
    signed = await authenticate(services, login.strip(), password, totp or None)
    opened = await open_session(services, signed)
    return SessionSignIn(signed, session_cookie(request, opened.cookie_value, opened.max_age))


async def sign_out(request: Request[Any, Any, Any]) -> Cookie:
    """End the request's session (if any); the caller attaches the returned cookie."""
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        await close_session(_services(request), raw)
    return expired_session_cookie(request)


def csrf_token(request: Request[Any, Any, Any]) -> str:
    """The CSRF token for the forms of this page (the middleware set it)."""
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


async def current_actor(request: Request[Any, Any, Any]) -> Actor | None:
    return await optional_actor(request)


# --- CSRF ----------------------------------------------------------------------------------


def csrf_secret(jwt_secret: str) -> str:
    """A secret of its own for CSRF tokens, derived from the JWT secret."""
    return hmac.new(jwt_secret.encode(), b"oversight csrf tokens", hashlib.sha256).hexdigest()


class SessionCsrfMiddleware:
    """Litestar's CSRFMiddleware for cookie-authenticated requests and pages (module
    docstring); everything else passes straight through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._checkers: dict[tuple[str, bool], CSRFMiddleware] = {}

    def _checker(self, scope: Scope, secure: bool) -> CSRFMiddleware:
        secret = csrf_secret(scope["litestar_app"].state.jwt_secret)
        found = self._checkers.get((secret, secure))
        if found is None:
            config = CSRFConfig(
                secret=secret,
                cookie_name=CSRF_COOKIE,
                header_name=CSRF_HEADER,
                cookie_httponly=True,
                cookie_samesite="lax",
                cookie_secure=secure,
            )
            found = self._checkers[(secret, secure)] = CSRFMiddleware(self.app, config)
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _needs_csrf(scope):
            await self.app(scope, receive, send)
            return
        checker = self._checker(scope, _secure(scope, _identity_config(scope)))
        await checker(scope, receive, send)


def _needs_csrf(scope: Scope) -> bool:
    headers = dict(scope.get("headers", ()))
    if b"authorization" in headers:
        return False
    path = scope.get("path", "")
    if path != "/" and not path.startswith(NOT_PAGES):
        return True
    if path in TOKEN_ENDPOINTS:
        return False
    cookies = headers.get(b"cookie", b"")
    return (SESSION_COOKIE + "=").encode() in cookies


# --- signing out (the pages' sign-in form is api/pages/signin.py) ------------------------


@post("/logout", include_in_schema=False, exclude_from_auth=True, status_code=303)
async def post_logout(request: Request[Any, Any, Any]) -> Response[str]:
    """End the session and go back to the sign-in form."""
    cookie = await sign_out(request)
    return Response(
        "", status_code=303, headers={"Location": "/login"}, cookies=[cookie],
        media_type=MediaType.TEXT,
    )  # fmt: skip
