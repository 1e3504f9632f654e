"""Key rotation: a statement signed by the old key and the new key, and the chain of keys
it makes (no I/O).

A head is signed by the key in force at its size. The first key is in force from the
start; a rotation at tree size S (the size of the last head the old key signed) hands
over to the new key for every head after S. The statement is signed by both keys, so
an inspector who trusts either one can follow the chain to the other: forward (the old
key vouches for its successor) or backward (the new key vouches for the heads before it).

The message both keys sign, exactly (big-endian):

    "oversight ledger key rotation v1\\n" (33 bytes, ASCII)
    || uint64 size || root (32) || old public key (32 raw bytes)
    || new public key (32 raw bytes) || uint64 timestamp (ms since the epoch)

`root` is the tree's root at `size` (the old key's last head's); the empty tree's root
when no head was signed yet. JSON form (the published log, `views.ledger_key_rotations`):
`{"type": "key-rotation", "size", "root", "timestamp", "old_key_id", "old_public_key",
"new_key_id", "new_public_key", "old_signature", "new_signature"}` (bytes in base64).
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.heads import TreeHead, b64, from_ms, unb64
from ledger.keys import LedgerKey
from ledger.merkle import HASH_SIZE

CONTEXT = b"oversight ledger key rotation v1\n"
ROTATION_TYPE = "key-rotation"
_NUMBER = struct.Struct(">Q")


def key_id_of(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()


def rotation_message(
    size: int, root: bytes, old_public: bytes, new_public: bytes, timestamp_ms: int
) -> bytes:
    if len(root) != HASH_SIZE or len(old_public) != 32 or len(new_public) != 32:
        raise ValueError("a root is 32 bytes, an Ed25519 public key 32 bytes")
    return b"".join(
        (CONTEXT, _NUMBER.pack(size), root, old_public, new_public, _NUMBER.pack(timestamp_ms))
    )


@dataclass(frozen=True)
class KeyRotation:
    size: int
    root: bytes
    timestamp: int  # ms since the epoch
    old_public: bytes
    new_public: bytes
    old_signature: bytes
    new_signature: bytes

    @classmethod
    def sign(
        cls, old: LedgerKey, new: LedgerKey, size: int, root: bytes, timestamp_ms: int
    ) -> KeyRotation:
        message = rotation_message(size, root, old.public_raw, new.public_raw, timestamp_ms)
        return cls(
            size,
            root,
            timestamp_ms,
            old.public_raw,
            new.public_raw,
            old.sign(message),
            new.sign(message),
        )

    @property
    def old_key_id(self) -> str:
        return key_id_of(self.old_public)

    @property
    def new_key_id(self) -> str:
        return key_id_of(self.new_public)

    def message(self) -> bytes:
        return rotation_message(
            self.size, self.root, self.old_public, self.new_public, self.timestamp
        )

    def valid(self) -> bool:
        """Both keys signed this statement, and they are two keys."""
        if self.old_public == self.new_public:
            return False
        message = self.message()
        for public, signature in (
            (self.old_public, self.old_signature),
            (self.new_public, self.new_signature),
        ):
            try:
                Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
            except (InvalidSignature, ValueError):
                return False
        return True

    def describe(self) -> str:
        return f"{self.old_key_id[:16]}… → {self.new_key_id[:16]}… after size {self.size}"

    def to_json(self) -> dict[str, Any]:
        return {
            "type": ROTATION_TYPE,
            "size": self.size,
            "root": b64(self.root),
            "timestamp": self.timestamp,
            "rotated_at": from_ms(self.timestamp).isoformat(),
            "old_key_id": self.old_key_id,
            "old_public_key": b64(self.old_public),
            "new_key_id": self.new_key_id,
            "new_public_key": b64(self.new_public),
            "old_signature": b64(self.old_signature),
            "new_signature": b64(self.new_signature),
        }

    @classmethod
    def from_json(cls, data: Any) -> KeyRotation:
        if not isinstance(data, dict) or data.get("type") != ROTATION_TYPE:
            raise ValueError("key rotation: expected an object of type key-rotation")
        size, timestamp = data.get("size"), data.get("timestamp")
        for name, value in (("size", size), ("timestamp", timestamp)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"key rotation.{name}: expected a non-negative integer")
        fields = {
            name: unb64(data.get(name), f"key rotation.{name}")
            for name in (
                "root",
                "old_public_key",
                "new_public_key",
                "old_signature",
                "new_signature",
            )
        }
        if len(fields["root"]) != HASH_SIZE:
            raise ValueError("key rotation.root: expected 32 bytes")
        for name in ("old_public_key", "new_public_key"):
            if len(fields[name]) != 32:
                raise ValueError(f"key rotation.{name}: expected 32 bytes")
        return cls(
            size,  # type: ignore[arg-type]
            fields["root"],
            timestamp,  # type: ignore[arg-type]
            fields["old_public_key"],
            fields["new_public_key"],
            fields["old_signature"],
            fields["new_signature"],
        )


def key_in_force(last: TreeHead, rotations: Iterable[KeyRotation]) -> str:
    """The key id that must sign the next head after `last`: its own key, handed over
    by every valid rotation recorded from it at or after its size."""
    following: dict[str, str] = {}
    for r in rotations:
        if r.size >= last.size and r.valid():
            following.setdefault(r.old_key_id, r.new_key_id)
    current, seen = last.key_id, {last.key_id}
    while current in following and following[current] not in seen:
        current = following[current]
        seen.add(current)
    return current


class KeyChain:
    """The keys in force over the tree, through `trusted` (the key the inspector holds):
    keys[0] signs the heads up to sizes[0], keys[i] those after sizes[i-1] up to
    sizes[i], the last key every head after the last rotation. Only valid statements
    (signed by both keys) link keys; statements that are not, and links that fork or go
    back in size, are listed in `invalid` and ignored."""

    def __init__(self, trusted: LedgerKey, rotations: Iterable[KeyRotation]) -> None:
        self.invalid: list[tuple[KeyRotation, str]] = []
        by_old: dict[str, KeyRotation] = {}
        by_new: dict[str, KeyRotation] = {}
        for r in sorted(set(rotations), key=lambda r: (r.size, r.timestamp)):
            if not r.valid():
                self.invalid.append((r, "not signed by both keys"))
            elif r.old_key_id in by_old or r.new_key_id in by_new:
                self.invalid.append((r, "a second hand-over from or to the same key"))
            else:
                by_old[r.old_key_id] = r
                by_new[r.new_key_id] = r
        backward: list[KeyRotation] = []
        current, seen = trusted.key_id, {trusted.key_id}
        while (link := by_new.get(current)) is not None and link.old_key_id not in seen:
            backward.append(link)
            current = link.old_key_id
            seen.add(current)
        forward: list[KeyRotation] = []
        current = trusted.key_id
        while (link := by_old.get(current)) is not None and link.new_key_id not in seen:
            forward.append(link)
            current = link.new_key_id
            seen.add(current)
        links = [*reversed(backward), *forward]
        for a, b in itertools.pairwise(links):
            if b.size < a.size:
                self.invalid.append((b, f"hands over at size {b.size}, before {a.size}"))
        self.rotations = links
        first = links[0].old_public if links else trusted.public_raw
        self.keys = [
            trusted if first == trusted.public_raw else LedgerKey.from_public_raw(first)
        ] + [
            trusted
            if r.new_public == trusted.public_raw
            else LedgerKey.from_public_raw(r.new_public)
            for r in links
        ]
        self.sizes = [r.size for r in links]

    def key_for(self, size: int) -> LedgerKey:
        """The key in force for a head of `size` leaves."""
        return self.keys[bisect.bisect_left(self.sizes, size)]

    def describe(self) -> str:
        if not self.rotations:
            return ""
        parts = [f"{self.keys[0].key_id[:16]}… up to size {self.sizes[0]}"]
        for i, key in enumerate(self.keys[1:], start=1):
            upto = f" up to size {self.sizes[i]}" if i < len(self.sizes) else " since"
            parts.append(f"{key.key_id[:16]}…{upto}")
        return "keys in force (rotations signed by both keys): " + ", then ".join(parts)


def sealed_by(key: LedgerKey, chain: KeyChain, heads: Sequence[TreeHead]) -> list[tuple[int, int]]:
    """The leaf positions whose seals `key` made: those first covered by a head that
    `key` genuinely signed (a seal is made with the head that first covers its leaf),
    as sorted, disjoint [start, end) ranges."""
    ranges: list[tuple[int, int]] = []
    previous = 0
    for head in sorted({h.size: h for h in heads}.values(), key=lambda h: h.size):
        signer = chain.key_for(head.size)
        if signer.key_id == key.key_id and head.verify(signer) and head.size > previous:
            if ranges and ranges[-1][1] == previous:
                ranges[-1] = (ranges[-1][0], head.size)
            else:
                ranges.append((previous, head.size))
        previous = max(previous, head.size)
    return ranges
