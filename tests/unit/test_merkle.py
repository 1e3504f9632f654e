"""RFC 9162 Merkle trees (ledger/merkle.py): the published test vectors, the RFC's own
recursive definitions as a reference, and properties over random trees."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import merkle as m

# The Certificate Transparency reference data (RFC 6962 / RFC 9162 share the hashing):
# eight leaf inputs, the root of every prefix, and audit paths.
LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, path)
INCLUSION_VECTORS = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
# (first size, second size, path)
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

LEAVES = [m.leaf_hash(d) for d in LEAF_INPUTS]
TREE = m.MemoryTree(LEAVES)


def _hex(items: list[bytes]) -> list[str]:
    return [h.hex() for h in items]


# --- the RFC's recursive definitions, written out literally, as the reference ---------


def ref_path(index: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = m.split_point(n)
    if index < k:
        return [*ref_path(index, leaves[:k]), m.root(leaves[k:])]
    return [*ref_path(index - k, leaves[k:]), m.root(leaves[:k])]


def ref_subproof(first: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if first == n:
        return [] if whole else [m.root(leaves)]
    k = m.split_point(n)
    if first <= k:
        return [*ref_subproof(first, leaves[:k], whole), m.root(leaves[k:])]
    return [*ref_subproof(first - k, leaves[k:], False), m.root(leaves[:k])]


# --- vectors ---------------------------------------------------------------------------


def test_hashes_are_domain_separated() -> None:
    assert m.leaf_hash(b"").hex() == ROOTS[1]
    assert m.node_hash(b"a", b"b") != m.leaf_hash(b"ab")
    assert m.EMPTY_ROOT.hex() == ROOTS[0]


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_roots_match_the_reference_vectors(size: int) -> None:
    assert m.root(LEAVES[:size]).hex() == ROOTS[size]
    assert TREE.root(size).hex() == ROOTS[size]
    compact = m.CompactRange()
    for leaf in LEAVES[:size]:
        compact.append(leaf)
    assert compact.root().hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_VECTORS)
def test_inclusion_proofs_match_the_reference_vectors(
    index: int, size: int, path: list[str]
) -> None:
    assert _hex(TREE.inclusion_proof(index, size)) == path
    proof = [bytes.fromhex(h) for h in path]
    root = bytes.fromhex(ROOTS[size])
    assert m.verify_inclusion(LEAVES[index], index, size, proof, root)
    assert not m.verify_inclusion(LEAVES[index], index + 1, size, proof, root)
    assert not m.verify_inclusion(LEAVES[index], index, size * 2, proof, root)
    assert not m.verify_inclusion(m.leaf_hash(b"WrongLeaf"), index, size, proof, root)
    assert not m.verify_inclusion(LEAVES[index], index, size, [*proof, root], root)
    assert not m.verify_inclusion(LEAVES[index], index, size, proof[:-1], root)


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY_VECTORS)
def test_consistency_proofs_match_the_reference_vectors(
    first: int, second: int, path: list[str]
) -> None:
    assert _hex(TREE.consistency_proof(first, second)) == path
    proof = [bytes.fromhex(h) for h in path]
    r1, r2 = bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second])
    assert m.verify_consistency(first, second, r1, r2, proof)
    if first != second:
        assert not m.verify_consistency(first, second, r2, r1, proof)
        assert not m.verify_consistency(first, second, r1, r2, [])
        assert not m.verify_consistency(first, second, r1, r2, [*proof, r1])
        assert not m.verify_consistency(first, second, r1, r2, proof[:-1])
        assert not m.verify_consistency(first + 1, second, r1, r2, proof)


def test_trivial_and_invalid_requests() -> None:
    r = bytes.fromhex(ROOTS[3])
    assert m.verify_consistency(0, 3, m.EMPTY_ROOT, r, [])
    assert not m.verify_consistency(0, 3, m.EMPTY_ROOT, r, [r])
    assert not m.verify_consistency(3, 3, r, bytes.fromhex(ROOTS[2]), [])
    assert not m.verify_consistency(4, 3, r, r, [])
    assert not m.verify_inclusion(LEAVES[0], 0, 0, [], m.EMPTY_ROOT)
    assert m.verify_inclusion(LEAVES[0], 0, 1, [], LEAVES[0])
    assert not m.verify_inclusion(LEAVES[0], 0, 1, [], b"short")
    with pytest.raises(ValueError):
        TREE.inclusion_proof(8, 8)
    with pytest.raises(ValueError):
        TREE.consistency_proof(0, 8)
    with pytest.raises(ValueError):
        m.CompactRange(3, [LEAVES[0]])


def test_canonical_event_bytes_are_exactly_as_documented() -> None:
    oid = uuid.UUID("12345678-1234-5678-1234-567812345678")
    data = m.canonical_event_bytes(oid, 3, "a:Bé", b'{"x":1}')
    topic = "a:Bé".encode()
    assert data == (
        oid.bytes
        + (3).to_bytes(8, "big")
        + len(topic).to_bytes(4, "big")
        + topic
        + (7).to_bytes(4, "big")
        + b'{"x":1}'
    )
    assert m.event_leaf_hash(oid, 3, "a:Bé", b'{"x":1}') == m.leaf_hash(data)
    # No field can bleed into the next: moving a byte between topic and state changes it.
    assert m.canonical_event_bytes(oid, 3, "ab", b"c") != m.canonical_event_bytes(
        oid, 3, "a", b"bc"
    )


# --- properties over random trees -----------------------------------------------------

leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70).map(
    lambda ds: [m.leaf_hash(d) for d in ds]
)


@settings(max_examples=150, deadline=None)
@given(leaves=leaf_lists, data=st.data())
def test_every_inclusion_proof_verifies_and_any_flipped_byte_fails(
    leaves: list[bytes], data: st.DataObject
) -> None:
    tree = m.MemoryTree(leaves)
    size = data.draw(st.integers(1, len(leaves)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    root = m.root(leaves[:size])
    assert tree.root(size) == root
    proof = tree.inclusion_proof(index, size)
    assert proof == ref_path(index, leaves[:size])
    assert m.verify_inclusion(leaves[index], index, size, proof, root)
    # Flip one bit of one byte anywhere: the leaf, a proof element or the root.
    targets = ["leaf", "root", *(["proof"] if proof else [])]
    target = data.draw(st.sampled_from(targets), label="target")
    byte = data.draw(st.integers(0, m.HASH_SIZE - 1), label="byte")
    bit = 1 << data.draw(st.integers(0, 7), label="bit")

    def flip(h: bytes) -> bytes:
        return h[:byte] + bytes([h[byte] ^ bit]) + h[byte + 1 :]

    leaf, bad_root, bad_proof = leaves[index], root, list(proof)
    if target == "leaf":
        leaf = flip(leaf)
    elif target == "root":
        bad_root = flip(root)
    else:
        i = data.draw(st.integers(0, len(proof) - 1), label="element")
        bad_proof[i] = flip(bad_proof[i])
    assert not m.verify_inclusion(leaf, index, size, bad_proof, bad_root)
    # A proof for another position does not verify this leaf (unless it is the same leaf).
    if size > 1:
        other = (index + 1) % size
        if leaves[other] != leaves[index]:
            assert not m.verify_inclusion(leaves[other], index, size, proof, root)


@settings(max_examples=150, deadline=None)
@given(leaves=leaf_lists, data=st.data())
def test_every_consistency_proof_verifies_and_any_flipped_byte_fails(
    leaves: list[bytes], data: st.DataObject
) -> None:
    tree = m.MemoryTree(leaves)
    second = data.draw(st.integers(1, len(leaves)), label="second")
    first = data.draw(st.integers(1, second), label="first")
    r1, r2 = m.root(leaves[:first]), m.root(leaves[:second])
    proof = tree.consistency_proof(first, second)
    assert proof == ref_subproof(first, leaves[:second], True)
    assert m.verify_consistency(first, second, r1, r2, proof)
    if first == second:
        return
    byte = data.draw(st.integers(0, m.HASH_SIZE - 1), label="byte")
    bit = 1 << data.draw(st.integers(0, 7), label="bit")

    def flip(h: bytes) -> bytes:
        return h[:byte] + bytes([h[byte] ^ bit]) + h[byte + 1 :]

    i = data.draw(st.integers(0, len(proof) - 1), label="element")
    bad = list(proof)
    bad[i] = flip(bad[i])
    assert not m.verify_consistency(first, second, r1, r2, bad)
    assert not m.verify_consistency(first, second, flip(r1), r2, proof)
    assert not m.verify_consistency(first, second, r1, flip(r2), proof)


@settings(max_examples=60, deadline=None)
@given(leaves=leaf_lists)
def test_compact_range_emits_every_perfect_node_once(leaves: list[bytes]) -> None:
    compact = m.CompactRange()
    emitted: dict[tuple[int, int], bytes] = {}
    for leaf in leaves:
        for level, index, h in compact.append(leaf):
            assert (level, index) not in emitted
            emitted[(level, index)] = h
        assert compact.root() == m.root(leaves[: compact.size])
    for (level, index), h in emitted.items():
        assert h == m.root(leaves[index << level : (index + 1) << level])
    expected = sum(len(leaves) >> level for level in range(1, len(leaves).bit_length()))
    assert len(emitted) == expected
    # The frontier restores the range: continuing from it gives the same roots.
    restored = m.CompactRange(compact.size, compact.frontier)
    assert restored.root() == compact.root()
    assert [
        m.root(leaves[i << lv : (i + 1) << lv]) for lv, i in m.frontier_nodes(len(leaves))
    ] == compact.frontier


def test_nodes_needed_names_what_a_proof_reads() -> None:
    needed = m.nodes_needed(lambda get: m.inclusion_proof(5, 7, get))
    assert needed == {(0, 4), (0, 6), (2, 0)}
    assert all((lv, i) in TREE.nodes for lv, i in needed)


# --- the bulk forms `oversight verify` uses -------------------------------------------


def test_event_leaf_hashes_are_event_leaf_hash_of_each_event() -> None:
    rows = [
        (uuid.UUID("12345678-1234-5678-1234-567812345678"), 3, "a:Bé", b'{"x":1}', 17),
        (uuid.uuid4().bytes, 1, "", b"", 18),  # raw id bytes, empty topic and state
        (uuid.uuid4(), -2, "案件.受理", bytes(range(256)) * 9, 19),  # long, non-ASCII
        (uuid.uuid4(), 2**63 - 1, "t", b"\x00", 20),
    ]
    assert m.event_leaf_hashes(rows) == [m.event_leaf_hash(*row[:4]) for row in rows]
    assert m.event_leaf_hashes([]) == []


@settings(max_examples=80, deadline=None)
@given(leaves=leaf_lists, data=st.data())
def test_compact_range_extend_is_append_leaf_by_leaf(
    leaves: list[bytes], data: st.DataObject
) -> None:
    """Any split into runs, from any starting frontier: the same nodes in the same order,
    the same frontier, and the root at every size asked for."""
    cut = data.draw(st.integers(0, len(leaves)), label="cut")
    wanted = set(data.draw(st.lists(st.integers(0, len(leaves) + 2)), label="roots_at"))
    one_by_one = m.CompactRange()
    nodes: list[tuple[int, int, bytes]] = []
    roots: dict[int, bytes] = {}
    for leaf in leaves:
        nodes += one_by_one.append(leaf)
        if one_by_one.size in wanted:
            roots[one_by_one.size] = one_by_one.root()
    bulk = m.CompactRange()
    first_nodes, first_roots = bulk.extend(leaves[:cut], wanted)
    copy = bulk.copy()
    second_nodes, second_roots = copy.extend(leaves[cut:], wanted)
    assert first_nodes + second_nodes == nodes
    assert {**first_roots, **second_roots} == roots
    assert (copy.size, copy.frontier) == (one_by_one.size, one_by_one.frontier)
    assert bulk.size == cut  # extending the copy left the original alone
    assert bulk.root() == m.root(leaves[:cut])


@pytest.mark.parametrize("key_size", [32, 64, 65, 100])
def test_verify_s_precomputed_seal_is_the_keys_seal(key_size: int) -> None:
    from ledger.keys import seal
    from ledger.verify import _Sealer

    key = bytes((7 * i + key_size) % 256 for i in range(key_size))
    sealer = _Sealer(key)
    for position, notification_id in [(0, 1), (1, 1), (999, 1234), (2**40, 2**63)]:
        leaf = m.leaf_hash(position.to_bytes(8, "big"))
        assert sealer(position, notification_id, leaf) == seal(key, position, notification_id, leaf)
    # The sealer keeps no state between calls: the same input seals the same again.
    assert sealer(5, 6, LEAVES[0]) == sealer(5, 6, LEAVES[0]) == seal(key, 5, 6, LEAVES[0])
