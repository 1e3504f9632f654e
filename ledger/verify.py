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

Speed (docs/performance.md): one event, one leaf, one node and one seal at a time is
the definition (`_Walk._step`), but it costs a dozen Python calls and objects per
event. Most chunks of a store are honest, so `_Walk._bulk` certifies a chunk at once
(list comparisons, one tree for the store and the ledger while they agree, leaf
hashes and seals in tight loops) and hands anything doubtful to `_step`; the cursors
read ahead so the server fetches the next batch while Python hashes this one. Every
hash is still computed here, from the bytes as stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import itertools
import struct
import time
from collections.abc import Callable, Iterator, Sequence
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
    event_leaf_hashes,
    nodes_needed,
    verify_consistency,
)
from projections.ledger import LedgerGap, all_heads, compute, fetch_nodes
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
    published: int = 0  # heads checked from outside the database
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
        if self.published:
            out.append(f"{self.published} published heads (kept outside the database) checked")
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
    """Rows of a server-side cursor, fetched in batches, with look-ahead (the bulk path
    looks at the next rows before it knows whether it may consume them) and read-ahead:
    the next batch is asked for as soon as the current one arrives, so the server
    reads it while verify hashes. The streams share one connection, which runs one
    statement at a time: `lock` queues their fetches."""

    def __init__(
        self, conn: asyncpg.Connection, query: str, batch: int, lock: asyncio.Lock
    ) -> None:
        self._conn, self._query, self._batch, self._lock = conn, query, batch, lock
        self._cursor: Any = None
        self._rows: list[asyncpg.Record] = []
        self._i = 0
        self._done = False
        self._ahead: asyncio.Future[list[asyncpg.Record]] | None = None

    async def _fetch(self) -> list[asyncpg.Record]:
        async with self._lock:
            if self._cursor is None:
                self._cursor = await self._conn.cursor(self._query)
            return await self._cursor.fetch(self._batch)

    def read_ahead(self) -> None:
        """Queue the fetch of the next batch (it runs whenever the caller awaits)."""
        if self._ahead is None and not self._done:
            self._ahead = asyncio.ensure_future(self._fetch())

    async def fill(self, n: int) -> int:
        """Buffer at least `n` unread rows (fewer at the end); returns how many there are."""
        while len(self._rows) - self._i < n and not self._done:
            self.read_ahead()
            assert self._ahead is not None
            more = await self._ahead
            self._ahead = None
            if len(more) < self._batch:
                self._done = True
            self._rows = self._rows[self._i :] + more
            self._i = 0
            self.read_ahead()
        return len(self._rows) - self._i

    async def close(self) -> None:
        """Wait for a fetch still under way: the connection must be free afterwards."""
        if self._ahead is not None:
            with contextlib.suppress(Exception):
                await self._ahead
            self._ahead = None

    def window(self, n: int) -> list[asyncpg.Record]:
        """The next `n` buffered rows, not consumed."""
        return self._rows[self._i : self._i + n]

    def advance(self, n: int) -> None:
        self._i += n

    async def peek(self) -> asyncpg.Record | None:
        if self._i >= len(self._rows) and not await self.fill(1):
            return None
        return self._rows[self._i]

    async def next(self) -> asyncpg.Record | None:
        row = await self.peek()
        if row is not None:
            self._i += 1
        return row


_SEAL_INPUT = struct.Struct(">QQ")  # as ledger/keys.py: position || notification id


class _Sealer:
    """`ledger.keys.seal`, with the HMAC key's two padded blocks hashed once (RFC 2104):
    per leaf, two hash copies instead of a fresh HMAC, about half the cost of checking
    every seal. tests/unit/test_merkle.py checks it against `seal`."""

    _BLOCK = 64  # SHA-256's block size

    def __init__(self, key: bytes) -> None:
        if len(key) > self._BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(self._BLOCK, b"\x00")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def __call__(self, position: int, notification_id: int, leaf: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(_SEAL_INPUT.pack(position, notification_id) + leaf)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


async def verify_database(
    conn: asyncpg.Connection,
    key: LedgerKey,
    *,
    batch: int = 5000,
    progress: Callable[[int], Any] | None = None,
    published: Sequence[TreeHead] = (),
) -> Report:
    """Check the store against its ledger and signed heads, and against `published`:
    heads kept outside the database (ledger/published.py), which a rewrite of the whole
    database cannot change."""
    started = time.perf_counter()
    batch = max(1, batch)
    report = Report(seals_checked=key.seal_key is not None)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        heads = await all_heads(conn)
        report.heads = len(heads)
        report.signed = heads[-1].size if heads else 0
        walk = _Walk(conn, key, report, [*heads, *published], batch, progress)
        try:
            with _no_cycle_collection():
                await walk.run()
        finally:
            await walk.close()
        await _check_heads(conn, key, heads, walk.store_roots, walk.ledger_roots, report)
        _check_published(key, published, heads, walk.store_roots, report)
    report.seconds = time.perf_counter() - started
    return report


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The walk allocates millions of records (container objects) and makes no
    reference cycles; the cycle collector would still scan each batch several times
    (a third of the fetching time on a million events). Off for the walk only, then
    as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Walk:
    """One pass over the store and the ledger, merged by notification id.

    `_step` takes one event and/or one leaf and says everything wrong with them: it is
    the definition of what verify reports. Most of a store is honest, and checking it
    row by row costs Python objects and calls per event, so `_bulk` first tries to
    certify a whole chunk at once (same notification ids, equal leaves, the expected
    nodes and seals) with list comparisons and tight hashing loops. It only ever
    commits a chunk in which `_step` would have found nothing, leaving exactly the state
    `_step` would have left; any doubt and the chunk goes row by row, so the problems
    reported, and their order, are `_step`'s alone.
    """

    # Columns: the events' first four are what `event_leaf_hashes` reads.
    EVENTS = (
        "SELECT originator_id, originator_version, topic, state, notification_id "
        f"FROM {EVENTS_TABLE} ORDER BY notification_id"
    )
    LEAVES = (
        "SELECT position, notification_id, originator_id, originator_version, leaf_hash "
        "FROM views.ledger_leaves ORDER BY position"
    )
    SEALS = "SELECT position, seal FROM views.ledger_seals ORDER BY position"
    # Perfect nodes in the order appending leaves completes them.
    NODES = (
        "SELECT level, node_index, hash FROM views.ledger_nodes "
        "ORDER BY (node_index + 1) << level, level"
    )

    def __init__(
        self,
        conn: asyncpg.Connection,
        key: LedgerKey,
        report: Report,
        heads: list[TreeHead],
        batch: int,
        progress: Callable[[int], Any] | None,
    ) -> None:
        self.conn, self.report, self.batch, self.progress = conn, report, batch, progress
        self.head_sizes = frozenset(h.size for h in heads)
        self.seal_key = key.seal_key
        self.sealer = _Sealer(self.seal_key) if self.seal_key is not None else None
        lock = asyncio.Lock()
        self.events = _Stream(conn, self.EVENTS, batch, lock)
        self.leaves = _Stream(conn, self.LEAVES, batch, lock)
        self.seals = _Stream(conn, self.SEALS, batch, lock)
        self.nodes = _Stream(conn, self.NODES, batch, lock)
        self.store_tree = CompactRange()
        self.ledger_tree = CompactRange()
        self.store_roots: dict[int, bytes] = {}
        self.ledger_roots: dict[int, bytes] = {}
        self.node_problems = 0
        self.last_ledger_nid: int | None = None
        # The two trees have had the same leaves so far (the bulk path builds one for
        # both); appending the same leaves to two different trees never rejoins them.
        self.in_step = True

    async def run(self) -> None:
        report = self.report
        self.last_ledger_nid = await self.conn.fetchval(
            "SELECT max(notification_id) FROM views.ledger_leaves"
        )
        for stream in (self.events, self.leaves, self.nodes, self.seals):
            stream.read_ahead()
        reported = 0
        row_by_row = 0  # after a chunk the bulk path refused: its rows, one at a time
        while True:
            if row_by_row <= 0 and await self._bulk():
                pass
            elif await self._step():
                row_by_row = row_by_row - 1 if row_by_row > 0 else self.batch - 1
            else:
                break
            if self.progress is not None and report.events - reported >= self.batch:
                self.progress(report.events - reported)
                reported = report.events
        if self.progress is not None:
            self.progress(report.events - reported)
        if self.node_problems > 3:
            report.add(Problem("ledger-node", f"{self.node_problems - 3} more stored nodes differ"))
        if await self.nodes.next() is not None:
            report.add(Problem("ledger-node", "the ledger stores nodes beyond its leaves"))

    async def close(self) -> None:
        for stream in (self.events, self.leaves, self.seals, self.nodes):
            await stream.close()

    async def _bulk(self) -> bool:
        """Certify the next chunk of events and leaves clean and consume it; False (and
        nothing consumed) if anything about it needs `_step`'s attention.

        Once an event was found altered (or removed, or inserted) the store's tree and
        the ledger's part for good: the chunks after it can still be clean, so they are
        certified too, extending each tree with the same leaves."""
        n = min(await self.events.fill(self.batch), await self.leaves.fill(self.batch))
        if n == 0:
            return False
        events, leaves = self.events.window(n), self.leaves.window(n)
        start = self.ledger_tree.size
        # Leaf positions are unique and ordered: first and last pin the whole run.
        if leaves[0][0] != start or leaves[-1][0] != start + n - 1:
            return False
        notification_ids = [e[4] for e in events]
        if notification_ids != [lf[1] for lf in leaves]:
            return False
        await asyncio.sleep(0)  # let a queued fetch send its query: the server works meanwhile
        hashes = event_leaf_hashes(events)
        if hashes != [lf[4] for lf in leaves]:
            return False
        ledger_tree = self.ledger_tree.copy()
        completed, ledger_roots = ledger_tree.extend(hashes, self.head_sizes)
        if self.in_step:  # one tree for both
            store_tree, store_roots = ledger_tree.copy(), ledger_roots
        else:
            store_tree = self.store_tree.copy()
            _, store_roots = store_tree.extend(hashes, self.head_sizes)
        await asyncio.sleep(0)
        m = len(completed)
        if await self.nodes.fill(m) < m or self.nodes.window(m) != completed:
            return False
        # Seals are by the store's position (the ledger's, unless the two parted).
        first, end = self.store_tree.size, self.store_tree.size + n
        sealed = 0
        sealer = self.sealer
        for position, value in self.seals.window(await self.seals.fill(n + 1)):
            if position >= end:
                break
            if position < first:  # a seal below every event: `_step` skips it
                return False
            i = position - first
            if sealer is not None and sealer(position, notification_ids[i], hashes[i]) != value:
                return False
            sealed += 1
        # Clean: exactly what `_step` would have done, n times over.
        self.events.advance(n)
        self.leaves.advance(n)
        self.nodes.advance(m)
        self.seals.advance(sealed)
        self.store_tree, self.ledger_tree = store_tree, ledger_tree
        self.store_roots.update(store_roots)
        self.ledger_roots.update(ledger_roots)
        self.report.events += n
        self.report.leaves += n
        self.report.sealed += sealed
        return True

    async def _step(self) -> bool:
        """The next event and/or leaf, checked one by one; False when both are done."""
        report = self.report
        e = await self.events.peek()
        lf = await self.leaves.peek()
        if e is None and lf is None:
            return False
        if lf is None or (e is not None and e["notification_id"] < lf["notification_id"]):
            assert e is not None
            leaf = event_leaf_hash(
                e["originator_id"], e["originator_version"], e["topic"], e["state"]
            )
            if self.last_ledger_nid is None or e["notification_id"] > self.last_ledger_nid:
                report.pending += 1
            else:
                report.add(
                    Problem(
                        "inserted",
                        "this event is in the store but not in the ledger",
                        self.store_tree.size,
                        e["notification_id"],
                        e["originator_id"],
                        e["originator_version"],
                    )
                )
            await self._feed_store(e, leaf)
            report.events += 1
            self.events.advance(1)
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
            await self._feed_ledger(lf)
            report.leaves += 1
            self.leaves.advance(1)
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
            await self._feed_store(e, leaf)
            await self._feed_ledger(lf)
            report.events += 1
            report.leaves += 1
            self.events.advance(1)
            self.leaves.advance(1)
        self.in_step = (
            self.store_tree.size == self.ledger_tree.size
            and self.store_tree.frontier == self.ledger_tree.frontier
        )
        return True

    async def _feed_store(self, e: asyncpg.Record, leaf: bytes) -> None:
        position = self.store_tree.size
        self.store_tree.append(leaf)
        if self.store_tree.size in self.head_sizes:
            self.store_roots[self.store_tree.size] = self.store_tree.root()
        next_seal = await self.seals.peek()
        while next_seal is not None and next_seal["position"] < position:
            self.seals.advance(1)
            next_seal = await self.seals.peek()
        if next_seal is not None and next_seal["position"] == position:
            self.report.sealed += 1
            if self.seal_key is not None:
                expected = seal(self.seal_key, position, e["notification_id"], leaf)
                if expected != next_seal["seal"]:
                    self.report.add(
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
            self.seals.advance(1)

    async def _feed_ledger(self, row: asyncpg.Record) -> None:
        tree = self.ledger_tree
        if row["position"] != tree.size:
            self.report.add(
                Problem(
                    "ledger-gap",
                    f"the ledger's leaves jump from {tree.size} to {row['position']}",
                    row["position"],
                )
            )
        for level, index, h in tree.append(row["leaf_hash"]):
            stored = await self.nodes.next()
            if stored is None or (stored["level"], stored["node_index"], stored["hash"]) != (
                level,
                index,
                h,
            ):
                self.node_problems += 1
                if self.node_problems <= 3:
                    self.report.add(
                        Problem(
                            "ledger-node",
                            f"stored node (level {level}, index {index}) does not match the "
                            "ledger's leaves",
                            index << level,
                        )
                    )
        if tree.size in self.head_sizes:
            self.ledger_roots[tree.size] = tree.root()


async def _check_heads(
    conn: asyncpg.Connection,
    key: LedgerKey,
    heads: list[TreeHead],
    store_roots: dict[int, bytes],
    ledger_roots: dict[int, bytes],
    report: Report,
) -> None:
    proofs = await _consistency_proofs(conn, heads, ledger_roots)
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
            proof = proofs.get((previous.size, head.size)) if proofs is not None else None
            await _check_consistency(conn, previous, head, report, proof)
        previous = head


def _check_published(
    key: LedgerKey,
    published: Sequence[TreeHead],
    heads: list[TreeHead],
    store_roots: dict[int, bytes],
    report: Report,
) -> None:
    """Every published head must be genuine and reproduced by the store as it is now,
    and the database must still hold it as it was published."""
    report.published = len(published)
    in_database = {h.size: h for h in heads}
    for head in published:
        if not head.verify(key):
            report.add(
                Problem("published-signature", f"published head {head.size}: not signed by the key")
            )
            continue
        store_root = store_roots.get(head.size)
        if store_root is None:
            report.add(
                Problem(
                    "published-beyond-store",
                    f"head {head.size} was published, but the store has only {report.events} "
                    "events: events were removed",
                    report.events,
                )
            )
        elif store_root != head.root:
            report.add(
                Problem(
                    "published-root",
                    f"the store's first {head.size} events do not hash to published head "
                    f"{head.size}'s root: events were altered, removed or replaced",
                )
            )
        kept = in_database.get(head.size)
        if kept is None:
            report.add(
                Problem("published-missing", f"published head {head.size} is not in the database")
            )
        elif kept != head:
            report.add(
                Problem(
                    "published-differs",
                    f"the database's head {head.size} differs from the one published",
                )
            )


async def _consistency_proofs(
    conn: asyncpg.Connection, heads: list[TreeHead], ledger_roots: dict[int, bytes]
) -> dict[tuple[int, int], list[bytes]] | None:
    """The consistency proof between every pair of consecutive heads that
    `_check_heads` checks, from the stored nodes, in one query rather than one per pair
    (a million events carry a thousand heads). None if a node is missing: then each
    pair is proved on its own, which names the pair the gap breaks."""
    pairs = [
        (a.size, b.size)
        for a, b in itertools.pairwise(heads)
        if ledger_roots.get(b.size) is not None
    ]
    builds = {
        (m, n): (lambda get, m=m, n=n: consistency_proof(m, n, get)) for m, n in pairs if 0 < m <= n
    }
    if not builds:
        return {}
    needed: set[tuple[int, int]] = set()
    for build in builds.values():
        needed |= nodes_needed(build)
    try:
        nodes = await fetch_nodes(conn, needed)
    except LedgerGap:
        return None

    def get(level: int, index: int) -> bytes:
        return nodes[(level, index)]

    return {pair: build(get) for pair, build in builds.items()}


async def _check_consistency(
    conn: asyncpg.Connection,
    first: TreeHead,
    second: TreeHead,
    report: Report,
    proof: list[bytes] | None = None,
) -> None:
    if proof is None:
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
