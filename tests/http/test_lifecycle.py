"""The life of a complaint over HTTP, for every role, with deadlines computed by hand.

2024 National Day: 10-01..10-07 off; Sunday 09-29 and Saturday 10-12 are working days;
Saturday 09-28 and Sunday 10-13 are off. Deadlines end at 17:30 Beijing time (+08:00).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.http.support import (
    API,
    BODIES,
    CST,
    at,
    check_case_response,
    check_problem,
    clerk,
    cst,
    department,
    enterprise,
    lodge,
    move,
    new_id,
    snapshot,
    supervisor,
)
from tests.support import credit_code, lodge_body


def due(year: int, month: int, day: int) -> datetime:
    """End of office hours in Beijing on that day."""
    return datetime(year, month, day, 17, 30, tzinfo=CST)


def deadlines(body: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    d = body["deadlines"]
    return (
        cst(d["acceptance_due"]) if d["acceptance_due"] else None,
        cst(d["handling_due"]) if d["handling_due"] else None,
    )


def test_whole_life_extensions_redo_unsatisfied_then_satisfied(client, clock):
    code = credit_code()
    dept = new_id("dept")
    ent, dep, sup = enterprise(code), department(dept), supervisor()
    positions: list[int] = []

    def step(body: dict[str, Any]) -> dict[str, Any]:
        positions.append(body["position"])
        return body

    # Monday 2024-09-23 17:00 in Beijing: the enterprise lodges.
    clock.set(at(2024, 9, 23, 9, 0))
    case = step(lodge(client, code))
    cid = case["id"]
    assert deadlines(case) == (due(2024, 9, 24), None)
    assert cst(case["lodged_at"]) == at(2024, 9, 23, 9, 0)
    assert case["lodged_by"] == {"id": "ent-user", "role": "enterprise", "org": code}
    assert case["complainant"]["credit_code"] == code

    # Tuesday 10:00: the clerk accepts (not urgent).
    clock.set(at(2024, 9, 24, 2, 0))
    case = step(move(client, cid, "accept", clerk(), status="accepted", version=2))
    assert case["urgent"] is False
    assert deadlines(case) == (None, None)

    # Tuesday 10:30: transferred with the default SLA (complaint: 10 working days):
    # 25, 26, 27, 29 (Sun, adjusted), 30, 10-08, 09, 10, 11, 12 (Sat, adjusted).
    clock.set(at(2024, 9, 24, 2, 30))
    body = {"department": dept}
    case = step(move(client, cid, "transfer", clerk(), body, status="transferred", version=3))
    assert case["department"] == dept
    assert deadlines(case) == (None, due(2024, 10, 12))

    # Wednesday: the department asks for 3 more working days; the supervisor approves:
    # 10-12 + 3 working days = 10-14, 15, 16.
    clock.set(at(2024, 9, 25, 3, 0))
    body = {"working_days": 3, "reason": "需要现场核查"}
    case = step(move(client, cid, "request-extension", dep, body, status="transferred", version=4))
    assert case["extension_requested"] == 3
    assert deadlines(case) == (None, due(2024, 10, 12))
    again = client.post(f"{API}/{cid}/request-extension", json=body, headers=dep)
    check_problem(again, 409)  # one pending request at a time
    clock.set(at(2024, 9, 25, 4, 0))
    case = step(
        move(
            client,
            cid,
            "decide-extension",
            sup,
            {"approved": True},
            status="transferred",
            version=5,
        )
    )
    assert case["extension_requested"] is None
    assert deadlines(case) == (None, due(2024, 10, 16))

    # A second request is refused: the deadline stays.
    clock.set(at(2024, 9, 25, 5, 0))
    body = {"working_days": 2, "reason": "仍需核查"}
    case = step(move(client, cid, "request-extension", dep, body, version=6))
    assert case["extension_requested"] == 2
    clock.set(at(2024, 9, 25, 5, 30))
    body = {"approved": False, "note": "理由不充分"}
    case = step(move(client, cid, "decide-extension", sup, body, status="transferred", version=7))
    assert case["extension_requested"] is None
    assert deadlines(case) == (None, due(2024, 10, 16))

    # Thursday: the department replies; the supervisor asks for a redo once: 10 working
    # days from Thursday 09-26: 27, 29, 30, 10-08, 09, 10, 11, 12, 14, 15.
    clock.set(at(2024, 9, 26, 2, 0))
    case = step(move(client, cid, "reply", dep, {"answer": "已答复"}, status="replied", version=8))
    assert case["reply"] == "已答复"
    assert cst(case["replied_at"]) == at(2024, 9, 26, 2, 0)
    assert deadlines(case) == (None, None)
    clock.set(at(2024, 9, 26, 2, 30))
    body = {"approved": False, "note": "答复不完整"}
    case = step(move(client, cid, "review", sup, body, status="transferred", version=9))
    assert case["redo_count"] == 1
    assert case["department"] == dept
    assert deadlines(case) == (None, due(2024, 10, 15))

    clock.set(at(2024, 9, 26, 3, 0))
    case = step(
        move(client, cid, "reply", dep, {"answer": "补充答复"}, status="replied", version=10)
    )
    clock.set(at(2024, 9, 26, 3, 30))
    body = {"approved": True}
    case = step(move(client, cid, "review", sup, body, status="awaiting_rating", version=11))
    assert case["redo_count"] == 1

    # Friday: the enterprise is unsatisfied: back to the same department, 10 working days
    # from 09-27: 29, 30, 10-08, 09, 10, 11, 12, 14, 15, 16.
    clock.set(at(2024, 9, 27, 2, 0))
    body = {"rating": "unsatisfied", "comment": "没有解决问题"}
    case = step(move(client, cid, "rate", ent, body, status="transferred", version=12))
    assert case["rating"] == "unsatisfied"
    assert case["department"] == dept
    # The enterprise's answer counts the redo it asked for; the review's redo is an
    # internal step (issue 11 §4). The bureau sees both.
    assert case["redo_count"] == 1
    assert client.get(f"{API}/{cid}", headers=sup).json()["redo_count"] == 2
    assert deadlines(case) == (None, due(2024, 10, 16))

    # Monday 09-30: replied, approved, rated satisfied: closed.
    clock.set(at(2024, 9, 30, 2, 0))
    step(move(client, cid, "reply", dep, {"answer": "已解决"}, status="replied", version=13))
    clock.set(at(2024, 9, 30, 2, 30))
    step(move(client, cid, "review", sup, {"approved": True}, status="awaiting_rating", version=14))
    clock.set(at(2024, 9, 30, 3, 0))
    case = step(
        move(client, cid, "rate", ent, {"rating": "satisfied"}, status="closed", version=15)
    )
    assert case["rating"] == "satisfied"
    assert cst(case["closed_at"]) == at(2024, 9, 30, 3, 0)
    assert deadlines(case) == (None, None)
    assert case["redo_count"] == 1  # as the enterprise sees it

    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)

    # Nothing moves a closed case, and the refusals change nothing.
    before = snapshot(client, cid)
    for name, headers in [("supervise", sup), ("withdraw", ent), ("close", sup), ("accept", sup)]:
        check_problem(client.post(f"{API}/{cid}/{name}", json=BODIES[name], headers=headers), 409)
    assert snapshot(client, cid) == before

    history = client.get(f"{API}/{cid}/history", headers=sup).json()["events"]
    assert [e["type"] for e in history] == [
        "Lodged",
        "Accepted",
        "Transferred",
        "ExtensionRequested",
        "ExtensionDecided",
        "ExtensionRequested",
        "ExtensionDecided",
        "Replied",
        "Reviewed",
        "Replied",
        "Reviewed",
        "Rated",
        "Replied",
        "Reviewed",
        "Rated",
    ]
    assert [e["version"] for e in history] == list(range(1, 16))
    assert history[2]["data"]["working_days"] == 10


@pytest.mark.parametrize(
    ("lodged", "expected"),
    [
        (at(2024, 9, 23, 9, 0), due(2024, 9, 24)),  # Monday -> Tuesday
        (at(2024, 9, 27, 2, 0), due(2024, 9, 29)),  # Friday -> Sunday (adjusted working day)
        (at(2024, 9, 28, 2, 0), due(2024, 9, 29)),  # Saturday (off) -> Sunday
        (at(2024, 9, 30, 2, 0), due(2024, 10, 8)),  # Monday -> after National Day
        (at(2024, 10, 3, 2, 0), due(2024, 10, 8)),  # during National Day
        (at(2024, 10, 11, 2, 0), due(2024, 10, 12)),  # Friday -> Saturday (adjusted)
    ],
)
def test_acceptance_deadline_is_one_working_day(client, clock, lodged, expected):
    clock.set(lodged)
    case = lodge(client)
    assert deadlines(case) == (expected, None)
    assert cst(case["lodged_at"]) == lodged


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("appeal", due(2024, 9, 30)),  # 5: 25, 26, 27, 29, 30
        ("complaint", due(2024, 10, 12)),  # 10: ... 10-08, 09, 10, 11, 12
        ("report", due(2024, 10, 18)),  # 15: ... 10-14, 15, 16, 17, 18
    ],
)
def test_transfer_default_sla_by_kind_across_national_day(client, clock, kind, expected):
    case = lodge(client, kind=kind)
    clock.set(at(2024, 9, 24, 2, 0))
    move(client, case["id"], "accept", clerk(), status="accepted", version=2)
    clock.set(at(2024, 9, 24, 2, 30))
    body = {"department": new_id("dept")}
    case = move(client, case["id"], "transfer", supervisor(), body, status="transferred", version=3)
    assert deadlines(case) == (None, expected)


@pytest.mark.parametrize(
    ("working_days", "expected"),
    [
        (0, due(2024, 9, 27)),  # the same working day
        (1, due(2024, 9, 29)),  # Sunday, an adjusted working day
        (3, due(2024, 10, 8)),  # 29, 30, 10-08
        (7, due(2024, 10, 12)),  # 29, 30, 10-08, 09, 10, 11, 12 (Saturday, adjusted)
        (8, due(2024, 10, 14)),  # ... and Sunday 10-13 is off
    ],
)
def test_transfer_with_explicit_working_days(client, clock, working_days, expected):
    case = lodge(client)
    cid = case["id"]
    move(client, cid, "accept", clerk(), status="accepted", version=2)
    clock.set(at(2024, 9, 27, 2, 0))  # Friday 10:00 in Beijing
    body = {"department": new_id("dept"), "working_days": working_days}
    case = move(client, cid, "transfer", clerk(), body, status="transferred", version=3)
    assert deadlines(case) == (None, expected)
    events = client.get(f"{API}/{cid}/history", headers=supervisor()).json()["events"]
    assert events[-1]["data"]["working_days"] == working_days


def test_urgent_acceptance_makes_the_case_due_the_same_working_day(client, clock):
    case = lodge(client)  # Monday 17:00 in Beijing
    cid = case["id"]
    clock.set(at(2024, 9, 23, 9, 10))
    case = move(
        client,
        cid,
        "accept",
        clerk(),
        {"urgent": True, "note": "急事快办"},
        status="accepted",
        version=2,
    )
    assert case["urgent"] is True
    clock.set(at(2024, 9, 23, 9, 20))
    body = {"department": new_id("dept")}
    case = move(client, cid, "transfer", clerk(), body, status="transferred", version=3)
    assert case["urgent"] is True
    assert deadlines(case) == (None, due(2024, 9, 23))


def test_urgent_case_transferred_on_a_holiday_is_due_the_next_working_day(client, clock):
    clock.set(at(2024, 10, 1, 2, 0))  # National Day
    case = lodge(client)
    cid = case["id"]
    assert deadlines(case) == (due(2024, 10, 8), None)
    clock.set(at(2024, 10, 1, 3, 0))
    move(client, cid, "accept", supervisor(), {"urgent": True}, status="accepted", version=2)
    clock.set(at(2024, 10, 1, 4, 0))
    body = {"department": new_id("dept")}
    case = move(client, cid, "transfer", supervisor(), body, status="transferred", version=3)
    assert deadlines(case) == (None, due(2024, 10, 8))


def test_send_back_then_transfer_to_another_department(client, clock):
    first, second = new_id("dept"), new_id("dept")
    cid = lodge(client)["id"]
    clock.advance(minutes=5)
    move(client, cid, "accept", clerk(), status="accepted", version=2)
    clock.advance(minutes=5)
    move(client, cid, "transfer", clerk(), {"department": first}, status="transferred", version=3)
    clock.advance(minutes=5)
    case = move(client, cid, "send-back", department(first), status="accepted", version=4)
    assert case["department"] is None
    assert deadlines(case) == (None, None)

    # The first department no longer handles it.
    before = snapshot(client, cid)
    r = client.post(f"{API}/{cid}/reply", json={"answer": "x"}, headers=department(first))
    check_problem(r, 409)
    assert snapshot(client, cid) == before

    clock.advance(minutes=5)
    body = {"department": second}
    case = move(client, cid, "transfer", clerk(), body, status="transferred", version=5)
    assert case["department"] == second
    r = client.post(f"{API}/{cid}/reply", json={"answer": "x"}, headers=department(first))
    check_problem(r, 409)
    assert snapshot(client, cid)[:3] == (5, "transferred", 5)
    clock.advance(minutes=5)
    move(client, cid, "reply", department(second), status="replied", version=6)


@pytest.mark.parametrize("who", ["clerk", "supervisor"])
def test_reject(client, clock, who):
    code = credit_code()
    cid = lodge(client, code)["id"]
    clock.advance(minutes=30)
    headers = clerk() if who == "clerk" else supervisor()
    case = move(
        client, cid, "reject", headers, {"reason": "不属于受理范围"}, status="rejected", version=2
    )
    assert cst(case["closed_at"]) == clock()
    assert deadlines(case) == (None, None)
    before = snapshot(client, cid)
    check_problem(client.post(f"{API}/{cid}/accept", json={}, headers=clerk()), 409)
    check_problem(
        client.post(f"{API}/{cid}/withdraw", json=BODIES["withdraw"], headers=enterprise(code)), 409
    )
    assert snapshot(client, cid) == before


@pytest.mark.parametrize(
    "stage", ["lodged", "accepted", "transferred", "replied", "awaiting_rating"]
)
def test_withdraw_from_every_open_status(client, clock, stage):
    code = credit_code()
    dept = new_id("dept")
    cid = lodge(client, code)["id"]
    version = 1
    path = [
        ("accept", clerk(), {}),
        ("transfer", clerk(), {"department": dept}),
        ("reply", department(dept), {"answer": "已答复"}),
        ("review", supervisor(), {"approved": True}),
    ]
    order = ["lodged", "accepted", "transferred", "replied", "awaiting_rating"]
    for name, headers, body in path[: order.index(stage)]:
        clock.advance(minutes=10)
        version += 1
        move(client, cid, name, headers, body, version=version)
    clock.advance(minutes=10)
    case = move(
        client,
        cid,
        "withdraw",
        enterprise(code),
        {"reason": "问题已解决"},
        status="withdrawn",
        version=version + 1,
    )
    assert cst(case["closed_at"]) == clock()
    assert deadlines(case) == (None, None)
    before = snapshot(client, cid)
    r = client.post(f"{API}/{cid}/withdraw", json={"reason": "again"}, headers=enterprise(code))
    check_problem(r, 409)
    assert snapshot(client, cid) == before


def test_supervise_changes_no_status_only_the_count(client, clock):
    dept = new_id("dept")
    cid = lodge(client)["id"]
    clock.advance(minutes=1)
    case = move(
        client, cid, "supervise", supervisor(), {"note": "请尽快受理"}, status="lodged", version=2
    )
    assert case["supervision_count"] == 1
    assert case["deadlines"]["acceptance_due"] is not None
    clock.advance(minutes=1)
    move(client, cid, "accept", clerk(), version=3)
    clock.advance(minutes=1)
    move(client, cid, "transfer", clerk(), {"department": dept}, version=4)
    clock.advance(minutes=1)
    before_due = client.get(f"{API}/{cid}", headers=supervisor()).json()["deadlines"]
    case = move(
        client, cid, "supervise", supervisor(), {"note": "督办"}, status="transferred", version=5
    )
    assert case["supervision_count"] == 2
    assert case["department"] == dept
    assert case["deadlines"] == before_due
    events = client.get(f"{API}/{cid}/history", headers=supervisor()).json()["events"]
    assert [e["type"] for e in events].count("Supervised") == 2
    assert events[-1]["data"]["note"] == "督办"


def test_supervisor_closes_from_awaiting_rating(client, clock):
    code = credit_code()
    dept = new_id("dept")
    cid = lodge(client, code)["id"]
    for version, (name, headers, body) in enumerate(
        [
            ("accept", clerk(), {}),
            ("transfer", clerk(), {"department": dept}),
            ("reply", department(dept), {"answer": "已答复"}),
        ],
        start=2,
    ):
        clock.advance(minutes=10)
        move(client, cid, name, headers, body, version=version)

    # Not before the reply was approved.
    before = snapshot(client, cid)
    check_problem(client.post(f"{API}/{cid}/close", json={}, headers=supervisor()), 409)
    assert snapshot(client, cid) == before

    clock.advance(minutes=10)
    move(
        client, cid, "review", supervisor(), {"approved": True}, status="awaiting_rating", version=5
    )
    clock.advance(days=15)  # the enterprise never rates
    case = move(
        client, cid, "close", supervisor(), {"note": "逾期未评价"}, status="closed", version=6
    )
    assert case["rating"] is None
    assert cst(case["closed_at"]) == clock()
    check_problem(
        client.post(f"{API}/{cid}/rate", json={"rating": "satisfied"}, headers=enterprise(code)),
        409,
    )


def test_clerk_lodges_on_behalf_of_an_enterprise(client, clock):
    code, other = credit_code(), credit_code()
    dept = new_id("dept")
    r = client.post(API, json=lodge_body(code, channel="hotline"), headers=clerk("clerk-9"))
    case = check_case_response(r, code=201, status="lodged", version=1)
    cid = case["id"]
    assert case["lodged_by"] == {"id": "clerk-9", "role": "clerk", "org": None}
    assert case["complainant"]["credit_code"] == code
    assert case["channel"] == "hotline"

    # The enterprise it was lodged for sees it and rates it; another enterprise does not.
    r = client.get(f"{API}/{cid}", headers=enterprise(code))
    assert r.status_code == 200, r.text
    check_problem(client.get(f"{API}/{cid}", headers=enterprise(other)), 404)

    for version, (name, headers, body) in enumerate(
        [
            ("accept", clerk(), {}),
            ("transfer", clerk(), {"department": dept}),
            ("reply", department(dept), {"answer": "已答复"}),
            ("review", supervisor(), {"approved": True}),
        ],
        start=2,
    ):
        clock.advance(minutes=10)
        move(client, cid, name, headers, body, version=version)
    clock.advance(minutes=10)
    r = client.post(
        f"{API}/{cid}/rate", json={"rating": "very_satisfied"}, headers=enterprise(other)
    )
    check_problem(r, 404)
    case = move(
        client,
        cid,
        "rate",
        enterprise(code),
        {"rating": "very_satisfied"},
        status="closed",
        version=6,
    )
    assert case["rating"] == "very_satisfied"
