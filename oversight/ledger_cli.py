"""`oversight verify` and `oversight db-roles` (the ledger's commands; see docs/ledger.md).

    oversight verify [--key FILE] [--heads FILE]  the whole store against the ledger
                                                  and the heads published outside it
    oversight verify --bundle case.json --key pub.key   one case, offline, no database
    oversight db-roles [--role NAME] [--apply]    SQL for an API role without UPDATE/DELETE
    oversight ledger init-key [--if-missing]      create the signing key, once
    oversight ledger rotate-key --new FILE        hand signing over to a new key

Exit status of verify: 0 when everything holds, 1 when the store or the ledger was
tampered with, 2 when part of the store is unverified (under no signed head that should
be there) or verify could not run (no key, no ledger).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oversight.settings import Settings


def _database(settings: Settings) -> str:
    from oversight.runtime import database

    return database(settings)[0]


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


async def _published_heads(
    conn: Any, named: str | None, settings: Settings
) -> tuple[list[Any], list[Any]] | None:
    """The heads (and key rotations) kept outside the database: the file named, else this
    database's own log (`ledger/published.py`: one per cluster and database) when it
    exists. Says which file it read, or warns that there is none; None if it cannot be
    read."""
    from ledger.published import database_identity, heads_log_path, read_log

    if named:
        path: Path | None = Path(named)
    else:
        path = heads_log_path(
            settings.ledger_heads_log, settings.var_dir, await database_identity(conn)
        )
    if path is None:
        print("published heads: none (OVERSIGHT_LEDGER_HEADS_LOG is off)")
        return [], []
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
        return [], []
    try:
        heads, rotations = read_log(path)
    except (OSError, ValueError) as e:
        print(f"error: the published heads cannot be read: {e}", file=sys.stderr)
        return None
    also = f", {len(rotations)} key rotations" if rotations else ""
    print(f"published heads: {path} ({len(heads)} heads{also})")
    return heads, rotations


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
        found = await _published_heads(conn, heads, settings)
        if found is None:
            return 2
        published, rotations = found
        total = await conn.fetchval("SELECT count(*) FROM oversight_events")
        with tqdm(total=total, unit="event", desc="verifying", disable=quiet or None) as bar:
            report = await verify_database(
                conn,
                key,
                batch=batch,
                progress=bar.update,
                published=published,
                published_rotations=rotations,
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


def cmd_init_key(args: argparse.Namespace, settings: Settings) -> int:
    """Create the ledger's signing key, once (docs/ledger.md)."""
    from ledger.keys import KeyFileError, generate_key_file, load_key_file, public_path

    path = settings.ledger_key_path
    if path.exists():
        try:
            key = load_key_file(path)
        except KeyFileError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        if not args.if_missing:
            print(
                f"error: {path} already holds ledger key {key.key_id}: a second key would "
                "start a second ledger (to change keys: `oversight ledger rotate-key --new "
                "FILE`)",
                file=sys.stderr,
            )
            return 1
        print(f"ledger key {key.key_id} already in {path}")
        print(f"public key: {public_path(path)}")
        return 0
    try:
        key = generate_key_file(path)
    except FileExistsError:  # made meanwhile by another init
        key = load_key_file(path)
    except OSError as e:
        print(f"error: cannot write the key to {path}: {e.strerror}", file=sys.stderr)
        return 1
    print(f"ledger key {key.key_id} created")
    print(
        f"private key: {path} (mode 0600: mount it into every process that signs, never "
        "onto the database host; keep a copy somewhere safe)"
    )
    print(f"public key: {public_path(path)} (give it to inspectors)")
    return 0


def cmd_rotate_key(args: argparse.Namespace, settings: Settings) -> int:
    """Hand signing over from the key in force to a new key (a statement signed by
    both, stored with the heads and published)."""
    from ledger.keys import KeyFileError, generate_key_file, load_key_file, public_path

    try:
        old = settings.ledger.signing_key()
    except KeyFileError as e:
        print(f"error: the key in force is needed to rotate: {e}", file=sys.stderr)
        return 1
    new_path = Path(args.new)
    try:
        new = load_key_file(new_path) if new_path.exists() else generate_key_file(new_path)
    except (KeyFileError, OSError) as e:
        print(f"error: the new key: {e}", file=sys.stderr)
        return 1
    if not new.can_sign:
        print(
            f"error: {new_path} holds a public key: the new private key is needed", file=sys.stderr
        )
        return 1
    if new.key_id == old.key_id:
        print(f"error: {new_path} is the key in force ({old.key_id})", file=sys.stderr)
        return 1
    return asyncio.run(_rotate(settings, old, new, new_path, public_path(new_path)))


async def _rotate(settings: Settings, old: Any, new: Any, new_path: Path, new_public: Path) -> int:
    import asyncpg

    from ledger.heads import to_ms
    from ledger.merkle import EMPTY_ROOT
    from ledger.published import append_rotation, publisher_for
    from ledger.rotation import KeyRotation, key_in_force
    from ledger.signer import (
        SIGNER_LOCK,
        LedgerKeyMismatch,
        LedgerMismatch,
        SigningPolicy,
        sign_due,
    )
    from ledger.view import LEDGER, insert_rotation, key_rotations, latest_head
    from oversight.database import asyncpg_dsn
    from projections.runner import ensure_schema

    conn = await asyncpg.connect(asyncpg_dsn(_database(settings)))
    try:
        await ensure_schema(conn, [LEDGER])
        publish = await publisher_for(conn, settings.ledger_heads_log, settings.var_dir)
        policy = SigningPolicy(settings.ledger_head_events, settings.ledger_head_seconds)
        try:  # the old key covers everything the ledger holds before it hands over
            await sign_due(conn, old, policy, force=True, publish=publish)
        except (LedgerMismatch, LedgerKeyMismatch) as e:
            print(f"error: cannot rotate: {e}", file=sys.stderr)
            return 1
        async with conn.transaction():
            await conn.execute(SIGNER_LOCK)
            last = await latest_head(conn)
            if last is not None and key_in_force(last, await key_rotations(conn)) != old.key_id:
                print("error: cannot rotate: another key is in force now", file=sys.stderr)
                return 1
            size, root = (last.size, last.root) if last is not None else (0, EMPTY_ROOT)
            rotation = KeyRotation.sign(old, new, size, root, to_ms(datetime.now(UTC)))
            await insert_rotation(conn, rotation)
    finally:
        await conn.close()
    if publish.path is not None:
        try:
            append_rotation(publish.path, rotation)
        except OSError as e:
            print(f"warning: the rotation is not in {publish.path}: {e.strerror}", file=sys.stderr)
    print(f"key rotated after tree size {size}: {old.key_id} -> {new.key_id}")
    print(f"new private key: {new_path}")
    print(f"new public key: {new_public}")
    if publish.path is not None:
        print(f"published in: {publish.path}")
    print(
        "now point OVERSIGHT_LEDGER_KEY at the new key in every signing process and restart "
        "them: until then they refuse to sign (ledger_key_mismatch)"
    )
    return 0


def cmd_db_roles(args: argparse.Namespace, settings: Settings) -> int:
    import psycopg

    from ledger.guard import roles_sql

    url = _database(settings)
    with psycopg.connect(url, autocommit=True) as conn:
        database = conn.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        version = conn.info.server_version
        sql = roles_sql(args.role, database=database, server_version=version)
        if args.apply:
            conn.execute(sql)
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

    ledger = sub.add_parser("ledger", help="the ledger's signing key: create it, rotate it")
    keys = ledger.add_subparsers(dest="ledger_command", required=True)
    init_key = keys.add_parser(
        "init-key",
        help="create the signing key at OVERSIGHT_LEDGER_KEY (once; prints its id and "
        "where the public key is)",
    )
    init_key.add_argument(
        "--if-missing", action="store_true", help="succeed without a change if it exists"
    )
    init_key.set_defaults(func=cmd_init_key)
    rotate = keys.add_parser(
        "rotate-key",
        help="hand signing over to a new key: a statement signed by the old and the new "
        "key, stored with the heads and published",
    )
    rotate.add_argument(
        "--new", required=True, help="the new private key file (created if it does not exist)"
    )
    rotate.set_defaults(func=cmd_rotate_key)

    roles = sub.add_parser(
        "db-roles", help="print (or --apply) SQL for an API role that cannot UPDATE/DELETE events"
    )
    roles.add_argument("--role", default="oversight_api", help="role name (default oversight_api)")
    roles.add_argument("--apply", action="store_true", help="run it against the database")
    roles.set_defaults(func=cmd_db_roles)
