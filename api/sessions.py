"""Signing in to the web pages: the session cookie, CSRF, and `/login` / `/logout`.

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
import html
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import MediaType, Request, Response, get, post
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.middleware.csrf import CSRFMiddleware
from litestar.params import Body
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from api.auth import optional_actor
from api.identity import (
    SESSION_COOKIE,
    AccountUnavailable,
    SignedIn,
    SignInFailed,
    SignInLocked,
    TotpRequired,
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


# --- the minimal pages (issue 16 replaces their HTML) -------------------------------------------

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>登录 Sign in · Oversight</title></head>
<body><main><h1>登录 Sign in</h1>{message}
<form method="post" action="/login">
<input type="hidden" name="_csrf_token" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<p><label>登录名 Login <input name="login" autocomplete="username" required></label></p>
<p><label>密码 Password <input name="password" type="password"
 autocomplete="current-password" required></label></p>
<p><label>动态口令 TOTP code (if enabled) <input name="totp" inputmode="numeric"
 autocomplete="one-time-code"></label></p>
<p><button type="submit">登录 Sign in</button></p>
</form></main></body></html>
"""


def _safe_next(target: str | None) -> str:
    """Only a path of ours: never another site (`//host`, `https://...`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def login_page(
    request: Request[Any, Any, Any], message: str = "", status: int = 200
) -> Response[str]:
    body = _PAGE.format(
        message=f"<p role=alert>{html.escape(message)}</p>" if message else "",
        csrf=html.escape(csrf_token(request)),
        next=html.escape(_safe_next(request.query_params.get("next"))),
    )
    return Response(body, status_code=status, media_type=MediaType.HTML)


@get("/login", include_in_schema=False, exclude_from_auth=True)
async def get_login(request: Request[Any, Any, Any]) -> Response[str]:
    """The sign-in form (a plain HTML form: login, password, TOTP code)."""
    return login_page(request)


@dataclass
class LoginForm:
    login: str = ""
    password: str = ""
    totp: str = ""
    next: str = "/"


@post("/login", include_in_schema=False, exclude_from_auth=True, status_code=303)
async def post_login(
    request: Request[Any, Any, Any],
    data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response[str]:
    """Sign in from the form: a session cookie and a redirect (303) to `next` (or to the
    change-password page after a one-time password); the form again with one message
    on failure."""
    try:
        done = await sign_in(request, login=data.login, password=data.password, totp=data.totp)
    except SignInLocked as e:
        response = login_page(request, str(e), 429)
        response.headers["Retry-After"] = str(e.retry_after)
        return response
    except SignInFailed as e:
        return login_page(request, str(e), 401)
    except TotpRequired as e:
        return login_page(request, str(e), 401)
    except AccountUnavailable as e:
        return login_page(request, str(e), 403)
    target = "/password" if done.must_change_password else _safe_next(data.next)
    return Response(
        "", status_code=303, headers={"Location": target}, cookies=[done.cookie],
        media_type=MediaType.TEXT,
    )  # fmt: skip


@post("/logout", include_in_schema=False, exclude_from_auth=True, status_code=303)
async def post_logout(request: Request[Any, Any, Any]) -> Response[str]:
    """End the session and go back to the sign-in form."""
    cookie = await sign_out(request)
    return Response(
        "", status_code=303, headers={"Location": "/login"}, cookies=[cookie],
        media_type=MediaType.TEXT,
    )  # fmt: skip


PAGE_HANDLERS = [get_login, post_login, post_logout]
