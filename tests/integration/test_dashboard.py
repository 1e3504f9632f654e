"""The dashboard's complaint figures on a scenario computed by hand."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from tests.conftest import bearer
from tests.http.support import check_problem
from tests.support import credit_code, lodge_body

pytestmark = pytest.mark.integration

API = "/api/v1/complaints"
CLERK = bearer("clerk", "clerk-1")
SUPERVISOR = bearer("supervisor", "sup-1")


def beijing(day: int, hour: int) -> datetime:
    """A moment in September 2024, Beijing time, as UTC."""
    return datetime(2024, 9, day, hour - 8, 0, tzinfo=UTC)


def test_complaint_figures_for_a_period_and_as_of(fresh_client, clock):
    client = fresh_client
    dept = "dept-" + credit_code()[:6]

    def move(case_id, name, body, headers=CLERK):
        r = client.post(f"{API}/{case_id}/{name}", json=body, headers=headers)
        assert r.status_code == 200, r.text
        return r.json()

    def lodge(kind, channel):
        code = credit_code()
        r = client.post(
            API, json=lodge_body(code, kind=kind, channel=channel), headers=bearer("clerk", "c")
        )
        assert r.status_code == 201
        return r.json()["id"], code

    # Monday 2024-09-09: two lodged; one accepted the same day (on time), one on
    # Wednesday (late: due Tuesday 17:30).
    clock.set(beijing(9, 10))
    a, a_code = lodge("complaint", "web")
    b, _ = lodge("appeal", "hotline")
    clock.set(beijing(9, 11))
    move(a, "accept", {})
    move(a, "transfer", {"department": dept, "working_days": 2})  # due Wed 11th 17:30
    clock.set(beijing(11, 10))
    move(b, "accept", {})
    # a: replied Thursday 12th (late), redo by review, replied again the 13th, approved,
    # rated unsatisfied (redo), replied, approved, rated satisfied -> closed.
    dept_headers = bearer("department", "d1", dept)
    clock.set(beijing(12, 9))
    move(a, "reply", {"answer": "已办理"}, dept_headers)
    move(a, "review", {"approved": False, "note": "答复不完整"}, SUPERVISOR)
    clock.set(beijing(13, 9))
    move(a, "reply", {"answer": "已补充"}, dept_headers)
    move(a, "review", {"approved": True}, SUPERVISOR)
    move(a, "rate", {"rating": "unsatisfied"}, bearer("enterprise", "e", a_code))
    move(a, "reply", {"answer": "再次办理"}, dept_headers)
    move(a, "supervise", {"note": "督办"}, SUPERVISOR)
    move(a, "review", {"approved": True}, SUPERVISOR)
    last = move(a, "rate", {"rating": "satisfied"}, bearer("enterprise", "e", a_code))

    headers = {**SUPERVISOR, "X-Min-Position": str(last["position"])}
    r = client.get("/api/v1/dashboard?from=2024-09-09&to=2024-09-13", headers=headers)
    assert r.status_code == 200, r.text
    c = r.json()["complaints"]
    assert c["lodged"] == 2
    assert c["by_kind"] == {"appeal": 1, "complaint": 1}
    assert c["by_channel"] == {"hotline": 1, "web": 1}
    assert c["by_department"] == {dept: 1}
    assert c["acceptance"] == {"accepted": 2, "within_1_working_day": 1, "rate": 50.0}
    # Replies: 12th (late), 13th twice (after redo: due again 2 working days later, on time)
    assert c["replies"]["replied"] == 3
    assert c["replies"]["on_time"] == 2
    assert c["replies"]["rate"] == 66.67
    assert c["satisfaction"]["distribution"]["unsatisfied"] == 1
    assert c["satisfaction"]["distribution"]["satisfied"] == 1
    assert c["satisfaction"]["satisfied_share"] == 50.0
    assert c["redone"] == 2
    assert c["supervision_notices"] == 1
    assert c["closed"] == 1
    assert c["by_status"] == {"closed": 1, "accepted": 1}
    assert c["open"] == 1

    # As it stood at the end of Wednesday the 11th.
    r = client.get(
        "/api/v1/dashboard?from=2024-09-09&to=2024-09-13&as_of=2024-09-11", headers=headers
    )
    c = r.json()["complaints"]
    assert c["by_status"] == {"transferred": 1, "accepted": 1}
    assert c["replies"]["replied"] == 0
    assert c["acceptance"]["accepted"] == 2
    assert c["closed"] == 0

    # CSV: UTF-8 with a byte-order mark.
    r = client.get(
        "/api/v1/dashboard?from=2024-09-09&to=2024-09-13",
        headers={**headers, "Accept": "text/csv"},
    )
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith("\ufeff".encode())
    assert "complaints.acceptance.rate,50.0" in r.content.decode("utf-8-sig")


def test_dashboard_refuses_other_roles_and_bad_periods(client):
    assert (
        client.get("/api/v1/dashboard?from=2024-01-01&to=2024-01-31", headers=CLERK).status_code
        == 403
    )
    r = client.get("/api/v1/dashboard?from=2024-02-01&to=2024-01-31", headers=SUPERVISOR)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "to"
    assert client.get("/api/v1/dashboard?from=2024-02-01", headers=SUPERVISOR).status_code in (
        400,
        422,
    )


def test_department_ranking_orders_by_on_time_rate(fresh_client, clock):
    client = fresh_client
    fast, slow = "dept-fast", "dept-slow"
    clock.set(beijing(9, 10))
    last = None
    for dept, reply_day in ((fast, 10), (slow, 12), (slow, 10)):
        clock.set(beijing(9, 10))
        code = credit_code()
        case = client.post(API, json=lodge_body(code), headers=CLERK).json()["id"]
        client.post(f"{API}/{case}/accept", json={}, headers=CLERK)
        client.post(
            f"{API}/{case}/transfer", json={"department": dept, "working_days": 2}, headers=CLERK
        )
        clock.set(beijing(reply_day, 10))
        last = client.post(
            f"{API}/{case}/reply", json={"answer": "x"}, headers=bearer("department", "d", dept)
        ).json()
    headers = {**SUPERVISOR, "X-Min-Position": str(last["position"])}
    r = client.get("/api/v1/departments/ranking?from=2024-09-01&to=2024-09-30", headers=headers)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(i["department"], i["rank"], i["on_time_rate"], i["received"]) for i in items] == [
        (fast, 1, 100.0, 1),
        (slow, 2, 50.0, 2),
    ]
    csv_text = client.get(
        "/api/v1/departments/ranking?from=2024-09-01&to=2024-09-30",
        headers={**headers, "Accept": "text/csv"},
    ).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("department,received,replied,on_time_rate")


def test_warnings_are_yellow_then_red_oldest_first(fresh_client, clock):
    client = fresh_client
    clock.set(beijing(9, 10))  # Monday morning: acceptance due Tuesday 17:30
    first = client.post(API, json=lodge_body(credit_code(), title="第一"), headers=CLERK).json()
    clock.set(beijing(9, 18))  # after office close: counts from Tuesday, due Wednesday 17:30
    second = client.post(API, json=lodge_body(credit_code(), title="第二"), headers=CLERK).json()
    headers = {**SUPERVISOR, "X-Min-Position": str(second["position"])}

    clock.set(beijing(9, 19))  # both due by the end of the next working day: yellow
    items = client.get("/api/v1/warnings?case_type=complaint", headers=headers).json()["items"]
    assert [(i["case_id"], i["level"], i["step"]) for i in items] == [
        (first["id"], "due_soon", "acceptance"),
        (second["id"], "due_soon", "acceptance"),
    ]
    assert items[0]["responsible"] == {"kind": "bureau", "id": "intake"}

    clock.set(beijing(11, 9))  # Wednesday morning: the first is red, the second yellow
    items = client.get("/api/v1/warnings", headers=headers).json()["items"]
    assert [(i["case_id"], i["level"]) for i in items] == [
        (first["id"], "overdue"),
        (second["id"], "due_soon"),
    ]
    assert [
        i["case_id"]
        for i in client.get("/api/v1/warnings?level=overdue", headers=headers).json()["items"]
    ] == [first["id"]]

    clock.set(beijing(12, 9))  # Thursday: both red, oldest deadline first
    items = client.get("/api/v1/warnings?level=overdue", headers=headers).json()["items"]
    assert [i["case_id"] for i in items] == [first["id"], second["id"]]

    # Accepted and transferred: the step changes, so does who must act.
    client.post(f"{API}/{first['id']}/accept", json={}, headers=CLERK)
    moved = client.post(
        f"{API}/{first['id']}/transfer",
        json={"department": "dept-w", "working_days": 0},
        headers=CLERK,
    ).json()
    items = client.get(
        "/api/v1/warnings",
        headers={**SUPERVISOR, "X-Min-Position": str(moved["position"])},
    ).json()["items"]
    by_id = {i["case_id"]: i for i in items}
    assert by_id[first["id"]]["level"] == "due_soon"
    assert by_id[first["id"]]["responsible"] == {"kind": "department", "id": "dept-w"}
    assert by_id[second["id"]]["level"] == "overdue"
    assert client.get("/api/v1/warnings", headers=bearer("department", "d", "x")).status_code == 403


def test_warnings_cover_credit_repairs_and_commitments(fresh_client, clock):
    client = fresh_client
    code = credit_code()
    clock.set(beijing(9, 10))  # Monday: review due Tuesday 17:30
    repair = client.post(
        "/api/v1/credit-repairs",
        json={
            "enterprise": {"name": "某企业", "credit_code": code},
            "record_id": "R-1",
            "penalty_authority": "市场监管局",
            "severity": "minor",
            "proof": "已整改",
            "pledge_signed": True,
        },
        headers=bearer("enterprise", "e", code),
    ).json()
    commitment = client.post(
        "/api/v1/commitments",
        json={
            "matter": "施工许可",
            "enterprise": {"name": "某企业", "credit_code": code},
            "statement": "承诺符合条件",
            "materials": ["环评批复"],
            "due": {"date": "2024-09-10"},
        },
        headers=bearer("enterprise", "e", code),
    ).json()
    granted = client.post(
        f"/api/v1/commitments/{commitment['id']}/grant", json={}, headers=CLERK
    ).json()
    headers = {**SUPERVISOR, "X-Min-Position": str(granted["position"])}
    clock.set(beijing(11, 9))  # Wednesday: both past due
    items = client.get("/api/v1/warnings?level=overdue", headers=headers).json()["items"]
    assert {(i["case_type"], i["case_id"], i["step"]) for i in items} == {
        ("credit_repair", repair["id"], "initial_review"),
        ("commitment", commitment["id"], "materials"),
    }
    # Oldest deadline first: the commitment was due Tuesday 17:30 too; ties by id.
    assert [i["due_at"] for i in items] == sorted(i["due_at"] for i in items)


def test_warning_pages_follow_each_other_across_case_types(fresh_client, clock):
    """limit/offset pages over complaints and credit repairs, with and without a level
    filter, are the slices of the whole list (each source is cut at offset + limit)."""
    client = fresh_client
    last = None
    for day, hour in [(9, 10), (9, 11), (9, 18), (10, 9), (10, 14), (10, 20), (11, 9)]:
        clock.set(beijing(day, hour))
        code = credit_code()
        client.post(API, json=lodge_body(code), headers=CLERK)
        last = client.post(
            "/api/v1/credit-repairs",
            json={
                "enterprise": {"name": "某企业", "credit_code": code},
                "record_id": f"R-{day}-{hour}",
                "penalty_authority": "市场监管局",
                "severity": "minor",
                "proof": "已整改",
                "pledge_signed": True,
            },
            headers=bearer("enterprise", "e", code),
        ).json()
    headers = {**SUPERVISOR, "X-Min-Position": str(last["position"])}
    clock.set(beijing(12, 9))  # Thursday: some red, some yellow
    for query in ("", "&level=overdue", "&level=due_soon"):
        whole = client.get(f"/api/v1/warnings?limit=1000{query}", headers=headers).json()["items"]
        pages = [
            client.get(f"/api/v1/warnings?limit=3&offset={k}{query}", headers=headers).json()[
                "items"
            ]
            for k in range(0, 15, 3)
        ]
        assert [i for page in pages for i in page] == whole
        # Keyset: following next_cursor gives the same list, and the last page says so.
        followed, cursor = [], ""
        for _ in range(10):
            page = client.get(f"/api/v1/warnings?limit=4{query}{cursor}", headers=headers).json()
            followed += page["items"]
            if page["next_cursor"] is None:
                break
            cursor = f"&cursor={page['next_cursor']}"
        assert followed == whole
        assert [(i["due_at"], i["case_id"]) for i in whole] == sorted(
            (i["due_at"], i["case_id"]) for i in whole
        )
    check_problem(client.get("/api/v1/warnings?cursor=not-ours", headers=headers), 422, "cursor")
    levels = {i["level"] for i in client.get("/api/v1/warnings", headers=headers).json()["items"]}
    assert levels == {"overdue", "due_soon"}
    kinds = {
        i["case_type"] for i in client.get("/api/v1/warnings", headers=headers).json()["items"]
    }
    assert kinds == {"complaint", "credit_repair"}


def test_the_dashboard_is_the_same_after_a_rebuild(fresh_client, fresh_database_url, clock):
    client = fresh_client
    clock.set(beijing(9, 10))
    last = None
    for i in range(6):
        code = credit_code()
        case = client.post(API, json=lodge_body(code), headers=CLERK).json()
        if i % 2:
            client.post(f"{API}/{case['id']}/accept", json={}, headers=CLERK)
            last = client.post(
                f"{API}/{case['id']}/transfer", json={"department": f"d{i}"}, headers=CLERK
            ).json()
    clock.set(beijing(13, 10))
    query = "/api/v1/dashboard?from=2024-09-01&to=2024-09-30"
    headers = {**SUPERVISOR, "X-Min-Position": str(last["position"])}
    before = client.get(query, headers=headers).json()
    before_csv = client.get(query, headers={**headers, "Accept": "text/csv"}).content

    env = {**os.environ, "DATABASE_URL": fresh_database_url, "OVERSIGHT_JWT_SECRET": "x" * 32}
    result = subprocess.run(
        [sys.executable, "-m", "oversight.cli", "rebuild"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    after = client.get(query, headers=headers).json()
    assert after == before
    assert before["complaints"]["lodged"] == 6
    assert client.get(query, headers={**headers, "Accept": "text/csv"}).content == before_csv
