"""Signed tree heads published outside the database: an append-only JSON-lines file.

The heads in `views.ledger_heads` prove the store against everything but someone who can
rewrite the whole database: truncate events, ledger and heads together and start again.
Each head the signer commits is therefore also appended here, one JSON object per line
(`TreeHead.to_json`), flushed to disk; the file lives with the key, outside the
database (`OVERSIGHT_LEDGER_HEADS_LOG`, default `var/ledger-heads-<cluster system
identifier>-<database>.jsonl`: one log per database, so databases served from one
`var/` never mix their heads), and may be copied anywhere (an inspector's machine,
write-once storage). `oversight verify`
checks every head in it against the store: a head the store can no longer reproduce
(events removed, altered or replaced) is reported, even when the database's own heads
were rewritten or removed.

Several processes may sign (one at a time: the signer's advisory lock); each appends
to its own file when they do not share one. Any subset of the heads is a valid log.
Key rotations (ledger/rotation.py) are published in the same log, one JSON line each
with `"type": "key-rotation"`, so the chain of keys is kept outside the database too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import asyncpg
import structlog

from ledger.heads import TreeHead
from ledger.rotation import ROTATION_TYPE, KeyRotation

log = structlog.get_logger(__name__)


def append_heads(path: Path, heads: Sequence[TreeHead]) -> None:
    """Append `heads` as JSON lines, in one write, and flush them to disk."""
    if not heads:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    data = "".join(json.dumps(h.to_json(), sort_keys=True) + "\n" for h in heads).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def append_rotation(path: Path, rotation: KeyRotation) -> None:
    """Append a key rotation statement (ledger/rotation.py) as one JSON line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(rotation.to_json(), sort_keys=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_log(path: Path) -> tuple[list[TreeHead], list[KeyRotation]]:
    """The heads and the key rotations in a log, in file order; ValueError naming the
    first bad line."""
    heads: list[TreeHead] = []
    rotations: list[KeyRotation] = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if isinstance(data, dict) and data.get("type") == ROTATION_TYPE:
                    rotations.append(KeyRotation.from_json(data))
                else:
                    heads.append(TreeHead.from_json(data))
            except ValueError as e:  # json.JSONDecodeError is a ValueError
                raise ValueError(f"{path}:{number}: {e}") from None
    return heads, rotations


def read_heads(path: Path) -> list[TreeHead]:
    """The heads in a log, in file order; ValueError naming the first bad line."""
    return read_log(path)[0]


# --- one log per database -------------------------------------------------------------

OFF = frozenset({"off", "0", "no"})


async def database_identity(conn: asyncpg.Connection) -> tuple[str, str]:
    """(the cluster's system identifier, the database's name): which store this is.
    Two databases of one server, or two servers each with a database of the same name,
    never share a log."""
    row = await conn.fetchrow(
        "SELECT (SELECT system_identifier::text FROM pg_control_system()) AS system, "
        "current_database() AS database"
    )
    return row["system"], row["database"]


def log_name(identity: tuple[str, str]) -> str:
    system, database = identity
    return f"ledger-heads-{system}-{quote(database, safe='')}.jsonl"


def heads_log_path(configured: str | None, var_dir: Path, identity: tuple[str, str]) -> Path | None:
    """The published heads' file of this database: `OVERSIGHT_LEDGER_HEADS_LOG` when set
    (a file of its own, for this database alone), None when `off`, else
    `var/ledger-heads-<system identifier>-<database>.jsonl`."""
    if configured is None:
        return var_dir / log_name(identity)
    if configured.strip().lower() in OFF:
        return None
    return Path(configured)


class Publisher:
    """Appends committed heads to one database's log; a failed append is logged, not
    raised (the heads stay in the database; the next ones may land)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def __call__(self, heads: Sequence[TreeHead]) -> None:
        if self.path is None:
            return
        try:
            append_heads(self.path, heads)
        except OSError as e:
            log.error("ledger_heads_not_published", file=str(self.path), error=type(e).__name__)


async def publisher_for(
    conn: asyncpg.Connection, configured: str | None, var_dir: Path
) -> Publisher:
    return Publisher(heads_log_path(configured, var_dir, await database_identity(conn)))
