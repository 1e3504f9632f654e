"""Each signed head is also a C2SP tlog-checkpoint (a signed note), served at
`GET /api/v1/ledger/checkpoint` and kept in the published log, and the public key is
readable without a token, also as a note verifier key. The checkpoint is checked here by
a note verifier written from the C2SP texts (c2sp.org/signed-note, c2sp.org/tlog-
checkpoint) and the Go note package's verifier key format, sharing no code with the
writer (ledger/checkpoint.py)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.published import read_log
from tests.http.support import API, inspector, lodge, supervisor
from tests.support import credit_code

LEDGER = "/api/v1/ledger"


class NoteError(Exception):
    pass


def parse_verifier_key(vkey: str) -> tuple[str, bytes, bytes]:
    """`<name>+<8 hex digits>+<base64(type byte || key)>` -> (name, key ID, public key)."""
    name, key_hash, data = vkey.split("+", 2)
    raw = base64.b64decode(data, validate=True)
    if not name or raw[:1] != b"\x01" or len(raw) != 33 or len(key_hash) != 8:
        raise NoteError("not an Ed25519 verifier key")
    public = raw[1:]
    expected = hashlib.sha256(name.encode() + b"\n" + b"\x01" + public).digest()[:4]
    if bytes.fromhex(key_hash) != expected:
        raise NoteError("the key hash is not SHA-256(name || 0x0A || 0x01 || key)[:4]")
    return name, expected, public


def open_note(note: str, vkey: str) -> str:
    """The verified text of a signed note, or NoteError."""
    name, key_id, public = parse_verifier_key(vkey)
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise NoteError("control characters")
    if not note.endswith("\n"):
        raise NoteError("a note ends in a newline")
    split = note[:-1].rfind("\n\n")
    if split < 0:
        raise NoteError("no blank line before the signatures")
    text, signatures = note[: split + 1], note[split + 2 :]
    verified = False
    for line in signatures.rstrip("\n").split("\n"):
        if not line.startswith("\u2014 "):
            raise NoteError(f"not a signature line: {line!r}")
        signer, _, encoded = line[2:].rpartition(" ")
        raw = base64.b64decode(encoded, validate=True)
        if signer != name or raw[:4] != key_id:
            continue  # someone else's signature (a witness's): ignored
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], text.encode())
        except InvalidSignature:
            raise NoteError("the known key's signature does not verify") from None
        verified = True
    if not verified:
        raise NoteError("no signature by the known key")
    return text


def read_checkpoint(text: str) -> tuple[str, int, bytes]:
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) >= 4, text
    origin, size, root = lines[0], lines[1], lines[2]
    assert origin and " " not in origin and "+" not in origin
    assert size == "0" or (size.isascii() and size.isdigit() and not size.startswith("0"))
    return origin, int(size), base64.b64decode(root, validate=True)


def test_the_checkpoint_verifies_with_an_independent_note_verifier(client, clock):
    case = lodge(client, credit_code())
    r = client.get(f"{API}/{case['id']}/bundle", headers=inspector())  # a head covers it
    assert r.status_code == 200, r.text
    # Without a token: the key, with its note verifier key, and the checkpoint.
    key = client.get(f"{LEDGER}/key")
    assert key.status_code == 200, key.text
    vkey = key.json()["verifier_key"]
    assert vkey.startswith(key.json()["origin"] + "+")
    r = client.get(f"{LEDGER}/checkpoint")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    origin, size, root = read_checkpoint(open_note(r.text, vkey))
    assert origin == key.json()["origin"]
    head = client.get(f"{LEDGER}/head", headers=supervisor()).json()
    assert (size, base64.b64encode(root).decode()) == (head["size"], head["root"])
    assert head["checkpoint"] == r.text
    # The same public key as the RFC 9162 heads'.
    assert base64.b64decode(key.json()["public_key"]) == base64.b64decode(vkey.split("+", 2)[2])[1:]

    # Any change to the note, or another key, and it does not verify.
    for forged in (
        r.text.replace(f"\n{size}\n", f"\n{size + 1}\n"),
        r.text.replace(origin, origin + "x", 1),
        r.text[:-6] + ("A" if r.text[-6] != "A" else "B") + r.text[-5:],
    ):
        with pytest.raises(NoteError):
            open_note(forged, vkey)
    other = Ed25519PublicKey.from_public_bytes(bytes(32)).public_bytes_raw()
    other_hash = hashlib.sha256(origin.encode() + b"\n\x01" + other).digest()[:4].hex()
    with pytest.raises(NoteError, match="no signature by the known key"):
        open_note(r.text, f"{origin}+{other_hash}+{base64.b64encode(b'\x01' + other).decode()}")


def test_the_proofs_still_need_a_token(client):
    r = client.get(f"{LEDGER}/head")
    assert r.status_code == 401
    r = client.get(f"{LEDGER}/proof/consistency?from=1&to=1")
    assert r.status_code == 401


def test_checkpoints_are_in_the_published_log(tmp_path: Path, fresh_database_url, settings, clock):
    import dataclasses

    from litestar.testing import TestClient

    from oversight.runtime import create_app
    from tests.conftest import JWT_SECRET

    log = tmp_path / "heads.jsonl"
    publishing = dataclasses.replace(settings, ledger_heads_log=str(log))
    app = create_app(
        publishing, database_url=fresh_database_url, jwt_secret=JWT_SECRET, clock=clock
    )
    with TestClient(app) as client:
        case = lodge(client, credit_code())
        assert client.get(f"{API}/{case['id']}/bundle", headers=inspector()).status_code == 200
        vkey = client.get(f"{LEDGER}/key").json()["verifier_key"]
    heads, _ = read_log(log)
    assert heads
    for line in log.read_text().splitlines():
        note = json.loads(line)["checkpoint"]
        origin, size, root = read_checkpoint(open_note(note, vkey))
        assert origin == vkey.split("+", 2)[0]
        assert size == json.loads(line)["size"]
        assert base64.b64encode(root).decode() == json.loads(line)["root"]
