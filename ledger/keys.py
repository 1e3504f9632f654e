"""The ledger's Ed25519 key: kept in a file outside the database, never in it.

The private key file is PKCS#8 PEM, mode 0600 (`OVERSIGHT_LEDGER_KEY`, default
`var/ledger-ed25519.key`); the public key is written next to it as `<name>.pub`
(SubjectPublicKeyInfo PEM). A key's id is the hex SHA-256 of its 32 raw public bytes.
Only the embedded development server generates a missing key; against a server
(`DATABASE_URL`) the key is made once by `oversight ledger init-key`.

Besides signing tree heads, the private key seeds (HKDF-SHA256) a second secret used
to seal each signed leaf (HMAC-SHA256 of position, notification id and leaf hash): with
the private key at hand, `oversight verify` can name the exact event even when an
attacker rewrote the ledger tables to match altered events (see docs/ledger.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import stat
import struct
from dataclasses import dataclass
from pathlib import Path

import structlog
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = structlog.get_logger(__name__)

DEFAULT_KEY_NAME = "ledger-ed25519.key"
_SEAL_INFO = b"oversight ledger leaf seal v1"
_SEAL_INPUT = struct.Struct(">QQ")


class KeyFileError(Exception):
    """The key file is missing, unreadable or not an Ed25519 key."""


@dataclass(frozen=True)
class LedgerKey:
    public: Ed25519PublicKey
    private: Ed25519PrivateKey | None = None

    @classmethod
    def from_public_raw(cls, raw: bytes) -> LedgerKey:
        return cls(public=Ed25519PublicKey.from_public_bytes(raw))

    @property
    def public_raw(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.public_raw).hexdigest()

    @property
    def public_pem(self) -> str:
        return self.public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    @property
    def can_sign(self) -> bool:
        return self.private is not None

    def sign(self, message: bytes) -> bytes:
        if self.private is None:
            raise KeyFileError("this is a public key: it cannot sign")
        return self.private.sign(message)

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            self.public.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    @property
    def seal_key(self) -> bytes | None:
        """The leaf-sealing secret, derived from the private key (None without it)."""
        if self.private is None:
            return None
        raw = self.private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_INFO).derive(raw)

    def describe(self) -> dict[str, str]:
        return {
            "algorithm": "Ed25519",
            "key_id": self.key_id,
            "public_key": base64.b64encode(self.public_raw).decode(),
            "pem": self.public_pem,
        }


def seal(seal_key: bytes, position: int, notification_id: int, leaf: bytes) -> bytes:
    return hmac.digest(seal_key, _SEAL_INPUT.pack(position, notification_id) + leaf, "sha256")


def generate_key_file(path: Path) -> LedgerKey:
    """A new key in `path` (0600, refusing to overwrite) and its public half in `.pub`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Written aside, then linked into place: another process never reads half a key,
    # and an existing key is never overwritten (FileExistsError).
    staging = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        os.link(staging, path)
    finally:
        staging.unlink()
    key = LedgerKey(public=private.public_key(), private=private)
    public_path(path).write_text(key.public_pem)
    log.info("ledger_key_generated", path=str(path), key_id=key.key_id)
    return key


def public_path(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(".key") + ".pub")


def load_key_file(path: Path) -> LedgerKey:
    """A private key (to sign) or a public key (to verify) from a file.

    Accepted: PEM (PKCS#8 private key or SubjectPublicKeyInfo), 32 raw bytes, their
    base64, or the JSON that `GET /api/v1/ledger/key` answers.
    """
    try:
        data = path.read_bytes()
    except OSError as e:
        raise KeyFileError(f"cannot read the key file {path}: {e.strerror}") from None
    key = parse_key(data)
    if key is None:
        raise KeyFileError(f"{path} holds no Ed25519 key")
    if key.private is not None and stat.S_IMODE(path.stat().st_mode) & 0o077:
        log.warning("ledger_key_readable_by_others", path=str(path))
    return key


def parse_key(data: bytes) -> LedgerKey | None:
    text = data.strip()
    if text.startswith(b"{"):
        try:
            text = json.loads(text)["public_key"].encode()
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
    if text.startswith(b"-----BEGIN"):
        for load in (_load_pem_private, _load_pem_public):
            key = load(text)
            if key is not None:
                return key
        return None
    raw = data if len(data) == 32 else None
    if raw is None:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return None
    if len(raw) != 32:
        return None
    return LedgerKey(public=Ed25519PublicKey.from_public_bytes(raw))


def _load_pem_private(text: bytes) -> LedgerKey | None:
    try:
        private = serialization.load_pem_private_key(text, password=None)
    except (ValueError, TypeError):
        return None
    if not isinstance(private, Ed25519PrivateKey):
        return None
    return LedgerKey(public=private.public_key(), private=private)


def _load_pem_public(text: bytes) -> LedgerKey | None:
    try:
        public = serialization.load_pem_public_key(text)
    except ValueError:
        return None
    if not isinstance(public, Ed25519PublicKey):
        return None
    return LedgerKey(public=public)


def signing_key(path: Path, *, configured: bool, embedded: bool) -> LedgerKey:
    """The signing key at `path`. Only the embedded development server (no
    `DATABASE_URL`) makes one when there is none: a server's key is created on purpose,
    once, by `oversight ledger init-key`, and kept. A key made silently (a fresh
    container whose `var/` was lost) would start a second ledger nobody can check
    against the key they were given, so a missing key stops the signer instead."""
    if path.exists():
        key = load_key_file(path)
        if not key.can_sign:
            raise KeyFileError(f"{path} holds a public key; the signer needs the private key")
        return key
    if not embedded:
        where = "OVERSIGHT_LEDGER_KEY points at" if configured else "the ledger key would be"
        raise KeyFileError(
            f"no ledger key: {where} {path}, which does not exist. Create it once with "
            "`oversight ledger init-key` (with DATABASE_URL set, no key is ever made "
            "silently), or point OVERSIGHT_LEDGER_KEY at the key that signed this ledger"
        )
    try:
        return generate_key_file(path)
    except FileExistsError:  # another process generated it first
        return load_key_file(path)
