"""`oversight verify` against the database: everything recomputed, nothing trusted.

In one read-only REPEATABLE READ snapshot it streams, with server-side cursors, the
event store in notification order, the ledger's leaves, the seals and the stored
nodes, and checks:

1. the store against the ledger, **matched by content, not by place**: an event and a
   leaf are the same when their leaf hashes are equal (the hash covers the case id, the
   version, the topic and the stored bytes), and the same case and version with other
   bytes is an *altered* event. What is left over is named once each: a leaf with no
   event is *removed* (a run of them reaching the ledger's end is one *truncated*
   line), an event with no leaf before the last matched one is *inserted*, and matched
   events whose leaf positions do not increase in store order are *reordered*: the
   fewest events whose moving explains the order (the heaviest increasing sequence of
   matched runs, events matched in step weighing more than ones matched out of it).
   One removed or inserted event therefore shifts nothing else: the events after it
   are still matched to their own leaves. Events after the last matched one that the
   ledger does not hold yet are pending. Notification ids are not in the leaf; events
   whose ids differ from the ledger's are counted in a note (renumbered), not blamed;
2. the tree recomputed from the store's events: its root at every signed head's size
   must be that head's root (this holds however the ledger tables were rewritten);
3. every head's Ed25519 signature, and a consistency proof (from the stored nodes)
   between each pair of consecutive heads;
4. the ledger's own tree: its nodes recomputed from its leaves, and its roots at the
   heads (a rewritten ledger is named as such);
5. with the private key: each seal against the ledger's leaf with the seal's
   notification id (`HMAC(position || notification id || leaf hash)`), so a leaf
   rewritten to match a changed event names that event, a sealed leaf the ledger lost
   is named from its seal, and a leaf slipped in among sealed ones is named too. With
   only the public key a rewritten ledger is narrowed to the events between two heads.

Head-level failures are grouped: one line per kind, naming the heads' sizes. The
report's first finding names the first tampered event (leaf position, notification
id, case id and version where known); the same store gives the same finding lines with
the public or the private key unless the ledger tables themselves were rewritten
(which only the seals can pin to an event).

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
import bisect
import contextlib
import functools
import gc
import hashlib
import itertools
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.store import EVENTS_TABLE
from ledger.casemap import CaseMap, Entry
from ledger.casemaps import case_type_of
from ledger.checkpoint import origin_of, verify_checkpoint
from ledger.heads import TreeHead
from ledger.keys import LedgerKey
from ledger.merkle import (
    CompactRange,
    NodeGetter,
    consistency_proof,
    event_leaf_hash,
    event_leaf_hashes,
    nodes_needed,
    verify_consistency,
)
from ledger.published import database_identity
from ledger.rotation import KeyChain, KeyRotation, sealed_by
from ledger.view import (
    LedgerGap,
    all_heads,
    compute,
    fetch_nodes,
    key_rotations,
    log_origin,
)

EVENT_KINDS = ("altered", "reordered", "removed", "inserted", "truncated")
# The signer's default interval (OVERSIGHT_LEDGER_HEAD_SECONDS) plus slack for its poll
# and a signing pass: an honest running signer covers every event within this.
DEFAULT_OVERDUE_SECONDS = 60.0 + 10.0
_EVENT_TIMES = EVENTS_TABLE.removesuffix("_events") + "_event_times"


@dataclass
class Finding:
    kind: str
    detail: str
    position: int | None = None  # a leaf of the ledger (`in_store`: a place in the store)
    notification_id: int | None = None
    case_id: UUID | None = None
    version: int | None = None
    sizes: tuple[int, ...] = ()  # the heads a head-level finding is about
    in_store: bool = False

    def describe(self) -> str:
        where = []
        if self.position is not None:
            where.append(f"{'store position' if self.in_store else 'leaf'} {self.position}")
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
    renumbered: int = 0  # matched events whose notification id is not the ledger's
    seals_checked: bool = False
    seconds: float = 0.0
    tampered: list[Finding] = field(default_factory=list)  # exit status 1
    unverified: list[Finding] = field(default_factory=list)  # exit status 2
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.tampered and not self.unverified

    @property
    def status(self) -> int:
        """0 everything holds, 1 tampered, 2 unverified (nothing contradicts the store,
        but part of it is under no signature that should be there)."""
        return 1 if self.tampered else 2 if self.unverified else 0

    @property
    def first_tampered_event(self) -> Finding | None:
        return next((p for p in self.tampered if p.kind in EVENT_KINDS), None)

    def add(self, finding: Finding) -> None:
        self.tampered.append(finding)

    def tampered_lines(self) -> list[str]:
        return [p.describe() for p in self.tampered]

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
        out += [f"note: {n}" for n in self.notes]
        if self.ok:
            out.append("OK: every event, leaf, node, head and signature holds")
            return out
        first = self.first_tampered_event
        if first is not None:
            out.append(f"FIRST TAMPERED EVENT: {first.describe()}")
        if self.tampered:
            out.append(f"FAILED (tampered): {len(self.tampered)} problem(s)")
            out += ["  " + p.describe() for p in self.tampered[:limit]]
            if len(self.tampered) > limit:
                out.append(f"  ... and {len(self.tampered) - limit} more")
        if self.unverified:
            out.append(f"UNVERIFIED: {len(self.unverified)} finding(s)")
            out += ["  " + p.describe() for p in self.unverified[:limit]]
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
            rows: list[asyncpg.Record] = await self._cursor.fetch(self._batch)
            return rows

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
    published_rotations: Sequence[KeyRotation] = (),
    overdue_seconds: float = DEFAULT_OVERDUE_SECONDS,
    now: datetime | None = None,
) -> Report:
    """Check the store against its ledger and signed heads, and against `published`:
    heads kept outside the database (ledger/published.py), which a rewrite of the whole
    database cannot change.

    Events under no signed head whose first one has waited longer than `overdue_seconds`
    (the signing interval plus slack) since the ledger took it in, and seals beyond the
    last head, are findings: the store is then *unverified* (status 2), not proved. `now`
    (default: the database's clock) is when verify looks.

    `key` is the key the inspector trusts; key rotations recorded in the database and
    `published_rotations` (each signed by both keys) lead from it to the key in force at
    every head, and with a private key its own seals are checked (ledger/rotation.py)."""
    started = time.perf_counter()
    batch = max(1, batch)
    report = Report(seals_checked=key.seal_key is not None)
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        heads = await all_heads(conn)
        report.heads = len(heads)
        report.signed = heads[-1].size if heads else 0
        chain = KeyChain(key, [*await _rotations(conn), *published_rotations])
        if chain.rotations:
            report.notes.append(chain.describe())
        seal_ranges = sealed_by(key, chain, [*heads, *published]) if key.can_sign else []
        walk = _Walk(
            conn, key, report, [*heads, *published], batch, progress, seal_ranges=seal_ranges
        )
        try:
            with _no_cycle_collection():
                await walk.run()
        finally:
            await walk.close()
        await walk.finish()
        await _check_heads(conn, chain, heads, published, walk, report)
        await _check_case_map(conn, heads, walk, report)
        await _check_coverage(conn, chain, heads, published, report, overdue_seconds, now)
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


@dataclass(slots=True)
class _Event:
    """A stored event: its place in the store (0-based, notification order)."""

    index: int
    notification_id: int
    case_id: UUID
    version: int
    leaf: bytes

    @property
    def key(self) -> tuple[UUID, int]:
        return (self.case_id, self.version)


@dataclass(slots=True)
class _Leaf:
    """A ledger leaf as the ledger table records it."""

    position: int
    notification_id: int
    case_id: UUID
    version: int
    leaf: bytes

    @property
    def key(self) -> tuple[UUID, int]:
        return (self.case_id, self.version)


# Weights of a matched event in the heaviest increasing sequence: events matched in
# step with their leaf are kept in preference to ones matched out of step.
_IN_STEP, _OUT_OF_STEP = 3, 2


class _Walk:
    """One pass over the store and the ledger, each in its own order, matched by content.

    `_step` takes the next event and/or leaf: equal leaf hashes match in step; else an
    event (a leaf) whose hash is among the leaves (events) set aside matches that one;
    else both are set aside, paired at once as *altered* when they (or one set aside
    before) are the same case and version. `finish` names what is left. It is the
    definition of what verify reports. Most of a store is honest, and checking it row by
    row costs Python objects and calls per event, so `_bulk` first tries to certify a
    whole chunk at once (equal leaf hashes all along, the expected nodes and seals):
    exactly the in-step matches `_step` would make, in list comparisons and tight
    hashing loops. Any doubt and the chunk goes row by row, so the findings reported
    are `_step`'s alone.
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
    SEALS = "SELECT position, notification_id, seal FROM views.ledger_seals ORDER BY position"
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
        seal_ranges: Sequence[tuple[int, int]] = ((0, 2**63),),
    ) -> None:
        self.conn, self.report, self.batch, self.progress = conn, report, batch, progress
        self.head_sizes = frozenset(h.size for h in heads)
        seal_key = key.seal_key
        self.sealer = _Sealer(seal_key) if seal_key is not None else None
        # The leaf positions whose seals this key made (ledger/rotation.py `sealed_by`);
        # others (another key's, or past every head it signed) are taken as they are.
        self.seal_ranges = list(seal_ranges)
        self.seal_starts = [lo for lo, _ in self.seal_ranges]
        lock = asyncio.Lock()
        self.events = _Stream(conn, self.EVENTS, batch, lock)
        self.leaves = _Stream(conn, self.LEAVES, batch, lock)
        self.seals = _Stream(conn, self.SEALS, batch, lock)
        self.nodes = _Stream(conn, self.NODES, batch, lock)
        self.store_tree = CompactRange()
        self.ledger_tree = CompactRange()
        self.store_roots: dict[int, bytes] = {}
        self.ledger_roots: dict[int, bytes] = {}
        self.node_mismatches = 0
        self.ledger_findings: list[Finding] = []
        # The two trees have had the same leaves so far (the bulk path builds one for
        # both); appending the same leaves to two different trees never rejoins them.
        self.in_step = True
        # Set aside, not matched yet: by leaf hash and by (case id, version).
        self.events_by_leaf: dict[bytes, _Event] = {}
        self.events_by_key: dict[tuple[UUID, int], _Event] = {}
        self.leaves_by_leaf: dict[bytes, _Leaf] = {}
        self.leaves_by_key: dict[tuple[UUID, int], _Leaf] = {}
        self.duplicate_leaves: list[_Leaf] = []
        self.unmatched_after_ledger: list[_Event] = []  # read after the ledger's last leaf
        # Matched: runs [store index, leaf position, length, weight] consecutive in both;
        # matches made out of step kept whole (to name them if they were moved).
        self.runs: list[list[int]] = []
        self.out_of_step: dict[int, tuple[_Event, _Leaf]] = {}
        self.altered: list[tuple[_Event, _Leaf]] = []
        self.last_matched_event = -1
        self.last_matched_leaf = -1
        self.first_renumbered: tuple[int, int] | None = None
        # Seals (with the private key): leaves not as sealed, sealed leaves the ledger
        # lost, leaves among sealed ones that carry no seal.
        self.seal_failures: dict[int, tuple[int, _Leaf]] = {}
        self.sealed_missing: list[tuple[int, int]] = []
        self.unsealed: list[_Leaf] = []

    async def run(self) -> None:
        report = self.report
        streams = [self.events, self.leaves, self.nodes]
        if self.sealer is not None:
            streams.append(self.seals)
        else:  # nothing to check them with: only counted
            report.sealed = await self.conn.fetchval("SELECT count(*) FROM views.ledger_seals")
        for stream in streams:
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
        if self.sealer is not None:
            while (s := await self.seals.next()) is not None:  # sealed, the ledger has no more
                self.sealed_missing.append((s["position"], s["notification_id"]))
        if self.node_mismatches > 3:
            self.ledger_findings.append(
                Finding("ledger-node", f"{self.node_mismatches - 3} more stored nodes differ")
            )
        if await self.nodes.next() is not None:
            self.ledger_findings.append(
                Finding("ledger-node", "the ledger stores nodes beyond its leaves")
            )

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
        sealed = 0
        sealer = self.sealer
        if sealer is not None:
            # Each leaf's seal at its own position, with its notification id; where the
            # seals end inside the chunk, no seal may follow (`_step` names such leaves).
            available = await self.seals.fill(n + 1)
            span = self._seal_span(start, start + n)
            for position, notification_id, value in self.seals.window(available):
                if position >= start + n:
                    break
                if (
                    position != start + sealed
                    or notification_id != leaves[sealed][1]
                    or (
                        (span or (span is None and self._checkable(position)))
                        and sealer(position, notification_id, hashes[sealed]) != value
                    )
                ):
                    return False
                sealed += 1
            if sealed < n and available > sealed:
                return False
        # Clean: exactly what `_step` would have done, n times over.
        event_ids = [e[4] for e in events]
        leaf_ids = [lf[1] for lf in leaves]
        if event_ids != leaf_ids:
            for i, (a, b) in enumerate(zip(event_ids, leaf_ids, strict=True)):
                if a != b:
                    self._renumbered(a, start + i)
        self._matched_run(self.report.events, start, n, _IN_STEP * n)
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
        """The next event and/or leaf, matched one by one; False when both are done."""
        e = await self.events.peek()
        lf = await self.leaves.peek()
        if e is None and lf is None:
            return False
        event = leaf = None
        if e is not None:
            event = _Event(
                self.report.events,
                e["notification_id"],
                e["originator_id"],
                e["originator_version"],
                event_leaf_hash(
                    e["originator_id"], e["originator_version"], e["topic"], e["state"]
                ),
            )
        if lf is not None:
            leaf = _Leaf(*lf.values())
        if event is not None and leaf is not None and event.leaf == leaf.leaf:
            self._take_event(event)
            await self._take_leaf(leaf)
            self._match(event, leaf, in_step=True)
        elif event is not None and (kept := self._unset_leaf(event.leaf)) is not None:
            self._take_event(event)
            self._match(event, kept, in_step=False)
        elif leaf is not None and (found := self._unset_event(leaf.leaf)) is not None:
            await self._take_leaf(leaf)
            self._match(found, leaf, in_step=False)
        else:
            if event is not None:
                self._take_event(event)
            if leaf is not None:
                await self._take_leaf(leaf)
            if event is not None and leaf is not None and event.key == leaf.key:
                self._alter(event, leaf)
            else:
                if event is not None:
                    self._set_event_aside(event, ledger_done=leaf is None)
                if leaf is not None:
                    self._set_leaf_aside(leaf)
        self.in_step = (
            self.store_tree.size == self.ledger_tree.size
            and self.store_tree.frontier == self.ledger_tree.frontier
        )
        return True

    # --- matching ---------------------------------------------------------------------

    def _unset_leaf(self, leaf_hash: bytes) -> _Leaf | None:
        leaf = self.leaves_by_leaf.pop(leaf_hash, None)
        if leaf is not None:
            self.leaves_by_key.pop(leaf.key, None)
        return leaf

    def _unset_event(self, leaf_hash: bytes) -> _Event | None:
        event = self.events_by_leaf.pop(leaf_hash, None)
        if event is not None:
            self.events_by_key.pop(event.key, None)
        return event

    def _set_event_aside(self, event: _Event, *, ledger_done: bool) -> None:
        leaf = self.leaves_by_key.pop(event.key, None)
        if leaf is not None:
            del self.leaves_by_leaf[leaf.leaf]
            self._alter(event, leaf)
        elif ledger_done:
            # No leaf is left to come: matched never, inserted if a later event matches.
            if self.leaves_by_leaf:
                self.unmatched_after_ledger.append(event)
            else:
                self.report.pending += 1
        else:
            self.events_by_leaf[event.leaf] = event
            self.events_by_key[event.key] = event

    def _set_leaf_aside(self, leaf: _Leaf) -> None:
        event = self.events_by_key.pop(leaf.key, None)
        if event is not None:
            del self.events_by_leaf[event.leaf]
            self._alter(event, leaf)
        elif leaf.leaf in self.leaves_by_leaf or leaf.key in self.leaves_by_key:
            self.duplicate_leaves.append(leaf)
        else:
            self.leaves_by_leaf[leaf.leaf] = leaf
            self.leaves_by_key[leaf.key] = leaf

    def _matched_run(self, index: int, position: int, length: int, weight: int) -> None:
        last = self.runs[-1] if self.runs else None
        if last is not None and index == last[0] + last[2] and position == last[1] + last[2]:
            last[2] += length
            last[3] += weight
        else:
            self.runs.append([index, position, length, weight])
        self.last_matched_event = max(self.last_matched_event, index + length - 1)
        self.last_matched_leaf = max(self.last_matched_leaf, position + length - 1)

    def _match(self, event: _Event, leaf: _Leaf, *, in_step: bool) -> None:
        self._matched_run(event.index, leaf.position, 1, _IN_STEP if in_step else _OUT_OF_STEP)
        if not in_step:
            self.out_of_step[leaf.position] = (event, leaf)
        if event.notification_id != leaf.notification_id:
            self._renumbered(event.notification_id, leaf.position)

    def _alter(self, event: _Event, leaf: _Leaf) -> None:
        self.altered.append((event, leaf))
        self.last_matched_event = max(self.last_matched_event, event.index)
        self.last_matched_leaf = max(self.last_matched_leaf, leaf.position)

    def _renumbered(self, notification_id: int, position: int) -> None:
        self.report.renumbered += 1
        if self.first_renumbered is None:
            self.first_renumbered = (position, notification_id)

    # --- the trees, nodes and seals -----------------------------------------------------

    def _take_event(self, event: _Event) -> None:
        self.store_tree.append(event.leaf)
        if self.store_tree.size in self.head_sizes:
            self.store_roots[self.store_tree.size] = self.store_tree.root()
        self.report.events += 1
        self.events.advance(1)

    async def _take_leaf(self, leaf: _Leaf) -> None:
        tree = self.ledger_tree
        if leaf.position != tree.size:
            self.ledger_findings.append(
                Finding(
                    "ledger-gap",
                    f"the ledger's leaves jump from {tree.size} to {leaf.position}",
                    leaf.position,
                )
            )
        for level, index, h in tree.append(leaf.leaf):
            stored = await self.nodes.next()
            if stored is None or (stored["level"], stored["node_index"], stored["hash"]) != (
                level,
                index,
                h,
            ):
                self.node_mismatches += 1
                if self.node_mismatches <= 3:
                    self.ledger_findings.append(
                        Finding(
                            "ledger-node",
                            f"stored node (level {level}, index {index}) does not match the "
                            "ledger's leaves",
                            index << level,
                        )
                    )
        if tree.size in self.head_sizes:
            self.ledger_roots[tree.size] = tree.root()
        if self.sealer is not None:
            await self._check_seal(leaf)
        self.report.leaves += 1
        self.leaves.advance(1)

    async def _check_seal(self, leaf: _Leaf) -> None:
        """The seals and the leaves, merged by notification id (a seal binds its position,
        its notification id and the leaf hash sealed)."""
        sealer = self.sealer
        assert sealer is not None
        while (s := await self.seals.peek()) is not None:
            position, notification_id, value = s["position"], s["notification_id"], s["seal"]
            holds = (
                sealer(position, notification_id, leaf.leaf) == value
                if self._checkable(position)
                else True  # another key's seal: one per leaf, as it comes
            )
            if notification_id == leaf.notification_id or holds:
                if not holds:
                    self.seal_failures[leaf.position] = (position, leaf)
                self.report.sealed += 1
                self.seals.advance(1)
                return
            if notification_id < leaf.notification_id:
                self.sealed_missing.append((position, notification_id))
                self.seals.advance(1)
                continue
            self.unsealed.append(leaf)  # sealed leaves come after it: it never was
            return

    def _checkable(self, position: int) -> bool:
        i = bisect.bisect_right(self.seal_starts, position) - 1
        return i >= 0 and position < self.seal_ranges[i][1]

    def _seal_span(self, start: int, end: int) -> bool | None:
        """Whether every seal of positions [start, end) is this key's (True), none is
        (False), or some are (None)."""
        i = bisect.bisect_right(self.seal_starts, start) - 1
        if i >= 0 and end <= self.seal_ranges[i][1]:
            return True
        following = self.seal_starts[i + 1] if i + 1 < len(self.seal_starts) else None
        if (i < 0 or start >= self.seal_ranges[i][1]) and (following is None or following >= end):
            return False
        return None

    # --- what is left -------------------------------------------------------------------

    async def finish(self) -> None:
        """Name every anomaly once, in store order, ahead of the ledger's own findings."""
        report = self.report
        found: list[Finding] = []
        named: set[int] = set()  # leaf positions already named
        for event, leaf in self.altered:
            found.append(
                Finding(
                    "altered",
                    "its stored bytes no longer hash to the ledger's leaf",
                    leaf.position,
                    event.notification_id,
                    event.case_id,
                    event.version,
                )
            )
            named.add(leaf.position)
        for finding in await self._reordered():
            found.append(finding)
            named.add(finding.position or 0)
        left = sorted([*self.leaves_by_leaf.values(), *self.duplicate_leaves], key=_position)
        tail = [lf for lf in left if lf.position > self.last_matched_leaf]
        for leaf in left[: len(left) - len(tail)] if len(tail) > 1 else left:
            found.append(
                Finding(
                    "removed",
                    "the ledger recorded this event; the store no longer has it",
                    leaf.position,
                    leaf.notification_id,
                    leaf.case_id,
                    leaf.version,
                )
            )
        if len(tail) > 1:
            found.append(_truncated(tail[0], tail[-1], len(tail)))
        named.update(lf.position for lf in left)
        unmatched = sorted(
            [*self.events_by_leaf.values(), *self.unmatched_after_ledger], key=_index
        )
        for event in unmatched:
            if event.index < self.last_matched_event:
                found.append(
                    Finding(
                        "inserted",
                        "this event is in the store but not in the ledger",
                        event.index,
                        event.notification_id,
                        event.case_id,
                        event.version,
                        in_store=True,
                    )
                )
            else:
                report.pending += 1
        found += self._seal_findings(named)
        found.sort(key=lambda p: (p.position if p.position is not None else -1, p.kind))
        report.tampered[:0] = [*found, *self.ledger_findings]
        if report.renumbered and self.first_renumbered is not None:
            position, notification_id = self.first_renumbered
            report.notes.append(
                f"{report.renumbered} events carry another notification id than the ledger "
                f"recorded (the first: leaf {position}, now notification {notification_id}); "
                "notification ids are not in the leaves, so this alone changes nothing signed"
            )

    def _seal_findings(self, named: set[int]) -> list[Finding]:
        found = []
        for position, (sealed_at, leaf) in sorted(self.seal_failures.items()):
            if position in named:
                continue
            found.append(
                Finding(
                    "altered",
                    f"this event is not the one sealed at leaf {sealed_at} when its head was "
                    "signed (the ledger tables were rewritten to match it)",
                    position,
                    leaf.notification_id,
                    leaf.case_id,
                    leaf.version,
                )
            )
        missing = sorted(self.sealed_missing)
        trailing = [m for m in missing if m[0] > self.last_matched_leaf]
        if len(trailing) > 1:
            missing = missing[: len(missing) - len(trailing)]
            found.append(
                Finding(
                    "truncated",
                    f"the ledger's leaves {trailing[0][0]}..{trailing[-1][0]} "
                    f"({len(trailing)} events, notifications {trailing[0][1]} to "
                    f"{trailing[-1][1]}) were sealed when their heads were signed; neither "
                    "the ledger nor the store has them any more",
                    trailing[0][0],
                    trailing[0][1],
                )
            )
        for position, notification_id in missing:
            found.append(
                Finding(
                    "removed",
                    "sealed at this leaf when its head was signed; neither the ledger nor "
                    "the store has it any more (the ledger tables were rewritten)",
                    position,
                    notification_id,
                )
            )
        for leaf in self.unsealed:
            if leaf.position in named:
                continue
            found.append(
                Finding(
                    "inserted",
                    "this event lies among sealed leaves but carries no seal (the ledger "
                    "tables were rewritten to take it in)",
                    leaf.position,
                    leaf.notification_id,
                    leaf.case_id,
                    leaf.version,
                )
            )
        return found

    async def _reordered(self) -> list[Finding]:
        """The matched events outside the heaviest increasing sequence of leaf positions
        (in store order): the fewest whose moving explains the order."""
        runs: list[list[int]] = []
        for run in sorted(self.runs):
            last = runs[-1] if runs else None
            if last is not None and run[0] == last[0] + last[2] and run[1] == last[1] + last[2]:
                last[2] += run[2]
                last[3] += run[3]
            else:
                runs.append(list(run))
        if len(runs) < 2:
            return []
        kept = _heaviest_increasing(runs)
        moved = [run for i, run in enumerate(runs) if i not in kept]
        reordered = []
        for index, position, length, _ in moved:
            named = [self.out_of_step.get(p) for p in range(position, position + length)]
            found = [pair for pair in named if pair is not None]
            if len(found) == len(named):
                rows = [
                    (lf.position, e.notification_id, lf.case_id, lf.version, e.index)
                    for e, lf in found
                ]
            else:  # moved in step with its neighbours: named from the ledger and store
                rows = [
                    (r["position"], r["notification_id"], r["originator_id"],
                     r["originator_version"], index + r["position"] - position)
                    for r in await self.conn.fetch(
                        "SELECT l.position, e.notification_id, l.originator_id, "
                        f"l.originator_version FROM views.ledger_leaves l LEFT JOIN "
                        f"{EVENTS_TABLE} e USING (originator_id, originator_version) "
                        "WHERE l.position >= $1 AND l.position < $2 ORDER BY l.position",
                        position,
                        position + length,
                    )
                ]  # fmt: skip
            for leaf_position, notification_id, case_id, version, store_index in rows:
                reordered.append(
                    Finding(
                        "reordered",
                        f"the ledger recorded it at leaf {leaf_position}; the store now has "
                        f"it at position {store_index}",
                        leaf_position,
                        notification_id,
                        case_id,
                        version,
                    )
                )
        return reordered


def _position(leaf: _Leaf) -> int:
    return leaf.position


def _index(event: _Event) -> int:
    return event.index


def _truncated(first: _Leaf, last: _Leaf, count: int) -> Finding:
    return Finding(
        "truncated",
        f"the store has lost the ledger's last {count} events (leaves {first.position}.."
        f"{last.position}, notifications {first.notification_id} to {last.notification_id})",
        first.position,
        first.notification_id,
        first.case_id,
        first.version,
    )


def _heaviest_increasing(runs: list[list[int]]) -> set[int]:
    """Indexes of the runs (in store order, each [index, position, length, weight]) that
    make the heaviest sequence with increasing leaf positions. Runs never overlap in
    positions, so a run is wholly before or after another: O(r log r) with a Fenwick
    tree of best weights by last position."""
    ends = sorted(run[1] + run[2] - 1 for run in runs)
    rank = {end: i + 1 for i, end in enumerate(ends)}
    size = len(ends)
    tree: list[tuple[int, int]] = [(0, -1)] * (size + 1)  # (best weight, run index)

    def best_before(position: int) -> tuple[int, int]:
        i = bisect.bisect_left(ends, position)
        best = (0, -1)
        while i > 0:
            best = max(best, tree[i])
            i -= i & -i
        return best

    previous: list[int] = []
    totals: list[int] = []
    for n, (_, position, length, weight) in enumerate(runs):
        before, via = best_before(position)
        previous.append(via)
        totals.append(before + weight)
        i = rank[position + length - 1]
        while i <= size:
            tree[i] = max(tree[i], (totals[n], n))
            i += i & -i
    n = max(range(len(runs)), key=lambda k: (totals[k], -k))
    kept = set()
    while n >= 0:
        kept.add(n)
        n = previous[n]
    return kept


def _sizes(sizes: Sequence[int]) -> str:
    if len(sizes) == 1:
        return f"size {sizes[0]}"
    if len(sizes) <= 4:
        return "sizes " + ", ".join(str(s) for s in sizes)
    return f"sizes {sizes[0]} to {sizes[-1]}"


def _heads(sizes: Sequence[int]) -> str:
    return f"{len(sizes)} signed head{'s' if len(sizes) != 1 else ''} ({_sizes(sizes)})"


async def _origin(conn: asyncpg.Connection) -> str:
    default = origin_of(await database_identity(conn))
    if await conn.fetchval("SELECT to_regclass('views.ledger_origin')") is None:
        return default  # a ledger from before checkpoints
    return await log_origin(conn, default)


async def _rotations(conn: asyncpg.Connection) -> list[KeyRotation]:
    if await conn.fetchval("SELECT to_regclass('views.ledger_key_rotations')") is None:
        return []  # a ledger from before rotations
    return await key_rotations(conn)


async def _check_heads(
    conn: asyncpg.Connection,
    chain: KeyChain,
    heads: list[TreeHead],
    published: Sequence[TreeHead],
    walk: _Walk,
    report: Report,
) -> None:
    """Every head, the database's and the published ones: genuine, reproduced by the
    store's events and by the ledger's leaves, consistent with the one before. Failures
    are grouped, one line per kind."""
    store_roots, ledger_roots = walk.store_roots, walk.ledger_roots
    proofs = await _consistency_proofs(conn, heads, ledger_roots)
    origin = await _origin(conn)
    bad_checkpoint: list[int] = []
    wrong_key: dict[tuple[str, str], list[int]] = {}  # (signed by, in force) -> sizes
    bad_signature: list[int] = []
    out_of_time: list[int] = []
    rewritten: list[int] = []
    unproved: list[int] = []
    gaps: list[str] = []
    differs: dict[int, bool] = {}  # size -> published (the store no longer gives its root)
    beyond: dict[int, bool] = {}  # size -> published (the store has fewer events)
    holds: set[int] = set()
    previous: TreeHead | None = None
    for head in heads:
        signer = chain.key_for(head.size)
        if head.key_id != signer.key_id:
            wrong_key.setdefault((head.key_id, signer.key_id), []).append(head.size)
        elif not head.verify(signer):
            bad_signature.append(head.size)
        elif head.checkpoint is not None and not verify_checkpoint(
            head.checkpoint, origin, signer, head.size, head.root
        ):
            bad_checkpoint.append(head.size)
        if previous is not None and head.timestamp < previous.timestamp:
            out_of_time.append(head.size)
        _against_store(head, store_roots, differs, beyond, holds, published=False)
        ledger_root = ledger_roots.get(head.size)
        if ledger_root is not None and ledger_root != head.root:
            rewritten.append(head.size)
        if previous is not None and ledger_root is not None:
            proof = proofs.get((previous.size, head.size)) if proofs is not None else None
            gap = await _check_consistency(conn, previous, head, proof)
            if gap is not None:
                unproved.append(head.size)
                if gap:
                    gaps.append(gap)
        previous = head
    in_database = {h.size: h for h in heads}
    forged: list[int] = []
    missing: list[int] = []
    replaced: list[int] = []
    for head in published:
        if not head.verify(chain.key_for(head.size)):
            forged.append(head.size)
            continue
        _against_store(head, store_roots, differs, beyond, holds, published=True)
        kept = in_database.get(head.size)
        if kept is None:
            missing.append(head.size)
        elif kept != head:
            replaced.append(head.size)
    add = report.add
    for rotation, why in chain.invalid:
        add(Finding("key-rotation", f"the rotation {rotation.describe()} is ignored: {why}"))
    for (signed_by, in_force), sizes in wrong_key.items():
        add(
            Finding(
                "head-key",
                f"{_heads(sizes)} {'were' if len(sizes) > 1 else 'was'} signed by key "
                f"{signed_by}, not by the key in force, {in_force} (no rotation signed by "
                "both keys hands over to it)",
                sizes=tuple(sizes),
            )
        )
    if bad_signature:
        add(Finding("head-signature", f"{_heads(bad_signature)}: the signature is invalid",
                    sizes=tuple(bad_signature)))  # fmt: skip
    if bad_checkpoint:
        add(
            Finding(
                "head-checkpoint",
                f"{_heads(bad_checkpoint)}: the checkpoint (signed note of origin {origin}) is "
                "not this head's, or not signed by the key in force",
                sizes=tuple(bad_checkpoint),
            )
        )
    if out_of_time:
        add(Finding("head-time", f"{_heads(out_of_time)} dated before the head before it",
                    sizes=tuple(out_of_time)))  # fmt: skip
    if differs or beyond:
        report.add(_store_against_heads(differs, beyond, report.events))
    if differs and report.first_tampered_event is None:
        first = min(differs)
        await _narrow(conn, max((s for s in holds if s < first), default=0), first, report)
    if rewritten:
        add(
            Finding(
                "ledger-rewritten",
                f"the ledger's leaves do not hash to the roots of {_heads(rewritten)}: the "
                "ledger tables were changed after they were signed",
                sizes=tuple(rewritten),
            )
        )
    if unproved:
        add(
            Finding(
                "consistency",
                f"the ledger cannot prove that {_heads(unproved)} extend the head before each"
                + (f" ({gaps[0]})" if gaps else ""),
                sizes=tuple(unproved),
            )
        )
    if forged:
        add(Finding("published-signature",
                    f"{_heads(forged)} in the published log: not signed by the key",
                    sizes=tuple(forged)))  # fmt: skip
    if missing:
        add(Finding("published-missing",
                    f"{_heads(missing)} published but no longer in the database",
                    sizes=tuple(missing)))  # fmt: skip
    if replaced:
        add(Finding("published-differs",
                    f"{_heads(replaced)}: the database's differ from the ones published",
                    sizes=tuple(replaced)))  # fmt: skip
    report.published = len(published)


def _store_against_heads(differs: dict[int, bool], beyond: dict[int, bool], events: int) -> Finding:
    """One line for every head the store no longer reproduces (its root differs, or it
    covers more events than the store holds); `True` values were published."""

    def published(group: dict[int, bool]) -> str:
        count = sum(group.values())
        return f", {count} of them published" if count else ""

    parts = []
    if differs:
        sizes = sorted(differs)
        parts.append(
            f"the store's events no longer hash to the roots of {_heads(sizes)}"
            + published(differs)
        )
    if beyond:
        sizes = sorted(beyond)
        parts.append(
            f"{'and ' if differs else ''}{_heads(sizes)}{published(beyond)} "
            f"{'cover' if len(sizes) > 1 else 'covers'} more events than the store's {events}"
        )
    return Finding(
        "head-root" if differs else "head-beyond-store",
        "; ".join(parts),
        sizes=tuple(sorted([*differs, *beyond])),
    )


def _against_store(
    head: TreeHead,
    store_roots: dict[int, bytes],
    differs: dict[int, bool],
    beyond: dict[int, bool],
    holds: set[int],
    *,
    published: bool,
) -> None:
    store_root = store_roots.get(head.size)
    if store_root is None:
        beyond[head.size] = beyond.get(head.size, False) or published
    elif store_root != head.root:
        differs[head.size] = differs.get(head.size, False) or published
    else:
        holds.add(head.size)


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
    builds: dict[tuple[int, int], Callable[[NodeGetter], list[bytes]]] = {
        (m, n): functools.partial(consistency_proof, m, n) for m, n in pairs if 0 < m <= n
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
    proof: list[bytes] | None = None,
) -> str | None:
    """None when the stored nodes prove `second` extends `first`; else why not ("" when
    the proof is simply wrong)."""
    if proof is None:
        try:
            proof = await compute(conn, lambda get: consistency_proof(first.size, second.size, get))
        except LedgerGap as e:
            return f"heads {first.size} -> {second.size}: {e}"
    if not verify_consistency(first.size, second.size, first.root, second.root, proof):
        return ""
    return None


async def _narrow(conn: asyncpg.Connection, start: int, end: int, report: Report) -> None:
    """Without seals: the change lies between the last head that holds and the first
    that does not (store positions, named by the store's notification ids)."""
    rows = await conn.fetch(
        f"(SELECT notification_id FROM {EVENTS_TABLE} ORDER BY notification_id "
        "OFFSET $1 LIMIT 1) UNION ALL "
        f"(SELECT notification_id FROM {EVENTS_TABLE} ORDER BY notification_id "
        "OFFSET $2 LIMIT 1)",
        start,
        end - 1,
    )
    span = " to ".join(f"notification {r['notification_id']}" for r in rows)
    report.add(
        Finding(
            "head-root",
            f"an event among leaves {start}..{end - 1} ({span}) differs from what was "
            "signed; give the private key to name it",
        )
    )


async def _check_coverage(
    conn: asyncpg.Connection,
    chain: KeyChain,
    heads: list[TreeHead],
    published: Sequence[TreeHead],
    report: Report,
    overdue_seconds: float,
    now: datetime | None,
) -> None:
    """What no signature covers. An honest signer signs a head within the signing
    interval of a leaf reaching the ledger, and seals leaves only with a head: events
    under no head for longer, or seals past the last head, mean the heads were removed
    (or nothing signs). Nothing contradicts such a store, but nothing proves it."""
    covered = max(
        [h.size for h in heads] + [h.size for h in published if h.verify(chain.key_for(h.size))],
        default=0,
    )
    arrivals = await conn.fetchval("SELECT to_regclass('views.ledger_arrivals')") is not None
    if report.events > covered:
        row = await conn.fetchrow(
            "SELECT e.notification_id, e.originator_id, e.originator_version, "
            + (
                "(SELECT a.recorded_at FROM views.ledger_arrivals a "
                " WHERE a.first_position <= l.position "
                " ORDER BY a.first_position DESC LIMIT 1) AS recorded_at, "
                if arrivals  # a ledger from before arrival times: none recorded
                else "NULL::timestamptz AS recorded_at, "
            )
            + "t.at, coalesce($2::timestamptz, now()) AS now, "
            "(SELECT updated_at FROM views.tracking WHERE projection = 'ledger') AS advanced "
            "FROM "
            f"(SELECT * FROM {EVENTS_TABLE} ORDER BY notification_id OFFSET $1 LIMIT 1) e "
            "LEFT JOIN views.ledger_leaves l ON l.notification_id = e.notification_id "
            f"LEFT JOIN {_EVENT_TIMES} t ON (t.originator_id, t.originator_version) "
            "= (e.originator_id, e.originator_version)",
            covered,
            now,
        )
        if row is not None:
            # In the ledger: since it took the leaf in. Not yet: since the later of the
            # event's own time and the ledger's last step (a backdated event is not old
            # until the ledger stood still with it waiting).
            since = row["recorded_at"] or max(
                (t for t in (row["at"], row["advanced"]) if t is not None), default=None
            )
            waited = (row["now"] - since).total_seconds() if since is not None else None
            if waited is None or waited > overdue_seconds:
                count = report.events - covered
                report.unverified.append(
                    Finding(
                        "unsigned",
                        f"{count} event{'s' if count > 1 else ''} from here on "
                        f"{'are' if count > 1 else 'is'} under no signed head, and the first "
                        + (
                            f"has waited {_duration(waited)}"
                            if waited is not None
                            else "was stored at an unknown time"
                        )
                        + f", longer than the signing interval allows ({overdue_seconds:g} s): "
                        "the heads were removed, or no process signs with the key",
                        covered,
                        row["notification_id"],
                        row["originator_id"],
                        row["originator_version"],
                        in_store=True,
                    )
                )
    last = heads[-1].size if heads else 0
    beyond = await conn.fetchrow(
        "SELECT count(*) AS n, min(position) AS first, max(position) AS last "
        "FROM views.ledger_seals WHERE position >= $1",
        last,
    )
    if beyond["n"]:
        report.unverified.append(
            Finding(
                "sealed-unsigned",
                f"{beyond['n']} seal{'s' if beyond['n'] > 1 else ''} (leaves {beyond['first']}.."
                f"{beyond['last']}) lie beyond the last signed head "
                f"({f'size {last}' if heads else 'there is none'}): seals are made only with "
                "a head, so heads were removed",
                sizes=(last,) if heads else (),
            )
        )


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


async def _check_case_map(
    conn: asyncpg.Connection, heads: list[TreeHead], walk: _Walk, report: Report
) -> None:
    """The latest head's case map root against the map recomputed from the store (each
    case's last event among the head's first events: its case type, version and place).
    Only when the store reproduces that head's root: otherwise the events are already
    named, and the map differs because of them."""
    last = heads[-1] if heads else None
    if last is None or last.map_root is None or walk.store_roots.get(last.size) != last.root:
        return
    rows = await conn.fetch(
        "SELECT DISTINCT ON (originator_id) originator_id, topic, originator_version, i "
        "FROM (SELECT originator_id, originator_version, topic, "
        f"row_number() OVER (ORDER BY notification_id) - 1 AS i FROM {EVENTS_TABLE}) e "
        "WHERE i < $1 ORDER BY originator_id, originator_version DESC",
        last.size,
    )
    recomputed = CaseMap((r[0], Entry(case_type_of(r[1]), r[2], r[3])) for r in rows)
    if recomputed.root() != last.map_root:
        report.add(
            Finding(
                "head-map",
                f"the store's cases as of head {last.size} ({len(recomputed)} cases: each "
                "one's case type, last version and its leaf) do not hash to the head's case "
                "map root: the signer committed to another map",
                sizes=(last.size,),
            )
        )
