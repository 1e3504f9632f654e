"""The case map (ledger/casemap.py): the incremental tree gives the root of the
definition, proofs lead to it, and a bundle whose head commits to the map proves it holds
a case's whole history: dropping its last events, or changing its case type, fails."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.bundle import verify_bundle
from ledger.casemap import (
    EMPTY,
    CaseMap,
    Entry,
    entry_hash,
    map_key,
    map_value,
    reference_root,
    root_from_proof,
)
from ledger.heads import CASE_MAP_EXTENSION, TreeHead, b64, tree_head_data
from ledger.keys import generate_key_file
from ledger.merkle import MemoryTree, event_leaf_hash

CASES = [uuid.UUID(int=i * 0x9E3779B97F4A7C15 % 2**128) for i in range(40)]
ENTRIES = st.lists(
    st.tuples(
        st.sampled_from(CASES),
        st.sampled_from(["complaint", "project", "问题"]),
        st.integers(1, 2**63 - 1),
        st.integers(0, 2**63 - 1),
    ),
    max_size=60,
)


def test_the_bytes_are_the_documented_ones() -> None:
    case = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert map_key(case) == hashlib.sha256(case.bytes).digest()
    assert map_value("complaint", 3, 17) == b"\x09complaint" + (3).to_bytes(8, "big") + (
        17
    ).to_bytes(8, "big")
    key, value = map_key(case), map_value("complaint", 3, 17)
    assert (
        entry_hash(key, value)
        == hashlib.sha256(b"\x00" + key + hashlib.sha256(value).digest()).digest()
    )
    assert CaseMap().root() == EMPTY == bytes(32)
    one = CaseMap([(case, Entry("complaint", 3, 17))])
    assert one.root() == entry_hash(key, value) and one.proof(case) == []
    # The head's extension: RFC 9162 TreeHeadDataV2 with one extension.
    data = tree_head_data(5, bytes(32), 7, map_root=b"\x11" * 32)
    assert (
        data[-38:]
        == (36).to_bytes(2, "big")
        + CASE_MAP_EXTENSION.to_bytes(2, "big")
        + (32).to_bytes(2, "big")
        + b"\x11" * 32
    )
    assert tree_head_data(5, bytes(32), 7)[-2:] == b"\x00\x00"


@settings(max_examples=60, deadline=None)
@given(ENTRIES, st.integers(0, 60))
def test_the_map_built_any_way_is_the_definition(entries, cut) -> None:
    stepwise = CaseMap()
    expected: dict[bytes, bytes] = {}
    latest: dict[uuid.UUID, Entry] = {}
    for i, (case, case_type, version, leaf) in enumerate(entries):
        entry = Entry(case_type, version, leaf)
        stepwise.set(case, entry)
        latest[case] = entry
        expected[map_key(case)] = entry.value()
        if i == cut:
            assert stepwise.root() == reference_root(expected)
    assert stepwise.root() == reference_root(expected)
    assert CaseMap(latest.items()).root() == stepwise.root()
    for case, entry in latest.items():
        proof = stepwise.proof(case)
        assert root_from_proof(map_key(case), entry.value(), proof) == stepwise.root()
        other = Entry(entry.case_type, entry.last_version + 1, entry.leaf_index)
        assert root_from_proof(map_key(case), other.value(), proof) != stepwise.root()


def bundle_with_map(key, n_events: int = 4) -> dict:
    """A bundle as the service makes it: its head commits to the case map."""
    case_id = uuid.uuid4()
    mine = [(case_id, v, "domain.complaint:Complaint.Lodged", f'{{"v":{v}}}'.encode())
            for v in range(1, n_events + 1)]  # fmt: skip
    others = [(uuid.uuid4(), 1, "domain.project:Project.Created", b"x") for _ in range(5)]
    ordered = [others[0], mine[0], others[1], mine[1], *others[2:], *mine[2:]]
    tree = MemoryTree(event_leaf_hash(*e) for e in ordered)
    case_map = CaseMap()
    for index, (originator, version, topic, _) in enumerate(ordered):
        kind = "complaint" if "complaint" in topic else "project"
        case_map.set(originator, Entry(kind, version, index))
    head = TreeHead.sign(key, tree.size, tree.root(), 1_700_000_000_000, case_map.root())
    entry = case_map.get(case_id)
    assert entry is not None
    return {
        "case_id": str(case_id),
        "case_type": "complaint",
        "tree_head": head.to_json(),
        "events": [
            {
                "notification_id": ordered.index(e) + 10,
                "leaf_index": ordered.index(e),
                "originator_id": str(e[0]),
                "originator_version": e[1],
                "topic": e[2],
                "state": b64(e[3]),
                "inclusion_proof": [b64(h) for h in tree.inclusion_proof(ordered.index(e))],
            }
            for e in mine
        ],
        "case_map": {
            "case_type": entry.case_type,
            "last_version": entry.last_version,
            "leaf_index": entry.leaf_index,
            "proof": [b64(h) for h in case_map.proof(case_id)],
        },
        "public_key": b64(key.public_raw),
    }


def test_a_bundle_proves_it_holds_the_whole_history(tmp_path: Path) -> None:
    key = generate_key_file(tmp_path / "k.key")
    bundle = bundle_with_map(key)
    facts, problems = verify_bundle(bundle, key)
    assert problems == [], problems
    assert "version 4" in facts[-1] and "whole history" in facts[-1]

    def tampered(change) -> list[str]:
        copy = json.loads(json.dumps(bundle))
        change(copy)
        return verify_bundle(copy, key)[1]

    def drop_last(b: dict) -> None:
        b["events"].pop()

    def drop_last_two(b: dict) -> None:
        del b["events"][-2:]

    def claim_fewer(b: dict) -> None:  # and the map entry to match: the proof breaks
        b["events"].pop()
        b["case_map"]["last_version"] = 3
        b["case_map"]["leaf_index"] = b["events"][-1]["leaf_index"]

    def other_type(b: dict) -> None:
        b["case_type"] = "project"

    def no_entry(b: dict) -> None:
        del b["case_map"]

    def strip_map_root(b: dict) -> None:  # the map root is signed: the head breaks
        del b["tree_head"]["map_root"]

    for change in (drop_last, drop_last_two, claim_fewer, other_type, no_entry, strip_map_root):
        assert tampered(change), change.__name__
    assert tampered(drop_last) == [
        "the signed case map says the case's last version under this head is 4 (leaf "
        f"{bundle['case_map']['leaf_index']}); the bundle ends at version 3 (leaf "
        f"{bundle['events'][2]['leaf_index']}): events are missing"
    ]
    assert tampered(other_type) == [
        "the bundle says case type 'project'; the signed case map says 'complaint'"
    ]
    assert base64.b64decode(bundle["tree_head"]["map_root"])  # carried in the head's JSON
