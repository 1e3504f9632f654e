"""`oversight verify` against the database: everything recomputed, nothing trusted.

In one read-only REPEATABLE READ snapshot it streams, with server-side cursors:
the event store in notification order, the ledger's leaves, the seals and the stored
nodes, and checks:

1. each stored event against the ledger leaf with the same notification id: altered
   (same case and version, other bytes), reordered (another case or version there),
   removed (in the ledger, not in the store) or inserted (in the store among ledger
   entries, not in the ledger); events after the ledger's last one are pending;
2. the tree recomputed from the store's events: its root at every signed head's size
   must be that head's root (this holds however the ledger tables were rewritten);
3. every head's Ed25519 signature, and a consistency proof (from the stored nodes)
   between each pair of consecutive heads;
4. the ledger's own tree: its nodes recomputed from its leaves, and its roots at the
   heads (a rewritten ledger is named as such);
5. with the private key: each signed leaf's seal against the store's event at that
   position, which names the event even when the ledger was rewritten to match it.
   With only the public key, a mismatch is narrowed to the events between two heads.

The report's first problem names the first event that was altered, removed, inserted
or reordered: its leaf position, notification id, case id and version.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg

from ledger.heads import TreeHead
from ledger.keys import LedgerKey, seal
from ledger.merkle import (
    CompactRange,
    consistency_proof,
    event_leaf_hash,
    verify_consistency,
)
from projections.ledger import LedgerGap, all_heads, compute
from projections.runner import EVENTS_TABLE

EVENT_KINDS = ("altered", "reordered", "removed", "inserted")


@dataclass
class Problem:
    kind: str
    detail: str
    position: int | None = None
    notification_id: int | None = None
    case_id: UUID | None = None
    version: int | None = None

    def describe(self) -> str:
        where = []
        if self.position is not None:
            where.append(f"leaf {self.position}")
        if self.notification_id is not None:
            where.append(f"notification {self.notification_id}")
        if self.case_id is not None:
            where.append(f"case {self.case_id} version {self.version}")
        return f"{self.kind}: {', '.join(where)}{': ' if where else ''}{self.detail}"


@dataclass
class Report:
    events: int = 0
    leaves: int = 0
    heads: int = 0
    signed: int = 0  # leaves under the latest signed head
    sealed: int = 0
    pending: int = 0
    seals_checked: bool = False
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    _event_ids: set[int] = field(default_factory=set, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_event_problem(self) -> Problem | None:
        return next((p for p in self.problems if p.kind in EVENT_KINDS), None)

    def add(self, problem: Problem) -> None:
        # One event-level problem per event (the leaf check and the seal may both see it).
        if problem.kind in EVENT_KINDS and problem.notification_id is not None:
            if problem.notification_id in self._event_ids:
                return
            self._event_ids.add(problem.notification_id)
        self.problems.append(problem)

    def lines(self, limit: int = 20) -> list[str]:
        rate = self.events / self.seconds if self.seconds else 0.0
        out = [
            f"{self.events} events, {self.leaves} ledger leaves ({self.signed} under "
            f"{self.heads} signed heads, {self.sealed} sealed), {self.pending} events not "
            f"yet in the ledger ({self.seconds:.1f} s, {rate:,.0f} events/s)"
        ]
        if not self.seals_checked:
            out.append(
                "note: no private key given: seals were not checked; a rewritten ledger is "
                "narrowed to the events between two heads"
            )
        if self.ok:
            out.append("OK: every event, leaf, node, head and signature holds")
            return out
        first = self.first_event_problem
        if first is not None:
            out.append(f"FIRST TAMPERED EVENT: {first.describe()}")
        out.append(f"FAILED: {len(self.problems)} problem(s)")
        out += ["  " + p.describe() for p in self.problems[:limit]]
        if len(self.problems) > limit:
            out.append(f"  ... and {len(self.problems) - limit} more")
        return out


class _Stream:
    """Rows of a server-side cursor, fetched in batches, one at a time."""

    def __init__(self, conn: asyncpg.Connection, query: str, batch: int) -> None:
        self._conn, self._query, self._batch = conn, query, batch
        self._cursor: Any = None
        self._rows: list[asyncpg.Record] = []
        self._i = 0
        self._done = False

    async def next(self) -> asyncpg.Record | None:
        if self._i >= len(self._rows):
            if self._done:
                return None
            if self._cursor is None:
                self._cursor = await self._conn.cursor(self._query)
            self._rows = await self._cursor.fetch(self._batch)
            self._i = 0
            if len(self._rows) < self._batch:
                self._done = True
            if not self._rows:
                return None
        row = self._rows[self._i]
        self._i += 1
        return row


async def verify_database(
    conn: asyncpg.Connection,
    key: LedgerKey,
    *,
    batch: int = 5000,
    progress: Callable[[int], Any] | None = None,
) -> Report:
    started = time.perf_counter()
    report = Report(seals_checked=key.seal_key is not None)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        await _verify(conn, key, report, batch, progress)
    report.seconds = time.perf_counter() - started
    return report


async def _verify(
    conn: asyncpg.Connection,
    key: LedgerKey,
    report: Report,
    batch: int,
    progress: Callable[[int], Any] | None,
) -> None:
    heads = await all_heads(conn)
    report.heads = len(heads)
    report.signed = heads[-1].size if heads else 0
    head_sizes = {h.size for h in heads}
    last_ledger_nid = await conn.fetchval("SELECT max(notification_id) FROM views.ledger_leaves")
    seal_key = key.seal_key

    events = _Stream(
        conn,
        f"SELECT notification_id, originator_id, originator_version, topic, state "
        f"FROM {EVENTS_TABLE} ORDER BY notification_id",
        batch,
    )
    leaves = _Stream(
        conn,
        "SELECT position, notification_id, originator_id, originator_version, leaf_hash "
        "FROM views.ledger_leaves ORDER BY position",
        batch,
    )
    seals = _Stream(
        conn,
        "SELECT position, notification_id, seal FROM views.ledger_seals ORDER BY position",
        batch,
    )
    # Perfect nodes in the order appending leaves completes them.
    nodes = _Stream(
        conn,
        "SELECT level, node_index, hash FROM views.ledger_nodes "
        "ORDER BY (node_index + 1) << level, level",
        batch,
    )

    store_tree = CompactRange()
    ledger_tree = CompactRange()
    store_roots: dict[int, bytes] = {}
    ledger_roots: dict[int, bytes] = {}
    node_problems = 0

    next_seal = await seals.next()

    async def feed_store(e: asyncpg.Record, leaf: bytes) -> None:
        nonlocal next_seal
        position = store_tree.size
        store_tree.append(leaf)
        if store_tree.size in head_sizes:
            store_roots[store_tree.size] = store_tree.root()
        while next_seal is not None and next_seal["position"] < position:
            next_seal = await seals.next()
        if next_seal is not None and next_seal["position"] == position:
            report.sealed += 1
            if seal_key is not None:
                expected = seal(seal_key, position, e["notification_id"], leaf)
                if expected != next_seal["seal"]:
                    report.add(
                        Problem(
                            "altered",
                            "this event is not the one sealed at this position when its head "
                            "was signed (the ledger tables were rewritten to match it)",
                            position,
                            e["notification_id"],
                            e["originator_id"],
                            e["originator_version"],
                        )
                    )
            next_seal = await seals.next()

    async def feed_ledger(row: asyncpg.Record) -> None:
        nonlocal node_problems
        if row["position"] != ledger_tree.size:
            report.add(
                Problem(
                    "ledger-gap",
                    f"the ledger's leaves jump from {ledger_tree.size} to {row['position']}",
                    row["position"],
                )
            )
        for level, index, h in ledger_tree.append(row["leaf_hash"]):
            stored = await nodes.next()
            if stored is None or (stored["level"], stored["node_index"], stored["hash"]) != (
                level,
                index,
                h,
            ):
                node_problems += 1
                if node_problems <= 3:
                    report.add(
                        Problem(
                            "ledger-node",
                            f"stored node (level {level}, index {index}) does not match the "
                            "ledger's leaves",
                            index << level,
                        )
                    )
        if ledger_tree.size in head_sizes:
            ledger_roots[ledger_tree.size] = ledger_tree.root()

    reported = 0
    e = await events.next()
    lf = await leaves.next()
    while e is not None or lf is not None:
        if lf is None or (e is not None and e["notification_id"] < lf["notification_id"]):
            assert e is not None
            leaf = event_leaf_hash(
                e["originator_id"], e["originator_version"], e["topic"], e["state"]
            )
            if last_ledger_nid is None or e["notification_id"] > last_ledger_nid:
                report.pending += 1
            else:
                report.add(
                    Problem(
                        "inserted",
                        "this event is in the store but not in the ledger",
                        store_tree.size,
                        e["notification_id"],
                        e["originator_id"],
                        e["originator_version"],
                    )
                )
            await feed_store(e, leaf)
            report.events += 1
            e = await events.next()
        elif e is None or lf["notification_id"] < e["notification_id"]:
            report.add(
                Problem(
                    "removed",
                    "the ledger recorded this event; the store no longer has it",
                    lf["position"],
                    lf["notification_id"],
                    lf["originator_id"],
                    lf["originator_version"],
                )
            )
            await feed_ledger(lf)
            report.leaves += 1
            lf = await leaves.next()
        else:
            leaf = event_leaf_hash(
                e["originator_id"], e["originator_version"], e["topic"], e["state"]
            )
            if leaf != lf["leaf_hash"]:
                same = (e["originator_id"], e["originator_version"]) == (
                    lf["originator_id"],
                    lf["originator_version"],
                )
                report.add(
                    Problem(
                        "altered" if same else "reordered",
                        "its stored bytes no longer hash to the ledger's leaf"
                        if same
                        else f"the ledger recorded case {lf['originator_id']} version "
                        f"{lf['originator_version']} here",
                        lf["position"],
                        e["notification_id"],
                        e["originator_id"],
                        e["originator_version"],
                    )
                )
            await feed_store(e, leaf)
            await feed_ledger(lf)
            report.events += 1
            report.leaves += 1
            e = await events.next()
            lf = await leaves.next()
        if progress is not None and report.events - reported >= batch:
            progress(report.events - reported)
            reported = report.events
    if progress is not None:
        progress(report.events - reported)
    if node_problems > 3:
        report.add(Problem("ledger-node", f"{node_problems - 3} more stored nodes differ"))
    if await nodes.next() is not None:
        report.add(Problem("ledger-node", "the ledger stores nodes beyond its leaves"))

    await _check_heads(conn, key, heads, store_roots, ledger_roots, report)


async def _check_heads(
    conn: asyncpg.Connection,
    key: LedgerKey,
    heads: list[TreeHead],
    store_roots: dict[int, bytes],
    ledger_roots: dict[int, bytes],
    report: Report,
) -> None:
    previous: TreeHead | None = None
    narrowed = False
    for head in heads:
        if head.key_id != key.key_id:
            report.add(Problem("head-key", f"head {head.size} was signed by key {head.key_id}"))
        elif not head.verify(key):
            report.add(Problem("head-signature", f"head {head.size}: the signature is invalid"))
        if previous is not None and head.timestamp < previous.timestamp:
            report.add(
                Problem("head-time", f"head {head.size} is dated before head {previous.size}")
            )
        store_root = store_roots.get(head.size)
        if store_root is None:
            report.add(
                Problem(
                    "head-beyond-store",
                    f"head {head.size} was signed, but the store has only {report.events} events",
                    report.events,
                )
            )
        elif store_root != head.root:
            report.add(
                Problem(
                    "head-root",
                    f"the store's first {head.size} events do not hash to head {head.size}'s root",
                )
            )
            if report.first_event_problem is None and not narrowed:
                narrowed = True
                await _narrow(conn, previous, head, report)
        ledger_root = ledger_roots.get(head.size)
        if ledger_root is not None and ledger_root != head.root:
            report.add(
                Problem(
                    "ledger-rewritten",
                    f"the ledger's first {head.size} leaves do not hash to head {head.size}'s "
                    "root: the ledger tables were changed after it was signed",
                )
            )
        if previous is not None and ledger_root is not None:
            await _check_consistency(conn, previous, head, report)
        previous = head


async def _check_consistency(
    conn: asyncpg.Connection, first: TreeHead, second: TreeHead, report: Report
) -> None:
    try:
        proof = await compute(conn, lambda get: consistency_proof(first.size, second.size, get))
    except LedgerGap as e:
        report.add(Problem("consistency", f"heads {first.size} -> {second.size}: {e}"))
        return
    if not verify_consistency(first.size, second.size, first.root, second.root, proof):
        report.add(
            Problem(
                "consistency",
                f"the ledger cannot prove head {second.size} extends head {first.size}",
            )
        )


async def _narrow(
    conn: asyncpg.Connection, previous: TreeHead | None, head: TreeHead, report: Report
) -> None:
    """Without seals: the change lies between the last head that holds and this one."""
    start = previous.size if previous is not None else 0
    rows = await conn.fetch(
        "SELECT position, notification_id FROM views.ledger_leaves "
        "WHERE position IN ($1, $2) ORDER BY position",
        start,
        head.size - 1,
    )
    span = " to ".join(f"notification {r['notification_id']}" for r in rows)
    report.add(
        Problem(
            "head-root",
            f"an event among leaves {start}..{head.size - 1} ({span}) differs from what was "
            "signed; give the private key to name it",
        )
    )
