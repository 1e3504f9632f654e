"""Bearer JWTs (HS256) with claims sub, role, org; `request.user` is the domain Actor."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import jwt
import structlog
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from domain.values import Actor, Role

ALGORITHM = "HS256"
ORG_ROLES = frozenset({Role.ENTERPRISE, Role.DEPARTMENT})
# Paths the authentication middleware skips. /readyz answers anyone, but shows its
# detail only to a caller with a token (`optional_actor`). The ledger's public key and
# latest checkpoint are for anyone who verifies or witnesses the log (docs/ledger.md).
PUBLIC_PATHS = {
    "/healthz",
    "/readyz",
    "/schema",
    "/static",
    "/api/v1/ledger/key",
    "/api/v1/ledger/checkpoint",
}


def issue_token(
    secret: str, *, sub: str, role: Role, org: str | None, now: datetime, ttl: timedelta
) -> str:
    claims: dict[str, Any] = {"sub": sub, "role": role.value, "iat": now, "exp": now + ttl}
    if org:
        claims["org"] = org
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


# Tokens already verified, by (secret, token): the actor and the token's expiry.
# A client sends the same token with every request, and verifying it (base64, JSON,
# PyJWT's key checks, HMAC) was about a tenth of the server's CPU under load. A hit is
# the same bytes, signature included, checked before with the same secret; of the time
# claims only `exp` can turn a valid token invalid later (`iat`/`nbf` in the future
# fail the first check, so such a token is never cached), and it is checked on every
# hit exactly as PyJWT checks it (expired once now >= exp).
# The cached lifetime (exp - iat) is compared with the caller's maximum on every hit.
_VERIFIED: dict[tuple[str, str], tuple[Actor, float, float]] = {}
_VERIFIED_MAX = 10_000
MAX_TOKEN_HOURS = 24.0  # the default of OVERSIGHT_MAX_TOKEN_HOURS


def actor_from_token(secret: str, token: str, max_hours: float = MAX_TOKEN_HOURS) -> Actor:
    key = (secret, token)
    hit = _VERIFIED.get(key)
    if hit is not None and time.time() < hit[1] and hit[2] <= max_hours * 3600:
        return hit[0]
    actor, expires, lifetime = _verify(secret, token, max_hours)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()  # crude, but bounded; a full cache is rebuilt in one request each
    _VERIFIED[key] = (actor, expires, lifetime)
    return actor


def _verify(
    secret: str, token: str, max_hours: float = MAX_TOKEN_HOURS
) -> tuple[Actor, float, float]:
    try:
        # iat is required: without it a token's lifetime cannot be checked (docs/decisions.md).
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "role", "exp", "iat"]},
        )
        role = Role(claims["role"])
    except jwt.PyJWTError as e:
        raise NotAuthorizedException(f"invalid token: {e}") from None
    except ValueError:
        raise NotAuthorizedException("invalid token: unknown role") from None
    if role is Role.SYSTEM:
        raise NotAuthorizedException("invalid token: the system role is internal")
    org = claims.get("org")
    if role in ORG_ROLES and not org:
        raise NotAuthorizedException(f"invalid token: a {role} token needs an org claim")
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise NotAuthorizedException("invalid token: empty sub")
    lifetime = float(claims["exp"]) - float(claims["iat"])
    if lifetime > max_hours * 3600:
        raise NotAuthorizedException(
            f"invalid token: its lifetime (exp - iat) exceeds the maximum of {max_hours:g} h"
        )
    return Actor(id=claims["sub"], role=role, org=org), float(claims["exp"]), lifetime


class JWTAuthMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthorizedException("a bearer token is required")
        secret = connection.app.state.jwt_secret
        services = connection.app.state.get("services")
        max_hours = services.settings.max_token_hours if services else MAX_TOKEN_HOURS
        actor = actor_from_token(secret, token.strip(), max_hours)
        structlog.contextvars.bind_contextvars(actor_id=actor.id, actor_role=actor.role.value)
        return AuthenticationResult(user=actor, auth=token)


async def optional_actor(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor | None:
    """On a public path (the middleware does not run there): None without an
    Authorization header, else the token's actor, checked exactly as the middleware
    checks it (a bad token is refused with 401, never ignored)."""
    if not connection.headers.get("authorization"):
        return None
    # The middleware's method uses nothing of its instance: one code path for tokens.
    result = await JWTAuthMiddleware.authenticate_request(None, connection)  # type: ignore[arg-type]
    return result.user
