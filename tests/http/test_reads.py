"""Reads: a case at a version or an instant, its history, the list and its filters, the
audit trail, health, and the OpenAPI/Swagger pages."""

from __future__ import annotations

import dataclasses
import re
import time
from datetime import timedelta

from litestar.testing import TestClient

from oversight.runtime import create_app
from tests.conftest import JWT_SECRET
from tests.http.support import (
    ALLOWED,
    API,
    AUDIT,
    CST,
    admin,
    at,
    check_problem,
    clerk,
    cst,
    department,
    enterprise,
    inspector,
    list_cases,
    lodge,
    move,
    new_id,
    supervisor,
)
from tests.support import credit_code


def test_read_at_a_version(client, clock):
    code = credit_code()
    dept = new_id("dept")
    cid = lodge(client, code)["id"]
    clock.advance(minutes=5)
    move(client, cid, "accept", clerk(), {"urgent": True}, version=2)
    clock.advance(minutes=5)
    move(client, cid, "transfer", clerk(), {"department": dept}, version=3)

    expected = {
        1: ("lodged", None, False),
        2: ("accepted", None, True),
        3: ("transferred", dept, True),
    }
    for version, (status, dept_then, urgent) in expected.items():
        r = client.get(f"{API}/{cid}", params={"version": version}, headers=enterprise(code))
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["version"], body["status"], body["department"], body["urgent"]) == (
            version,
            status,
            dept_then,
            urgent,
        )
    first = client.get(f"{API}/{cid}", params={"version": 1}, headers=supervisor()).json()
    assert first["deadlines"]["acceptance_due"] is not None
    assert first["deadlines"]["handling_due"] is None
    now = client.get(f"{API}/{cid}", headers=supervisor())
    assert now.headers["etag"] == '"3"'
    assert now.json()["version"] == 3
    check_problem(client.get(f"{API}/{cid}", params={"version": 4}, headers=supervisor()), 404)


def test_read_as_of_an_instant(client, clock):
    t0 = clock()  # Monday 2024-09-23 09:00Z
    cid = lodge(client)["id"]
    t1 = clock.advance(minutes=10)
    move(client, cid, "accept", clerk(), version=2)
    t2 = clock.advance(minutes=10)
    move(client, cid, "transfer", clerk(), {"department": new_id("dept")}, version=3)
    clock.advance(minutes=10)
    move(client, cid, "supervise", supervisor(), version=4)

    def as_of(instant: str) -> tuple[int, str]:
        r = client.get(f"{API}/{cid}", params={"as_of": instant}, headers=supervisor())
        assert r.status_code == 200, (instant, r.text)
        return r.json()["version"], r.json()["status"]

    assert as_of(t0.isoformat()) == (1, "lodged")  # exactly at the event: included
    assert as_of("2024-09-23T09:00:00Z") == (1, "lodged")
    assert as_of((t0 + timedelta(minutes=9, seconds=59)).isoformat()) == (1, "lodged")
    assert as_of(t1.isoformat()) == (2, "accepted")
    assert as_of((t1 + timedelta(seconds=1)).isoformat()) == (2, "accepted")
    # The same instant as t2, written in Beijing time.
    assert as_of(t2.astimezone(CST).isoformat()) == (3, "transferred")
    assert as_of("2024-09-23T17:29:59+08:00") == (3, "transferred")
    assert as_of("2024-09-23T17:30:00+08:00") == (4, "transferred")
    assert as_of("2030-01-01T00:00:00+00:00") == (4, "transferred")

    before = (t0 - timedelta(seconds=1)).isoformat()
    r = client.get(f"{API}/{cid}", params={"as_of": before}, headers=supervisor())
    check_problem(r, 404)
    r = client.get(
        f"{API}/{cid}", params={"as_of": "2024-09-23T16:59:59+08:00"}, headers=supervisor()
    )
    check_problem(r, 404)


def test_history_lists_every_event_in_order(client, clock):
    code = credit_code()
    dept = new_id("dept")
    times = [clock()]
    cid = lodge(client, code, headers=enterprise(code, "ent-7"))["id"]
    steps = [
        (
            "accept",
            clerk("clerk-7"),
            {"note": "受理"},
            "Accepted",
            {"note": "受理", "urgent": False},
        ),
        (
            "transfer",
            supervisor("sup-7"),
            {"department": dept, "working_days": 2},
            "Transferred",
            {"department": dept, "working_days": 2},
        ),
        ("supervise", supervisor("sup-8"), {"note": "督办"}, "Supervised", {"note": "督办"}),
        ("reply", department(dept, "dept-7"), {"answer": "已办"}, "Replied", {"answer": "已办"}),
    ]
    for version, (name, headers, body, _, _) in enumerate(steps, start=2):
        times.append(clock.advance(minutes=7))
        move(client, cid, name, headers, body, version=version)

    r = client.get(f"{API}/{cid}/history", headers=supervisor())
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == '"5"'
    body = r.json()
    assert body["id"] == cid
    assert body["version"] == 5
    events = body["events"]
    assert [e["version"] for e in events] == [1, 2, 3, 4, 5]
    assert [e["type"] for e in events] == [
        "Lodged",
        "Accepted",
        "Transferred",
        "Supervised",
        "Replied",
    ]
    assert [cst(e["at"]) for e in events] == times
    actors = [(e["actor"]["id"], e["actor"]["role"]) for e in events]
    assert actors == [
        ("ent-7", "enterprise"),
        ("clerk-7", "clerk"),
        ("sup-7", "supervisor"),
        ("sup-8", "supervisor"),
        ("dept-7", "department"),
    ]
    lodged = events[0]["data"]
    assert lodged["complainant"]["credit_code"] == code
    assert lodged["kind"] == "complaint"
    assert cst(lodged["acceptance_due"]) == cst("2024-09-24T17:30:00+08:00")
    for event, (_, _, _, _, data) in zip(events[1:], steps, strict=True):
        for key, value in data.items():
            assert event["data"][key] == value, (event["type"], key)
    # Transferred Monday 17:14 in Beijing with 2 working days: Tuesday, Wednesday.
    assert cst(events[2]["data"]["due"]) == cst("2024-09-25T17:30:00+08:00")
    # The enterprise reads the public course only (issue 11 §4): no supervision notice,
    # no reply the review has not approved yet, and no staff user ids (its own user's, yes).
    mine = client.get(f"{API}/{cid}/history", headers=enterprise(code))
    assert mine.status_code == 200, mine.text
    assert [e["type"] for e in mine.json()["events"]] == ["Lodged", "Accepted", "Transferred"]
    assert [e["actor"]["id"] for e in mine.json()["events"]] == ["ent-7", None, None]


# --- the list -------------------------------------------------------------------------


def test_list_filters_newest_first_and_cursor_pages(client, clock):
    code = credit_code()
    dept = new_id("dept")
    ent = enterprise(code)
    kinds = ["appeal", "complaint", "report", "complaint", "appeal"]
    lodged = []
    for kind in kinds:
        clock.advance(minutes=1)
        lodged.append(lodge(client, code, kind=kind)["id"])
    clock.advance(minutes=1)
    move(client, lodged[1], "accept", clerk(), version=2)
    clock.advance(minutes=1)
    move(client, lodged[3], "accept", clerk(), version=2)
    clock.advance(minutes=1)
    last = move(client, lodged[3], "transfer", clerk(), {"department": dept}, version=3)
    position = last["position"]
    newest_first = lodged[::-1]

    everything = list_cases(client, ent, position)
    assert [i["id"] for i in everything] == newest_first
    lodged_at = [cst(i["lodged_at"]) for i in everything]
    assert lodged_at == sorted(lodged_at, reverse=True)

    def ids(**params: str) -> list[str]:
        return [i["id"] for i in list_cases(client, ent, position, **params)]

    assert ids(status="lodged") == [lodged[4], lodged[2], lodged[0]]
    assert ids(status="accepted") == [lodged[1]]
    assert ids(status="transferred") == [lodged[3]]
    assert ids(status="closed") == []
    assert ids(kind="complaint") == [lodged[3], lodged[1]]
    assert ids(kind="appeal") == [lodged[4], lodged[0]]
    assert ids(kind="appeal", status="lodged") == [lodged[4], lodged[0]]
    assert ids(department=dept) == [lodged[3]]
    assert ids(department=new_id("dept")) == []
    by_status = {i["id"]: i["status"] for i in everything}
    assert by_status[lodged[3]] == "transferred"

    # Pages of two: all five, each once, in order.
    pages: list[list[str]] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        r = client.get(API, params=params, headers={**ent, "X-Min-Position": str(position)})
        assert r.status_code == 200, r.text
        pages.append([i["id"] for i in r.json()["items"]])
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 10
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [cid for page in pages for cid in page] == newest_first


def test_list_overdue(client, clock):
    code = credit_code()
    ent = enterprise(code)
    dept = new_id("dept")
    # A: lodged Monday 17:00 Beijing, acceptance due Tuesday 17:30.
    clock.set(at(2024, 9, 23, 9, 0))
    a = lodge(client, code)["id"]
    # Wednesday 10:00 Beijing: B is lodged (due Thursday); C is accepted (its transfer
    # due Thursday 17:30: issue 11 §2); D is transferred with 0 working days (due
    # Wednesday 17:30); E is rejected (no deadline).
    clock.set(at(2024, 9, 25, 2, 0))
    b = lodge(client, code)["id"]
    clock.set(at(2024, 9, 25, 2, 10))
    c = lodge(client, code)["id"]
    move(client, c, "accept", clerk(), version=2)
    clock.set(at(2024, 9, 25, 2, 20))
    d = lodge(client, code)["id"]
    move(client, d, "accept", clerk(), version=2)
    last = move(client, d, "transfer", clerk(), {"department": dept, "working_days": 0}, version=3)
    assert cst(last["deadlines"]["handling_due"]) == cst("2024-09-25T17:30:00+08:00")
    e = lodge(client, code)["id"]
    rejected = move(client, e, "reject", clerk(), {"reason": "不属于受理范围"}, version=2)
    position = rejected["position"]

    def ids(**params: str) -> set[str]:
        return {i["id"] for i in list_cases(client, ent, position, **params)}

    # Wednesday 17:00 Beijing: only A is late.
    clock.set(at(2024, 9, 25, 9, 0))
    assert ids(overdue="true") == {a}
    assert ids(overdue="false") == {b, c, d, e}
    # Wednesday 18:00 Beijing: D's day is over too.
    clock.set(at(2024, 9, 25, 10, 0))
    assert ids(overdue="true") == {a, d}
    assert ids(overdue="false") == {b, c, e}
    assert ids(overdue="true", status="transferred") == {d}
    # Friday: B's acceptance and C's transfer (Thursday 17:30) have passed; E has none.
    clock.set(at(2024, 9, 27, 2, 0))
    assert ids(overdue="true") == {a, b, c, d}
    assert ids(overdue="false") == {e}
    assert ids() == {a, b, c, d, e}
    due = {i["id"]: i["due_at"] for i in list_cases(client, ent, position)}
    assert due[e] is None
    assert cst(due[c]) == cst("2024-09-26T17:30:00+08:00")
    assert cst(due[a]) == cst("2024-09-24T17:30:00+08:00")


def test_list_waits_for_x_min_position_then_answers_503(database_url, settings, clock):
    quick = dataclasses.replace(settings, min_position_wait_seconds=0.3)
    app = create_app(quick, database_url=database_url, jwt_secret=JWT_SECRET, clock=clock)
    with TestClient(app) as client:
        code = credit_code()
        case = lodge(client, code)
        # A position the views reached answers at once.
        r = client.get(API, headers={**enterprise(code), "X-Min-Position": str(case["position"])})
        assert r.status_code == 200, r.text
        assert [i["id"] for i in r.json()["items"]] == [case["id"]]

        # Beyond the last event stored: no command answered it, so no wait (422).
        started = time.monotonic()
        for path in (API, AUDIT):
            r = client.get(path, headers={**supervisor(), "X-Min-Position": str(10**15)})
            check_problem(r, 422, "X-Min-Position")
        assert time.monotonic() - started < 4

        r = client.get(API, headers={**supervisor(), "X-Min-Position": "soon"})
        check_problem(r, 400, "X-Min-Position")

    # A position stored but not projected yet (no runner in this process): 503 once
    # the wait is over, with Retry-After.
    still = create_app(
        quick, database_url=database_url, jwt_secret=JWT_SECRET, clock=clock, run_projections=False
    )
    with TestClient(still) as client:
        case = lodge(client, credit_code())
        started = time.monotonic()
        for path in (API, AUDIT):
            r = client.get(path, headers={**supervisor(), "X-Min-Position": str(case["position"])})
            check_problem(r, 503)
            assert int(r.headers["retry-after"]) >= 1
        assert time.monotonic() - started < 4


def test_list_is_forbidden_to_admin(client):
    check_problem(client.get(API, headers=admin()), 403)


# --- the audit trail ------------------------------------------------------------------


def test_audit_trail_of_a_case(client, clock):
    code = credit_code()
    dept = new_id("dept")
    cid = lodge(client, code, headers=enterprise(code, "ent-a"))["id"]
    clock.advance(minutes=3)
    move(client, cid, "accept", clerk("clerk-a"), version=2)
    clock.advance(minutes=3)
    move(client, cid, "transfer", supervisor("sup-a"), {"department": dept}, version=3)
    clock.advance(minutes=3)
    last = move(client, cid, "send-back", department(dept, "dept-a"), version=4)

    expected = [
        (1, "Lodged", "ent-a", "enterprise"),
        (2, "Accepted", "clerk-a", "clerk"),
        (3, "Transferred", "sup-a", "supervisor"),
        (4, "SentBack", "dept-a", "department"),
    ]
    for headers in (supervisor(), inspector()):
        r = client.get(
            AUDIT,
            params={"case_id": cid},
            headers={**headers, "X-Min-Position": str(last["position"])},
        )
        assert r.status_code == 200, r.text
        items = r.json()["items"]
        assert [
            (i["version"], i["type"], i["actor_id"], i["actor_role"]) for i in items
        ] == expected
        assert {i["case_id"] for i in items} == {cid}
        assert [cst(i["at"]) for i in items] == [at(2024, 9, 23, 9, m) for m in (0, 3, 6, 9)]
        positions = [i["position"] for i in items]
        assert positions == sorted(positions)
        assert positions[-1] == last["position"]

    for headers in (enterprise(code, "ent-a"), department(dept), clerk(), admin()):
        check_problem(client.get(AUDIT, params={"case_id": cid}, headers=headers), 403)


# --- health, OpenAPI, Swagger ---------------------------------------------------------


def test_healthz_and_readyz_need_no_token(client):
    r = client.get("/healthz")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ok"}
    lodge(client)
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ready"}  # positions and lag need a token (test_readiness)
    r = client.get("/readyz", headers=supervisor())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready"
    assert isinstance(body["projection_lag"], int)
    assert 0 <= body["projection_lag"] <= body["position"]
    assert body["position"] >= 1


def test_openapi_lists_every_path(client):
    r = client.get("/schema/openapi.json")
    assert r.status_code == 200, r.text
    paths = r.json()["paths"]
    moves = [name for name in ALLOWED if name != "lodge"]
    assert len(moves) == 12
    for name in moves:
        assert "post" in paths.get(f"{API}/{{case_id}}/{name}", {}), name
    assert {"get", "post"} <= set(paths[API])
    assert "get" in paths[f"{API}/{{case_id}}"]
    assert "get" in paths[f"{API}/{{case_id}}/history"]
    assert "get" in paths[AUDIT]
    assert "/healthz" in paths
    assert "/readyz" in paths


def test_swagger_page_uses_only_local_assets(client):
    r = client.get("/schema/swagger")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page)
    assert any(ref.endswith(".js") for ref in refs), refs
    assert any(ref.endswith(".css") for ref in refs), refs
    for ref in refs:
        assert ref.startswith("/static/"), ref
    assert not re.search(r"""(?:src|href)\s*=\s*["']\s*(?:https?:)?//""", page)
    for cdn in ("unpkg", "jsdelivr", "cdnjs", "googleapis", "cloudflare"):
        assert cdn not in page
    for ref in refs:
        asset = client.get(ref)
        assert asset.status_code == 200, ref
        assert len(asset.content) > 100, ref
