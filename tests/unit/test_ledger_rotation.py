"""Key rotation statements and the chain of keys they make (ledger/rotation.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ledger.heads import TreeHead
from ledger.keys import LedgerKey, generate_key_file
from ledger.rotation import KeyChain, KeyRotation, key_in_force, sealed_by

ROOT = bytes(range(32))


@pytest.fixture
def keys(tmp_path: Path) -> list[LedgerKey]:
    return [generate_key_file(tmp_path / f"k{i}.key") for i in range(4)]


def public(key: LedgerKey) -> LedgerKey:
    return LedgerKey(public=key.public)


def test_the_statement_is_the_documented_bytes_signed_by_both_keys(keys) -> None:
    old, new = keys[0], keys[1]
    r = KeyRotation.sign(old, new, 1200, ROOT, 1_700_000_000_123)
    expected = (
        b"oversight ledger key rotation v1\n"
        + (1200).to_bytes(8, "big")
        + ROOT
        + old.public_raw
        + new.public_raw
        + (1_700_000_000_123).to_bytes(8, "big")
    )
    assert r.message() == expected
    assert old.public.verify(r.old_signature, expected) is None
    assert new.public.verify(r.new_signature, expected) is None
    assert r.old_key_id == hashlib.sha256(old.public_raw).hexdigest() == old.key_id
    assert r.valid()
    assert KeyRotation.from_json(r.to_json()) == r
    # One signature missing, swapped, or over another size: not a rotation.
    assert not KeyRotation(*[*vars(r).values()][:5], r.old_signature, r.old_signature).valid()
    forged = KeyRotation(1201, ROOT, r.timestamp, r.old_public, r.new_public,
                         r.old_signature, r.new_signature)  # fmt: skip
    assert not forged.valid()
    with pytest.raises(ValueError, match=r"key rotation\.root"):
        KeyRotation.from_json({**r.to_json(), "root": "AA=="})


def test_the_key_in_force_follows_rotations_from_the_last_head(keys) -> None:
    a, b, c, d = keys
    last = TreeHead.sign(a, 100, ROOT, 1)
    assert key_in_force(last, []) == a.key_id
    ab = KeyRotation.sign(a, b, 100, ROOT, 2)
    bc = KeyRotation.sign(b, c, 100, ROOT, 3)
    assert key_in_force(last, [ab]) == b.key_id
    assert key_in_force(last, [ab, bc]) == c.key_id
    # A rotation before the last head does not hand over what the old key signed since.
    assert key_in_force(TreeHead.sign(a, 150, ROOT, 4), [ab]) == a.key_id
    # One signed by the new key alone hands over nothing.
    one_sided = KeyRotation.sign(a, d, 100, ROOT, 5)
    one_sided = KeyRotation(*[*vars(one_sided).values()][:6], one_sided.old_signature)
    assert key_in_force(last, [one_sided]) == a.key_id


def test_the_chain_is_followed_from_whichever_key_the_inspector_trusts(keys) -> None:
    a, b, c, _ = keys
    rotations = [KeyRotation.sign(a, b, 100, ROOT, 2), KeyRotation.sign(b, c, 250, ROOT, 3)]
    for trusted in (a, b, c, public(a), public(c)):
        chain = KeyChain(trusted, rotations)
        assert [k.key_id for k in chain.keys] == [a.key_id, b.key_id, c.key_id]
        assert chain.sizes == [100, 250]
        assert [chain.key_for(s).key_id for s in (1, 100, 101, 250, 251, 10**9)] == [
            a.key_id, a.key_id, b.key_id, b.key_id, c.key_id, c.key_id,
        ]  # fmt: skip
        assert chain.invalid == []
    # A key outside the chain: on its own.
    alone = KeyChain(keys[3], rotations)
    assert [k.key_id for k in alone.keys] == [keys[3].key_id]


def test_invalid_and_forking_statements_are_ignored_and_listed(keys) -> None:
    a, b, c, d = keys
    ab = KeyRotation.sign(a, b, 100, ROOT, 2)
    fork = KeyRotation.sign(a, c, 120, ROOT, 3)
    bad = KeyRotation(*[*vars(KeyRotation.sign(b, d, 200, ROOT, 4)).values()][:6], b"x" * 64)
    chain = KeyChain(a, [ab, fork, bad])
    assert [k.key_id for k in chain.keys] == [a.key_id, b.key_id]
    assert [(r, why) for r, why in chain.invalid] == [
        (fork, "a second hand-over from or to the same key"),
        (bad, "not signed by both keys"),
    ]


def test_a_key_checks_the_seals_of_the_leaves_it_first_signed(keys) -> None:
    a, b, _, _ = keys
    chain = KeyChain(a, [KeyRotation.sign(a, b, 100, ROOT, 2)])
    heads = [TreeHead.sign(a, 50, ROOT, 1), TreeHead.sign(a, 100, ROOT, 2),
             TreeHead.sign(b, 150, ROOT, 3), TreeHead.sign(b, 170, ROOT, 4)]  # fmt: skip
    assert sealed_by(a, chain, heads) == [(0, 100)]
    assert sealed_by(b, chain, heads) == [(100, 170)]
    # A head the key in force did not sign breaks its range.
    forged = [*heads[:2], TreeHead.sign(a, 150, ROOT, 3), heads[3]]
    assert sealed_by(b, chain, forged) == [(150, 170)]
    assert sealed_by(a, chain, forged) == [(0, 100)]
