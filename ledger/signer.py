"""Signing tree heads: at least every N events (a head at each multiple of N past the
last head) and, once M seconds passed since the last head, at the current size.

Before it signs, the signer re-derives what it signs instead of trusting the view:
it starts from the right edge of the last signed head (checked against that head's
root), recomputes every new leaf from the event store's bytes, and compares with the
ledger's leaves and stored nodes. Any disagreement refuses the signature (logged as
`ledger_refused_to_sign`): it never signs over a tree that contradicts an earlier head.
Each newly signed leaf also gets its seal (ledger/keys.py). One signer at a time: the
transaction holds an advisory lock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import asyncpg
import structlog

from domain.store import EVENTS_TABLE
from ledger.casemap import CaseMap, Entry
from ledger.casemaps import CaseMapMismatch, case_map_at, case_type_of, entries_of, keep
from ledger.checkpoint import origin_of
from ledger.config import LedgerConfig
from ledger.heads import TreeHead, to_ms
from ledger.keys import KeyFileError, LedgerKey, seal
from ledger.merkle import CompactRange, event_leaf_hash, frontier_nodes, tree_root
from ledger.published import database_identity, publisher_for
from ledger.rotation import key_in_force
from ledger.view import (
    LedgerGap,
    compute,
    fetch_nodes,
    insert_heads,
    key_rotations,
    latest_head,
    ledger_size,
    log_origin,
    save_case_map_entries,
)

log = structlog.get_logger(__name__)

SIGNER_LOCK = "SELECT pg_advisory_xact_lock(hashtext('oversight.ledger.signer'))"
# Heads signed in one pass (transaction) at most, unless forced: after a bulk load or a
# long stop the signer catches up in passes of ~100k events instead of loading every
# unsigned event at once (a million of them were over 500 MB in the server).
MAX_HEADS_PER_PASS = 100


class LedgerMismatch(Exception):
    """The ledger disagrees with the event store or with a head already signed."""

    def __init__(self, detail: str, *, position: int | None = None) -> None:
        super().__init__(detail)
        self.position = position


class LedgerKeyMismatch(Exception):
    """The key at hand is not the one in force: the last head was signed by another key
    and no rotation (ledger/rotation.py) hands over to this one. Signing with it would
    fork the ledger, so the signer stops (the supervisor retries: a corrected key file
    is picked up) and readiness says the signer is not running."""

    def __init__(self, expected: str, loaded: str) -> None:
        super().__init__(
            f"the ledger's last head was signed by key {expected}, and no recorded "
            f"rotation hands over to key {loaded}: point OVERSIGHT_LEDGER_KEY at the key "
            "in force, or rotate to the new key with `oversight ledger rotate-key --new FILE`"
        )
        self.expected = expected
        self.loaded = loaded


@dataclass(frozen=True)
class SigningPolicy:
    every_events: int = 1000
    every_seconds: float = 60.0


def _now() -> datetime:
    return datetime.now(UTC)


Publish = Callable[[list[TreeHead]], None]


async def sign_due(
    conn: asyncpg.Connection,
    key: LedgerKey,
    policy: SigningPolicy,
    *,
    now: datetime | None = None,
    force: bool = False,
    max_heads: int = MAX_HEADS_PER_PASS,
    publish: Publish | None = None,
) -> list[TreeHead]:
    """Sign the heads that are due, at most `max_heads` of them (all, up to the current
    size, when `force`); returns them. More may be due after a full pass. Once they
    are committed, `publish` gets them (ledger/published.py: outside the database)."""
    heads = await _sign_due(conn, key, policy, now=now, force=force, max_heads=max_heads)
    if heads and publish is not None:
        publish(heads)
    return heads


async def _sign_due(
    conn: asyncpg.Connection,
    key: LedgerKey,
    policy: SigningPolicy,
    *,
    now: datetime | None,
    force: bool,
    max_heads: int,
) -> list[TreeHead]:
    async with conn.transaction():
        await conn.execute(SIGNER_LOCK)
        size = await ledger_size(conn)
        last = await latest_head(conn)
        if last is not None:  # one chain of keys: never a second ledger under a new key
            expected = key_in_force(last, await key_rotations(conn))
            if expected != key.key_id:
                raise LedgerKeyMismatch(expected, key.key_id)
        last_size = last.size if last else 0
        if size <= last_size:
            return []
        now_ms = to_ms(now or _now())
        if last is not None:
            now_ms = max(now_ms, last.timestamp)
        step = max(1, policy.every_events)
        targets = list(range(last_size + step, size + 1, step))
        time_due = last is None or now_ms - last.timestamp >= policy.every_seconds * 1000
        if not force and len(targets) >= max_heads:
            targets = targets[:max_heads]  # catching up: the rest in the next passes
        elif (force or time_due) and (not targets or targets[-1] != size):
            targets.append(size)
        if not targets:
            return []
        try:
            case_map, unsaved = await case_map_at(conn, last)
            roots, map_roots, seals, touched = await _recompute(conn, key, last, targets, case_map)
        except (LedgerGap, CaseMapMismatch) as e:
            raise LedgerMismatch(str(e)) from None
        # Each head also as a checkpoint, under the origin recorded with the first one.
        origin = await log_origin(conn, origin_of(await database_identity(conn)), keep=True)
        heads = [
            TreeHead.sign(key, s, roots[s], now_ms, map_roots[s], origin=origin) for s in targets
        ]
        await insert_heads(conn, heads)
        await save_case_map_entries(conn, entries_of(case_map, None if unsaved else touched))
        await conn.execute(
            "INSERT INTO views.ledger_seals (position, notification_id, seal) "
            "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) "
            "ON CONFLICT (position) DO NOTHING",
            [p for p, _, _ in seals],
            [n for _, n, _ in seals],
            [s for _, _, s in seals],
        )
        log.info("ledger_heads_signed", sizes=targets[-3:], count=len(targets))
    await keep(conn, case_map, targets[-1])  # committed: the next pass starts from it
    return heads


async def _recompute(
    conn: asyncpg.Connection,
    key: LedgerKey,
    last: TreeHead | None,
    targets: list[int],
    case_map: CaseMap,
) -> tuple[dict[int, bytes], dict[int, bytes], list[tuple[int, int, bytes]], set[UUID]]:
    """The roots of the tree and of the case map at each target size, the seals of the
    new leaves and the cases they touched (the case map brought up to the last target)."""
    last_size = last.size if last else 0
    coords = frontier_nodes(last_size)
    nodes = await fetch_nodes(conn, coords)
    tree = CompactRange(last_size, [nodes[c] for c in coords])
    if last is not None and tree.root() != last.root:
        raise LedgerMismatch(
            f"the ledger's first {last_size} leaves no longer match the head signed at that size",
            position=last_size,
        )
    seal_key = key.seal_key
    assert seal_key is not None
    wanted = set(targets)
    roots: dict[int, bytes] = {}
    map_roots: dict[int, bytes] = {}
    touched: set[UUID] = set()
    pending: dict[UUID, tuple[str, int, int]] = {}
    seals: list[tuple[int, int, bytes]] = []
    rows = await conn.fetch(
        f"SELECT l.position, l.notification_id, l.leaf_hash, e.originator_id, "
        f"e.originator_version, e.topic, e.state FROM views.ledger_leaves l "
        f"LEFT JOIN {EVENTS_TABLE} e USING (notification_id) "
        f"WHERE l.position >= $1 AND l.position < $2 ORDER BY l.position",
        last_size,
        targets[-1],
    )
    for row in rows:
        position = row["position"]
        if position != tree.size:
            raise LedgerMismatch(f"the ledger has no leaf {tree.size}", position=tree.size)
        if row["topic"] is None:
            raise LedgerMismatch(
                f"leaf {position}: notification {row['notification_id']} is not in the store",
                position=position,
            )
        leaf = event_leaf_hash(
            row["originator_id"], row["originator_version"], row["topic"], row["state"]
        )
        if leaf != row["leaf_hash"]:
            raise LedgerMismatch(
                f"leaf {position}: notification {row['notification_id']} differs from the ledger",
                position=position,
            )
        tree.append(leaf)
        # Only each case's last event before a head counts: set once per head.
        pending[row["originator_id"]] = (row["topic"], row["originator_version"], position)
        seals.append(
            (
                position,
                row["notification_id"],
                seal(seal_key, position, row["notification_id"], leaf),
            )
        )
        if tree.size in wanted:
            roots[tree.size] = tree.root()
            for case_id, (topic, version, at) in pending.items():
                case_map.set(case_id, Entry(case_type_of(topic), version, at))
            touched.update(pending)
            pending.clear()
            map_roots[tree.size] = case_map.root()
    if tree.size != targets[-1]:
        raise LedgerMismatch(f"the ledger has no leaf {tree.size}", position=tree.size)
    final = targets[-1]
    stored = await compute(conn, lambda get: tree_root(final, get))
    if stored != roots[final]:
        raise LedgerMismatch(f"the ledger's nodes give another root at size {final}")
    return roots, map_roots, seals, touched


async def run_signer(
    pool: asyncpg.Pool,
    key: LedgerKey,
    policy: SigningPolicy,
    stop: asyncio.Event,
    *,
    poll_seconds: float = 1.0,
    clock: Callable[[], datetime] = _now,
    publish: Publish | None = None,
) -> None:
    """Sign due heads until `stop` is set. A refusal to sign (`LedgerMismatch`) is
    logged once and the signer keeps watching; any other failure (a lost connection,
    an unreachable database) raises, for the supervisor (projections/supervision.py)
    to log and to run the signer again after a backoff, on a fresh connection."""
    reported: str | None = None
    interval = max(0.05, min(poll_seconds, policy.every_seconds))
    while not stop.is_set():
        try:
            async with pool.acquire() as conn:
                signed = await sign_due(conn, key, policy, now=clock(), publish=publish)
            reported = None
            if len(signed) >= MAX_HEADS_PER_PASS:
                continue  # catching up: the next pass at once
        except LedgerKeyMismatch as e:
            log.error(
                "ledger_key_mismatch",
                expected_key_id=e.expected,
                loaded_key_id=e.loaded,
                problem=str(e),
            )
            raise
        except LedgerMismatch as e:
            if str(e) != reported:
                log.error("ledger_refused_to_sign", problem=str(e), position=e.position)
                reported = str(e)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


async def run_ledger_signer(pool: asyncpg.Pool, config: LedgerConfig, stop: asyncio.Event) -> None:
    """The signer as `oversight serve` and `oversight worker` run it (from the settings'
    `LedgerConfig`). Without its key it cannot sign: that is logged and raised (the
    supervisor tries again after a backoff, and `/readyz` says the signer is not running)."""
    try:
        key = config.signing_key()
    except KeyFileError as e:
        log.error("ledger_key_unavailable", problem=str(e))
        raise
    policy = SigningPolicy(config.head_events, config.head_seconds)
    async with pool.acquire() as conn:  # this database's own published log
        publish = await publisher_for(conn, config.heads_log, config.var_dir)
    await run_signer(
        pool,
        key,
        policy,
        stop,
        poll_seconds=config.poll_seconds,
        publish=publish,
    )
