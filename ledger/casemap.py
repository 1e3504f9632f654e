"""The case map: a verifiable map from each case id to (case type, last version, leaf index
of that version), whose root every signed head commits to, so a bundle can prove it
holds a case's whole history as of its head (no I/O; byte formats in docs/ledger.md).

A sparse Merkle tree over 256-bit keys, with empty and single-entry subtrees collapsed:

- key(case) = SHA-256(the case id's 16 raw bytes); bit i of the key is bit (7 - i % 8)
  of byte i // 8 (most significant first): 0 goes left, 1 right;
- value = uint8 n || case type (n bytes, UTF-8) || uint64 last version || uint64 leaf
  index (big-endian);
- an empty subtree hashes to 32 zero bytes; a subtree holding one entry hashes to its
  entry hash SHA-256(0x00 || key || SHA-256(value)), wherever it sits; a subtree holding
  two or more entries hashes to SHA-256(0x01 || left || right);
- the map's root is the hash of the whole tree (32 zero bytes when it is empty).

The structure is canonical (one tree per set of entries). An inclusion proof of a key
is the list of sibling hashes from the root down to the entry (its length is the depth
at which the entry sits); a verifier folds them up from the entry hash, taking the
sibling as the left input where the key's bit at that depth is 1.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID

EMPTY = bytes(32)
_NUMBERS = struct.Struct(">QQ")


def map_key(case_id: UUID | bytes) -> bytes:
    raw = case_id if isinstance(case_id, bytes) else case_id.bytes
    return hashlib.sha256(raw).digest()


def map_value(case_type: str, last_version: int, leaf_index: int) -> bytes:
    name = case_type.encode("utf-8")
    if len(name) > 255:
        raise ValueError("a case type is at most 255 bytes")
    return bytes([len(name)]) + name + _NUMBERS.pack(last_version, leaf_index)


def entry_hash(key: bytes, value: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + key + hashlib.sha256(value).digest()).digest()


def _bit(key: bytes, depth: int) -> int:
    return (key[depth >> 3] >> (7 - (depth & 7))) & 1


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


@dataclass(frozen=True)
class Entry:
    case_type: str
    last_version: int
    leaf_index: int

    def value(self) -> bytes:
        return map_value(self.case_type, self.last_version, self.leaf_index)


class _Branch:
    __slots__ = ("hash", "left", "right")

    def __init__(self, left: _Tree, right: _Tree) -> None:
        self.left, self.right = left, right
        self.hash: bytes | None = None


# A subtree: None (empty), a key (bytes: one entry, found in `CaseMap.hashes`) or a branch.
_Tree = _Branch | bytes | None


class CaseMap:
    """The map in memory: entries by key, and the collapsed tree over them. Setting an
    entry marks only its path dirty; `root()` rehashes only dirty branches."""

    def __init__(self, entries: Iterable[tuple[UUID, Entry]] = ()) -> None:
        self.entries: dict[bytes, Entry] = {}
        self.hashes: dict[bytes, bytes] = {}  # key -> entry hash
        self.case_ids: dict[bytes, UUID] = {}
        for case_id, entry in entries:
            key = map_key(case_id)
            self.entries[key] = entry
            self.hashes[key] = entry_hash(key, entry.value())
            self.case_ids[key] = case_id
        keys = sorted(self.entries)
        self._tree: _Tree = _build(keys, 0, len(keys), 0)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, case_id: UUID) -> Entry | None:
        return self.entries.get(map_key(case_id))

    def set(self, case_id: UUID, entry: Entry) -> None:
        key = map_key(case_id)
        self.entries[key] = entry
        self.hashes[key] = entry_hash(key, entry.value())
        self.case_ids[key] = case_id
        self._tree = self._insert(self._tree, key, 0)

    def _insert(self, tree: _Tree, key: bytes, depth: int) -> _Tree:
        if tree is None or tree == key:
            return key
        if isinstance(tree, bytes):  # another single entry: split until the keys part
            other = tree
            side, own = _bit(other, depth), _bit(key, depth)
            if side != own:
                return _Branch(other, key) if side == 0 else _Branch(key, other)
            below = self._insert(other, key, depth + 1)
            return _Branch(below, None) if side == 0 else _Branch(None, below)
        tree.hash = None
        if _bit(key, depth):
            tree.right = self._insert(tree.right, key, depth + 1)
        else:
            tree.left = self._insert(tree.left, key, depth + 1)
        return tree

    def _hash(self, tree: _Tree) -> bytes:
        if tree is None:
            return EMPTY
        if isinstance(tree, bytes):
            return self.hashes[tree]
        if tree.hash is None:
            tree.hash = _node(self._hash(tree.left), self._hash(tree.right))
        return tree.hash

    def root(self) -> bytes:
        return self._hash(self._tree)

    def proof(self, case_id: UUID) -> list[bytes]:
        """The sibling hashes from the root down to the case's entry (KeyError if the
        map has no entry for it)."""
        key = map_key(case_id)
        if key not in self.entries:
            raise KeyError(case_id)
        self.root()
        siblings = []
        tree, depth = self._tree, 0
        while isinstance(tree, _Branch):
            if _bit(key, depth):
                siblings.append(self._hash(tree.left))
                tree = tree.right
            else:
                siblings.append(self._hash(tree.right))
                tree = tree.left
            depth += 1
        assert tree == key
        return siblings


def _build(keys: list[bytes], lo: int, hi: int, depth: int) -> _Tree:
    """The tree over sorted keys[lo:hi], which share their first `depth` bits."""
    if lo == hi:
        return None
    if hi - lo == 1:
        return keys[lo]
    while True:  # the first key whose bit `depth` is 1 (keys are sorted bit by bit)
        a, b = lo, hi
        while a < b:
            mid = (a + b) // 2
            if _bit(keys[mid], depth):
                b = mid
            else:
                a = mid + 1
        if lo < a < hi:
            return _Branch(_build(keys, lo, a, depth + 1), _build(keys, a, hi, depth + 1))
        # All on one side: a branch with an empty other side, one level down.
        below = _build(keys, lo, hi, depth + 1)
        return _Branch(below, None) if a == hi else _Branch(None, below)


def root_from_proof(key: bytes, value: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (a verifier compares it with the signed one)."""
    h = entry_hash(key, value)
    for depth in range(len(proof) - 1, -1, -1):
        sibling = proof[depth]
        if len(sibling) != 32:
            raise ValueError("a sibling hash is 32 bytes")
        h = _node(sibling, h) if _bit(key, depth) else _node(h, sibling)
    return h


def reference_root(entries: dict[bytes, bytes], depth: int = 0) -> bytes:
    """The root by the definition, from {key: value} (tests compare `CaseMap` with it)."""
    if not entries:
        return EMPTY
    if len(entries) == 1:
        [(key, value)] = entries.items()
        return entry_hash(key, value)
    left = {k: v for k, v in entries.items() if not _bit(k, depth)}
    right = {k: v for k, v in entries.items() if _bit(k, depth)}
    return _node(reference_root(left, depth + 1), reference_root(right, depth + 1))
