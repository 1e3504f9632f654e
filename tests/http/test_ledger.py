"""The ledger and inspection endpoints end to end: who may call them, and that what they
answer verifies with nothing but the published key (RFC 9162 proofs, signed heads, the
offline bundle); timelines and replays with the read endpoint's visibility and masking."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from ledger.bundle import verify_bundle
from ledger.heads import TreeHead
from ledger.keys import parse_key
from ledger.merkle import event_leaf_hash, verify_consistency, verify_inclusion
from oversight.ledger_cli import cmd_verify
from tests.http.support import (
    API,
    ROLES,
    admin,
    as_role,
    check_problem,
    clerk,
    department,
    enterprise,
    inspector,
    lodge,
    move,
    new_id,
    supervisor,
)
from tests.support import credit_code

LEDGER = "/api/v1/ledger"
LEDGER_READERS = {"supervisor", "inspector"}


def verify_command(*argv: str) -> int:
    """`oversight verify ...` in this process (without reconfiguring logging)."""
    from oversight.cli import build_parser
    from oversight.settings import Settings

    return cmd_verify(build_parser().parse_args(["verify", *argv]), Settings.from_env({}))


def b64(text: str) -> bytes:
    return base64.b64decode(text)


def transferred_case(client: Any, clock: Any, *, confidential: bool = False) -> dict[str, Any]:
    """A complaint lodged by an enterprise, accepted and transferred to a department."""
    code, dept = credit_code(), new_id("dept")
    case = lodge(client, code, confidential=confidential)
    clock.advance(minutes=5)
    move(client, case["id"], "accept", clerk())
    clock.advance(minutes=5)
    last = move(client, case["id"], "transfer", clerk(), {"department": dept}, version=3)
    return {"id": case["id"], "code": code, "dept": dept, "position": last["position"]}


def bundle_of(client: Any, case_id: str) -> dict[str, Any]:
    r = client.get(f"{API}/{case_id}/bundle", headers=inspector())
    assert r.status_code == 200, r.text
    return r.json()


def published_key(client: Any) -> Any:
    r = client.get(f"{LEDGER}/key", headers=inspector())
    assert r.status_code == 200, r.text
    body = r.json()
    key = parse_key(body["pem"].encode())
    assert key is not None
    assert key.key_id == body["key_id"] == parse_key(body["public_key"].encode()).key_id
    assert body["algorithm"] == "Ed25519"
    return key


# --- the ledger endpoints -----------------------------------------------------------------


def test_the_ledger_is_for_supervisors_and_inspectors(client, clock):
    """The head and the proofs; the public key and the checkpoint are anyone's (verifiers
    and witnesses need no account: tests/http/test_ledger_checkpoint.py)."""
    case = transferred_case(client, clock)
    bundle_of(client, case["id"])  # a head covering the case exists from here on
    for role in ROLES:
        headers = as_role(role, code=case["code"], dept=case["dept"])
        for path in (
            "/head",
            f"/proof/inclusion?position={case['position']}",
            "/proof/consistency?from=1&to=2",
        ):
            r = client.get(LEDGER + path, headers=headers)
            if role in LEDGER_READERS:
                assert r.status_code == 200, (role, path, r.text)
            else:
                check_problem(r, 403)
        for path in ("/key", "/checkpoint"):
            assert client.get(LEDGER + path, headers=headers).status_code == 200, (role, path)
    check_problem(client.get(f"{LEDGER}/head"), 401)
    for path in ("/key", "/checkpoint"):
        assert client.get(LEDGER + path).status_code == 200, path


def test_the_head_is_signed_with_the_published_key(client, clock):
    case = transferred_case(client, clock)
    bundle = bundle_of(client, case["id"])
    key = published_key(client)
    r = client.get(f"{LEDGER}/head", headers=supervisor())
    assert r.status_code == 200, r.text
    head = TreeHead.from_json(r.json())
    assert head.verify(key)
    assert head.size >= bundle["tree_head"]["size"]
    assert r.json()["key_id"] == key.key_id
    forged = TreeHead(head.size + 1, head.root, head.timestamp, head.signature, head.key_id)
    assert not forged.verify(key)


def test_an_inclusion_proof_verifies_against_the_signed_head(client, clock):
    case = transferred_case(client, clock)
    bundle = bundle_of(client, case["id"])
    last = bundle["events"][-1]
    assert last["notification_id"] == case["position"]
    head = TreeHead.from_json(bundle["tree_head"])

    r = client.get(
        f"{LEDGER}/proof/inclusion",
        params={"position": case["position"], "size": head.size},
        headers=inspector(),
    )
    assert r.status_code == 200, r.text
    proof = r.json()
    assert proof["leaf_index"] == last["leaf_index"]
    assert proof["tree_size"] == head.size
    assert proof["case_id"] == case["id"]
    assert proof["version"] == 3
    assert TreeHead.from_json(proof["tree_head"]) == head
    leaf = event_leaf_hash(
        uuid.UUID(last["originator_id"]),
        last["originator_version"],
        last["topic"],
        b64(last["state"]),
    )
    assert b64(proof["leaf_hash"]) == leaf
    path = [b64(h) for h in proof["inclusion_path"]]
    assert verify_inclusion(leaf, proof["leaf_index"], head.size, path, head.root)
    assert b64(proof["root"]) == head.root
    assert not verify_inclusion(leaf, proof["leaf_index"] + 1, head.size, path, head.root)

    # Without a size: against the latest head.
    r = client.get(f"{LEDGER}/proof/inclusion?position={case['position']}", headers=supervisor())
    assert r.status_code == 200, r.text
    latest = TreeHead.from_json(r.json()["tree_head"])
    assert r.json()["tree_size"] == latest.size
    assert verify_inclusion(
        leaf,
        r.json()["leaf_index"],
        latest.size,
        [b64(h) for h in r.json()["inclusion_path"]],
        latest.root,
    )
    # A tree that does not yet hold the event, a tree beyond the ledger, no such event.
    check_problem(
        client.get(
            f"{LEDGER}/proof/inclusion",
            params={"position": case["position"], "size": proof["leaf_index"]},
            headers=inspector(),
        ),
        422,
        "size",
    )
    check_problem(
        client.get(
            f"{LEDGER}/proof/inclusion",
            params={"position": case["position"], "size": 10**12},
            headers=inspector(),
        ),
        422,
        "size",
    )
    check_problem(
        client.get(f"{LEDGER}/proof/inclusion?position={10**12}", headers=inspector()), 404
    )
    check_problem(
        client.get(f"{LEDGER}/proof/inclusion?position=0", headers=inspector()), 422, "position"
    )


def test_a_consistency_proof_verifies_between_two_tree_sizes(client, clock):
    first_case = transferred_case(client, clock)
    first = TreeHead.from_json(bundle_of(client, first_case["id"])["tree_head"])
    clock.advance(minutes=5)
    second_case = transferred_case(client, clock)
    second = TreeHead.from_json(bundle_of(client, second_case["id"])["tree_head"])
    assert second.size > first.size

    r = client.get(
        f"{LEDGER}/proof/consistency",
        params={"from": first.size, "to": second.size},
        headers=inspector(),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["tree_size_1"], body["tree_size_2"]) == (first.size, second.size)
    assert TreeHead.from_json(body["tree_head_1"]) == first
    assert TreeHead.from_json(body["tree_head_2"]) == second
    path = [b64(h) for h in body["consistency_path"]]
    assert verify_consistency(first.size, second.size, first.root, second.root, path)
    assert not verify_consistency(first.size, second.size, second.root, first.root, path)

    # Sizes that were never signed still get a proof (and no head).
    r = client.get(f"{LEDGER}/proof/consistency?from=1&to={second.size}", headers=inspector())
    assert r.status_code == 200, r.text
    assert r.json()["tree_head_1"] is None or r.json()["tree_head_1"]["size"] == 1
    assert verify_consistency(
        1,
        second.size,
        b64(r.json()["root_1"]),
        second.root,
        [b64(h) for h in r.json()["consistency_path"]],
    )
    check_problem(
        client.get(f"{LEDGER}/proof/consistency?from=3&to=2", headers=inspector()), 422, "from"
    )
    check_problem(
        client.get(f"{LEDGER}/proof/consistency?from=1&to={10**12}", headers=inspector()),
        422,
        "to",
    )
    check_problem(
        client.get(f"{LEDGER}/proof/consistency?from=0&to=2", headers=inspector()), 422, "from"
    )


# --- the bundle -----------------------------------------------------------------------------


def test_the_bundle_is_for_inspectors_only(client, clock):
    case = transferred_case(client, clock)
    for role in ROLES:
        r = client.get(
            f"{API}/{case['id']}/bundle",
            headers=as_role(role, code=case["code"], dept=case["dept"]),
        )
        if role == "inspector":
            assert r.status_code == 200, r.text
        else:
            check_problem(r, 403)
    check_problem(client.get(f"{API}/{uuid.uuid4()}/bundle", headers=inspector()), 404)


def test_a_bundle_verifies_offline_and_any_change_to_it_fails(client, clock, tmp_path: Path):
    case = transferred_case(client, clock)
    bundle = bundle_of(client, case["id"])
    key = published_key(client)
    assert bundle["case_id"] == case["id"]
    assert bundle["case_type"] == "complaint"
    assert [e["originator_version"] for e in bundle["events"]] == [1, 2, 3]
    assert all(e["originator_id"] == case["id"] for e in bundle["events"])
    assert bundle["public_key"] == base64.b64encode(key.public_raw).decode()
    facts, problems = verify_bundle(bundle, key)
    assert problems == [], problems
    assert facts

    # The same through the command, with no database: exit 0.
    bundle_file, key_file = tmp_path / "case.json", tmp_path / "pub.key"
    bundle_file.write_text(json.dumps(bundle))
    key_file.write_text(client.get(f"{LEDGER}/key", headers=inspector()).json()["pem"])
    assert verify_command("--bundle", str(bundle_file), "--key", str(key_file)) == 0

    def tampered(change: Any) -> dict[str, Any]:
        copy = json.loads(json.dumps(bundle))
        change(copy)
        return copy

    def flip_state(b: dict[str, Any]) -> None:
        state = bytearray(b64(b["events"][1]["state"]))
        state[5] ^= 1
        b["events"][1]["state"] = base64.b64encode(bytes(state)).decode()

    def drop_event(b: dict[str, Any]) -> None:
        del b["events"][1]

    def swap_events(b: dict[str, Any]) -> None:
        b["events"][0], b["events"][1] = b["events"][1], b["events"][0]

    def other_head(b: dict[str, Any]) -> None:
        b["tree_head"]["timestamp"] += 1

    for change in (flip_state, drop_event, swap_events, other_head):
        _, problems = verify_bundle(tampered(change), key)
        assert problems, change.__name__
    bundle_file.write_text(json.dumps(tampered(flip_state)))
    assert verify_command("--bundle", str(bundle_file), "--key", str(key_file)) == 1
    # Verifying with another key than the log's fails, whatever the bundle says.
    other = tmp_path / "other.pub"
    other.write_text(base64.b64encode(bytes(32)).decode())
    bundle_file.write_text(json.dumps(bundle))
    assert verify_command("--bundle", str(bundle_file), "--key", str(other)) == 1
    assert verify_command("--bundle", str(bundle_file)) == 2


# --- timeline and replay ------------------------------------------------------------------


READERS = ("enterprise", "clerk", "department", "supervisor", "inspector")


def test_the_timeline_shows_every_version_and_what_it_changed(client, clock):
    case = transferred_case(client, clock)
    for role in ROLES:
        r = client.get(
            f"{API}/{case['id']}/timeline",
            headers=as_role(role, code=case["code"], dept=case["dept"]),
        )
        if role not in READERS:
            check_problem(r, 403)
            continue
        assert r.status_code == 200, (role, r.text)
        body = r.json()
        assert r.headers["etag"] == '"3"'
        assert body["version"] == 3
        assert body["case_type"] == "complaint"
        entries = body["entries"]
        assert [e["version"] for e in entries] == [1, 2, 3]
        assert [e["type"] for e in entries] == ["Lodged", "Accepted", "Transferred"]
        changed = [{c["field"]: c for c in e["changes"]} for e in entries]
        assert changed[0]["status"] == {"field": "status", "before": None, "after": "lodged"}
        assert changed[1]["status"] == {"field": "status", "before": "lodged", "after": "accepted"}
        assert changed[2]["department"]["after"] == case["dept"]
        assert changed[0]["complainant"]["after"]["credit_code"] == case["code"]
        if role == "enterprise":
            # The public course (issue 11 §4): staff by role, not the internal list of
            # every department the case went to (test_enterprise_view.py).
            assert "departments" not in changed[2]
            assert entries[1]["actor"] == {"id": None, "role": "clerk", "org": None}
            continue
        assert changed[2]["departments"] == {
            "field": "departments",
            "before": [],
            "after": [case["dept"]],
        }
        assert entries[1]["actor"] == {"id": "clerk-1", "role": "clerk", "org": None}
    # Someone who may not see the case: 404, as for the case itself.
    check_problem(
        client.get(f"{API}/{case['id']}/timeline", headers=enterprise(credit_code())), 404
    )
    check_problem(client.get(f"{API}/{case['id']}/timeline", headers=department("other")), 404)


def _sse(text: str) -> list[dict[str, Any]]:
    messages = []
    for block in text.replace("\r\n", "\n").strip().split("\n\n"):
        message: dict[str, Any] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(": ")
            message[name] = value
        messages.append(message)
    return messages


@pytest.mark.parametrize("pace", [0, 0.01])
def test_the_replay_streams_the_timeline_as_server_sent_events(client, clock, pace):
    case = transferred_case(client, clock)
    timeline = client.get(f"{API}/{case['id']}/timeline", headers=supervisor()).json()
    r = client.get(f"{API}/{case['id']}/replay?pace={pace}", headers=supervisor())
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.text.startswith("id: 1"), r.text[:80]  # no stray `event:` line first
    messages = _sse(r.text)
    assert [m["event"] for m in messages] == ["version", "version", "version", "end"]
    assert [m.get("id") for m in messages[:3]] == ["1", "2", "3"]
    assert [json.loads(m["data"]) for m in messages[:3]] == timeline["entries"]
    assert json.loads(messages[-1]["data"]) == {"id": case["id"], "version": 3}
    check_problem(
        client.get(f"{API}/{case['id']}/replay?pace=11", headers=supervisor()), 422, "pace"
    )
    check_problem(client.get(f"{API}/{case['id']}/replay", headers=admin()), 403)


def test_a_department_never_sees_a_confidential_complainant_in_a_timeline(client, clock):
    case = transferred_case(client, clock, confidential=True)
    code = case["code"]
    for headers, hidden in ((department(case["dept"]), True), (supervisor(), False)):
        timeline = client.get(f"{API}/{case['id']}/timeline", headers=headers)
        replay = client.get(f"{API}/{case['id']}/replay", headers=headers)
        assert timeline.status_code == replay.status_code == 200
        for text in (timeline.text, replay.text):
            assert (code in text) is not hidden
            assert ("13800000000" in text) is not hidden  # the complainant's phone
        entries = timeline.json()["entries"]
        fields = {c["field"] for e in entries for c in e["changes"]}
        assert ("complainant" in fields) is not hidden
        lodged = entries[0]
        if hidden:
            assert lodged["actor"] == {"id": None, "role": "enterprise", "org": None}
            assert all(
                c["after"]["id"] is None and c["after"]["org"] is None
                for c in lodged["changes"]
                if c["field"] == "lodged_by"
            )
        else:
            assert lodged["actor"]["org"] == code
    # The bundle, which has the events as stored, is never a department's.
    check_problem(client.get(f"{API}/{case['id']}/bundle", headers=department(case["dept"])), 403)


def test_every_case_type_has_timeline_replay_and_bundle(client):
    from domain.registry import ALL_CASE_TYPES

    paths = {route.path for route in client.app.routes}
    for case_type in ALL_CASE_TYPES:
        for what in ("timeline", "replay", "bundle"):
            assert f"/api/v1/{case_type.plural}/{{case_id:uuid}}/{what}" in paths, (
                case_type.name,
                what,
            )


def test_the_openapi_document_lists_the_ledger_and_inspection_paths(client):
    paths = client.get("/schema/openapi.json").json()["paths"]
    for path in ("/key", "/head", "/proof/inclusion", "/proof/consistency"):
        assert "get" in paths[LEDGER + path], path
    for what in ("timeline", "replay", "bundle"):
        assert "get" in paths[f"{API}/{{case_id}}/{what}"], what
