"""Who is asking: the one authentication middleware, for bearer tokens, API keys and
the web pages' session cookie. `request.user` is always the domain `Actor`; the
`request.auth` is a `Credential` saying how it was proved.

- `Authorization: Bearer <JWT>` (HS256): claims `sub` (the user: an account's login),
  `role`, `org` (enterprises and departments), `iat`, `exp`, and since issue 15 `iss`
  ("oversight"), `aud` ("oversight-api"), `jti` on the tokens a sign-in issues and, on
  a restricted one, `scope` ("password": change the one-time password first; "totp":
  enrol the second factor first). A token that carries `iss` or `aud` must carry ours;
  development tokens (`oversight token`) carry neither (docs/decisions.md). Verified tokens are
  cached (below). An access token from `POST /api/v1/auth/login` lives 5 minutes by default, so a
  withdrawn role or a disabled account stops it within that time at most.
- `Authorization: Bearer ovk_...`: an integration's API key, checked against its service
  account on every request (a withdrawn role, a disabled account, a revoked key: at once).
- the `oversight_session` cookie: a web page's session, checked against the account on
  every request (at once, too). Cookie-authenticated unsafe requests need the CSRF token
  (api/sessions.py); bearer requests never do.

A restricted credential (a one-time password to change, a second factor to enrol) is
refused (403) everywhere but the few paths that lift the restriction.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
import structlog
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from api.identity import (
    API_KEY_PREFIX,
    SESSION_COOKIE,
    InvalidCredential,
    api_key_actor,
    session_actor,
)
from api.identity_config import AUDIENCE, ISSUER
from domain.values import Actor, Role

ALGORITHM = "HS256"
ORG_ROLES = frozenset({Role.ENTERPRISE, Role.DEPARTMENT})
MAX_TOKEN_HOURS = 24.0  # the default of OVERSIGHT_MAX_TOKEN_HOURS
SCOPES = ("password", "totp")


@dataclass(frozen=True, slots=True)
class Verified:
    actor: Actor
    scope: str | None  # None: everything the role may do
    jti: str | None


def issue_token(
    secret: str,
    *,
    sub: str,
    role: Role,
    org: str | None,
    now: datetime,
    ttl: timedelta,
    scope: str | None = None,
    signed_in: bool = False,
) -> str:
    """A JWT. `signed_in`: an access token of a sign-in (POST /api/v1/auth/login,
    /refresh), which also names us (`iss`), its audience (`aud`) and itself (`jti`);
    development tokens (`oversight token`, the tests' `bearer`) keep the shape they
    always had (docs/decisions.md)."""
    claims: dict[str, Any] = {"sub": sub, "role": role.value, "iat": now, "exp": now + ttl}
    if signed_in:
        claims |= {"iss": ISSUER, "aud": AUDIENCE, "jti": secrets.token_urlsafe(12)}
    if org:
        claims["org"] = org
    if scope:
        claims["scope"] = scope
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


# Tokens already verified, by (secret, token): (what it says, its expiry, its lifetime).
# A client sends the same token with every request, and verifying it (base64, JSON,
# PyJWT's key checks, HMAC) was about a tenth of the server's CPU under load. A hit is
# the same bytes, signature included, checked before with the same secret; of the time
# claims only `exp` can turn a valid token invalid later (`iat`/`nbf` in the future
# fail the first check, so such a token is never cached), and it is checked on every
# hit exactly as PyJWT checks it (expired once now >= exp).
# The cached lifetime (exp - iat) is compared with the caller's maximum on every hit.
_VERIFIED: dict[tuple[str, str], tuple[Verified, float, float]] = {}
_VERIFIED_MAX = 10_000


def verify_token(secret: str, token: str, max_hours: float = MAX_TOKEN_HOURS) -> Verified:
    key = (secret, token)
    hit = _VERIFIED.get(key)
    if hit is not None and time.time() < hit[1] and hit[2] <= max_hours * 3600:
        return hit[0]
    verified, expires, lifetime = _verify(secret, token, max_hours)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()  # crude, but bounded; a full cache is rebuilt in one request each
    _VERIFIED[key] = (verified, expires, lifetime)
    return verified


def actor_from_token(secret: str, token: str, max_hours: float = MAX_TOKEN_HOURS) -> Actor:
    return verify_token(secret, token, max_hours).actor


def _verify(secret: str, token: str, max_hours: float) -> tuple[Verified, float, float]:
    try:
        # iat is required: without it a token's lifetime cannot be checked (docs/decisions.md).
        # iss and aud are checked below, when present.
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "role", "exp", "iat"], "verify_aud": False},
        )
        role = Role(claims["role"])
    except jwt.PyJWTError as e:
        raise NotAuthorizedException(f"invalid token: {e}") from None
    except ValueError:
        raise NotAuthorizedException("invalid token: unknown role") from None
    if "iss" in claims and claims["iss"] != ISSUER:
        raise NotAuthorizedException("invalid token: another issuer's")
    if "aud" in claims:
        audience = claims["aud"]
        audiences = audience if isinstance(audience, list) else [audience]
        if AUDIENCE not in audiences:
            raise NotAuthorizedException("invalid token: meant for another audience")
    if role is Role.SYSTEM:
        raise NotAuthorizedException("invalid token: the system role is internal")
    org = claims.get("org")
    if role in ORG_ROLES and not org:
        raise NotAuthorizedException(f"invalid token: a {role} token needs an org claim")
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise NotAuthorizedException("invalid token: empty sub")
    scope = claims.get("scope")
    if scope is not None and scope not in SCOPES:
        raise NotAuthorizedException("invalid token: unknown scope")
    lifetime = float(claims["exp"]) - float(claims["iat"])
    if lifetime > max_hours * 3600:
        raise NotAuthorizedException(
            f"invalid token: its lifetime (exp - iat) exceeds the maximum of {max_hours:g} h"
        )
    jti = claims.get("jti")
    verified = Verified(
        actor=Actor(id=claims["sub"], role=role, org=org),
        scope=scope,
        jti=jti if isinstance(jti, str) else None,
    )
    return verified, float(claims["exp"]), lifetime


# Paths the authentication middleware skips. /readyz answers anyone, but shows its
# detail only to a caller with a token (`optional_actor`). The ledger's public key and
# latest checkpoint are for anyone who verifies or witnesses the log (docs/ledger.md).
# Signing in, registering, refreshing and signing out carry their own credentials.
PUBLIC_PATHS = {
    "/healthz",
    "/readyz",
    "/schema",
    "/static",
    "/api/v1/ledger/key",
    "/api/v1/ledger/checkpoint",
    "/api/v1/auth/login",
    "/api/v1/auth/register",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
    "/login",
    "/logout",
}

# What a restricted credential may still do: (method, path) pairs, and page paths.
RESTRICTED_ALLOWS: dict[str, frozenset[tuple[str, str]]] = {
    "password": frozenset({("POST", "/api/v1/auth/password"), ("GET", "/api/v1/me")}),
    "totp": frozenset(
        {
            ("POST", "/api/v1/auth/totp"),
            ("POST", "/api/v1/auth/totp/confirm"),
            ("GET", "/api/v1/me"),
        }
    ),
}
# Web pages a restricted session may open (issue 16's pages: the change-password and
# second-factor pages; /login and /logout are public).
RESTRICTED_PAGES = frozenset({"/password", "/totp"})
RESTRICTED_WHY = {
    "password": "change the one-time password first (POST /api/v1/auth/password)",
    "totp": "your role needs a second factor: enrol first (POST /api/v1/auth/totp)",
}


@dataclass(frozen=True, slots=True)
class Credential:
    kind: str  # "jwt", "api_key" or "session"
    scope: str | None = None  # None: all the role may do; "password" / "totp": restricted


def _allowed(scope: str, method: str, path: str) -> bool:
    if (method, path) in RESTRICTED_ALLOWS.get(scope, frozenset()):
        return True
    return not path.startswith("/api/") and path in RESTRICTED_PAGES


class JWTAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        actor, credential = await resolve(connection)
        if credential.scope is not None and not _allowed(
            credential.scope, str(connection.scope.get("method", "GET")), connection.url.path
        ):
            structlog.contextvars.bind_contextvars(actor_id=actor.id, actor_role=actor.role.value)
            raise PermissionDeniedException(RESTRICTED_WHY[credential.scope])
        structlog.contextvars.bind_contextvars(actor_id=actor.id, actor_role=actor.role.value)
        return AuthenticationResult(user=actor, auth=credential)


async def resolve(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[Actor, Credential]:
    """The actor and credential of a request: a bearer token or API key, else the
    session cookie; NotAuthorizedException (401) when there is neither or it is bad."""
    header = connection.headers.get("authorization", "")
    services = connection.app.state.get("services")
    if header:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise NotAuthorizedException("a bearer token is required")
        if token.startswith(API_KEY_PREFIX):
            if services is None:  # pragma: no cover - the lifespan always sets services
                raise NotAuthorizedException("API keys are not available")
            try:
                return await api_key_actor(services, token), Credential("api_key")
            except InvalidCredential as e:
                raise NotAuthorizedException(str(e)) from None
        max_hours = services.settings.max_token_hours if services else MAX_TOKEN_HOURS
        verified = verify_token(connection.app.state.jwt_secret, token, max_hours)
        return verified.actor, Credential("jwt", verified.scope)
    cookie = connection.cookies.get(SESSION_COOKIE)
    if cookie and services is not None:
        try:
            resolved = await session_actor(services, cookie)
        except InvalidCredential as e:
            raise NotAuthorizedException(str(e)) from None
        return resolved.actor, Credential("session", resolved.scope)
    raise NotAuthorizedException("a bearer token or a session is required")


async def optional_actor(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor | None:
    """On a public path (the middleware does not run there): None without credentials,
    else the actor. A bad bearer token is refused with 401, never ignored; a session
    that has ended is simply no session (a browser keeps sending its old cookie)."""
    if connection.headers.get("authorization"):
        actor, _ = await resolve(connection)
        return actor
    if not connection.cookies.get(SESSION_COOKIE):
        return None
    try:
        actor, _ = await resolve(connection)
    except NotAuthorizedException:
        return None
    return actor
