"""Accounts, passwords, second factors, sign-in, tokens, sessions and API keys: the
service layer the JSON API (api/accounts.py), the web pages (api/sessions.py, and
issue 16's pages) and the CLI call. No HTTP here.

What an account is and what happened to it are events (domain/account.py, through
domain/identity.py); its secrets live in ordinary tables of the `identity` schema,
outside the event store and the ledger (so an old hash can be removed):

- `passwords`: the Argon2id hash (argon2-cffi, OWASP's parameters) and whether it is a
  one-time password;
- `totp`: the TOTP secret and the last time step used (a code is good once);
- `sign_in_failures` and `sign_in_locks`: failed sign-ins by login (hashed: an unknown
  login is throttled exactly like a known one, so the answer never tells them apart);
- `refresh_tokens`: SHA-256 of each refresh token, its family, used/revoked marks;
- `sessions`: SHA-256 of each session cookie, the account, its idle and absolute expiry;
- `api_keys`: SHA-256 of each key, its service account and role, last use, revocation;
- `sign_in_counts`: sign-ins, failures, locks, logouts... per day.

Tokens, cookies and keys are 256-bit random values, so a plain SHA-256 is the right
hash for them (nothing to brute-force); passwords get Argon2id. Nothing here logs a
password, a token, a cookie, a key or a login someone typed (a mistyped password in the
login field would otherwise reach the logs): failures name the login by `login_ref`,
a short hash of it.

Times: stored times and the lockout use the service clock (`services.now()`, moved by
tests). Access tokens (JWTs) are minted by api/auth.py, whose `iat`/`exp` are wall-clock
times because PyJWT checks them against the wall clock.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import argon2
import asyncpg
import pyotp
import structlog

from api.identity_config import IdentityConfig
from api.services import Services
from domain import account as acc
from domain.account import Account, AccountKind
from domain.application import CommandResult
from domain.errors import Forbidden, RuleViolated
from domain.identity import Identity
from domain.values import Actor, Role

log = structlog.get_logger(__name__)

SESSION_COOKIE = "oversight_session"
API_KEY_PREFIX = "ovk_"
REFRESH_PREFIX = "ovr_"
TOTP_ISSUER = "Oversight"
TOTP_STEP = 30
# last_seen_at / last_used_at are written at most this often (not a write per request).
TOUCH_SECONDS = 60

# OWASP's Argon2id parameters (m = 19 MiB, t = 2, p = 1): ~50 ms here per hash.
HASHER = argon2.PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)
# Verified when a login has no password, so a missing account costs the same time.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))

SCHEMA = """
CREATE SCHEMA IF NOT EXISTS identity;
CREATE TABLE IF NOT EXISTS identity.passwords (
    account_id uuid PRIMARY KEY,
    hash text NOT NULL,
    one_time boolean NOT NULL,
    set_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS identity.totp (
    account_id uuid PRIMARY KEY,
    secret text NOT NULL,
    confirmed boolean NOT NULL DEFAULT false,
    last_step bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS identity.sign_in_failures (
    login_key bytea NOT NULL,
    at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS sign_in_failures_key ON identity.sign_in_failures (login_key, at);
CREATE TABLE IF NOT EXISTS identity.sign_in_locks (
    login_key bytea PRIMARY KEY,
    until timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS identity.refresh_tokens (
    token_hash bytea PRIMARY KEY,
    family uuid NOT NULL,
    account_id uuid NOT NULL,
    issued_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX IF NOT EXISTS refresh_tokens_family ON identity.refresh_tokens (family);
CREATE INDEX IF NOT EXISTS refresh_tokens_account ON identity.refresh_tokens (account_id);
CREATE TABLE IF NOT EXISTS identity.sessions (
    token_hash bytea PRIMARY KEY,
    account_id uuid NOT NULL,
    scope text,
    created_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_account ON identity.sessions (account_id);
CREATE TABLE IF NOT EXISTS identity.api_keys (
    id uuid PRIMARY KEY,
    key_hash bytea NOT NULL UNIQUE,
    account_id uuid NOT NULL,
    login text NOT NULL,
    role text NOT NULL,
    name text NOT NULL,
    created_at timestamptz NOT NULL,
    created_by text NOT NULL,
    last_used_at timestamptz,
    revoked_at timestamptz,
    revoked_by text
);
CREATE INDEX IF NOT EXISTS api_keys_account ON identity.api_keys (account_id);
CREATE TABLE IF NOT EXISTS identity.sign_in_counts (
    day date NOT NULL,
    outcome text NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (day, outcome)
);
"""

# What sign_in_counts counts (GET /api/v1/auth/counts).
OUTCOMES = (
    "sign_in",
    "failure",
    "locked",
    "logout",
    "refresh",
    "refresh_reuse",
    "password_changed",
    "api_key_refused",
)


async def ensure_identity_tables(conn: asyncpg.Connection) -> None:
    """The secrets tables, created if missing (idempotent; serialised between processes)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('oversight.identity'))")
        await conn.execute(SCHEMA)


# --- errors the callers map (api/accounts.py: to problem+json; pages: to a message) ---------


class SignInFailed(Exception):
    """Wrong login, password or code: one message whatever was wrong (HTTP 401)."""

    MESSAGE = "the login, password or code is not right"

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)


class SignInLocked(Exception):
    """Too many failed sign-ins: try again in `retry_after` seconds (HTTP 429)."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(f"too many failed sign-ins; try again in {self.retry_after} s")


class TotpRequired(Exception):
    """The password was right and the account has a second factor: send `totp` (401)."""

    def __init__(self) -> None:
        super().__init__("this account needs its TOTP code (field totp)")


class AccountUnavailable(Exception):
    """The password was right but the account may not sign in: disabled, locked by an
    administrator, without a role (HTTP 403)."""


class InvalidCredential(Exception):
    """A refresh token, session or API key that is unknown, expired, used or revoked (401)."""


# --- small helpers ----------------------------------------------------------------------------


def digest(secret_value: str) -> bytes:
    return hashlib.sha256(secret_value.encode()).digest()


def login_key(login: str) -> bytes:
    return hashlib.sha256(b"login|" + login.strip().casefold().encode()).digest()


def login_ref(login: str) -> str:
    """A login in the logs: a short hash, never the text (it may be a mistyped password)."""
    return login_key(login).hex()[:12]


async def in_thread[T](fn: Callable[[], T]) -> T:
    """`fn()` (the synchronous application) in a worker thread."""
    return await asyncio.to_thread(fn)


def _config(services: Services) -> IdentityConfig:
    return services.settings.identity


def identity(services: Services) -> Identity:
    return Identity(services.app)


async def load_account(services: Services, login: str) -> Account | None:
    """The account as stored now (the event store: always current), None if none."""
    if not login or len(login) > 64:
        return None
    return await in_thread(lambda: identity(services).account(login))


async def _count(conn: asyncpg.Connection, outcome: str, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO identity.sign_in_counts (day, outcome, n) VALUES ($1, $2, 1) "
        "ON CONFLICT (day, outcome) DO UPDATE SET n = identity.sign_in_counts.n + 1",
        now.astimezone(UTC).date(),
        outcome,
    )


async def count(services: Services, outcome: str) -> None:
    async with services.pool.acquire() as conn:
        await _count(conn, outcome, services.now())


def one_time_password() -> str:
    """A password to show once: 4 groups of 4 from letters and digits that are hard to
    mistake for each other, with lower case, upper case and digits (password_rule)."""
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
    while True:
        text = "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))
        if acc.password_rule(text, "\x00") is None:
            return text


async def hash_password(password: str) -> str:
    return await in_thread(lambda: HASHER.hash(password))


async def _verify_password(stored: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False

    return await in_thread(check)


async def store_password(
    conn: asyncpg.Connection, account: UUID, hashed: str, *, one_time: bool, at: datetime
) -> None:
    """The account's only hash: the old one is replaced, not kept."""
    await conn.execute(
        """
        INSERT INTO identity.passwords (account_id, hash, one_time, set_at)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (account_id) DO UPDATE
        SET hash = excluded.hash, one_time = excluded.one_time, set_at = excluded.set_at
        """,
        account,
        hashed,
        one_time,
        at,
    )


async def end_sign_ins(conn: asyncpg.Connection, account: UUID, now: datetime) -> None:
    """Every session of the account ends and every refresh token is revoked."""
    await conn.execute("DELETE FROM identity.sessions WHERE account_id = $1", account)
    await conn.execute(
        "UPDATE identity.refresh_tokens SET revoked_at = $2 "
        "WHERE account_id = $1 AND revoked_at IS NULL",
        account,
        now,
    )


# --- registration and accounts -----------------------------------------------------------------


async def register_enterprise(
    services: Services, registration: acc.RegisterEnterprise, *, at: datetime | None = None
) -> CommandResult[Account]:
    """An enterprise registers itself (its credit code is its login) with its password.
    Raises RuleViolated (422): a weak password, an enterprise already registered."""
    at = at or services.now()
    rule = acc.password_rule(registration.password, registration.credit_code)
    if rule is not None:
        raise RuleViolated("password", rule)
    hashed = await hash_password(registration.password)
    result = await in_thread(lambda: identity(services).register_enterprise(at, registration))
    async with services.pool.acquire() as conn:
        await store_password(conn, result.case.id, hashed, one_time=False, at=at)
    log.info("account_registered", kind="enterprise", position=result.position)
    return result


@dataclass(frozen=True)
class Created:
    result: CommandResult[Account]
    password: str | None  # the one-time password, to show once (None: a service account)


async def create_account(
    services: Services, actor: Actor, command: acc.CreateAccount, *, at: datetime | None = None
) -> Created:
    """A staff account with a one-time password (or a service account, API keys only)."""
    at = at or services.now()
    result = await in_thread(lambda: identity(services).create_account(actor, at, command))
    return Created(result, await _give_one_time_password(services, result, at))


async def create_first_administrator(
    services: Services, login: str, name: str, *, at: datetime | None = None
) -> Created:
    at = at or services.now()
    system = Actor(id="oversight-admin-create", role=Role.SYSTEM)
    result = await in_thread(
        lambda: identity(services).create_first_administrator(system, at, login, name)
    )
    return Created(result, await _give_one_time_password(services, result, at))


async def _give_one_time_password(
    services: Services, result: CommandResult[Account], at: datetime
) -> str | None:
    if result.case.kind is AccountKind.SERVICE:
        return None
    password = one_time_password()
    hashed = await hash_password(password)
    async with services.pool.acquire() as conn:
        await store_password(conn, result.case.id, hashed, one_time=True, at=at)
    log.info("account_created", account=result.case.login, position=result.position)
    return password


async def reset_password(
    services: Services, actor: Actor, login: str, *, at: datetime | None = None
) -> tuple[CommandResult[Account], str]:
    """An administrator gives the account a new one-time password (shown once); its
    sessions end and its refresh tokens are revoked."""
    at = at or services.now()
    result = await in_thread(lambda: identity(services).password_reset(actor, at, login))
    password = one_time_password()
    hashed = await hash_password(password)
    async with services.pool.acquire() as conn, conn.transaction():
        await store_password(conn, result.case.id, hashed, one_time=True, at=at)
        await end_sign_ins(conn, result.case.id, at)
    log.info("password_reset", account=login)
    return result, password


async def change_password(
    services: Services,
    login: str,
    *,
    old_password: str,
    new_password: str,
    at: datetime | None = None,
    keep_session: str | None = None,
) -> CommandResult[Account]:
    """The owner changes their password (a one-time one at first sign-in). The old
    password must be right (SignInFailed otherwise, counted as a failed sign-in); the new
    one follows `password_rule` (RuleViolated("new_password", ...)). Every other session
    ends and every refresh token is revoked; `keep_session` (the caller's own session
    cookie) stays open, now unrestricted."""
    at = at or services.now()
    account = await load_account(services, login)
    if account is None:
        raise SignInFailed()
    async with services.pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT hash FROM identity.passwords WHERE account_id = $1", account.id
        )
    if not await _verify_password(stored, old_password):
        await _record_failure(services, login, account, at)
        raise SignInFailed()
    rule = acc.password_rule(new_password, login)
    if rule is not None:
        raise RuleViolated("new_password", rule)
    if new_password == old_password:
        raise RuleViolated("new_password", "must differ from the old password")
    hashed = await hash_password(new_password)
    owner = Actor(id=login, role=account.role or Role.ENTERPRISE, org=account.org)
    async with services.pool.acquire() as conn, conn.transaction():
        # The hash is written, then the event stored, then the hash committed: a failed
        # save leaves the old password (the audit trail never says what did not happen).
        await store_password(conn, account.id, hashed, one_time=False, at=at)
        kept = digest(keep_session) if keep_session else b""
        await conn.execute(
            "DELETE FROM identity.sessions WHERE account_id = $1 AND token_hash <> $2",
            account.id,
            kept,
        )
        await conn.execute("UPDATE identity.sessions SET scope = NULL WHERE token_hash = $1", kept)
        await conn.execute(
            "UPDATE identity.refresh_tokens SET revoked_at = $2 "
            "WHERE account_id = $1 AND revoked_at IS NULL",
            account.id,
            at,
        )
        result = await in_thread(
            lambda: identity(services).password_set(owner, at, login, one_time=False)
        )
        await _count(conn, "password_changed", at)
    log.info("password_changed", account=login)
    return result


async def after_account_change(services: Services, result: CommandResult[Account]) -> None:
    """After an administrator's change: a disabled or locked account, or one without a
    role, has no session and no refresh token left (its API keys stop at once too: they
    are checked against the account on every request)."""
    account = result.case
    now = services.now()
    if account.disabled or account.is_locked(now) or account.role is None:
        async with services.pool.acquire() as conn, conn.transaction():
            await end_sign_ins(conn, account.id, now)
            if not account.is_locked(now):
                await conn.execute(
                    "DELETE FROM identity.sign_in_locks WHERE login_key = $1",
                    login_key(account.login),
                )


async def unlock(
    services: Services, actor: Actor, login: str, command: acc.AccountNote
) -> CommandResult[Account]:
    """An administrator unlocks: the Unlocked event, and the failed sign-ins forgotten."""
    now = services.now()
    result = await in_thread(lambda: identity(services).unlock(actor, now, login, command))
    async with services.pool.acquire() as conn, conn.transaction():
        key = login_key(login)
        await conn.execute("DELETE FROM identity.sign_in_locks WHERE login_key = $1", key)
        await conn.execute("DELETE FROM identity.sign_in_failures WHERE login_key = $1", key)
    return result


# --- signing in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    account: Account
    actor: Actor
    # None: everything the role may do; "password": only changing the one-time password;
    # "totp": only enrolling the second factor the role requires.
    scope: str | None

    @property
    def must_change_password(self) -> bool:
        return self.scope == "password"


async def authenticate(
    services: Services, login: str, password: str, totp: str | None = None
) -> SignedIn:
    """Check a sign-in. Raises SignInLocked (429), SignInFailed (401, whatever was
    wrong: unknown login, wrong password, wrong code), TotpRequired (401, right password,
    no code), AccountUnavailable (403, right password but disabled, locked by an
    administrator, or without a role). Every outcome is logged and counted."""
    now = services.now()
    key = login_key(login)
    async with services.pool.acquire() as conn:
        until = await conn.fetchval(
            "SELECT until FROM identity.sign_in_locks WHERE login_key = $1 AND until > $2",
            key,
            now,
        )
    if until is not None:
        await _refuse_locked(services, login, until, now)
    account = await load_account(services, login)
    if account is not None and account.is_locked(now) and account.locked_until is not None:
        await _refuse_locked(services, login, account.locked_until, now)
    stored = None
    if account is not None:
        async with services.pool.acquire() as conn:
            stored = await conn.fetchrow(
                "SELECT hash, one_time FROM identity.passwords WHERE account_id = $1",
                account.id,
            )
    if not await _verify_password(stored["hash"] if stored else None, password):
        await _record_failure(services, login, account, now)
        raise SignInFailed()
    assert account is not None and stored is not None  # a hash verified: both exist
    if account.disabled or account.is_locked(now) or account.role is None:
        why = (
            "disabled"
            if account.disabled
            else "locked by an administrator"
            if account.is_locked(now)
            else "without a role"
        )
        log.info("sign_in_refused", account=account.login, why=why)
        raise AccountUnavailable(f"this account is {why}; ask an administrator")
    if account.totp_enabled:
        if not totp:
            log.info("sign_in_needs_totp", account=account.login)
            raise TotpRequired()
        if not await _use_totp(services, account, totp, now):
            await _record_failure(services, login, account, now)
            raise SignInFailed()
    actor = account.actor()
    assert actor is not None
    scope = None
    if stored["one_time"]:
        scope = "password"
    elif account.role in _config(services).totp_required and not account.totp_enabled:
        scope = "totp"
    async with services.pool.acquire() as conn:
        await conn.execute("DELETE FROM identity.sign_in_failures WHERE login_key = $1", key)
        await _count(conn, "sign_in", now)
    if HASHER.check_needs_rehash(stored["hash"]):
        async with services.pool.acquire() as conn:
            await store_password(
                conn, account.id, await hash_password(password), one_time=stored["one_time"],
                at=now,
            )  # fmt: skip
    log.info("signed_in", account=account.login, role=str(actor.role), scope=scope)
    return SignedIn(account=account, actor=actor, scope=scope)


async def _refuse_locked(services: Services, login: str, until: datetime, now: datetime) -> None:
    retry = int((until - now).total_seconds() + 0.999)
    log.info("sign_in_locked", login_ref=login_ref(login), retry_after=retry)
    await count(services, "locked")
    raise SignInLocked(retry)


async def _record_failure(
    services: Services, login: str, account: Account | None, now: datetime
) -> None:
    """A failed sign-in. At `max_failures` within the window the login is locked for
    `lock_minutes` (known or not: the answers must not tell them apart), and a known
    account gets a Locked event by the sign-in guard (the audit trail shows it)."""
    config = _config(services)
    key = login_key(login)
    window = timedelta(minutes=config.failure_window_minutes)
    async with services.pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))", key.hex())
        await conn.execute(
            "INSERT INTO identity.sign_in_failures (login_key, at) VALUES ($1, $2)", key, now
        )
        await conn.execute(
            "DELETE FROM identity.sign_in_failures WHERE login_key = $1 AND at <= $2",
            key,
            now - window,
        )
        failures = await conn.fetchval(
            "SELECT count(*) FROM identity.sign_in_failures WHERE login_key = $1", key
        )
        await _count(conn, "failure", now)
        locked = failures >= config.max_failures
        if locked:
            until = now + timedelta(minutes=config.lock_minutes)
            await conn.execute(
                "INSERT INTO identity.sign_in_locks (login_key, until) VALUES ($1, $2) "
                "ON CONFLICT (login_key) DO UPDATE SET until = excluded.until",
                key,
                until,
            )
            await conn.execute("DELETE FROM identity.sign_in_failures WHERE login_key = $1", key)
    log.info("sign_in_failed", login_ref=login_ref(login), failures=failures)
    if locked:
        log.warning("account_locked", login_ref=login_ref(login), minutes=config.lock_minutes)
        if account is not None and not account.disabled:
            reason = f"{failures} failed sign-ins within {config.failure_window_minutes:g} minutes"
            lock = acc.Lock(reason=reason, until=until)
            try:
                await in_thread(
                    lambda: identity(services).lock(acc.SIGN_IN_GUARD, now, account.login, lock)
                )
            except (
                RuleViolated,
                Forbidden,
            ):  # pragma: no cover - a lock dated before the last event
                log.warning("lock_event_skipped", login_ref=login_ref(login))


# --- TOTP ------------------------------------------------------------------------------------


def _step(now: datetime) -> int:
    return int(now.timestamp()) // TOTP_STEP


def _totp_step(secret: str, code: str, now: datetime, last_step: int) -> int | None:
    """The time step a code is right for (this one, or one either side), if newer than
    the last used."""
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP)
    for step in (_step(now) - 1, _step(now), _step(now) + 1):
        if step > last_step and hmac.compare_digest(totp.at(step * TOTP_STEP), code):
            return step
    return None


async def _use_totp(services: Services, account: Account, code: str, now: datetime) -> bool:
    async with services.pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT secret, last_step FROM identity.totp "
            "WHERE account_id = $1 AND confirmed FOR UPDATE",
            account.id,
        )
        if row is None:
            return False
        step = _totp_step(row["secret"], code, now, row["last_step"])
        if step is None:
            return False
        await conn.execute(
            "UPDATE identity.totp SET last_step = $2 WHERE account_id = $1", account.id, step
        )
        return True


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    uri: str  # otpauth:// for an authenticator app's QR code


async def enrol_totp(services: Services, login: str) -> TotpEnrolment:
    """A new TOTP secret for the owner to confirm with a code (`confirm_totp`); the
    second factor is not on until then."""
    account = await load_account(services, login)
    if account is None:
        raise InvalidCredential("no such account")
    if account.kind is not AccountKind.STAFF:
        raise RuleViolated("totp", "a second factor is for bureau staff accounts")
    if account.totp_enabled:
        raise RuleViolated("totp", "already enabled: turn it off first to enrol a new one")
    secret = pyotp.random_base32()
    async with services.pool.acquire() as conn:
        await conn.execute(
            """
            INSERT INTO identity.totp (account_id, secret, confirmed, last_step, created_at)
            VALUES ($1, $2, false, 0, $3)
            ON CONFLICT (account_id) DO UPDATE
            SET secret = excluded.secret, confirmed = false, last_step = 0,
                created_at = excluded.created_at
            """,
            account.id,
            secret,
            services.now(),
        )
    uri = pyotp.TOTP(secret, interval=TOTP_STEP).provisioning_uri(
        name=login, issuer_name=TOTP_ISSUER
    )
    return TotpEnrolment(secret=secret, uri=uri)


async def confirm_totp(services: Services, login: str, code: str) -> CommandResult[Account]:
    """The owner's first code: the second factor is on (TotpEnabled)."""
    now = services.now()
    account = await load_account(services, login)
    if account is None:
        raise InvalidCredential("no such account")
    async with services.pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT secret, last_step FROM identity.totp WHERE account_id = $1 FOR UPDATE",
            account.id,
        )
        if row is None:
            raise RuleViolated("totp", "enrol first (POST /api/v1/auth/totp)")
        step = _totp_step(row["secret"], code, now, row["last_step"])
        if step is None:
            raise RuleViolated("code", "not the current code of the enrolled secret")
        await conn.execute(
            "UPDATE identity.totp SET confirmed = true, last_step = $2 WHERE account_id = $1",
            account.id,
            step,
        )
        owner = account.actor() or Actor(id=login, role=Role.CLERK)
        result = await in_thread(lambda: identity(services).totp_enabled(owner, now, login))
    log.info("totp_enabled", account=login)
    return result


async def disable_totp(
    services: Services, actor: Actor, login: str, reason: str | None = None
) -> CommandResult[Account]:
    now = services.now()
    result = await in_thread(lambda: identity(services).totp_disabled(actor, now, login, reason))
    async with services.pool.acquire() as conn:
        await conn.execute("DELETE FROM identity.totp WHERE account_id = $1", result.case.id)
    log.info("totp_disabled", account=login)
    return result


# --- refresh tokens (the access tokens are minted by api/auth.py) -------------------------------


async def new_refresh_family(services: Services, signed: SignedIn) -> str:
    """The first refresh token of a new family (none for a restricted sign-in: a
    one-time password to change, a second factor to enrol)."""
    config = _config(services)
    now = services.now()
    async with services.pool.acquire() as conn:
        return await _new_refresh(
            conn, signed.account.id, uuid4(), now, now + timedelta(days=config.refresh_token_days)
        )


async def _new_refresh(
    conn: asyncpg.Connection, account: UUID, family: UUID, now: datetime, expires: datetime
) -> str:
    raw = REFRESH_PREFIX + secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO identity.refresh_tokens "
        "(token_hash, family, account_id, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        digest(raw),
        family,
        account,
        now,
        expires,
    )
    return raw


@dataclass(frozen=True)
class Refreshed:
    actor: Actor  # as the account is now: its current role
    refresh_token: str  # the next of the family


async def refresh(services: Services, raw: str) -> Refreshed:
    """Use up a refresh token for the next one of its family, with the account's actor
    as it is now. A used one presented again revokes its whole family (it was stolen,
    or the client is broken): InvalidCredential for it and for every token of the
    family. A disabled or locked account, or one without a role, gets none."""
    now = services.now()
    async with services.pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT family, account_id, expires_at, used_at, revoked_at "
            "FROM identity.refresh_tokens WHERE token_hash = $1 FOR UPDATE",
            digest(raw),
        )
        if row is None or row["revoked_at"] is not None or row["expires_at"] <= now:
            raise InvalidCredential("the refresh token is not valid")
        reused = row["used_at"] is not None
        if reused:
            # Committed: the family stays revoked although the request fails.
            await conn.execute(
                "UPDATE identity.refresh_tokens SET revoked_at = $2 "
                "WHERE family = $1 AND revoked_at IS NULL",
                row["family"],
                now,
            )
            await _count(conn, "refresh_reuse", now)
        else:
            await conn.execute(
                "UPDATE identity.refresh_tokens SET used_at = $2 WHERE token_hash = $1",
                digest(raw),
                now,
            )
    if reused:
        log.warning("refresh_token_reused", family=str(row["family"]))
        raise InvalidCredential("the refresh token was already used; its family is revoked")
    account = await in_thread(lambda: services.app.load(row["account_id"]))
    actor = account.actor() if isinstance(account, Account) else None
    if not isinstance(account, Account) or account.disabled or account.is_locked(now) or not actor:
        async with services.pool.acquire() as conn:
            await end_sign_ins(conn, row["account_id"], now)
        raise InvalidCredential("the account may not sign in")
    async with services.pool.acquire() as conn:
        new = await _new_refresh(conn, account.id, row["family"], now, row["expires_at"])
        await _count(conn, "refresh", now)
    log.info("token_refreshed", account=account.login)
    return Refreshed(actor=actor, refresh_token=new)


async def revoke_refresh(services: Services, raw: str) -> None:
    """Sign out of the API: the refresh token's whole family is revoked (unknown: no-op)."""
    now = services.now()
    async with services.pool.acquire() as conn:
        family = await conn.fetchval(
            "SELECT family FROM identity.refresh_tokens WHERE token_hash = $1", digest(raw)
        )
        if family is not None:
            await conn.execute(
                "UPDATE identity.refresh_tokens SET revoked_at = $2 "
                "WHERE family = $1 AND revoked_at IS NULL",
                family,
                now,
            )
        await _count(conn, "logout", now)
    log.info("signed_out", kind="refresh", known=family is not None)


# --- sessions (the web pages) -------------------------------------------------------------------


@dataclass(frozen=True)
class OpenedSession:
    cookie_value: str  # the cookie's value: never stored, never logged
    max_age: int  # seconds (the absolute lifetime)


async def open_session(services: Services, signed: SignedIn) -> OpenedSession:
    config = _config(services)
    now = services.now()
    raw = secrets.token_urlsafe(32)
    lifetime = timedelta(hours=config.session_hours)
    async with services.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO identity.sessions "
            "(token_hash, account_id, scope, created_at, last_seen_at, expires_at) "
            "VALUES ($1, $2, $3, $4, $4, $5)",
            digest(raw),
            signed.account.id,
            signed.scope,
            now,
            now + lifetime,
        )
    log.info("session_opened", account=signed.account.login, scope=signed.scope)
    return OpenedSession(cookie_value=raw, max_age=int(lifetime.total_seconds()))


async def close_session(services: Services, raw: str) -> None:
    now = services.now()
    async with services.pool.acquire() as conn:
        closed = await conn.fetchval(
            "DELETE FROM identity.sessions WHERE token_hash = $1 RETURNING account_id",
            digest(raw),
        )
        await _count(conn, "logout", now)
    log.info("signed_out", kind="session", known=closed is not None)


@dataclass(frozen=True)
class Resolved:
    actor: Actor
    scope: str | None


async def session_actor(services: Services, raw: str) -> Resolved:
    """The actor of a session cookie, read from the account as it is now: a withdrawn
    role, a disabled or locked account ends the session at once (InvalidCredential)."""
    config = _config(services)
    now = services.now()
    key = digest(raw)
    async with services.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT account_id, scope, last_seen_at FROM identity.sessions "
            "WHERE token_hash = $1 AND expires_at > $2 AND last_seen_at > $3",
            key,
            now,
            now - timedelta(minutes=config.session_idle_minutes),
        )
    if row is None:
        raise InvalidCredential("the session has ended; sign in again")
    account = await in_thread(lambda: services.app.load(row["account_id"]))
    actor = account.actor() if isinstance(account, Account) else None
    if not isinstance(account, Account) or account.disabled or account.is_locked(now) or not actor:
        async with services.pool.acquire() as conn:
            await conn.execute("DELETE FROM identity.sessions WHERE token_hash = $1", key)
        raise InvalidCredential("the session has ended; sign in again")
    if now - row["last_seen_at"] > timedelta(seconds=TOUCH_SECONDS):
        async with services.pool.acquire() as conn:
            await conn.execute(
                "UPDATE identity.sessions SET last_seen_at = $2 WHERE token_hash = $1", key, now
            )
    return Resolved(actor=actor, scope=row["scope"])


# --- API keys (integrations) ---------------------------------------------------------------------


async def create_api_key(services: Services, actor: Actor, login: str, name: str) -> dict[str, Any]:
    """A key for a service account, bound to its current role: the key itself is in the
    answer once and never again (only its SHA-256 is kept)."""
    if actor.role is not Role.ADMIN:
        raise Forbidden(f"role {actor.role} may not issue API keys")
    account = await load_account(services, login)
    if account is None:
        raise RuleViolated("login", f"no account '{login}'")
    if account.kind is not AccountKind.SERVICE:
        raise RuleViolated("login", "API keys are for service accounts (kind service)")
    if account.role is None or account.disabled:
        raise RuleViolated("login", "the service account has no role or is disabled")
    now = services.now()
    key_id = uuid4()
    raw = API_KEY_PREFIX + secrets.token_urlsafe(32)
    async with services.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO identity.api_keys "
            "(id, key_hash, account_id, login, role, name, created_at, created_by) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            key_id,
            digest(raw),
            account.id,
            login,
            account.role.value,
            name,
            now,
            actor.id,
        )
    log.info("api_key_created", account=login, key_id=str(key_id))
    return {
        "id": str(key_id),
        "key": raw,
        "login": login,
        "role": account.role.value,
        "name": name,
        "created_at": now,
    }


async def list_api_keys(services: Services, login: str | None = None) -> list[dict[str, Any]]:
    async with services.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT id, login, role, name, created_at, created_by, last_used_at, revoked_at, "
            "revoked_by FROM identity.api_keys WHERE ($1::text IS NULL OR login = $1) "
            "ORDER BY created_at, id",
            login,
        )
    return [{**dict(r), "id": str(r["id"])} for r in rows]


async def revoke_api_key(services: Services, actor: Actor, key_id: UUID) -> bool:
    if actor.role is not Role.ADMIN:
        raise Forbidden(f"role {actor.role} may not revoke API keys")
    async with services.pool.acquire() as conn:
        revoked = await conn.fetchval(
            "UPDATE identity.api_keys SET revoked_at = $2, revoked_by = $3 "
            "WHERE id = $1 AND revoked_at IS NULL RETURNING id",
            key_id,
            services.now(),
            actor.id,
        )
    log.info("api_key_revoked", key_id=str(key_id), known=revoked is not None)
    return revoked is not None


async def api_key_actor(services: Services, raw: str) -> Actor:
    """The actor of an API key: its service account, active and still holding the role
    the key was issued for (checked on every request: a withdrawn role, a disabled
    account or a revoked key stop it at once)."""
    now = services.now()
    key = digest(raw)
    async with services.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT id, account_id, role, last_used_at FROM identity.api_keys "
            "WHERE key_hash = $1 AND revoked_at IS NULL",
            key,
        )
    account = None
    if row is not None:
        account = await in_thread(lambda: services.app.load(row["account_id"]))
    if (
        row is None
        or not isinstance(account, Account)
        or account.disabled
        or account.is_locked(now)
        or account.role is None
        or account.role.value != row["role"]
    ):
        await count(services, "api_key_refused")
        raise InvalidCredential("the API key is not valid")
    last = row["last_used_at"]
    if last is None or now - last > timedelta(seconds=TOUCH_SECONDS):
        async with services.pool.acquire() as conn:
            await conn.execute(
                "UPDATE identity.api_keys SET last_used_at = $2 WHERE id = $1", row["id"], now
            )
    return Actor(id=account.login, role=account.role, org=account.org)


# --- reads for the API ---------------------------------------------------------------------------


def present_account(account: Account, now: datetime) -> dict[str, Any]:
    return {
        "login": account.login,
        "name": account.name,
        "kind": account.kind.value,
        "role": None if account.role is None else account.role.value,
        "org": account.org,
        "state": account.state(now).value,
        "locked_until": account.locked_until if account.is_locked(now) else None,
        "must_change_password": account.one_time_password,
        "totp_enabled": account.totp_enabled,
        "version": account.version,
    }


async def counts(services: Services, since: datetime) -> dict[str, int]:
    async with services.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT outcome, sum(n)::bigint AS n FROM identity.sign_in_counts "
            "WHERE day >= $1 GROUP BY outcome",
            since.astimezone(UTC).date(),
        )
    found = {r["outcome"]: r["n"] for r in rows}
    return {outcome: found.get(outcome, 0) for outcome in OUTCOMES}


async def ensure_identity_schema(app: Any) -> None:
    """on_startup: the secrets tables (`ensure_identity_tables`)."""
    services = app.state.get("services")
    if services is None:
        return
    async with services.pool.acquire() as conn:
        await ensure_identity_tables(conn)
