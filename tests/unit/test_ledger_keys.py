"""The ledger's key file (ledger/keys.py) and the offline bundle check (ledger/bundle.py)."""

from __future__ import annotations

import base64
import json
import stat
import threading
import uuid
from pathlib import Path

import pytest

from ledger.bundle import verify_bundle
from ledger.heads import TreeHead, b64
from ledger.keys import KeyFileError, generate_key_file, load_key_file, parse_key, seal, signing_key
from ledger.merkle import MemoryTree, event_leaf_hash


def test_every_accepted_key_format_gives_the_same_key(tmp_path: Path) -> None:
    key = generate_key_file(tmp_path / "ledger.key")
    assert stat.S_IMODE((tmp_path / "ledger.key").stat().st_mode) == 0o600
    forms = [
        (tmp_path / "ledger.key").read_bytes(),
        (tmp_path / "ledger.pub").read_bytes(),
        key.public_raw,
        base64.b64encode(key.public_raw),
        json.dumps(key.describe()).encode(),
    ]
    for data in forms:
        parsed = parse_key(data)
        assert parsed is not None
        assert parsed.key_id == key.key_id
    assert parse_key(b"not a key") is None
    assert parse_key(base64.b64encode(b"short")) is None
    assert load_key_file(tmp_path / "ledger.key").can_sign
    assert not load_key_file(tmp_path / "ledger.pub").can_sign
    with pytest.raises(KeyFileError):
        load_key_file(tmp_path / "missing.key")
    with pytest.raises(FileExistsError):
        generate_key_file(tmp_path / "ledger.key")


def test_processes_starting_together_share_one_generated_key(tmp_path: Path) -> None:
    path = tmp_path / "var" / "ledger-ed25519.key"
    ids: list[str] = []

    def start() -> None:
        ids.append(signing_key(path, configured=False, embedded=True).key_id)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 6
    assert set(ids) == {load_key_file(path).key_id}
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "ledger-ed25519.key",
        "ledger-ed25519.pub",
    ]


def test_seals_need_the_private_key_and_bind_position_and_event(tmp_path: Path) -> None:
    key = generate_key_file(tmp_path / "k.key")
    public = load_key_file(tmp_path / "k.pub")
    assert public.seal_key is None
    k = key.seal_key
    assert k is not None
    assert k == load_key_file(tmp_path / "k.key").seal_key
    leaf = bytes(32)
    assert seal(k, 1, 2, leaf) == seal(k, 1, 2, leaf)
    assert len({seal(k, 1, 2, leaf), seal(k, 2, 2, leaf), seal(k, 1, 3, leaf)}) == 3
    assert seal(k, 1, 2, leaf) != seal(generate_key_file(tmp_path / "o.key").seal_key, 1, 2, leaf)


def _bundle(key, n_events: int = 3, extra_leaves: int = 4) -> dict:
    case_id = uuid.uuid4()
    events = [
        (case_id, v, "domain.complaint:Complaint.Lodged", f'{{"v":{v}}}'.encode())
        for v in range(1, n_events + 1)
    ]
    others = [(uuid.uuid4(), 1, "t", b"x") for _ in range(extra_leaves)]
    ordered = [others[0], events[0], others[1], events[1], *others[2:], *events[2:]]
    tree = MemoryTree(event_leaf_hash(*e) for e in ordered)
    head = TreeHead.sign(key, tree.size, tree.root(), 1_700_000_000_000)
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
            for e in events
        ],
        "public_key": b64(key.public_raw),
    }


def test_a_bundle_holds_only_as_built(tmp_path: Path) -> None:
    key = generate_key_file(tmp_path / "k.key")
    bundle = _bundle(key)
    facts, problems = verify_bundle(bundle, key)
    assert problems == []
    assert len(facts) == 3
    assert "commits to no case map" in facts[-1]  # a head from before case maps

    def changed(path: list, value) -> list[str]:
        copy = json.loads(json.dumps(bundle))
        target = copy
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        return verify_bundle(copy, key)[1]

    assert changed(["events", 1, "topic"], "other")
    assert changed(["events", 1, "originator_version"], 3)
    assert changed(["events", 0, "leaf_index"], 0)
    assert changed(["events", 2, "inclusion_proof"], [])
    assert changed(["tree_head", "size"], bundle["tree_head"]["size"] + 1)
    assert changed(["tree_head", "root"], b64(bytes(32)))
    assert changed(["case_id"], str(uuid.uuid4()))
    assert changed(["events"], [])
    assert changed(["tree_head"], None)
    # A bundle signed by another key, even one it carries itself, does not hold.
    other = generate_key_file(tmp_path / "o.key")
    assert verify_bundle(_bundle(other), key)[1]
    assert verify_bundle(bundle, load_key_file(tmp_path / "o.pub"))[1]
    assert verify_bundle([], key)[1]
