"""Who sees which case: enterprises their own, departments what was transferred to them,
clerks, supervisors and inspectors everything; confidential reports hide the complainant
from departments everywhere (GET, history, list)."""

from __future__ import annotations

import json
import random
from typing import Any

from tests.http.support import (
    API,
    check_problem,
    clerk,
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


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def test_enterprise_sees_only_its_own_cases(client, clock):
    a, b = credit_code(), credit_code()
    first = lodge(client, a)
    clock.advance(minutes=1)
    second = lodge(client, a)
    clock.advance(minutes=1)
    theirs = lodge(client, b)
    position = theirs["position"]

    assert ids(list_cases(client, enterprise(a), position)) == [second["id"], first["id"]]
    assert ids(list_cases(client, enterprise(b), position)) == [theirs["id"]]
    # Another user of the same enterprise sees the enterprise's cases too.
    assert ids(list_cases(client, enterprise(a, "colleague"), position)) == [
        second["id"],
        first["id"],
    ]

    r = client.get(f"{API}/{first['id']}", headers=enterprise(a))
    assert r.status_code == 200, r.text
    assert r.json()["complainant"]["credit_code"] == a
    check_problem(client.get(f"{API}/{theirs['id']}", headers=enterprise(a)), 404)
    check_problem(client.get(f"{API}/{theirs['id']}/history", headers=enterprise(a)), 404)
    check_problem(client.get(f"{API}/{first['id']}", headers=enterprise(b)), 404)


def test_department_sees_only_cases_transferred_to_it(client, clock):
    mine, other = new_id("dept"), new_id("dept")
    cases = {}
    for label, dept in (("mine", mine), ("other", other), ("untransferred", None)):
        clock.advance(minutes=1)
        cid = lodge(client)["id"]
        clock.advance(minutes=1)
        last = move(client, cid, "accept", clerk(), version=2)
        if dept:
            clock.advance(minutes=1)
            last = move(client, cid, "transfer", clerk(), {"department": dept}, version=3)
        cases[label] = cid
    position = last["position"]

    assert ids(list_cases(client, department(mine), position)) == [cases["mine"]]
    assert ids(list_cases(client, department(other), position)) == [cases["other"]]
    assert list_cases(client, department(new_id("dept")), position) == []

    r = client.get(f"{API}/{cases['mine']}", headers=department(mine))
    assert r.status_code == 200, r.text
    assert r.json()["department"] == mine
    assert client.get(f"{API}/{cases['mine']}/history", headers=department(mine)).status_code == 200
    for label in ("other", "untransferred"):
        check_problem(client.get(f"{API}/{cases[label]}", headers=department(mine)), 404)
        check_problem(client.get(f"{API}/{cases[label]}/history", headers=department(mine)), 404)


def test_clerk_supervisor_and_inspector_see_every_case(client, clock):
    dept = new_id("dept")
    a, b = credit_code(), credit_code()
    transferred = []
    for code in (a, b):
        clock.advance(minutes=1)
        cid = lodge(client, code)["id"]
        clock.advance(minutes=1)
        move(client, cid, "accept", clerk(), version=2)
        clock.advance(minutes=1)
        move(client, cid, "transfer", clerk(), {"department": dept}, version=3)
        transferred.append(cid)
    clock.advance(minutes=1)
    lodged_only = lodge(client, credit_code())
    position = lodged_only["position"]

    for headers in (clerk(), supervisor(), inspector()):
        listed = list_cases(client, headers, position, department=dept)
        assert ids(listed) == transferred[::-1]
        assert {item["complainant"]["credit_code"] for item in listed} == {a, b}
        for cid in [*transferred, lodged_only["id"]]:
            r = client.get(f"{API}/{cid}", headers=headers)
            assert r.status_code == 200, r.text
            assert r.json()["complainant"] is not None
            assert client.get(f"{API}/{cid}/history", headers=headers).status_code == 200


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_confidential_report_hides_the_complainant_from_the_department(client, clock):
    code = credit_code()
    dept = new_id("dept")
    name = "保密举报企业-" + new_id("co")
    phone = "139" + "".join(random.choice("0123456789") for _ in range(8))
    user = new_id("whistleblower")
    ent = enterprise(code, user)

    case = lodge(
        client,
        code,
        headers=ent,
        kind="report",
        confidential=True,
        complainant={"name": name, "credit_code": code, "phone": phone},
    )
    cid = case["id"]
    steps = [
        ("accept", clerk(), {}),
        ("transfer", clerk(), {"department": dept}),
        ("reply", department(dept), {"answer": "已核查"}),
        ("review", supervisor(), {"approved": True}),
        ("rate", ent, {"rating": "very_unsatisfied", "comment": "未处理"}),  # back to the dept
        ("withdraw", ent, {"reason": "撤回"}),
    ]
    for version, (step, headers, body) in enumerate(steps, start=2):
        clock.advance(minutes=10)
        last = move(client, cid, step, headers, body, version=version)
    position = last["position"]
    hidden = [name, code, phone, user]

    # The department: not in GET ...
    r = client.get(f"{API}/{cid}", headers=department(dept))
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["complainant"] is None
    assert got["lodged_by"]["id"] is None
    assert got["lodged_by"].get("org") is None
    assert got["confidential"] is True
    for secret in hidden:
        assert secret not in _text(got)
        assert secret not in r.text

    # ... nor in the history (the Lodged data, the enterprise's own moves) ...
    r = client.get(f"{API}/{cid}/history", headers=department(dept))
    assert r.status_code == 200, r.text
    events = r.json()["events"]
    assert [e["type"] for e in events][-2:] == ["Rated", "Withdrawn"]
    assert events[0]["data"]["complainant"] is None
    for e in events:
        if e["actor"]["role"] == "enterprise":
            assert e["actor"]["id"] is None
            assert e["actor"].get("org") is None
    for secret in hidden:
        assert secret not in _text(events)
        assert secret not in r.text

    # ... nor in the list.
    listed = list_cases(client, department(dept), position)
    assert ids(listed) == [cid]
    assert listed[0]["complainant"] is None
    for secret in hidden:
        assert secret not in _text(listed)

    # A supervisor sees all of it.
    sup = client.get(f"{API}/{cid}", headers=supervisor()).json()
    assert sup["complainant"] == {"name": name, "credit_code": code, "phone": phone}
    assert sup["lodged_by"] == {"id": user, "role": "enterprise", "org": code}
    history = client.get(f"{API}/{cid}/history", headers=supervisor()).json()["events"]
    assert history[0]["data"]["complainant"]["credit_code"] == code
    assert history[0]["actor"] == {"id": user, "role": "enterprise", "org": code}
    assert {e["actor"]["id"] for e in history if e["type"] in ("Rated", "Withdrawn")} == {user}
    sup_list = list_cases(client, supervisor(), position, department=dept)
    assert sup_list[0]["complainant"]["credit_code"] == code
    assert sup_list[0]["complainant"]["name"] == name


def test_a_case_that_is_not_confidential_shows_the_complainant_to_the_department(client, clock):
    code = credit_code()
    dept = new_id("dept")
    cid = lodge(client, code)["id"]
    clock.advance(minutes=1)
    move(client, cid, "accept", clerk(), version=2)
    clock.advance(minutes=1)
    last = move(client, cid, "transfer", clerk(), {"department": dept}, version=3)
    got = client.get(f"{API}/{cid}", headers=department(dept)).json()
    assert got["complainant"]["credit_code"] == code
    assert got["lodged_by"]["id"] == "ent-user"
    listed = list_cases(client, department(dept), last["position"])
    assert listed[0]["complainant"]["credit_code"] == code
