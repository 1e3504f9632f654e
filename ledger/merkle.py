"""RFC 9162 (Certificate Transparency 2.0) Merkle trees, with no I/O.

- `leaf_hash(d) = SHA-256(0x00 || d)`, `node_hash(l, r) = SHA-256(0x01 || l || r)`.
- `root(leaves)` is the Merkle Tree Hash (MTH, §2.1.1) of a list of leaf hashes, split at
  the largest power of two smaller than n: the reference the rest is tested against.
- A stored tree is addressed by its perfect subtrees: node `(level, index)` is the MTH
  of leaves `[index * 2**level, (index + 1) * 2**level)`; level 0 are the leaf hashes.
  Every range the RFC's algorithms ask for decomposes into O(log n) such nodes, so
  roots and proofs of any size up to n are O(log n) lookups (`range_hash`).
- `CompactRange` is the right edge of a growing tree (one perfect subtree per set bit
  of its size): appending a leaf is O(log n) and yields the perfect nodes it completes.
- Inclusion proofs (§2.1.3.1) and their verification (§2.1.3.2); consistency proofs
  (§2.1.4.1) and their verification (§2.1.4.2).
- `canonical_event_bytes` is what a stored event's leaf is the hash of (docs/ledger.md).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Callable, Container, Iterable, Sequence
from typing import Any
from uuid import UUID

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# (level, index) -> the hash of that perfect subtree.
NodeGetter = Callable[[int, int], bytes]

_EVENT_HEAD = struct.Struct(">16sqI")
_LEAF_EVENT_HEAD = struct.Struct(">B16sqI")  # the leaf's 0x00 prefix, then _EVENT_HEAD
_LENGTH = struct.Struct(">I")


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def canonical_event_bytes(
    originator_id: UUID | bytes, originator_version: int, topic: str, state: bytes
) -> bytes:
    """16 raw UUID bytes || 8-byte big-endian signed version || 4-byte big-endian length
    || UTF-8 topic || 4-byte big-endian length || the stored state bytes, as stored."""
    raw_id = originator_id if isinstance(originator_id, bytes) else originator_id.bytes
    topic_bytes = topic.encode("utf-8")
    return b"".join(
        (
            _EVENT_HEAD.pack(raw_id, originator_version, len(topic_bytes)),
            topic_bytes,
            _LENGTH.pack(len(state)),
            state,
        )
    )


def event_leaf_hash(
    originator_id: UUID | bytes, originator_version: int, topic: str, state: bytes
) -> bytes:
    return leaf_hash(canonical_event_bytes(originator_id, originator_version, topic, state))


def event_leaf_hashes(events: Iterable[Sequence[Any]]) -> list[bytes]:
    """`event_leaf_hash` of many events, each a row whose first four items are
    (originator_id, originator_version, topic, state): the same bytes, hashed in one
    loop without a call, a join and a prefix copy per event (`oversight verify` hashes
    every stored event)."""
    sha256 = hashlib.sha256
    pack_head = _LEAF_EVENT_HEAD.pack
    pack_length = _LENGTH.pack
    out: list[bytes] = []
    append = out.append
    for row in events:
        originator_id, version, topic, state = row[0], row[1], row[2], row[3]
        raw_id = originator_id if isinstance(originator_id, bytes) else originator_id.bytes
        topic_bytes = topic.encode("utf-8")
        append(
            sha256(
                pack_head(0, raw_id, version, len(topic_bytes))
                + topic_bytes
                + pack_length(len(state))
                + state
            ).digest()
        )
    return out


def split_point(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    if n < 2:
        raise ValueError("only a tree of two or more leaves splits")
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes, literally as RFC 9162 §2.1.1 defines it."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = split_point(n)
    return node_hash(root(leaves[:k]), root(leaves[k:]))


def perfect_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """The perfect subtrees whose concatenation is leaves [start, end), left to right.

    For every range the RFC's recursion produces (`start` is a multiple of a power of two
    at least as large as `end - start`), the MTH of the range is these nodes folded from
    the right: node(a, node(b, node(c, ...))).
    """
    coords = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length() - 1
        while (1 << level) > end - start:
            level -= 1
        coords.append((level, start >> level))
        start += 1 << level
    return coords


def fold_right(hashes: Sequence[bytes]) -> bytes:
    if not hashes:
        return EMPTY_ROOT
    h = hashes[-1]
    for left in reversed(hashes[:-1]):
        h = node_hash(left, h)
    return h


def range_hash(start: int, end: int, get: NodeGetter) -> bytes:
    """MTH of leaves [start, end) from stored perfect subtrees (O(log n) lookups)."""
    return fold_right([get(level, index) for level, index in perfect_nodes(start, end)])


def tree_root(size: int, get: NodeGetter) -> bytes:
    return range_hash(0, size, get)


def inclusion_proof(index: int, size: int, get: NodeGetter) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1: the audit path of leaf `index`."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    proof: list[bytes] = []

    def path(m: int, start: int, n: int) -> None:
        if n == 1:
            return
        k = split_point(n)
        if m < k:
            path(m, start, k)
            proof.append(range_hash(start + k, start + n, get))
        else:
            path(m - k, start + k, n - k)
            proof.append(range_hash(start, start + k, get))

    path(index, 0, size)
    return proof


def consistency_proof(first: int, second: int, get: NodeGetter) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1 (0 < first <= second; empty when equal)."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second}")
    proof: list[bytes] = []

    def subproof(m: int, start: int, n: int, whole: bool) -> None:
        if m == n:
            if not whole:
                proof.append(range_hash(start, start + n, get))
            return
        k = split_point(n)
        if m <= k:
            subproof(m, start, k, whole)
            proof.append(range_hash(start + k, start + n, get))
        else:
            subproof(m - k, start + k, n - k, False)
            proof.append(range_hash(start, start + k, get))

    subproof(first, 0, second, True)
    return proof


def nodes_needed(build: Callable[[NodeGetter], object]) -> set[tuple[int, int]]:
    """Which (level, index) nodes `build(get)` reads: the algorithms' shape does not
    depend on the hash values, so a dry run with placeholders tells what to fetch."""
    seen: set[tuple[int, int]] = set()

    def record(level: int, index: int) -> bytes:
        seen.add((level, index))
        return EMPTY_ROOT

    build(record)
    return seen


def _is_hash(value: bytes) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size or not _is_hash(leaf) or not _is_hash(expected_root):
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0 or not _is_hash(p):
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(r, expected_root)


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2, plus the trivial cases: equal sizes need equal roots and an
    empty proof; any tree is consistent with the empty tree (empty proof)."""
    if not 0 <= first <= second:
        return False
    if not _is_hash(first_root) or not _is_hash(second_root):
        return False
    if first == 0:
        return not proof
    if first == second:
        return not proof and hmac.compare_digest(first_root, second_root)
    if not proof or not all(_is_hash(p) for p in proof):
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(fr, first_root) and hmac.compare_digest(sr, second_root)


def frontier_nodes(size: int) -> list[tuple[int, int]]:
    """The perfect subtrees on the right edge of a tree of `size` leaves, left to right."""
    return perfect_nodes(0, size)


class CompactRange:
    """The right edge of a tree: one perfect-subtree hash per set bit of its size."""

    __slots__ = ("_hashes", "size")

    def __init__(self, size: int = 0, frontier: Iterable[bytes] = ()) -> None:
        self.size = size
        self._hashes = list(frontier)
        if len(self._hashes) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} frontier hashes")

    @property
    def frontier(self) -> list[bytes]:
        return list(self._hashes)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; returns the perfect nodes (level >= 1) it completes."""
        position = self.size
        h = leaf
        level = 0
        completed = []
        while (position >> level) & 1:
            h = node_hash(self._hashes.pop(), h)
            level += 1
            completed.append((level, position >> level, h))
        self._hashes.append(h)
        self.size += 1
        return completed

    def root(self) -> bytes:
        return fold_right(self._hashes)

    def copy(self) -> CompactRange:
        return CompactRange(self.size, self._hashes)

    def extend(
        self, leaves: Iterable[bytes], roots_at: Container[int] = ()
    ) -> tuple[list[tuple[int, int, bytes]], dict[int, bytes]]:
        """`append` every leaf, in one loop (no call per leaf or node): returns the
        perfect nodes (level >= 1) completed, in the order `append` yields them, and the
        root at each size in `roots_at` the tree passes through."""
        sha256 = hashlib.sha256
        hashes = self._hashes
        pop, push = hashes.pop, hashes.append
        size = self.size
        completed: list[tuple[int, int, bytes]] = []
        done = completed.append
        roots: dict[int, bytes] = {}
        for h in leaves:
            index, level = size, 0
            while index & 1:
                index >>= 1
                level += 1
                h = sha256(b"\x01" + pop() + h).digest()
                done((level, index, h))
            push(h)
            size += 1
            if size in roots_at:
                roots[size] = fold_right(hashes)
        self.size = size
        return completed, roots


class MemoryTree:
    """A whole tree in memory (tests, small bundles): every perfect node by coordinate."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.range = CompactRange()
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        return self.range.size

    def append(self, leaf: bytes) -> None:
        self.nodes[(0, self.range.size)] = leaf
        for level, index, h in self.range.append(leaf):
            self.nodes[(level, index)] = h

    def get(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def root(self, size: int | None = None) -> bytes:
        return tree_root(self.size if size is None else size, self.get)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self.size if size is None else size, self.get)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        return consistency_proof(first, self.size if second is None else second, self.get)
