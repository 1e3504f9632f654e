"""A bundle proves it holds the case's whole history as of its head: the head commits to
the case map, the bundle carries the case's entry and its proof, and a bundle with its
last event dropped fails offline verification (`oversight verify --bundle`)."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

from ledger.bundle import verify_bundle
from ledger.casemap import map_key, map_value, root_from_proof
from ledger.heads import TreeHead
from ledger.keys import parse_key
from oversight.ledger_cli import cmd_verify
from tests.http.support import API, clerk, inspector, lodge, move
from tests.support import credit_code

LEDGER = "/api/v1/ledger"


def verify_command(*argv: str) -> int:
    from oversight.cli import build_parser
    from oversight.settings import Settings

    return cmd_verify(build_parser().parse_args(["verify", *argv]), Settings.from_env({}))


def test_a_bundle_with_its_last_event_dropped_fails_offline(client, clock, tmp_path: Path):
    case = lodge(client, credit_code())
    clock.advance(minutes=5)
    move(client, case["id"], "accept", clerk())
    r = client.get(f"{API}/{case['id']}/bundle", headers=inspector())
    assert r.status_code == 200, r.text
    bundle: dict[str, Any] = r.json()
    head = TreeHead.from_json(bundle["tree_head"])
    entry = bundle["case_map"]
    last = bundle["events"][-1]
    assert (entry["case_type"], entry["last_version"], entry["leaf_index"]) == (
        "complaint",
        2,
        last["leaf_index"],
    )
    # The entry and its proof lead to the map root the head signs.
    assert head.map_root is not None
    assert (
        root_from_proof(
            map_key(uuid.UUID(case["id"])),
            map_value("complaint", 2, last["leaf_index"]),
            [base64.b64decode(p) for p in entry["proof"]],
        )
        == head.map_root
    )
    pem = client.get(f"{LEDGER}/key", headers=inspector()).json()["pem"]
    key = parse_key(pem.encode())
    assert key is not None and head.verify(key)
    facts, problems = verify_bundle(bundle, key)
    assert problems == [] and "whole history" in facts[-1], (facts, problems)

    key_file, bundle_file = tmp_path / "pub.key", tmp_path / "case.json"
    key_file.write_text(pem)
    bundle_file.write_text(json.dumps(bundle))
    assert verify_command("--bundle", str(bundle_file), "--key", str(key_file)) == 0
    dropped = {**bundle, "events": bundle["events"][:-1]}
    bundle_file.write_text(json.dumps(dropped))
    assert verify_command("--bundle", str(bundle_file), "--key", str(key_file)) == 1
    assert verify_bundle(dropped, key)[1] == [
        f"the signed case map says the case's last version under this head is 2 (leaf "
        f"{last['leaf_index']}); the bundle ends at version 1 (leaf "
        f"{bundle['events'][0]['leaf_index']}): events are missing"
    ]
