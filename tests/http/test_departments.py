"""Departments and categories as reference data (issue 15): administrators register
and change them, a transfer must name a registered department active that day (422
otherwise, nothing stored), and the ranking and the dashboard show their names."""

from __future__ import annotations

import pytest

from tests.http.identity_support import ready_admin, staff
from tests.http.support import API, check_problem, new_id
from tests.support import credit_code, lodge_body

pytestmark = pytest.mark.http

DEPARTMENTS = "/api/v1/departments"


def register(client, admin, code: str, name: str, **extra) -> dict:
    r = client.post(DEPARTMENTS, json={"code": code, "name": name, **extra}, headers=admin)
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"{DEPARTMENTS}/{code}"
    return r.json()


def accepted_complaint(client, clerk) -> dict:
    code = credit_code()
    lodged = client.post(API, json=lodge_body(code), headers=clerk)
    assert lodged.status_code == 201, lodged.text
    case = client.post(f"{API}/{lodged.json()['id']}/accept", json={}, headers=clerk)
    assert case.status_code == 200, case.text
    return case.json()


def test_a_transfer_names_a_registered_active_department(ic, clock):
    admin = ready_admin(ic)
    _, clerk = staff(ic, admin, "clerk")
    register(ic, admin, "hlj-zjt", "省住房和城乡建设厅")
    register(ic, admin, "hlj-old", "省旧部门", active_until="2024-09-20")  # before today
    register(ic, admin, "hlj-new", "省新部门", active_from="2024-10-01")  # after today
    case = accepted_complaint(ic, clerk)
    url = f"{API}/{case['id']}"
    for department, rule in (
        ("hlj-zjf", "no registered department 'hlj-zjf'"),  # a typo
        ("hlj-old", "department 'hlj-old' is not active on 2024-09-23"),
        ("hlj-new", "department 'hlj-new' is not active on 2024-09-23"),
    ):
        r = ic.post(f"{url}/transfer", json={"department": department}, headers=clerk)
        body = check_problem(r, 422, "department")
        assert body["errors"][0]["rule"] == rule
        now = ic.get(url, headers=clerk).json()
        assert (now["status"], now["version"]) == ("accepted", case["version"])

    moved = ic.post(f"{url}/transfer", json={"department": "hlj-zjt"}, headers=clerk)
    assert moved.status_code == 200, moved.text
    assert moved.json()["department"] == "hlj-zjt"

    # The day counts in the bureau's time zone: 2024-10-01 00:30 Beijing is 09-30 16:30 UTC.
    clock.set(clock().replace(month=9, day=30, hour=16, minute=30))
    other = accepted_complaint(ic, clerk)
    r = ic.post(f"{API}/{other['id']}/transfer", json={"department": "hlj-new"}, headers=clerk)
    assert r.status_code == 200, r.text


def test_administrators_register_and_change_departments(ic):
    admin = ready_admin(ic)
    _, clerk = staff(ic, admin, "clerk")
    register(ic, admin, "hrb", "哈尔滨市人民政府")
    made = register(ic, admin, "hrb-zjj", "哈尔滨市住房和城乡建设局", parent="hrb")
    assert (made["parent"], made["version"]) == ("hrb", 1)

    check_problem(ic.post(DEPARTMENTS, json={"code": "x-1", "name": "某"}, headers=clerk), 403)
    check_problem(
        ic.post(DEPARTMENTS, json={"code": "hrb-zjj", "name": "重复"}, headers=admin), 422, "code"
    )
    check_problem(
        ic.post(
            DEPARTMENTS, json={"code": "x-2", "name": "某", "parent": "nowhere"}, headers=admin
        ),
        422,
        "parent",
    )
    check_problem(
        ic.post(DEPARTMENTS, json={"code": "ranking", "name": "某"}, headers=admin), 422, "code"
    )
    bad_period = {"code": "x-3", "name": "某", "active_from": "2024-02-01",
                  "active_until": "2024-01-01"}  # fmt: skip
    check_problem(ic.post(DEPARTMENTS, json=bad_period, headers=admin), 422, "active_until")
    # A circle of parents is refused, and nothing changes.
    check_problem(
        ic.patch(f"{DEPARTMENTS}/hrb", json={"parent": "hrb-zjj"}, headers=admin), 422, "parent"
    )
    stale = ic.patch(
        f"{DEPARTMENTS}/hrb-zjj", json={"name": "新名"}, headers={**admin, "If-Match": '"7"'}
    )
    check_problem(stale, 412)
    assert ic.get(f"{DEPARTMENTS}/hrb", headers=clerk).json()["parent"] is None

    changed = ic.patch(
        f"{DEPARTMENTS}/hrb-zjj",
        json={"active_until": "2024-12-31"},
        headers={**admin, "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["active_until"], changed.json()["version"]) == (
        "哈尔滨市住房和城乡建设局", "2024-12-31", 2,
    )  # fmt: skip
    listed = ic.get(
        DEPARTMENTS, headers={**clerk, "X-Min-Position": str(changed.json()["position"])}
    )
    assert [(d["code"], d["parent"]) for d in listed.json()["items"]] == [
        ("hrb", None),
        ("hrb-zjj", "hrb"),
    ]
    assert ic.get(f"{DEPARTMENTS}/nowhere", headers=clerk).status_code == 404


def test_categories_are_reference_data_too(ic):
    admin = ready_admin(ic)
    r = ic.post("/api/v1/categories", json={"code": "approval", "name": "审批服务"}, headers=admin)
    assert r.status_code == 201, r.text
    changed = ic.patch("/api/v1/categories/approval", json={"name": "行政审批"}, headers=admin)
    assert changed.status_code == 200 and changed.json()["name"] == "行政审批"
    listed = ic.get(
        "/api/v1/categories", headers={**admin, "X-Min-Position": str(changed.json()["position"])}
    )
    assert [(c["code"], c["name"]) for c in listed.json()["items"]] == [("approval", "行政审批")]


def test_the_ranking_and_the_dashboard_name_the_departments(ic):
    admin = ready_admin(ic)
    _, clerk = staff(ic, admin, "clerk")
    _, supervisor = staff(ic, admin, "supervisor")
    register(ic, admin, "hlj-swt", "省商务厅")
    case = accepted_complaint(ic, clerk)
    moved = ic.post(f"{API}/{case['id']}/transfer", json={"department": "hlj-swt"}, headers=clerk)
    assert moved.status_code == 200, moved.text
    wait = {**supervisor, "X-Min-Position": str(moved.json()["position"])}
    ranking = ic.get(
        "/api/v1/departments/ranking?from=2024-09-01&to=2024-09-30", headers=wait
    ).json()["items"]
    assert [(r["department"], r["department_name"]) for r in ranking] == [("hlj-swt", "省商务厅")]
    figures = ic.get("/api/v1/dashboard?from=2024-09-01&to=2024-09-30", headers=wait).json()
    assert figures["complaints"]["by_department"] == {"hlj-swt": 1}
    assert figures["complaints"]["department_names"] == {"hlj-swt": "省商务厅"}


def test_free_text_departments_where_the_installation_keeps_them(make_client):
    client = make_client(OVERSIGHT_DEPARTMENTS="free")
    admin = ready_admin(client)
    _, clerk = staff(client, admin, "clerk")
    case = accepted_complaint(client, clerk)
    made_up = new_id("dept")
    r = client.post(f"{API}/{case['id']}/transfer", json={"department": made_up}, headers=clerk)
    assert r.status_code == 200, r.text
