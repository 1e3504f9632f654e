"""Rate limits on lodging and on the token-less endpoints (OVERSIGHT_RATE_LIMITS).

Rules (api/config.py `RATE_LIMIT_RULES`, parsed by oversight/settings.py `parse_rate_limits`):

- `lodge`: requests that create a case (a POST whose route answers 201), per account
  (the token's role, sub and org);
- `lodge_address`: the same requests, per client address;
- `anonymous`: requests to the token-less endpoints (`api.auth.PUBLIC_PATHS`), per
  client address.

Each counter is a fixed window opened by its first request: at most `count` requests
until the window closes, then a new one. A request over a limit is answered 429 with
`Retry-After` (the seconds until the window closes) and problem+json, before the body
is read, so nothing is stored. Refused requests count too: a client that keeps
hammering stays refused.

Counters live in Redis when `REDIS_URL` is set (one Lua script per request: every
server process shares them, and the increment and the expiry are atomic), otherwise in
this process's memory. If Redis cannot be reached the request is let through and
`rate_limit_backend_unavailable` is logged: the intake stays open rather than closing
on a cache outage.

Why not Litestar's `RateLimitMiddleware`: it takes one limit per middleware, keyed on
the client address only (no per-account rule), reads and writes a history list under
a process-local lock (with a shared store two processes can both read, both append
and overwrite each other), and answers 429 without `Retry-After`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec
import structlog
from litestar import Litestar
from litestar.types import ASGIApp, Receive, Scope, Send
from redis.exceptions import RedisError

from api.auth import PUBLIC_PATHS
from api.config import ApiConfig, RateLimit
from api.errors import ERROR_MEDIA_TYPE, ERROR_TYPE_BASE
from domain.values import Actor

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Counter:
    """One counter to take a request from: its key and its limit."""

    rule: str
    key: str
    limit: RateLimit


class Backend(Protocol):
    async def hit(self, counters: list[Counter]) -> list[float | None]:
        """Count one request on every counter; for each, the seconds until its window
        closes if it is over its limit, else None."""

    async def close(self) -> None: ...


class MemoryBackend:
    """Counters in this process (one server process, or tests)."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, list[float]] = {}  # key -> [count, closes_at]

    async def hit(self, counters: list[Counter]) -> list[float | None]:
        now = self._clock()
        if len(self._windows) > 100_000:  # bounded: drop the closed windows
            self._windows = {k: w for k, w in self._windows.items() if w[1] > now}
        waits: list[float | None] = []
        for c in counters:
            window = self._windows.get(c.key)
            if window is None or window[1] <= now:
                window = self._windows[c.key] = [0, now + c.limit.seconds]
            window[0] += 1
            waits.append(window[1] - now if window[0] > c.limit.count else None)
        return waits

    async def close(self) -> None:
        self._windows.clear()


# KEYS: the counters; ARGV: per key, its limit and its window in ms. One INCR per key;
# the first request of a window sets its expiry (a key left without one is given one).
# Returns per key the ms until its window closes if it is over its limit, else -1.
_SCRIPT = """
local waits = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if count == 1 or ttl < 0 then
    redis.call('PEXPIRE', key, ARGV[2 * i])
    ttl = tonumber(ARGV[2 * i])
  end
  if count > tonumber(ARGV[2 * i - 1]) then
    waits[i] = ttl
  else
    waits[i] = -1
  end
end
return waits
"""


class RedisBackend:
    """Counters in Redis, shared by every server process."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis.asyncio as redis

        self._client = redis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=30
        )
        self._script = self._client.register_script(_SCRIPT)
        self.prefix = prefix

    async def hit(self, counters: list[Counter]) -> list[float | None]:
        args: list[int] = []
        for c in counters:
            args += [c.limit.count, max(1, round(c.limit.seconds * 1000))]
        waits = await self._script(keys=[self.prefix + c.key for c in counters], args=args)
        return [None if int(ms) < 0 else int(ms) / 1000 for ms in waits]

    async def close(self) -> None:
        await self._client.aclose()


class RateLimiter:
    def __init__(self, limits: dict[str, RateLimit], backend: Backend) -> None:
        self.limits = limits
        self.backend = backend

    @classmethod
    def from_settings(cls, settings: ApiConfig) -> RateLimiter:
        backend: Backend
        if settings.redis_url:
            backend = RedisBackend(settings.redis_url, settings.rate_limit_prefix)
        else:
            backend = MemoryBackend()
        return cls(settings.rate_limits, backend)

    def counters(self, scope: Scope) -> list[Counter]:
        """The counters a request takes from (none for most requests)."""
        address = scope["client"][0] if scope.get("client") else "unknown"
        path: str = scope["path"]
        found = []
        if any(path.startswith(p) for p in PUBLIC_PATHS):
            if limit := self.limits.get("anonymous"):
                found.append(Counter("anonymous", f"anonymous:{address}", limit))
            return found
        if (
            scope["method"] == "POST"
            and getattr(scope.get("route_handler"), "status_code", 0) == 201
        ):
            user = scope.get("user")
            if isinstance(user, Actor) and (limit := self.limits.get("lodge")):
                account = f"{user.role.value}:{user.id}:{user.org or ''}"
                found.append(Counter("lodge", f"lodge:{account}", limit))
            if limit := self.limits.get("lodge_address"):
                found.append(Counter("lodge_address", f"lodge_address:{address}", limit))
        return found

    async def check(self, scope: Scope) -> tuple[Counter, float] | None:
        """None when the request may go on; else the counter it exceeded (the first
        rule over its limit) and the seconds to wait."""
        counters = self.counters(scope)
        if not counters:
            return None
        try:
            waits = await self.backend.hit(counters)
        except (RedisError, OSError, TimeoutError) as e:  # let the request through
            log.warning("rate_limit_backend_unavailable", error=type(e).__name__)
            return None
        over = [(wait, c) for c, wait in zip(counters, waits, strict=True) if wait is not None]
        if not over:
            return None
        wait, counter = max(over, key=lambda o: o[0])
        return counter, wait


_RULE_TEXT = {
    "lodge": "cases created by this account",
    "lodge_address": "cases created from this address",
    "anonymous": "requests without a token from this address",
}


class RateLimitMiddleware:
    """Registered after the authentication middleware, so it knows the account."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter: RateLimiter | None = None
        if scope["type"] == "http":
            limiter = scope["litestar_app"].state.get("rate_limiter")
        refused = await limiter.check(scope) if limiter is not None else None
        if refused is None:
            await self.app(scope, receive, send)
            return
        counter, wait = refused
        retry_after = max(1, math.ceil(wait))
        log.info("rate_limited", rule=counter.rule, retry_after=retry_after)
        limit = counter.limit
        await send_error(
            send,
            scope,
            429,
            "rate-limited",
            "Too many requests",
            f"more than {limit.count} {_RULE_TEXT[counter.rule]} in {limit.seconds:g} s;"
            f" retry after {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )


async def send_error(
    send: Send,
    scope: Scope,
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """An RFC 9457 error (problem+json) answered straight from a middleware (the same body as
    api/errors.py `error_response`), so the middlewares outside see its status."""
    body: dict[str, Any] = {
        "type": ERROR_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": scope["path"],
    }
    if errors:
        body["errors"] = errors
    payload = msgspec.json.encode(body)
    raw = [
        (b"content-type", ERROR_MEDIA_TYPE.encode()),
        (b"content-length", str(len(payload)).encode()),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload, "more_body": False})


async def open_rate_limiter(app: Litestar) -> None:
    """on_startup: one limiter per application (its memory counters or Redis client)."""
    services = app.state.get("services")
    if services is not None and services.settings.rate_limits:
        app.state.rate_limiter = RateLimiter.from_settings(services.settings)


async def close_rate_limiter(app: Litestar) -> None:
    """on_shutdown."""
    limiter: RateLimiter | None = app.state.get("rate_limiter")
    if limiter is not None:
        app.state.rate_limiter = None
        await limiter.backend.close()
