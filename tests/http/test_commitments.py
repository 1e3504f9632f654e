"""Credit commitments over HTTP: every outcome of a life, every role and error, who sees
what, reads at a version or instant, the register list, and the bulk epidemic end.

Times: the `clock` fixture starts at Monday 2024-09-23 09:00Z (17:00 in Beijing). A due
date D ends at 17:30 Beijing time (09:30Z) on D. The deadline watcher is run in the
app's own event loop with the app's pool (`run_watcher`), after the views reached the
position of the last move, as `oversight serve` would run it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from oversight.commitment_watcher import mark_overdue_commitments
from tests.conftest import bearer
from tests.http.support import (
    AUDIT,
    admin,
    check_problem,
    clerk,
    cst,
    department,
    enterprise,
    inspector,
    latest_position,
    new_id,
    supervisor,
)
from tests.support import credit_code, lodge_body

API = "/api/v1/commitments"
MATERIALS = ["施工图审查合格书", "中标通知书", "安全生产条件证明"]
ROLES = ("enterprise", "clerk", "department", "supervisor", "inspector", "admin", "service_officer")

# The allowed roles of every move, as the issue specifies them (not read from the code).
ALLOWED: dict[str, set[str]] = {
    "grant": {"clerk", "supervisor"},
    "supply": {"enterprise", "clerk"},
    "epidemic-ended": {"supervisor"},
    "mark-overdue": set(),  # the system actor only: no token may
    "breach": {"supervisor"},
    "exempt": {"supervisor"},
    "revoke": {"supervisor", "clerk"},
}
BODIES: dict[str, dict[str, Any]] = {
    "grant": {},
    "supply": {"materials": [MATERIALS[0]]},
    "epidemic-ended": {"ended_on": "2024-09-20"},
    "mark-overdue": {},
    "breach": {"reason": "逾期未补齐材料"},
    "exempt": {"reason": "受疫情防控影响"},
    "revoke": {"reason": "核查不符合审批条件", "finding": "安全设施未到位"},
}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in September/October 2024, given in UTC (day > 30 is in October)."""
    if day > 30:
        return datetime(2024, 10, day - 30, hour, minute, tzinfo=UTC)
    return datetime(2024, 9, day, hour, minute, tzinfo=UTC)


def commit_body(code: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "matter": "建筑工程施工许可",
        "enterprise": {"name": "黑龙江某某建设有限公司", "credit_code": code},
        "statement": "本企业承诺已符合审批条件，所缺材料于承诺期限内补齐。",
        "materials": list(MATERIALS),
        "due": {"date": "2024-10-08"},
    }
    body.update(overrides)
    return body


def as_role(role: str, code: str) -> dict[str, str]:
    """A token of `role`, with the case's enterprise (or some department) as its org."""
    org = {"enterprise": code, "department": "hlj-fgw"}.get(role)
    return bearer(role, f"{role}-user", org)


def check_case(
    r: Any, *, code: int = 200, status: str | None = None, version: int | None = None
) -> dict[str, Any]:
    assert r.status_code == code, r.text
    body = r.json()
    if status is not None:
        assert body["status"] == status
    if version is not None:
        assert body["version"] == version
    assert r.headers["etag"] == f'"{body["version"]}"'
    assert body["position"] >= 1
    assert r.headers["x-position"] == str(body["position"])
    if code == 201:
        assert r.headers["location"] == f"{API}/{body['id']}"
    return body


def make(
    client: Any, code: str | None = None, *, headers: dict[str, str] | None = None, **overrides: Any
) -> dict[str, Any]:
    """A commitment made by the enterprise itself unless headers say otherwise."""
    code = code or credit_code()
    r = client.post(API, json=commit_body(code, **overrides), headers=headers or enterprise(code))
    return check_case(r, code=201, status="committed", version=1)


def move(
    client: Any,
    cid: str,
    name: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
    **expect: Any,
) -> dict[str, Any]:
    r = client.post(
        f"{API}/{cid}/{name}", json=BODIES[name] if body is None else body, headers=headers
    )
    return check_case(r, **expect)


def granted(client: Any, clock: Any, code: str | None = None, **overrides: Any) -> dict[str, Any]:
    code = code or credit_code()
    case = make(client, code, **overrides)
    clock.advance(minutes=1)
    body = move(client, case["id"], "grant", clerk(), {"note": "当场审批"}, status="granted")
    clock.advance(minutes=1)
    return {**body, "code": code}


def snapshot(client: Any, cid: str) -> tuple[int, str, int, str]:
    """What must not change after a refused request: version, status, history, ETag."""
    r = client.get(f"{API}/{cid}", headers=supervisor())
    assert r.status_code == 200, r.text
    h = client.get(f"{API}/{cid}/history", headers=supervisor())
    assert h.status_code == 200, h.text
    assert len(h.json()["events"]) == r.json()["version"]
    return r.json()["version"], r.json()["status"], len(h.json()["events"]), r.headers["etag"]


def history(client: Any, cid: str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    r = client.get(f"{API}/{cid}/history", headers=headers or supervisor())
    assert r.status_code == 200, r.text
    return r.json()["events"]


def register(
    client: Any, headers: dict[str, str], position: int, **params: Any
) -> list[dict[str, Any]]:
    """Every page of GET /commitments once the views reached `position`."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = client.get(API, params=query, headers={**headers, "X-Min-Position": str(position)})
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return items


def run_watcher(client: Any, clock: Any, position: int) -> int:
    """One pass of the deadline watcher, once the views reached `position`."""
    register(client, supervisor(), position, limit=1)
    services = client.app.state.services
    return client.blocking_portal.call(mark_overdue_commitments, services.app, services.pool, clock)


# --- whole lives ------------------------------------------------------------------------


def test_a_life_fulfilled_in_parts_with_reads_at_every_version(client, clock):
    code = credit_code()
    t0 = clock()
    case = make(client, code)
    assert case["enterprise"] == {"name": "黑龙江某某建设有限公司", "credit_code": code}
    assert case["materials_outstanding"] == MATERIALS
    assert case["due"] == {
        "date": "2024-10-08",
        "epidemic_end": False,
        "grace_working_days": None,
        "epidemic_ended_on": None,
        "due_at": "2024-10-08T09:30:00Z",
        "due_provisional": False,
    }
    assert case["committed_by"] == {"id": "ent-user", "role": "enterprise", "org": code}
    cid = case["id"]
    t1 = clock.advance(minutes=10)
    move(client, cid, "grant", clerk(), {"note": "承诺即开工"}, status="granted", version=2)
    t2 = clock.advance(hours=20)
    part = move(client, cid, "supply", enterprise(code), {"materials": [MATERIALS[1]]}, version=3)
    assert (part["status"], part["materials_supplied"]) == ("granted", [MATERIALS[1]])
    assert part["materials_outstanding"] == [MATERIALS[0], MATERIALS[2]]
    t3 = clock.advance(days=2)
    done = move(
        client,
        cid,
        "supply",
        clerk(),
        {"materials": [MATERIALS[2], MATERIALS[0]]},
        status="fulfilled",
        version=5,
    )
    assert done["materials_outstanding"] == []
    assert cst(done["fulfilled_at"]) == t3
    assert done["credit_record"] is False

    # The enterprise sees every step, the clerk by role only and not the grant's note
    # (issue 11 §4); the bureau sees all of it.
    mine = history(client, cid, enterprise(code))
    assert [(e["type"], e["actor"]["id"]) for e in mine] == [
        ("Committed", "ent-user"),
        ("Granted", None),
        ("MaterialsSupplied", "ent-user"),
        ("MaterialsSupplied", None),
        ("Fulfilled", None),
    ]
    assert mine[1]["data"] == {}
    events = history(client, cid, supervisor())
    assert [(e["version"], e["type"], e["actor"]["role"]) for e in events] == [
        (1, "Committed", "enterprise"),
        (2, "Granted", "clerk"),
        (3, "MaterialsSupplied", "enterprise"),
        (4, "MaterialsSupplied", "clerk"),
        (5, "Fulfilled", "clerk"),
    ]
    assert [cst(e["at"]) for e in events] == [t0, t1, t2, t3, t3]
    assert events[1]["data"]["note"] == "承诺即开工"
    assert events[3]["data"]["materials"] == [MATERIALS[2], MATERIALS[0]]
    assert events[4]["data"]["late"] is False

    def read(**params: Any) -> tuple[int, str, list[str]]:
        r = client.get(f"{API}/{cid}", params=params, headers=enterprise(code))
        assert r.status_code == 200, r.text
        assert r.headers["etag"] == f'"{r.json()["version"]}"'
        body = r.json()
        return body["version"], body["status"], body["materials_supplied"]

    assert read(version=1) == (1, "committed", [])
    assert read(version=3) == (3, "granted", [MATERIALS[1]])
    assert read(version=5) == read() == (5, "fulfilled", [MATERIALS[1], MATERIALS[2], MATERIALS[0]])
    assert read(as_of=t0.isoformat()) == (1, "committed", [])
    assert read(as_of=datetime(2024, 9, 24, 18, 0, tzinfo=UTC).isoformat())[:2] == (3, "granted")
    assert read(as_of=t3.isoformat())[:2] == (5, "fulfilled")
    check_problem(
        client.get(
            f"{API}/{cid}", params={"as_of": "2024-09-01T00:00:00+08:00"}, headers=supervisor()
        ),
        404,
    )
    check_problem(client.get(f"{API}/{cid}", params={"version": 6}, headers=supervisor()), 404)
    check_problem(
        client.get(f"{API}/{cid}", params={"as_of": "2024-09-24T10:00:00"}, headers=supervisor()),
        422,
        "as_of",
    )

    (row,) = register(client, supervisor(), done["position"], enterprise=code)
    assert (row["id"], row["status"], row["materials_total"], row["materials_supplied"]) == (
        cid,
        "fulfilled",
        3,
        3,
    )
    assert cst(row["committed_at"]) == t0


def test_a_deadline_passing_is_an_event_of_the_watcher_then_a_breach(client, clock):
    code = credit_code()
    case = granted(client, clock, code, due={"date": "2024-09-24"})
    cid = case["id"]
    assert case["due"]["due_at"] == "2024-09-24T09:30:00Z"

    # Not yet due: the watcher leaves it alone.
    clock.set(at(24, 9, 29))
    run_watcher(client, clock, case["position"])
    assert snapshot(client, cid)[:2] == (2, "granted")

    marked_at = clock.set(at(24, 10))
    assert run_watcher(client, clock, case["position"]) >= 1
    events = history(client, cid)
    assert events[-1]["type"] == "Overdue"
    assert events[-1]["actor"] == {"id": "deadline-watcher", "role": "system", "org": None}
    assert cst(events[-1]["at"]) == marked_at
    assert events[-1]["data"]["due"] == "2024-09-24T09:30:00Z"
    before = snapshot(client, cid)
    assert before[:2] == (3, "overdue")

    # A second pass adds nothing.
    clock.advance(hours=1)
    run_watcher(client, clock, latest_position(client))
    assert snapshot(client, cid) == before

    r = client.get(
        AUDIT,
        params={"case_id": cid},
        headers={**inspector(), "X-Min-Position": str(latest_position(client))},
    )
    assert r.status_code == 200, r.text
    assert [(i["type"], i["actor_role"], i["actor_id"]) for i in r.json()["items"]][-1] == (
        "Overdue",
        "system",
        "deadline-watcher",
    )

    (row,) = register(client, enterprise(code), latest_position(client))
    assert (row["status"], cst(row["overdue_since"])) == ("overdue", marked_at)

    clock.advance(days=1)
    breached = move(
        client,
        cid,
        "breach",
        supervisor(),
        {"reason": "逾期未补齐材料且无正当理由"},
        status="breached",
        version=4,
    )
    assert breached["credit_record"] is True
    assert breached["outcome_reason"] == "逾期未补齐材料且无正当理由"
    last = history(client, cid, enterprise(code))[-1]
    assert (last["type"], last["actor"]["role"], last["data"]["reason"]) == (
        "Breached",
        "supervisor",
        "逾期未补齐材料且无正当理由",
    )
    (row,) = register(client, supervisor(), breached["position"], enterprise=code)
    assert (row["status"], row["credit_record"], row["outcome_reason"]) == (
        "breached",
        True,
        "逾期未补齐材料且无正当理由",
    )


def test_exemptions_and_revocations_from_every_status_that_allows_them(client, clock):
    code = credit_code()
    soon, later = {"date": "2024-09-24"}, {"date": "2024-10-08"}
    cases = {
        ("exempt", "granted", "supervisor"): granted(client, clock, code, due=later),
        ("exempt", "overdue", "supervisor"): granted(client, clock, code, due=soon),
        ("revoke", "granted", "clerk"): granted(client, clock, code, due=later),
        ("revoke", "overdue", "supervisor"): granted(client, clock, code, due=soon),
        ("revoke", "fulfilled", "clerk"): granted(client, clock, code, due=soon),
    }
    fulfilled = cases["revoke", "fulfilled", "clerk"]["id"]
    move(
        client, fulfilled, "supply", enterprise(code), {"materials": MATERIALS}, status="fulfilled"
    )
    clock.set(at(24, 10))
    run_watcher(client, clock, latest_position(client))
    clock.advance(minutes=1)

    outcomes = {"exempt": ("exempted", "Exempted"), "revoke": ("revoked", "Revoked")}
    exemption = "受疫情防控影响，检测机构停工，无法如期补齐材料"
    bodies = {"exempt": {"reason": exemption}, "revoke": BODIES["revoke"]}
    for (name, from_status, who), case in cases.items():
        assert snapshot(client, case["id"])[1] == from_status
        headers = clerk() if who == "clerk" else supervisor()
        body = move(client, case["id"], name, headers, bodies[name], status=outcomes[name][0])
        assert body["credit_record"] is False
        last = history(client, case["id"], enterprise(code))[-1]
        assert (last["type"], last["actor"]["role"], last["data"]) == (
            outcomes[name][1],
            who,
            bodies[name],
        )
        if name == "exempt":
            assert (body["outcome_reason"], body["finding"]) == (exemption, None)
        else:
            assert (body["outcome_reason"], body["finding"]) == (
                "核查不符合审批条件",
                "安全设施未到位",
            )

    rows = register(client, supervisor(), latest_position(client), enterprise=code)
    assert sorted((r["status"], r["credit_record"], r["outcome_reason"]) for r in rows) == sorted(
        [("exempted", False, exemption)] * 2 + [("revoked", False, "核查不符合审批条件")] * 3
    )


def test_a_commitment_due_on_the_end_of_the_epidemic(client, clock):
    code = credit_code()
    case = granted(
        client,
        clock,
        code,
        headers=clerk(),
        due={"epidemic_end": True, "grace_working_days": 3},
    )
    cid = case["id"]
    assert case["committed_by"]["role"] == "clerk"
    assert case["due"] == {
        "date": None,
        "epidemic_end": True,
        "grace_working_days": 3,
        "epidemic_ended_on": None,
        "due_at": None,
        "due_provisional": False,
    }
    # Waiting for the epidemic's end: no deadline can pass.
    clock.set(at(40, 3))
    run_watcher(client, clock, case["position"])
    assert snapshot(client, cid)[:2] == (2, "granted")

    # The end is never in the future, and only supervisors record it.
    r = client.post(
        f"{API}/{cid}/epidemic-ended", json={"ended_on": "2024-10-11"}, headers=supervisor()
    )
    check_problem(r, 422, "ended_on")
    check_problem(
        client.post(
            f"{API}/{cid}/epidemic-ended", json={"ended_on": "2024-09-27"}, headers=clerk()
        ),
        403,
    )
    ended = move(
        client,
        cid,
        "epidemic-ended",
        supervisor(),
        {"ended_on": "2024-09-27"},
        status="granted",
        version=3,
    )
    # 3 working days after Friday 09-27: Sun 09-29 (adjusted workday), Mon 09-30, Tue 10-08.
    assert ended["due"]["epidemic_ended_on"] == "2024-09-27"
    assert ended["due"]["due_at"] == "2024-10-08T09:30:00Z"
    before = snapshot(client, cid)
    r = client.post(
        f"{API}/{cid}/epidemic-ended", json={"ended_on": "2024-09-28"}, headers=supervisor()
    )
    assert "already recorded" in check_problem(r, 409)["detail"]
    assert snapshot(client, cid) == before

    # Now the deadline passes like any other.
    run_watcher(client, clock, ended["position"])
    assert snapshot(client, cid)[:2] == (4, "overdue")


def test_the_epidemic_end_applied_to_every_commitment_waiting_for_it(client, clock):
    code = credit_code()
    waiting_granted = granted(
        client, clock, code, due={"epidemic_end": True, "grace_working_days": 1}
    )
    waiting_made = make(client, code, due={"epidemic_end": True, "grace_working_days": 0})
    dated = granted(client, clock, code)
    clock.advance(minutes=1)

    path = f"{API}/epidemic-ended"
    for role in ("enterprise", "clerk", "department", "inspector", "admin"):
        check_problem(
            client.post(path, json={"ended_on": "2024-09-23"}, headers=as_role(role, code)), 403
        )
    check_problem(
        client.post(path, json={"ended_on": "2024-09-24"}, headers=supervisor()), 422, "ended_on"
    )
    check_problem(
        client.post(path, json={"ended_on": "soon"}, headers=supervisor()), 422, "ended_on"
    )
    check_problem(client.post(path, json={}, headers=supervisor()), 422, "ended_on")

    position = latest_position(client)
    r = client.post(
        path,
        json={"ended_on": "2024-09-23"},
        headers={**supervisor(), "X-Min-Position": str(position)},
    )
    assert r.status_code == 200, r.text
    assert r.json()["applied"] >= 2
    assert r.headers["x-position"] == str(r.json()["position"])
    for case, due in (
        (waiting_granted, "2024-09-24T09:30:00Z"),
        (waiting_made, "2024-09-23T09:30:00Z"),
    ):
        body = client.get(f"{API}/{case['id']}", headers=supervisor()).json()
        assert (body["due"]["epidemic_ended_on"], body["due"]["due_at"]) == ("2024-09-23", due)
        assert history(client, case["id"])[-1]["actor"]["role"] == "supervisor"
    assert snapshot(client, dated["id"])[:2] == (2, "granted")

    # Nothing is left waiting: a second call applies nothing.
    again = client.post(
        path,
        json={"ended_on": "2024-09-23"},
        headers={**supervisor(), "X-Min-Position": str(r.json()["position"])},
    )
    assert again.status_code == 200, again.text
    assert (again.json()["applied"], again.json()["position"]) == (0, None)
    assert "x-position" not in again.headers


# --- roles and errors -------------------------------------------------------------------


def test_401_without_a_valid_token(client, clock):
    case = granted(client, clock)
    cid = case["id"]
    before = snapshot(client, cid)
    for headers in (
        {},
        {"Authorization": "Bearer not.a.jwt"},
        bearer("system", "deadline-watcher"),
    ):
        for r in (
            client.post(API, json=commit_body(credit_code()), headers=headers),
            client.get(API, headers=headers),
            client.get(f"{API}/{cid}", headers=headers),
            client.get(f"{API}/{cid}/history", headers=headers),
            client.post(f"{API}/{cid}/mark-overdue", json={}, headers=headers),
            client.post(f"{API}/{cid}/breach", json={"reason": "x"}, headers=headers),
            client.post(f"{API}/epidemic-ended", json={"ended_on": "2024-09-20"}, headers=headers),
        ):
            check_problem(r, 401)
    assert snapshot(client, cid) == before


def test_403_for_every_role_that_may_never_make_a_move(client, clock):
    case = granted(client, clock)
    cid, code = case["id"], case["code"]
    before = snapshot(client, cid)
    refused = 0
    for name, body in BODIES.items():
        for role in ROLES:
            if role in ALLOWED[name]:
                continue
            headers = as_role(role, code)
            check_problem(client.post(f"{API}/{cid}/{name}", json=body, headers=headers), 403)
            # Also with a stale If-Match and a bad body: the role is checked first.
            r = client.post(
                f"{API}/{cid}/{name}", json={"bad": 1}, headers={**headers, "If-Match": '"1"'}
            )
            check_problem(r, 403)
            refused += 1
    assert refused == 7 * 7 - 9
    assert snapshot(client, cid) == before


def test_403_making_and_reading_for_roles_without_access(client, clock):
    case = granted(client, clock)
    cid, code = case["id"], case["code"]
    for role in ("department", "supervisor", "inspector", "admin", "service_officer"):
        check_problem(client.post(API, json=commit_body(code), headers=as_role(role, code)), 403)
        check_problem(client.post(API, json={"bad": 1}, headers=as_role(role, code)), 403)
    # An enterprise commits only for itself.
    other = credit_code()
    check_problem(client.post(API, json=commit_body(other), headers=enterprise(code)), 403)
    for role in ("department", "admin", "service_officer"):
        headers = as_role(role, code)
        check_problem(client.get(f"{API}/{cid}", headers=headers), 403)
        check_problem(client.get(f"{API}/{cid}/history", headers=headers), 403)
        check_problem(client.get(API, headers=headers), 403)
    position = latest_position(client)
    assert register(client, supervisor(), position, enterprise=other) == []
    assert [i["id"] for i in register(client, supervisor(), position, enterprise=code)] == [cid]


COMMIT_ERRORS: list[Any] = [
    pytest.param(
        {"due": {"date": "2024-10-08", "epidemic_end": True, "grace_working_days": 1}},
        "due.date",
        id="both dues",
    ),
    pytest.param({"due": {}}, "due.date", id="no due"),
    pytest.param({"due": {"epidemic_end": True}}, "due.grace_working_days", id="no grace"),
    pytest.param(
        {"due": {"epidemic_end": True, "grace_working_days": -1}},
        "due.grace_working_days",
        id="negative grace",
    ),
    pytest.param(
        {"due": {"date": "2024-10-08", "grace_working_days": 2}},
        "due.grace_working_days",
        id="grace with a date",
    ),
    pytest.param({"due": {"date": "08/10/2024"}}, "due.date", id="bad date"),
    pytest.param({"due": {"date": "2024-09-22"}}, "due.date", id="due before today"),
    pytest.param({"materials": []}, "materials", id="no materials"),
    pytest.param({"materials": ["a", "b", "a"]}, "materials", id="repeated material"),
    pytest.param({"materials": [f"m{i}" for i in range(51)]}, "materials", id="51 materials"),
    pytest.param({"materials": ["a", ""]}, "materials[1]", id="empty material name"),
    pytest.param({"matter": ""}, "matter", id="empty matter"),
    pytest.param({"statement": 7}, "statement", id="statement not text"),
    pytest.param(
        {"enterprise": {"name": "x", "credit_code": "91"}},
        "enterprise.credit_code",
        id="short code",
    ),
    pytest.param({"enterprise": {"name": "x"}}, "enterprise.credit_code", id="no code"),
    pytest.param({"extra": 1}, "extra", id="unknown field"),
]


def test_422_making_a_commitment_names_the_field(client):
    code = credit_code()
    for param in COMMIT_ERRORS:
        overrides, field = param.values
        r = client.post(API, json=commit_body(code, **overrides), headers=enterprise(code))
        check_problem(r, 422, field)
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    r = client.post(API, json=commit_body(wrong), headers=clerk())
    problem = check_problem(r, 422, "enterprise.credit_code")
    assert "check character" in problem["errors"][0]["rule"]
    assert register(client, enterprise(code), latest_position(client)) == []
    assert register(client, supervisor(), latest_position(client), enterprise=wrong) == []


def test_422_404_412_409_on_moves_store_nothing(client, clock):
    code = credit_code()
    case = granted(client, clock, code)
    cid = case["id"]
    move(client, cid, "supply", enterprise(code), {"materials": [MATERIALS[0]]}, version=3)
    clock.advance(minutes=1)
    before = snapshot(client, cid)

    # 422: a material that is not outstanding, named by field; bad bodies.
    for materials in ([MATERIALS[0]], ["营业执照"], [MATERIALS[1], "营业执照"]):
        r = client.post(f"{API}/{cid}/supply", json={"materials": materials}, headers=clerk())
        assert "not outstanding" in check_problem(r, 422, "materials")["errors"][0]["rule"]
    for name, body, field in (
        ("supply", {"materials": []}, "materials"),
        ("supply", {"materials": [MATERIALS[1], MATERIALS[1]]}, "materials"),
        ("revoke", {"reason": "核查不符"}, "finding"),
        ("revoke", {"reason": "", "finding": "f"}, "reason"),
        ("grant", {"note": ""}, "note"),
        ("grant", {"urgent": True}, "urgent"),
    ):
        headers = supervisor() if name != "supply" else clerk()
        check_problem(client.post(f"{API}/{cid}/{name}", json=body, headers=headers), 422, field)
    assert snapshot(client, cid) == before

    # 404: no such commitment, another enterprise's, or before it existed.
    check_problem(client.post(f"{API}/{uuid.uuid4()}/grant", json={}, headers=clerk()), 404)
    check_problem(client.get(f"{API}/{uuid.uuid4()}", headers=supervisor()), 404)
    stranger = enterprise(credit_code())
    check_problem(client.get(f"{API}/{cid}", headers=stranger), 404)
    check_problem(client.get(f"{API}/{cid}/history", headers=stranger), 404)
    check_problem(
        client.post(f"{API}/{cid}/supply", json={"materials": [MATERIALS[1]]}, headers=stranger),
        404,
    )
    # A complaint's id is not a commitment.
    complaint = client.post("/api/v1/complaints", json=lodge_body(code), headers=enterprise(code))
    assert complaint.status_code == 201, complaint.text
    check_problem(client.get(f"{API}/{complaint.json()['id']}", headers=supervisor()), 404)
    check_problem(
        client.post(f"{API}/{complaint.json()['id']}/grant", json={}, headers=clerk()), 404
    )
    assert snapshot(client, cid) == before

    # 412: a stale If-Match; 400: a malformed one.
    r = client.post(
        f"{API}/{cid}/exempt", json={"reason": "疫情"}, headers={**supervisor(), "If-Match": '"2"'}
    )
    assert check_problem(r, 412)["type"].endswith("stale-version")
    r = client.post(
        f"{API}/{cid}/exempt", json={"reason": "疫情"}, headers={**supervisor(), "If-Match": "two"}
    )
    check_problem(r, 400, "If-Match")
    assert snapshot(client, cid) == before

    # 409: the status forbids the move (even with the right If-Match).
    for name, headers in (("grant", clerk()), ("breach", supervisor())):
        r = client.post(
            f"{API}/{cid}/{name}", json=BODIES[name], headers={**headers, "If-Match": before[3]}
        )
        assert check_problem(r, 409)["type"].endswith("move-not-allowed")
    r = client.post(
        f"{API}/{cid}/epidemic-ended", json={"ended_on": "2024-09-20"}, headers=supervisor()
    )
    assert "not due on the end of the epidemic" in check_problem(r, 409)["detail"]
    assert snapshot(client, cid) == before

    # The right If-Match goes through.
    r = client.post(
        f"{API}/{cid}/exempt",
        json={"reason": "疫情"},
        headers={**supervisor(), "If-Match": before[3]},
    )
    check_case(r, status="exempted", version=4)
    # Settled: nothing more is allowed.
    final = snapshot(client, cid)
    for name, headers in (
        ("supply", enterprise(code)),
        ("revoke", clerk()),
        ("exempt", supervisor()),
        ("breach", supervisor()),
        ("grant", supervisor()),
    ):
        check_problem(client.post(f"{API}/{cid}/{name}", json=BODIES[name], headers=headers), 409)
    assert snapshot(client, cid) == final


def test_409_a_move_made_twice(client, clock):
    case = make(client)
    cid = case["id"]
    move(client, cid, "grant", clerk(), status="granted")
    before = snapshot(client, cid)
    check_problem(client.post(f"{API}/{cid}/grant", json={}, headers=supervisor()), 409)
    check_problem(
        client.post(f"{API}/{cid}/breach", json=BODIES["breach"], headers=supervisor()), 409
    )
    assert snapshot(client, cid) == before


# --- visibility and the register ------------------------------------------------------------


def test_an_enterprise_sees_only_its_own_commitments(client, clock):
    a, b = credit_code(), credit_code()
    first = make(client, a)
    clock.advance(minutes=1)
    second = make(client, a, headers=clerk())
    clock.advance(minutes=1)
    theirs = make(client, b)
    position = theirs["position"]

    def ids(items: list[dict[str, Any]]) -> list[str]:
        return [i["id"] for i in items]

    assert ids(register(client, enterprise(a), position)) == [second["id"], first["id"]]
    assert ids(register(client, enterprise(a, "colleague"), position)) == [
        second["id"],
        first["id"],
    ]
    # Asking for another enterprise's commitments does not widen what one sees.
    assert register(client, enterprise(a), position, enterprise=b) == []
    assert ids(register(client, enterprise(b), position)) == [theirs["id"]]
    for headers in (clerk(), supervisor(), inspector()):
        assert ids(register(client, headers, position, enterprise=a)) == [second["id"], first["id"]]
        for case in (first, theirs):
            assert client.get(f"{API}/{case['id']}", headers=headers).status_code == 200
            assert client.get(f"{API}/{case['id']}/history", headers=headers).status_code == 200

    r = client.get(f"{API}/{second['id']}", headers=enterprise(a))
    assert r.status_code == 200, r.text
    assert r.json()["enterprise"]["credit_code"] == a
    check_problem(client.get(f"{API}/{theirs['id']}", headers=enterprise(a)), 404)
    check_problem(client.get(f"{API}/{first['id']}/history", headers=enterprise(b)), 404)
    check_problem(client.get(f"{API}/{first['id']}", headers=department("hlj-fgw")), 403)
    check_problem(client.get(API, headers=admin()), 403)


def test_the_register_lists_overdue_first_then_newest_and_filters(client, clock):
    code = credit_code()
    matter, other_matter = new_id("施工许可"), new_id("排污许可")
    # Two that go overdue (the one due first is longest overdue) and three others.
    late = granted(client, clock, code, matter=matter, due={"date": "2024-09-25"})
    later = granted(client, clock, code, matter=other_matter, due={"date": "2024-09-24"})
    waiting = granted(client, clock, code, matter=matter, due={"date": "2024-10-31"})
    made = make(client, code, matter=other_matter)
    clock.advance(minutes=1)
    fulfilled = granted(client, clock, code, matter=matter)
    move(client, fulfilled["id"], "supply", clerk(), {"materials": MATERIALS}, status="fulfilled")
    clock.set(at(25, 12))  # after 2024-09-25 17:30 Beijing time
    run_watcher(client, clock, latest_position(client))
    position = latest_position(client)

    everything = register(client, supervisor(), position, enterprise=code)
    expected = [later["id"], late["id"], fulfilled["id"], made["id"], waiting["id"]]
    assert [i["id"] for i in everything] == expected
    assert [i["status"] for i in everything] == [
        "overdue",
        "overdue",
        "fulfilled",
        "committed",
        "granted",
    ]
    assert everything[0]["due_at"] < everything[1]["due_at"]
    assert everything[0]["overdue_since"] is not None
    assert everything[2]["materials_supplied"] == everything[2]["materials_total"] == 3

    # Paging one at a time keeps the order.
    for limit in (1, 2):
        paged = register(client, supervisor(), position, enterprise=code, limit=limit)
        assert [i["id"] for i in paged] == expected
    assert [i["id"] for i in register(client, enterprise(code), position)] == expected

    def ids(**params: Any) -> list[str]:
        return [i["id"] for i in register(client, inspector(), position, **params)]

    assert ids(enterprise=code, status="overdue") == [later["id"], late["id"]]
    assert ids(enterprise=code, status="granted") == [waiting["id"]]
    assert ids(matter=matter) == [late["id"], fulfilled["id"], waiting["id"]]
    assert ids(matter=other_matter, status="committed") == [made["id"]]
    assert ids(matter=matter, status="breached") == []

    headers = {**supervisor(), "X-Min-Position": str(position)}
    check_problem(client.get(API, params={"cursor": "bm9wZQ"}, headers=headers), 422, "cursor")
    assert client.get(API, params={"status": "late"}, headers=headers).status_code in {400, 422}
    assert client.get(API, params={"limit": 0}, headers=headers).status_code in {400, 422}
    check_problem(
        client.get(API, headers={**supervisor(), "X-Min-Position": "soon"}), 400, "X-Min-Position"
    )
