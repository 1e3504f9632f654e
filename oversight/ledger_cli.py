"""`oversight verify` and `oversight db-roles` (the ledger's commands; see docs/ledger.md).

    oversight verify [--key FILE] [--heads FILE]  the whole store against the ledger
                                                  and the heads published outside it
    oversight verify --bundle case.json --key pub.key   one case, offline, no database
    oversight db-roles [--role NAME] [--apply]    SQL for an API role without UPDATE/DELETE

Exit status of verify: 0 when everything holds, 1 when the store or the ledger was
tampered with, 2 when part of the store is unverified (under no signed head that should
be there) or verify could not run (no key, no ledger).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from oversight.settings import Settings


def _database(settings: Settings) -> str:
    from oversight.cli import _database

    return _database(settings)[0]


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    from ledger.keys import KeyFileError, load_key_file

    if args.bundle and not args.key:
        print("error: --bundle needs --key: the public key you trust", file=sys.stderr)
        return 2
    key_path = Path(args.key) if args.key else settings.ledger_key_path
    try:
        key = load_key_file(key_path)
    except KeyFileError as e:
        print(f"error: {e} (pass the public key with --key)", file=sys.stderr)
        return 2
    if args.bundle:
        return _verify_bundle(Path(args.bundle), key)
    return asyncio.run(
        _verify_database(settings, key, batch=args.batch, quiet=args.quiet, heads=args.heads)
    )


async def _published_heads(conn: Any, named: str | None, settings: Settings) -> list[Any] | None:
    """The heads kept outside the database: the file named, else this database's own log
    (`ledger/published.py`: one per cluster and database) when it exists. Says which
    file it read, or warns that there is none; None if it cannot be read."""
    from ledger.published import database_identity, heads_log_path, read_heads

    if named:
        path: Path | None = Path(named)
    else:
        path = heads_log_path(
            settings.ledger_heads_log, settings.var_dir, await database_identity(conn)
        )
    if path is None:
        print("published heads: none (OVERSIGHT_LEDGER_HEADS_LOG is off)")
        return []
    if not path.exists() and not named:
        print(
            f"warning: no published heads log at {path}: only the database's own heads are "
            "checked (pass a kept copy with --heads)",
            file=sys.stderr,
        )
        legacy = settings.var_dir / "ledger-heads.jsonl"
        if settings.ledger_heads_log is None and legacy.exists():
            print(
                f"note: {legacy} (one log shared by every database, before logs were named "
                "per database) is not read: pass it with --heads if it holds this "
                "database's heads",
                file=sys.stderr,
            )
        return []
    try:
        heads = read_heads(path)
    except (OSError, ValueError) as e:
        print(f"error: the published heads cannot be read: {e}", file=sys.stderr)
        return None
    print(f"published heads: {path} ({len(heads)} heads)")
    return heads


def _verify_bundle(path: Path, key: Any) -> int:
    from ledger.bundle import verify_bundle_file

    facts, problems = verify_bundle_file(path, key)
    for line in facts:
        print(line)
    if problems:
        print(f"FAILED: {len(problems)} problem(s)")
        for line in problems:
            print(f"  {line}")
        return 1
    print("OK: the bundle holds")
    return 0


async def _verify_database(
    settings: Settings, key: Any, *, batch: int, quiet: bool, heads: str | None
) -> int:
    import asyncpg
    from tqdm import tqdm

    from ledger.verify import verify_database
    from oversight.database import asyncpg_dsn

    conn = await asyncpg.connect(asyncpg_dsn(_database(settings)))
    try:
        if await conn.fetchval("SELECT to_regclass('views.ledger_leaves')") is None:
            print("error: this database has no ledger yet (run the service once)", file=sys.stderr)
            return 2
        published = await _published_heads(conn, heads, settings)
        if published is None:
            return 2
        total = await conn.fetchval("SELECT count(*) FROM oversight_events")
        with tqdm(total=total, unit="event", desc="verifying", disable=quiet or None) as bar:
            report = await verify_database(
                conn,
                key,
                batch=batch,
                progress=bar.update,
                published=published,
                # An honest signer covers every event within its interval and one poll.
                overdue_seconds=settings.ledger_head_seconds
                + settings.projection_poll_seconds
                + 10,
            )
    finally:
        await conn.close()
    for line in report.lines():
        print(line)
    return report.status


def cmd_db_roles(args: argparse.Namespace, settings: Settings) -> int:
    import psycopg

    from ledger.guard import roles_sql

    url = _database(settings)
    with psycopg.connect(url, autocommit=True) as conn:
        database = conn.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        version = conn.info.server_version
        sql = roles_sql(args.role, database=database, server_version=version)
        if args.apply:
            conn.execute(sql)  # type: ignore[arg-type]
            print(
                f"role {args.role} ready; give it a password, then run the API with it and "
                "OVERSIGHT_CREATE_TABLE=n",
                file=sys.stderr,
            )
            return 0
    print(sql)
    return 0


def add_commands(sub: Any) -> None:
    verify = sub.add_parser(
        "verify", help="check the event store against the signed ledger (or a bundle offline)"
    )
    verify.add_argument(
        "--key", help="the key file (public or private; default: OVERSIGHT_LEDGER_KEY)"
    )
    verify.add_argument("--bundle", help="verify this bundle offline (needs --key)")
    verify.add_argument(
        "--heads",
        help="published heads to check the store against (JSON lines; default: this "
        "database's log, OVERSIGHT_LEDGER_HEADS_LOG or "
        "var/ledger-heads-<system id>-<database>.jsonl, when it exists)",
    )
    verify.add_argument("--batch", type=int, default=5000, help="rows per fetch (default 5000)")
    verify.add_argument("--quiet", action="store_true", help="no progress bar")
    verify.set_defaults(func=cmd_verify)

    roles = sub.add_parser(
        "db-roles", help="print (or --apply) SQL for an API role that cannot UPDATE/DELETE events"
    )
    roles.add_argument("--role", default="oversight_api", help="role name (default oversight_api)")
    roles.add_argument("--apply", action="store_true", help="run it against the database")
    roles.set_defaults(func=cmd_db_roles)
