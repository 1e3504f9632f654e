"""Signed heads as C2SP `tlog-checkpoint` signed notes (https://c2sp.org/tlog-checkpoint,
https://c2sp.org/signed-note), so existing tooling (the Go checksum database's note
package, transparency-dev witnesses) can verify and witness the log. No I/O.

The note text is three lines, each ending in a newline:

    <origin>
    <tree size, decimal>
    <root hash, base64>

then a blank line and one signature line: `— <key name> base64(key ID || signature)`,
where the key name is the origin, the signature is Ed25519 over the note text, and
key ID = SHA-256(key name || 0x0A || 0x01 || the 32-byte public key)[:4]. The
verifier key, in the note package's format, is `<name>+<key ID, 8 hex digits>+
base64(0x01 || public key)`. The origin names the log: `oversight.ledger/<cluster
system identifier>/<database name, percent-encoded>`, like the published log's file.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote

from ledger.keys import LedgerKey

ED25519 = b"\x01"  # the signed-note signature type of Ed25519
_DASH = "\u2014"


def origin_of(identity: tuple[str, str]) -> str:
    system, database = identity
    return f"oversight.ledger/{system}/{quote(database, safe='')}"


def key_id(name: str, key: LedgerKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + key.public_raw).digest()[:4]


def verifier_key(name: str, key: LedgerKey) -> str:
    return f"{name}+{key_id(name, key).hex()}+{base64.b64encode(ED25519 + key.public_raw).decode()}"


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def sign_checkpoint(key: LedgerKey, origin: str, size: int, root: bytes) -> str:
    """The whole signed note (text, blank line, signature line)."""
    text = checkpoint_text(origin, size, root)
    signature = key_id(origin, key) + key.sign(text.encode())
    return f"{text}\n{_DASH} {origin} {base64.b64encode(signature).decode()}\n"


def verify_checkpoint(note: str, origin: str, key: LedgerKey, size: int, root: bytes) -> bool:
    """Whether `note` is this head's checkpoint, signed by `key` under `origin`."""
    text, _, signatures = note.rpartition("\n\n")
    if text + "\n" != checkpoint_text(origin, size, root):
        return False
    wanted = key_id(origin, key)
    for line in signatures.splitlines():
        prefix = f"{_DASH} {origin} "
        if not line.startswith(prefix):
            continue
        try:
            raw = base64.b64decode(line[len(prefix) :], validate=True)
        except ValueError:
            return False
        if raw[:4] == wanted:
            return key.verify(raw[4:], (text + "\n").encode())
    return False
