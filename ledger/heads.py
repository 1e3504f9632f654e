"""Signed tree heads: what is signed, and their JSON form (no I/O).

The signature is Ed25519 over the TLS encoding of RFC 9162's `TreeHeadDataV2`: uint64
timestamp (milliseconds since the epoch) || uint64 tree_size || uint8 32 || the 32-byte
root hash || the extensions, a uint16-length-prefixed vector. Heads signed before the
case map have none (uint16 0); since, one extension commits to the case map's root
(ledger/casemap.py): uint16 36 || uint16 0xF000 (private use) || uint16 32 || map root.
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger.checkpoint import sign_checkpoint
from ledger.keys import LedgerKey
from ledger.merkle import HASH_SIZE

_TREE_HEAD = struct.Struct(">QQB")
_NO_EXTENSIONS = b"\x00\x00"
# RFC 9162 ExtensionType (uint16) of the case map's root: in the private-use range.
CASE_MAP_EXTENSION = 0xF000
_EXTENSION = struct.Struct(">HHH")  # vector length, extension type, data length


def tree_head_data(
    size: int, root: bytes, timestamp_ms: int, map_root: bytes | None = None
) -> bytes:
    if len(root) != HASH_SIZE:
        raise ValueError("a root hash is 32 bytes")
    head = _TREE_HEAD.pack(timestamp_ms, size, HASH_SIZE) + root
    if map_root is None:
        return head + _NO_EXTENSIONS
    if len(map_root) != HASH_SIZE:
        raise ValueError("a case map root is 32 bytes")
    return head + _EXTENSION.pack(4 + HASH_SIZE, CASE_MAP_EXTENSION, HASH_SIZE) + map_root


def to_ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def from_ms(timestamp_ms: int) -> datetime:
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: Any, field: str) -> bytes:
    if not isinstance(text, str):
        raise ValueError(f"{field}: expected base64 text")
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise ValueError(f"{field}: not base64") from None


@dataclass(frozen=True)
class TreeHead:
    size: int
    root: bytes
    timestamp: int  # milliseconds since the epoch
    signature: bytes
    key_id: str
    map_root: bytes | None = None  # the case map's root (None: signed before the map)
    # The same head as a C2SP tlog-checkpoint signed note (ledger/checkpoint.py).
    checkpoint: str | None = None

    @classmethod
    def sign(
        cls,
        key: LedgerKey,
        size: int,
        root: bytes,
        timestamp_ms: int,
        map_root: bytes | None = None,
        *,
        origin: str | None = None,
    ) -> TreeHead:
        """Signed; with `origin`, also as a checkpoint of the log of that origin."""
        signature = key.sign(tree_head_data(size, root, timestamp_ms, map_root))
        note = sign_checkpoint(key, origin, size, root) if origin is not None else None
        return cls(size, root, timestamp_ms, signature, key.key_id, map_root, note)

    def signed_data(self) -> bytes:
        return tree_head_data(self.size, self.root, self.timestamp, self.map_root)

    def verify(self, key: LedgerKey) -> bool:
        return self.key_id == key.key_id and key.verify(self.signature, self.signed_data())

    def to_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "root": b64(self.root),
            "timestamp": self.timestamp,
            "signed_at": from_ms(self.timestamp).isoformat(),
            "signature": b64(self.signature),
            "key_id": self.key_id,
            **({"map_root": b64(self.map_root)} if self.map_root is not None else {}),
            **({"checkpoint": self.checkpoint} if self.checkpoint is not None else {}),
        }

    @classmethod
    def from_json(cls, data: Any) -> TreeHead:
        if not isinstance(data, dict):
            raise ValueError("tree_head: expected an object")
        size, timestamp, key_id = data.get("size"), data.get("timestamp"), data.get("key_id")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError("tree_head.size: expected a non-negative integer")
        if not isinstance(timestamp, int) or isinstance(timestamp, bool) or timestamp < 0:
            raise ValueError("tree_head.timestamp: expected milliseconds since the epoch")
        if not isinstance(key_id, str):
            raise ValueError("tree_head.key_id: expected text")
        root = unb64(data.get("root"), "tree_head.root")
        if len(root) != HASH_SIZE:
            raise ValueError("tree_head.root: expected 32 bytes")
        map_root = None
        if data.get("map_root") is not None:
            map_root = unb64(data["map_root"], "tree_head.map_root")
            if len(map_root) != HASH_SIZE:
                raise ValueError("tree_head.map_root: expected 32 bytes")
        checkpoint = data.get("checkpoint")
        if checkpoint is not None and not isinstance(checkpoint, str):
            raise ValueError("tree_head.checkpoint: expected the signed note's text")
        return cls(
            size,
            root,
            timestamp,
            unb64(data.get("signature"), "tree_head.signature"),
            key_id,
            map_root,
            checkpoint,
        )
