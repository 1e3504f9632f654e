"""Idempotency keys on every POST (`Idempotency-Key`, IETF httpapi idempotency-key draft).

A client that may retry a POST (a lost response, a timeout) sends a key of its choice,
unique per operation. Within 24 hours, from the same account (the token's role, sub
and org):

- the same key with the same request (method, path, query, `Content-Type`,
  `If-Match` and body) is answered with the first answer: its status, body,
  `Content-Type`, `Location`, `ETag` and `X-Position`, plus `Idempotent-Replayed:
  true`; nothing runs again, nothing new is stored;
- the same key with a different request: 422 naming `Idempotency-Key`;
- the same key while the first request is still running: 409 with `Retry-After`.

What is kept: 2xx answers and the 4xx that say something about the request itself
(400, 403, 404, 409, 412, 415, 422...). Not kept: 5xx (the key is released, so a retry
runs again: our 5xx answer a failure before the command was stored, e.g. 503 during
a database outage), and 408/425/429, which ask the client to try again later. See
docs/decisions.md.

Keys live in PostgreSQL (`idempotency.keys`, created at start-up) with their expiry;
an expired key is taken over by the next request that uses it, and expired rows are
deleted at most every 10 minutes by the process that notices. A request claims its key
with one INSERT ... ON CONFLICT, which is what makes a concurrent duplicate see the
first one's claim; the claim is a lease of 60 s, after which a claim whose process
died may be taken over by a retry with the same request.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
import uuid
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import msgspec
import structlog
from litestar import Litestar
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.ratelimit import send_error
from domain.values import Actor

log = structlog.get_logger(__name__)

KEY_LIFETIME = timedelta(hours=24)
LEASE = timedelta(seconds=60)
PURGE_EVERY_SECONDS = 600.0
MAX_BODY = 1_000_000  # as the app's request_max_body_size: larger bodies get 413 anyway
MAX_STORED_RESPONSE = 1_000_000
REPLAYED_HEADERS = frozenset({b"content-type", b"location", b"etag", b"x-position"})
NOT_KEPT_4XX = frozenset({408, 425, 429})
_DB_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)

# An sf-string as the draft has it ("..."), or the same characters bare, which many
# clients send; printable ASCII, at most 255 characters, no escapes.
_KEY = re.compile(r'"([\x20\x21\x23-\x5b\x5d-\x7e]{1,255})"|([\x21\x23-\x5b\x5d-\x7e]{1,255})')
KEY_RULE = 'must be 1 to 255 printable ASCII characters, as an sf-string ("...") or bare'

SCHEMA = """
CREATE SCHEMA IF NOT EXISTS idempotency;
CREATE TABLE IF NOT EXISTS idempotency.keys (
    principal   text        NOT NULL,  -- role:sub:org of the token
    key         text        NOT NULL,
    fingerprint bytea       NOT NULL,  -- sha256 of the request
    owner       uuid        NOT NULL,  -- the claim of the request that runs it
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    lease_until timestamptz,           -- while running; NULL once answered
    status      smallint,              -- the answer, once there is one
    headers     jsonb,
    body        bytea,
    PRIMARY KEY (principal, key)
);
CREATE INDEX IF NOT EXISTS keys_expires_at ON idempotency.keys (expires_at);
"""

_CLAIM = """
INSERT INTO idempotency.keys AS k
    (principal, key, fingerprint, owner, created_at, expires_at, lease_until)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (principal, key) DO UPDATE SET
    fingerprint = excluded.fingerprint, owner = excluded.owner,
    created_at = excluded.created_at, expires_at = excluded.expires_at,
    lease_until = excluded.lease_until, status = NULL, headers = NULL, body = NULL
WHERE k.expires_at <= excluded.created_at
   OR (k.status IS NULL AND k.lease_until <= excluded.created_at
       AND k.fingerprint = excluded.fingerprint)
RETURNING k.owner
"""
_EXISTING = """
SELECT fingerprint, status, headers, body FROM idempotency.keys
WHERE principal = $1 AND key = $2
"""
_COMPLETE = """
UPDATE idempotency.keys SET status = $4, headers = $5::jsonb, body = $6, lease_until = NULL
WHERE principal = $1 AND key = $2 AND owner = $3
"""
_RELEASE = """
DELETE FROM idempotency.keys
WHERE principal = $1 AND key = $2 AND owner = $3 AND status IS NULL
"""
_PURGE = "DELETE FROM idempotency.keys WHERE expires_at <= $1"


async def ensure_idempotency_table(app: Litestar) -> None:
    """on_startup: the schema and table (an advisory lock serialises processes that
    start together: concurrent CREATE ... IF NOT EXISTS can still collide)."""
    services = app.state.get("services")
    if services is None:
        return
    async with services.pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('oversight.idempotency'))")
        await conn.execute(SCHEMA)
        await conn.execute(_PURGE, services.now())


def replayable(status: int) -> bool:
    """Whether an answer is kept for the key (module docstring)."""
    return 200 <= status < 300 or (400 <= status < 500 and status not in NOT_KEPT_4XX)


def parse_key(values: list[bytes]) -> str | None:
    if len(values) != 1:
        return None
    match = _KEY.fullmatch(values[0].decode("latin-1").strip())
    return (match.group(1) or match.group(2)) if match else None


def fingerprint(scope: Scope, body: bytes) -> bytes:
    headers = dict(scope["headers"])
    digest = hashlib.sha256()
    for part in (
        scope["method"].encode(),
        scope["path"].encode("utf-8", "surrogateescape"),
        scope.get("query_string", b""),
        headers.get(b"content-type", b""),
        headers.get(b"if-match", b""),
        body,
    ):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()


async def _read_body(receive: Receive) -> tuple[bytes | None, Receive]:
    """The whole body (None if it is larger than MAX_BODY or the client left) and a
    `receive` that gives the request to the application as if unread."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if size > MAX_BODY:
            break
        if not message.get("more_body", False):
            body = b"".join(m.get("body", b"") for m in messages)
            messages = [{"type": "http.request", "body": body, "more_body": False}]
            return body, _replaying(messages, receive)
    return None, _replaying(messages, receive)


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    async def replay() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()

    return replay  # type: ignore[return-value]


class IdempotencyMiddleware:
    """Registered after the authentication middleware (keys belong to an account)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        given = [v for k, v in scope["headers"] if k == b"idempotency-key"]
        user = scope.get("user")
        services = scope["litestar_app"].state.get("services")
        if not given or not isinstance(user, Actor) or services is None:
            await self.app(scope, receive, send)
            return
        key = parse_key(given)
        if key is None:
            await send_error(
                send,
                scope,
                400,
                "invalid-input",
                "Invalid input",
                f"Idempotency-Key: {KEY_RULE}",
                errors=[{"field": "Idempotency-Key", "rule": KEY_RULE}],
            )
            return
        body, receive = await _read_body(receive)
        if body is None:
            await self.app(scope, receive, send)
            return
        claim = _Claim(
            services.pool,
            f"{user.role.value}:{user.id}:{user.org or ''}",
            key,
            fingerprint(scope, body),
            services.now(),
        )
        try:
            outcome = await claim.take(scope["litestar_app"].state)
        except _DB_ERRORS as e:
            log.warning("idempotency_store_unavailable", error=type(e).__name__)
            await send_error(
                send,
                scope,
                503,
                "unavailable",
                "Service unavailable",
                "the database does not answer; nothing was done, retry with the same key",
                headers={"Retry-After": "5"},
            )
            return
        if outcome == "run":
            await claim.run(self.app, scope, receive, send)
        elif outcome == "mismatch":
            log.info("idempotency_key_reused")
            rule = "was used with a different request within 24 h; use a new key"
            await send_error(
                send,
                scope,
                422,
                "invalid-input",
                "Invalid input",
                f"Idempotency-Key: {rule}",
                errors=[{"field": "Idempotency-Key", "rule": rule}],
            )
        elif outcome == "running":
            log.info("idempotency_key_in_flight")
            await send_error(
                send,
                scope,
                409,
                "request-in-progress",
                "Request in progress",
                "a request with this Idempotency-Key is still running; retry later with the"
                " same key to get its answer",
                headers={"Retry-After": "1"},
            )
        else:
            status, headers, stored_body = outcome
            log.info("idempotency_replayed", status=status)
            raw = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
            raw += [
                (b"content-length", str(len(stored_body)).encode()),
                (b"idempotent-replayed", b"true"),
            ]
            await send({"type": "http.response.start", "status": status, "headers": raw})
            await send({"type": "http.response.body", "body": stored_body, "more_body": False})


class _Claim:
    def __init__(
        self, pool: asyncpg.Pool, principal: str, key: str, fingerprint: bytes, now: datetime
    ) -> None:
        self.pool = pool
        self.principal = principal
        self.key = key
        self.fingerprint = fingerprint
        self.now = now
        self.owner = uuid.uuid4()

    async def take(self, state: Any) -> Any:
        """ "run" (ours now), "mismatch", "running", or the kept (status, headers, body)."""
        async with self.pool.acquire(timeout=5) as conn:
            last_purge = state.get("idempotency_purged_at", 0.0)
            if time.monotonic() - last_purge > PURGE_EVERY_SECONDS:
                state.idempotency_purged_at = time.monotonic()
                purged = await conn.execute(_PURGE, self.now)
                log.debug("idempotency_keys_purged", rows=int(purged.split()[-1]))
            for _ in range(3):  # a released claim between our two statements: claim again
                async with conn.transaction():
                    # No flush of its own: the command's commit, later in the WAL,
                    # makes the claim durable with it (docs/decisions.md).
                    await conn.execute("SET LOCAL synchronous_commit = off")
                    won = await conn.fetchval(
                        _CLAIM,
                        self.principal,
                        self.key,
                        self.fingerprint,
                        self.owner,
                        self.now,
                        self.now + KEY_LIFETIME,
                        self.now + LEASE,
                    )
                if won is not None:
                    return "run"
                row = await conn.fetchrow(_EXISTING, self.principal, self.key)
                if row is None:
                    continue
                if row["fingerprint"] != self.fingerprint:
                    return "mismatch"
                if row["status"] is None:
                    return "running"
                return row["status"], msgspec.json.decode(row["headers"]), row["body"]
        return "running"

    async def run(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request; keep its answer for the key, or release the key."""
        start: Message | None = None
        chunks: list[bytes] = []
        complete = False

        async def capture(message: Message) -> None:
            nonlocal start, complete
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                complete = not message.get("more_body", False)
            await send(message)

        try:
            await app(scope, receive, capture)
        finally:
            # Settled even if the client left while the answer was being sent: the
            # answer it did not get is the one its retry must find.
            await _shielded(self._settle(start if complete else None, b"".join(chunks)))

    async def _settle(self, start: Message | None, body: bytes) -> None:
        try:
            async with self.pool.acquire(timeout=5) as conn:
                status = start["status"] if start is not None else 0
                if replayable(status) and len(body) <= MAX_STORED_RESPONSE:
                    assert start is not None
                    kept = [
                        (k.decode("latin-1"), v.decode("latin-1"))
                        for k, v in start.get("headers", [])
                        if k.lower() in REPLAYED_HEADERS
                    ]
                    await conn.execute(
                        _COMPLETE,
                        self.principal,
                        self.key,
                        self.owner,
                        status,
                        msgspec.json.encode(kept).decode(),
                        body,
                    )
                else:
                    await conn.execute(_RELEASE, self.principal, self.key, self.owner)
        except _DB_ERRORS as e:
            # The client has (or had) its answer; the key stays claimed until its lease
            # ends, then a retry runs again.
            log.error("idempotency_not_settled", error=type(e).__name__)


async def _shielded(work: Awaitable[None]) -> None:
    task: asyncio.Future[None] = asyncio.ensure_future(work)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await task  # let the settlement finish, then let the cancellation go on
        raise
