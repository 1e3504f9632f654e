"""View `ledger`: every stored event, in notification order, as a leaf of an RFC 9162
Merkle tree (ledger/merkle.py), and the queries that read roots and proofs from it.

Tables (schema `views`):
- `ledger_leaves(position, notification_id, originator_id, originator_version, leaf_hash)`:
  leaf `position` (0..n-1) is the n-th stored event; the case id and version are kept
  so a removed event can still be named.
- `ledger_nodes(level, node_index, hash)`: every perfect subtree of level >= 1
  (level 0 are the leaves), so a root or proof of any size is O(log n) lookups.
- `ledger_heads(size, root, signed_at, timestamp_ms, signature, key_id)`: signed tree
  heads (ledger/signer.py), and `ledger_seals(position, notification_id, seal)`.
- `ledger_origin(origin)`: the log's name in its C2SP checkpoints, recorded with the
  first one (ledger/checkpoint.py).
- `ledger_map(case_id, case_type, version, leaf_index)`: the case map (ledger/casemap.py)
  as of the latest signed head, kept by the signer with the heads (whose `map_root`
  commits to it); not rebuilt from the store.
- `ledger_key_rotations(...)`: statements handing signing over from one key to the
  next, each signed by both (ledger/rotation.py): evidence, like the heads.
- `ledger_arrivals(first_position, recorded_at)`: when each batch of leaves reached the
  ledger (the database's clock), from its first leaf on: how long a leaf has waited
  for a signed head (`oversight verify`).

Leaves and nodes are derived from the store and are rebuilt like any view. Heads and
seals are evidence made with the key: they are NOT in `tables`, so a rebuild (or a
version bump) never drops them, and the rebuilt tree is checked against them. Arrival
times are not in `tables` either: a rebuild gives the same leaves and nodes, row for
row, and the first arrival of a position is kept.

Appending keeps the tree's right edge (a `CompactRange`, at most 64 hashes) loaded from
the stored nodes, so a batch costs O(batch + log n), never a pass over the whole tree.
The leaf is the hash of the event's bytes as stored, which the runner hands over with
the decoded event (`StoredEvent.stored`): nothing is read twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import asyncpg

from domain.store import EVENTS_TABLE
from ledger.heads import TreeHead, from_ms
from ledger.merkle import (
    CompactRange,
    NodeGetter,
    event_leaf_hashes,
    frontier_nodes,
    nodes_needed,
)
from ledger.rotation import KeyRotation
from projections.runner import StoredEvent

CREATE_SQL = """
CREATE TABLE IF NOT EXISTS views.ledger_leaves (
    position bigint PRIMARY KEY,
    notification_id bigint NOT NULL UNIQUE,
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    leaf_hash bytea NOT NULL
);
CREATE TABLE IF NOT EXISTS views.ledger_nodes (
    level smallint NOT NULL,
    node_index bigint NOT NULL,
    hash bytea NOT NULL,
    PRIMARY KEY (level, node_index)
);
CREATE TABLE IF NOT EXISTS views.ledger_heads (
    size bigint PRIMARY KEY,
    root bytea NOT NULL,
    signed_at timestamptz NOT NULL,
    timestamp_ms bigint NOT NULL,
    signature bytea NOT NULL,
    key_id text NOT NULL
);
ALTER TABLE views.ledger_heads ADD COLUMN IF NOT EXISTS map_root bytea;
ALTER TABLE views.ledger_heads ADD COLUMN IF NOT EXISTS checkpoint text;
CREATE TABLE IF NOT EXISTS views.ledger_map (
    case_id uuid PRIMARY KEY,
    case_type text NOT NULL,
    version bigint NOT NULL,
    leaf_index bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_map_leaf_index ON views.ledger_map (leaf_index);
CREATE TABLE IF NOT EXISTS views.ledger_origin (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    origin text NOT NULL
);
CREATE TABLE IF NOT EXISTS views.ledger_seals (
    position bigint PRIMARY KEY,
    notification_id bigint NOT NULL,
    seal bytea NOT NULL
);
CREATE TABLE IF NOT EXISTS views.ledger_key_rotations (
    old_key_id text NOT NULL,
    new_key_id text NOT NULL,
    size bigint NOT NULL,
    root bytea NOT NULL,
    timestamp_ms bigint NOT NULL,
    old_public bytea NOT NULL,
    new_public bytea NOT NULL,
    old_signature bytea NOT NULL,
    new_signature bytea NOT NULL,
    PRIMARY KEY (old_key_id, new_key_id)
);
CREATE TABLE IF NOT EXISTS views.ledger_arrivals (
    first_position bigint PRIMARY KEY,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
"""


class LedgerGap(Exception):
    """The ledger lacks nodes a root or proof needs (it is behind, or was damaged)."""


class Ledger:
    name = "ledger"
    rebuild_cost = 1.5  # relative Python time per event (oversight/rebuild.py)
    tables = ("views.ledger_leaves", "views.ledger_nodes")
    version = 1

    async def create(self, conn: asyncpg.Connection) -> None:
        await conn.execute(CREATE_SQL)

    async def apply(self, conn: asyncpg.Connection, events: Sequence[StoredEvent]) -> None:
        size = await ledger_size(conn)
        coords = frontier_nodes(size)
        nodes = await fetch_nodes(conn, coords)
        tree = CompactRange(size, [nodes[c] for c in coords])
        if any(e.stored is None for e in events):
            raise ValueError("the ledger hashes events as stored: the runner gives their bytes")
        hashes = event_leaf_hashes((e.case_id, e.version, e.topic, e.stored) for e in events)
        leaves = [
            (size + i, e.position, e.case_id, e.version, leaf)
            for i, (e, leaf) in enumerate(zip(events, hashes, strict=True))
        ]
        completed, _ = tree.extend(hashes)
        await conn.execute(
            "INSERT INTO views.ledger_arrivals (first_position) VALUES ($1) "
            "ON CONFLICT (first_position) DO NOTHING",
            size,
        )
        await conn.copy_records_to_table(
            "ledger_leaves",
            schema_name="views",
            columns=[
                "position",
                "notification_id",
                "originator_id",
                "originator_version",
                "leaf_hash",
            ],
            records=leaves,
        )
        if completed:
            await conn.copy_records_to_table(
                "ledger_nodes",
                schema_name="views",
                columns=["level", "node_index", "hash"],
                records=completed,
            )


LEDGER = Ledger()


async def ledger_size(conn: asyncpg.Connection) -> int:
    size: int = await conn.fetchval(
        "SELECT coalesce(max(position) + 1, 0) FROM views.ledger_leaves"
    )
    return size


async def fetch_nodes(
    conn: asyncpg.Connection, coords: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    """The stored hashes of perfect subtrees by (level, index); raises LedgerGap if any
    is missing."""
    wanted = set(coords)
    leaves = [i for level, i in wanted if level == 0]
    inner = [(level, i) for level, i in wanted if level > 0]
    found: dict[tuple[int, int], bytes] = {}
    if leaves:
        for r in await conn.fetch(
            "SELECT position, leaf_hash FROM views.ledger_leaves "
            "WHERE position = ANY($1::bigint[])",
            leaves,
        ):
            found[(0, r["position"])] = r["leaf_hash"]
    if inner:
        for r in await conn.fetch(
            "SELECT n.level, n.node_index, n.hash FROM views.ledger_nodes n "
            "JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, node_index) "
            "USING (level, node_index)",
            [lv for lv, _ in inner],
            [i for _, i in inner],
        ):
            found[(r["level"], r["node_index"])] = r["hash"]
    missing = wanted - found.keys()
    if missing:
        raise LedgerGap(f"the ledger has no node {min(missing)}")
    return found


async def compute[T](conn: asyncpg.Connection, build: Callable[[NodeGetter], T]) -> T:
    """Run a root/proof computation on stored nodes: one query for every node it reads."""
    nodes = await fetch_nodes(conn, nodes_needed(build))
    return build(lambda level, index: nodes[(level, index)])


def _head(row: asyncpg.Record) -> TreeHead:
    return TreeHead(
        size=row["size"],
        root=row["root"],
        timestamp=row["timestamp_ms"],
        signature=row["signature"],
        key_id=row["key_id"],
        map_root=row["map_root"],
        checkpoint=row["checkpoint"],
    )


_HEAD_COLUMNS = "size, root, timestamp_ms, signature, key_id, map_root, checkpoint"


async def latest_head(conn: asyncpg.Connection) -> TreeHead | None:
    row = await conn.fetchrow(
        f"SELECT {_HEAD_COLUMNS} FROM views.ledger_heads ORDER BY size DESC LIMIT 1"
    )
    return None if row is None else _head(row)


async def head_at(conn: asyncpg.Connection, size: int) -> TreeHead | None:
    row = await conn.fetchrow(
        f"SELECT {_HEAD_COLUMNS} FROM views.ledger_heads WHERE size = $1", size
    )
    return None if row is None else _head(row)


async def log_origin(conn: asyncpg.Connection, default: str, *, keep: bool = False) -> str:
    """The log's checkpoint origin: the one recorded with its first checkpoint, so a
    database renamed or restored elsewhere keeps it; else `default` (recorded as the
    origin from now on with `keep`, which the signer does in its transaction)."""
    found: str | None = await conn.fetchval("SELECT origin FROM views.ledger_origin")
    if found is not None:
        return found
    if keep:
        await conn.execute(
            "INSERT INTO views.ledger_origin (origin) VALUES ($1) ON CONFLICT DO NOTHING",
            default,
        )
        kept: str = await conn.fetchval("SELECT origin FROM views.ledger_origin")
        return kept
    return default


async def latest_checkpoint(conn: asyncpg.Connection) -> str | None:
    """The latest head's C2SP checkpoint (heads signed before checkpoints have none)."""
    checkpoint: str | None = await conn.fetchval(
        "SELECT checkpoint FROM views.ledger_heads WHERE checkpoint IS NOT NULL "
        "ORDER BY size DESC LIMIT 1"
    )
    return checkpoint


async def all_heads(conn: asyncpg.Connection) -> list[TreeHead]:
    """Every head, also from a database the service has not migrated yet (`oversight
    verify` reads, never migrates): heads without the columns have no map or checkpoint."""
    columns = _HEAD_COLUMNS
    found = await conn.fetchval(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'views' "
        "AND table_name = 'ledger_heads' AND column_name IN ('map_root', 'checkpoint')"
    )
    if found < 2:
        columns = _HEAD_COLUMNS.replace(
            "map_root, checkpoint", "NULL AS map_root, NULL AS checkpoint"
        )
    rows = await conn.fetch(f"SELECT {columns} FROM views.ledger_heads ORDER BY size")
    return [_head(r) for r in rows]


async def insert_heads(conn: asyncpg.Connection, heads: Sequence[TreeHead]) -> None:
    await conn.executemany(
        "INSERT INTO views.ledger_heads (size, root, signed_at, timestamp_ms, signature, "
        "key_id, map_root, checkpoint) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT (size) DO NOTHING",
        [
            (
                h.size,
                h.root,
                from_ms(h.timestamp),
                h.timestamp,
                h.signature,
                h.key_id,
                h.map_root,
                h.checkpoint,
            )
            for h in heads
        ],
    )


_ROTATION_COLUMNS = "size, root, timestamp_ms, old_public, new_public, old_signature, new_signature"


async def key_rotations(conn: asyncpg.Connection) -> list[KeyRotation]:
    """The recorded key rotations (valid or not: the reader checks), oldest first."""
    rows = await conn.fetch(
        f"SELECT {_ROTATION_COLUMNS} FROM views.ledger_key_rotations ORDER BY size, timestamp_ms"
    )
    return [KeyRotation(*r.values()) for r in rows]


async def insert_rotation(conn: asyncpg.Connection, rotation: KeyRotation) -> None:
    await conn.execute(
        "INSERT INTO views.ledger_key_rotations (old_key_id, new_key_id, "
        f"{_ROTATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        rotation.old_key_id,
        rotation.new_key_id,
        rotation.size,
        rotation.root,
        rotation.timestamp,
        rotation.old_public,
        rotation.new_public,
        rotation.old_signature,
        rotation.new_signature,
    )


async def leaf_of(conn: asyncpg.Connection, notification_id: int) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT position, notification_id, originator_id, originator_version, leaf_hash "
        "FROM views.ledger_leaves WHERE notification_id = $1",
        notification_id,
    )
    return None if row is None else dict(row)


async def case_events(conn: asyncpg.Connection, case_id: Any) -> list[dict[str, Any]]:
    """A case's events as stored, with their leaf position (None while the ledger lags)."""
    rows = await conn.fetch(
        f"SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, "
        f"l.position FROM {EVENTS_TABLE} e "
        f"LEFT JOIN views.ledger_leaves l USING (notification_id) "
        f"WHERE e.originator_id = $1 ORDER BY e.originator_version",
        case_id,
    )
    return [dict(r) for r in rows]


async def case_map_entries(
    conn: asyncpg.Connection, since: int = 0
) -> list[tuple[Any, str, int, int]]:
    """The case map's entries as of the latest head whose last version is at leaf
    `since` or later (all of them from 0): (case id, case type, version, leaf index)."""
    rows = await conn.fetch(
        "SELECT case_id, case_type, version, leaf_index FROM views.ledger_map "
        "WHERE leaf_index >= $1",
        since,
    )
    return [tuple(r.values()) for r in rows]


async def save_case_map_entries(
    conn: asyncpg.Connection, entries: Sequence[tuple[Any, str, int, int]]
) -> None:
    if not entries:
        return
    await conn.execute(
        "INSERT INTO views.ledger_map (case_id, case_type, version, leaf_index) "
        "SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::bigint[]) "
        "ON CONFLICT (case_id) DO UPDATE SET case_type = excluded.case_type, "
        "version = excluded.version, leaf_index = excluded.leaf_index",
        [e[0] for e in entries],
        [e[1] for e in entries],
        [e[2] for e in entries],
        [e[3] for e in entries],
    )


async def case_map_from_leaves(
    conn: asyncpg.Connection, size: int
) -> list[tuple[Any, str, int, int]]:
    """Each case's last event among the ledger's first `size` leaves, with its topic:
    (case id, topic, version, leaf index), for a map no head committed to yet."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (l.originator_id) l.originator_id, e.topic, "
        "l.originator_version, l.position FROM views.ledger_leaves l "
        f"JOIN {EVENTS_TABLE} e USING (notification_id) WHERE l.position < $1 "
        "ORDER BY l.originator_id, l.position DESC",
        size,
    )
    return [tuple(r.values()) for r in rows]
