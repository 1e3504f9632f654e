"""Offline verification of an inspector's bundle (`GET /api/v1/{cases}/{id}/bundle`),
with no database: only the bundle and the public key the inspector trusts.

It checks the tree head's signature with that key, and for every event: its leaf hash
recomputed from the stored bytes in the bundle, and its inclusion proof against the
head's root. It also checks that the events are one case's, versions 1..n without a gap,
in leaf order, and that n is the case's last version as of the head: the head commits
to a case map (ledger/casemap.py) whose entry for the case, proved against the signed
map root, names the last version, its leaf and the case type. So a bundle missing its
last events fails. (The bundle's own `public_key` is informational and never trusted.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

from ledger.casemap import map_key, map_value, root_from_proof
from ledger.heads import TreeHead, unb64
from ledger.keys import LedgerKey
from ledger.merkle import event_leaf_hash, verify_inclusion


def verify_bundle(bundle: Any, key: LedgerKey) -> tuple[list[str], list[str]]:
    """(facts, problems): the bundle holds when `problems` is empty."""
    facts: list[str] = []
    problems: list[str] = []
    if not isinstance(bundle, dict):
        return facts, ["the bundle is not a JSON object"]
    try:
        head = TreeHead.from_json(bundle.get("tree_head"))
    except ValueError as e:
        return facts, [str(e)]
    if head.key_id != key.key_id:
        problems.append(f"the tree head was signed by key {head.key_id}, not {key.key_id}")
    elif not head.verify(key):
        problems.append(f"the tree head's signature (size {head.size}) is invalid")
    else:
        facts.append(f"tree head of size {head.size} signed by key {key.key_id}")
    case_id = bundle.get("case_id")
    events = bundle.get("events")
    if not isinstance(events, list) or not events:
        return facts, [*problems, "the bundle has no events"]
    previous_leaf = -1
    for n, event in enumerate(events, start=1):
        try:
            label, leaf, index, version, originator = _event(event)
            proof = [unb64(p, f"{label}.inclusion_proof") for p in event["inclusion_proof"]]
        except (KeyError, TypeError, ValueError) as e:
            problems.append(f"event {n}: malformed: {e}")
            continue
        if originator != case_id:
            problems.append(f"{label}: belongs to case {originator}, not {case_id}")
        if version != n:
            problems.append(f"{label}: expected version {n} (a version is missing or moved)")
        if index <= previous_leaf:
            problems.append(f"{label}: leaf {index} is not after the previous event's")
        previous_leaf = index
        if not verify_inclusion(leaf, index, head.size, proof, head.root):
            problems.append(
                f"{label}: its bytes and proof do not lead to the signed root "
                "(altered, or not in this tree)"
            )
    if not problems:
        facts.append(f"{len(events)} events of case {case_id}, each included in the tree")
    _check_case_map(bundle, head, events, facts, problems)
    return facts, problems


def _check_case_map(
    bundle: dict[str, Any], head: TreeHead, events: list[Any], facts: list[str], problems: list[str]
) -> None:
    """The head's case map says which version is the case's last as of the head (and its
    leaf, and the case type): the bundle must end there, so it holds the whole history."""
    if head.map_root is None:
        facts.append(
            "the tree head commits to no case map (signed before case maps): that the "
            "bundle holds the case's whole history is not proved"
        )
        return
    entry = bundle.get("case_map")
    if not isinstance(entry, dict):
        problems.append("the bundle has no case map entry: its completeness cannot be checked")
        return
    try:
        case_id = UUID(str(bundle.get("case_id")))
        case_type, version, leaf = entry["case_type"], entry["last_version"], entry["leaf_index"]
        if not isinstance(case_type, str):
            raise ValueError("case_map.case_type must be text")
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in (version, leaf)):
            raise ValueError("case_map.last_version and leaf_index must be integers")
        proof = [unb64(p, "case_map.proof") for p in entry["proof"]]
        root = root_from_proof(map_key(case_id), map_value(case_type, version, leaf), proof)
    except (KeyError, TypeError, ValueError) as e:
        problems.append(f"case map entry: malformed: {e}")
        return
    if root != head.map_root:
        problems.append(
            "the case map entry and its proof do not lead to the signed map root "
            "(altered, or not this head's)"
        )
        return
    if case_type != bundle.get("case_type"):
        problems.append(
            f"the bundle says case type {bundle.get('case_type')!r}; the signed case map "
            f"says {case_type!r}"
        )
    last = events[-1] if events and isinstance(events[-1], dict) else {}
    if (last.get("originator_version"), last.get("leaf_index")) != (version, leaf):
        problems.append(
            f"the signed case map says the case's last version under this head is {version} "
            f"(leaf {leaf}); the bundle ends at version {last.get('originator_version')} "
            f"(leaf {last.get('leaf_index')}): events are missing"
        )
        return
    facts.append(
        f"the head's case map says version {version} (leaf {leaf}) is the case's last: the "
        "bundle holds its whole history as of the head"
    )


def _event(event: Any) -> tuple[str, bytes, int, int, str]:
    originator = str(UUID(event["originator_id"]))
    version = event["originator_version"]
    index = event["leaf_index"]
    if not isinstance(version, int) or not isinstance(index, int) or index < 0:
        raise ValueError("originator_version and leaf_index must be integers")
    label = f"version {version} (notification {event.get('notification_id')}, leaf {index})"
    state = unb64(event["state"], "state")
    topic = event["topic"]
    if not isinstance(topic, str):
        raise ValueError("topic must be text")
    return (
        label,
        event_leaf_hash(UUID(originator), version, topic, state),
        index,
        version,
        originator,
    )


def verify_bundle_file(path: Path, key: LedgerKey) -> tuple[list[str], list[str]]:
    try:
        bundle = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        return [], [f"cannot read the bundle {path}: {e}"]
    return verify_bundle(bundle, key)
