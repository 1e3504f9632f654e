"""Credit repair (信用修复) over HTTP: every life, the on-time flags across a weekend and
National Day, every error status with a re-read proving nothing changed, visibility,
reads at a version or an instant, and the register's filters.

Times: deadlines are the end of office hours (17:30 Beijing, +08:00). 2024: Saturday
09-28 off, Sunday 09-29 an adjusted working day; 10-01..10-07 off (National Day).
Clock instants are given in UTC (`at`); Beijing is 8 hours ahead.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import Response

from api.auth import issue_token
from domain.values import Role
from tests.conftest import JWT_SECRET, bearer
from tests.http.support import (
    CST,
    admin,
    at,
    check_problem,
    clerk,
    cst,
    department,
    enterprise,
    inspector,
    supervisor,
)
from tests.support import credit_code, lodge_body

API = "/api/v1/credit-repairs"
COMPLAINTS = "/api/v1/complaints"
ROLES = ("enterprise", "clerk", "department", "supervisor", "inspector", "admin")

# The allowed roles of every move, as the issue specifies them (not read from the code).
ALLOWED: dict[str, set[str]] = {
    "apply": {"enterprise", "clerk"},
    "initial-review": {"clerk", "supervisor"},
    "re-review": {"supervisor"},
    "submit": {"clerk", "supervisor"},
    "record-outcome": {"clerk", "supervisor"},
    "withdraw": {"enterprise"},
    # a supervisor by hand, with a note (issue 11 §3); else the deadline watcher
    "remind": {"supervisor"},
    # the deadline watcher's (the system actor's): no token may
    "escalate": set(),
}
# A valid body for each move.
BODIES: dict[str, dict[str, Any]] = {
    "initial-review": {"passed": True},
    "re-review": {"passed": True},
    "submit": {},
    "record-outcome": {"repaired": True},
    "withdraw": {"reason": "暂不申请修复"},
    "remind": {},
    "escalate": {},
}


def due(year: int, month: int, day: int) -> datetime:
    """End of office hours in Beijing on that day."""
    return datetime(year, month, day, 17, 30, tzinfo=CST)


def apply_body(code: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "enterprise": {"name": "黑龙江某某食品有限公司", "credit_code": code},
        "record_id": "哈市监罚〔2024〕0127号",
        "penalty_authority": "哈尔滨市市场监督管理局",
        "severity": "general",
        "proof": "已缴清罚款并完成整改，附缴款凭证与整改报告",
        "pledge_signed": True,
    }
    body.update(overrides)
    return body


def check_response(
    r: Response, *, code: int = 200, status: str | None = None, version: int | None = None
) -> dict[str, Any]:
    """Status code, body status/version/position, ETag, X-Position (and Location on 201)."""
    assert r.status_code == code, r.text
    body = r.json()
    if status is not None:
        assert body["status"] == status
    if version is not None:
        assert body["version"] == version
    assert r.headers["etag"] == f'"{body["version"]}"'
    assert isinstance(body["position"], int)
    assert r.headers["x-position"] == str(body["position"])
    if code == 201:
        assert r.headers["location"] == f"{API}/{body['id']}"
    return body


def apply(
    client: Any, code: str | None = None, *, headers: dict[str, str] | None = None, **overrides: Any
) -> dict[str, Any]:
    """Apply (by the enterprise itself unless headers say otherwise)."""
    code = code or credit_code()
    r = client.post(API, json=apply_body(code, **overrides), headers=headers or enterprise(code))
    return check_response(r, code=201, status="applied", version=1)


def move(
    client: Any,
    case_id: str,
    name: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
    *,
    status: str | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    r = client.post(
        f"{API}/{case_id}/{name}", json=BODIES[name] if body is None else body, headers=headers
    )
    return check_response(r, status=status, version=version)


def snapshot(client: Any, case_id: str) -> tuple[int, str, int, str, str]:
    """What must not change after a refused request: version, status, history length,
    ETag, and the whole body."""
    r = client.get(f"{API}/{case_id}", headers=supervisor())
    assert r.status_code == 200, r.text
    h = client.get(f"{API}/{case_id}/history", headers=supervisor())
    assert h.status_code == 200, h.text
    events = h.json()["events"]
    assert len(events) == r.json()["version"]
    return r.json()["version"], r.json()["status"], len(events), r.headers["etag"], r.text


def register(
    client: Any, headers: dict[str, str], position: int, **params: Any
) -> list[dict[str, Any]]:
    """All pages of GET /credit-repairs once the views reached `position`."""
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


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def as_role(role: str, code: str) -> dict[str, str]:
    org = {"enterprise": code, "department": "hlj-fgw"}.get(role)
    return bearer(role, f"{role}-user", org)


def reviewed(
    client: Any, clock: Any, code: str | None = None, *, until: str = "re-review"
) -> tuple[str, str, int]:
    """A case moved on time through the moves up to `until`: (id, code, position)."""
    code = code or credit_code()
    cid = apply(client, code)["id"]
    steps = [
        ("initial-review", clerk()),
        ("re-review", supervisor()),
        ("submit", clerk()),
        ("record-outcome", supervisor()),
    ]
    last: dict[str, Any] = {}
    for version, (name, headers) in enumerate(steps, start=2):
        clock.advance(minutes=1)
        last = move(client, cid, name, headers, version=version)
        if name == until:
            break
    return cid, code, last["position"]


# --- the lives ---------------------------------------------------------------------


def test_whole_life_repaired(client, clock):
    code = credit_code()
    ent = enterprise(code, "ent-7")
    positions: list[int] = []

    # Monday 2024-09-23 10:00 Beijing: the enterprise applies; both reviews due Tuesday.
    t_applied = clock.set(at(2024, 9, 23, 2, 0))
    case = apply(client, code, headers=ent, severity="serious")
    positions.append(case["position"])
    cid = case["id"]
    assert case["enterprise"] == {"name": "黑龙江某某食品有限公司", "credit_code": code}
    assert (case["record_id"], case["penalty_authority"], case["severity"]) == (
        "哈市监罚〔2024〕0127号",
        "哈尔滨市市场监督管理局",
        "serious",
    )
    assert case["pledge_signed"] is True
    assert case["applied_by"] == {"id": "ent-7", "role": "enterprise", "org": code}
    assert cst(case["applied_at"]) == t_applied
    for review in ("initial_review", "re_review"):
        assert cst(case[review]["due"]) == due(2024, 9, 24)
        assert case[review]["reviewed_at"] is None
        assert case[review]["on_time"] is None

    # Monday 15:00: the clerk's initial review passes.
    t_initial = clock.set(at(2024, 9, 23, 7, 0))
    body = {"passed": True, "reason": "材料齐全"}
    case = move(client, cid, "initial-review", clerk("clerk-7"), body, status="initially_reviewed")
    positions.append(case["position"])
    assert case["version"] == 2
    assert case["initial_review"]["reviewed_by"] == {"id": "clerk-7", "role": "clerk", "org": None}
    assert cst(case["initial_review"]["reviewed_at"]) == t_initial
    assert (case["initial_review"]["passed"], case["initial_review"]["on_time"]) == (True, True)
    assert case["re_review"]["on_time"] is None

    # Tuesday 17:30 exactly: the supervisor's re-review passes, at the due: in time.
    t_re = clock.set(at(2024, 9, 24, 9, 30))
    case = move(client, cid, "re-review", supervisor("sup-7"), status="re_reviewed", version=3)
    positions.append(case["position"])
    assert cst(case["re_review"]["reviewed_at"]) == t_re == due(2024, 9, 24)
    assert (case["re_review"]["passed"], case["re_review"]["on_time"]) == (True, True)

    # Wednesday: submitted to the national centre; Thursday: repaired.
    t_submit = clock.set(at(2024, 9, 25, 2, 0))
    body = {"note": "已报送国家公共信用信息中心"}
    case = move(client, cid, "submit", supervisor("sup-8"), body, status="submitted", version=4)
    positions.append(case["position"])
    assert cst(case["submitted_at"]) == t_submit
    t_outcome = clock.set(at(2024, 9, 26, 2, 0))
    case = move(client, cid, "record-outcome", clerk("clerk-8"), status="repaired", version=5)
    positions.append(case["position"])
    assert case["outcome"] == "repaired"
    assert cst(case["outcome_at"]) == cst(case["closed_at"]) == t_outcome
    assert case["refused_stage"] is None
    assert positions == sorted(positions)

    # The enterprise's history: the same steps, staff by role only, no internal note
    # (issue 11 §4; tests/http/test_enterprise_view.py).
    h = client.get(f"{API}/{cid}/history", headers=ent)
    assert h.status_code == 200, h.text
    assert h.headers["etag"] == '"5"'
    mine = h.json()["events"]
    assert [(e["version"], e["type"], e["actor"]["id"]) for e in mine] == [
        (1, "Applied", "ent-7"),
        (2, "InitiallyReviewed", None),
        (3, "ReReviewed", None),
        (4, "Submitted", None),
        (5, "OutcomeRecorded", None),
    ]
    assert mine[3]["data"] == {}
    assert "已报送国家公共信用信息中心" not in h.text

    # The bureau's history: every event with its actor, time and data.
    h = client.get(f"{API}/{cid}/history", headers=inspector())
    assert h.status_code == 200, h.text
    assert h.headers["etag"] == '"5"'
    events = h.json()["events"]
    assert [(e["version"], e["type"]) for e in events] == [
        (1, "Applied"),
        (2, "InitiallyReviewed"),
        (3, "ReReviewed"),
        (4, "Submitted"),
        (5, "OutcomeRecorded"),
    ]
    assert [(e["actor"]["id"], e["actor"]["role"]) for e in events] == [
        ("ent-7", "enterprise"),
        ("clerk-7", "clerk"),
        ("sup-7", "supervisor"),
        ("sup-8", "supervisor"),
        ("clerk-8", "clerk"),
    ]
    assert [cst(e["at"]) for e in events] == [t_applied, t_initial, t_re, t_submit, t_outcome]
    data = [e["data"] for e in events]
    assert data[0]["enterprise"]["credit_code"] == code
    assert data[0]["pledge_signed"] is True
    assert cst(data[0]["initial_review_due"]) == cst(data[0]["re_review_due"]) == due(2024, 9, 24)
    assert (data[1]["passed"], data[1]["reason"]) == (True, "材料齐全")
    assert cst(data[1]["due"]) == cst(data[2]["due"]) == due(2024, 9, 24)
    assert data[3]["note"] == "已报送国家公共信用信息中心"
    assert (data[4]["repaired"], data[4]["reason"]) == (True, None)

    # The register row.
    (row,) = register(client, ent, positions[-1])
    assert row["id"] == cid
    assert (row["status"], row["outcome"], row["severity"]) == ("repaired", "repaired", "serious")
    assert (row["credit_code"], row["enterprise_name"]) == (code, "黑龙江某某食品有限公司")
    assert (row["initial_on_time"], row["re_review_on_time"]) == (True, True)
    assert cst(row["initial_reviewed_at"]) == t_initial
    assert cst(row["re_reviewed_at"]) == t_re
    assert cst(row["initial_review_due"]) == cst(row["re_review_due"]) == due(2024, 9, 24)
    assert cst(row["applied_at"]) == t_applied
    assert cst(row["submitted_at"]) == t_submit
    assert cst(row["outcome_at"]) == cst(row["updated_at"]) == t_outcome
    assert row["version"] == 5

    # The audit trail has every event too.
    r = client.get(
        "/api/v1/audit-trail",
        params={"case_id": cid},
        headers={**inspector(), "X-Min-Position": str(positions[-1])},
    )
    assert r.status_code == 200, r.text
    assert [(i["type"], i["case_type"]) for i in r.json()["items"]] == [
        (e["type"], "credit_repair") for e in events
    ]

    # A final case refuses every move.
    before = snapshot(client, cid)
    for name, headers in [
        ("withdraw", ent),
        ("record-outcome", clerk()),
        ("initial-review", clerk()),
        ("re-review", supervisor("sup-9")),
        ("submit", clerk()),
    ]:
        r = client.post(f"{API}/{cid}/{name}", json=BODIES[name], headers=headers)
        assert check_problem(r, 409)["type"].endswith("move-not-allowed")
    assert snapshot(client, cid) == before


def test_refused_at_initial_review(client, clock):
    code = credit_code()
    clock.set(at(2024, 9, 23, 2, 0))
    cid = apply(client, code)["id"]
    clock.set(at(2024, 9, 23, 3, 0))
    before = snapshot(client, cid)
    for body in (
        {"passed": False},
        {"passed": False, "reason": None},
        {"passed": False, "reason": "  "},
    ):
        r = client.post(f"{API}/{cid}/initial-review", json=body, headers=clerk())
        check_problem(r, 422, "reason")
    assert snapshot(client, cid) == before

    body = {"passed": False, "reason": "整改材料不全"}
    case = move(client, cid, "initial-review", supervisor(), body, status="refused", version=2)
    assert case["refused_stage"] == "initial_review"
    assert case["last_reason"] == "整改材料不全"
    assert case["outcome"] is None
    assert case["initial_review"]["passed"] is False
    assert case["initial_review"]["on_time"] is True
    assert case["re_review"]["on_time"] is None
    assert cst(case["closed_at"]) == at(2024, 9, 23, 3, 0)

    before = snapshot(client, cid)
    for name, headers in [
        ("initial-review", clerk()),
        ("re-review", supervisor("sup-2")),
        ("submit", clerk()),
        ("record-outcome", clerk()),
        ("withdraw", enterprise(code)),
    ]:
        check_problem(client.post(f"{API}/{cid}/{name}", json=BODIES[name], headers=headers), 409)
    assert snapshot(client, cid) == before
    (row,) = register(client, enterprise(code), case["position"])
    assert (row["status"], row["refused_stage"], row["outcome"]) == (
        "refused",
        "initial_review",
        None,
    )
    assert (row["initial_on_time"], row["re_review_on_time"], row["re_reviewed_at"]) == (
        True,
        None,
        None,
    )


def test_refused_at_re_review_which_must_be_by_another_user(client, clock):
    code = credit_code()
    clock.set(at(2024, 9, 23, 2, 0))
    cid = apply(client, code)["id"]
    clock.set(at(2024, 9, 23, 3, 0))
    move(client, cid, "initial-review", supervisor("sup-a"), status="initially_reviewed")
    clock.set(at(2024, 9, 23, 4, 0))
    before = snapshot(client, cid)
    for body in ({"passed": True}, {"passed": False, "reason": "不符合条件"}, {"passed": False}):
        r = client.post(f"{API}/{cid}/re-review", json=body, headers=supervisor("sup-a"))
        problem = check_problem(r, 409)
        assert "other than the initial reviewer" in problem["detail"]
    # A clerk may never re-review, not even another one.
    check_problem(
        client.post(f"{API}/{cid}/re-review", json={"passed": True}, headers=clerk("clerk-z")), 403
    )
    r = client.post(f"{API}/{cid}/re-review", json={"passed": False}, headers=supervisor("sup-b"))
    check_problem(r, 422, "reason")
    assert snapshot(client, cid) == before

    body = {"passed": False, "reason": "未满最短公示期"}
    case = move(client, cid, "re-review", supervisor("sup-b"), body, status="refused", version=3)
    assert case["refused_stage"] == "re_review"
    assert case["re_review"]["reviewed_by"]["id"] == "sup-b"
    assert (case["re_review"]["passed"], case["re_review"]["on_time"]) == (False, True)
    (row,) = register(client, enterprise(code), case["position"])
    assert (row["status"], row["refused_stage"], row["re_review_on_time"]) == (
        "refused",
        "re_review",
        True,
    )


def test_refused_by_the_national_centre(client, clock):
    clock.set(at(2024, 9, 23, 2, 0))
    cid, code, _ = reviewed(client, clock, until="submit")
    clock.advance(hours=1)
    before = snapshot(client, cid)
    r = client.post(f"{API}/{cid}/record-outcome", json={"repaired": False}, headers=clerk())
    check_problem(r, 422, "reason")
    assert snapshot(client, cid) == before
    body = {"repaired": False, "reason": "国家中心终审：不予修复"}
    case = move(client, cid, "record-outcome", supervisor(), body, status="refused", version=5)
    assert (case["outcome"], case["refused_stage"]) == ("refused", "national_centre")
    assert case["last_reason"] == "国家中心终审：不予修复"
    (row,) = register(client, enterprise(code), case["position"])
    assert (row["status"], row["outcome"], row["refused_stage"]) == (
        "refused",
        "refused",
        "national_centre",
    )
    assert cst(row["outcome_at"]) == cst(case["outcome_at"])


def test_withdrawn_by_the_enterprise_a_clerk_applied_for(client, clock):
    code = credit_code()
    clock.set(at(2024, 9, 23, 2, 0))
    case = apply(client, code, headers=clerk("window-1"))
    cid = case["id"]
    assert case["applied_by"] == {"id": "window-1", "role": "clerk", "org": None}
    clock.set(at(2024, 9, 23, 3, 0))
    move(client, cid, "initial-review", clerk(), version=2)
    clock.set(at(2024, 9, 23, 4, 0))
    move(client, cid, "re-review", supervisor(), version=3)
    clock.set(at(2024, 9, 23, 5, 0))
    before = snapshot(client, cid)
    body = BODIES["withdraw"]
    check_problem(client.post(f"{API}/{cid}/withdraw", json=body, headers=clerk()), 403)
    other = enterprise(credit_code())
    check_problem(client.post(f"{API}/{cid}/withdraw", json=body, headers=other), 404)
    check_problem(client.post(f"{API}/{cid}/withdraw", json={}, headers=enterprise(code)), 422)
    assert snapshot(client, cid) == before

    case = move(client, cid, "withdraw", enterprise(code, "boss"), status="withdrawn", version=4)
    assert case["last_reason"] == "暂不申请修复"
    assert cst(case["closed_at"]) == at(2024, 9, 23, 5, 0)
    (row,) = register(client, enterprise(code), case["position"])
    assert row["status"] == "withdrawn"

    # Once submitted, the enterprise can no longer withdraw.
    sub, sub_code, _ = reviewed(client, clock, until="submit")
    before = snapshot(client, sub)
    r = client.post(f"{API}/{sub}/withdraw", json=body, headers=enterprise(sub_code))
    check_problem(r, 409)
    assert snapshot(client, sub) == before


# --- on time across a weekend and National Day -------------------------------------


def test_on_time_flags_across_a_weekend_and_national_day(client, clock):
    code = credit_code()
    ent = enterprise(code)

    # Friday 09-27 10:00: due Sunday 09-29 17:30 (an adjusted working day).
    clock.set(at(2024, 9, 27, 2, 0))
    weekend = apply(client, code)
    assert cst(weekend["initial_review"]["due"]) == due(2024, 9, 29)
    assert cst(weekend["re_review"]["due"]) == due(2024, 9, 29)
    # Initial review Sunday 17:00 (in time); re-review Monday 09:00 (late).
    clock.set(datetime(2024, 9, 29, 17, 0, tzinfo=CST))
    case = move(client, weekend["id"], "initial-review", clerk(), version=2)
    assert case["initial_review"]["on_time"] is True
    clock.set(datetime(2024, 9, 30, 9, 0, tzinfo=CST))
    case = move(client, weekend["id"], "re-review", supervisor(), version=3)
    assert case["re_review"]["on_time"] is False

    # Monday 09-30 10:00, before National Day: due Tuesday 10-08 17:30.
    clock.set(datetime(2024, 9, 30, 10, 0, tzinfo=CST))
    holiday = apply(client, code, severity="minor")
    assert cst(holiday["initial_review"]["due"]) == due(2024, 10, 8)
    # Both reviews on 10-08, the second at 17:30 exactly: both in time.
    clock.set(datetime(2024, 10, 8, 9, 0, tzinfo=CST))
    move(client, holiday["id"], "initial-review", clerk(), version=2)
    clock.set(due(2024, 10, 8))
    case = move(client, holiday["id"], "re-review", supervisor(), version=3)
    assert (case["initial_review"]["on_time"], case["re_review"]["on_time"]) == (True, True)

    # The same Monday 11:00: reviewed on 10-09, late; re-review later still.
    clock.set(datetime(2024, 9, 30, 11, 0, tzinfo=CST))
    late = apply(client, code, severity="minor")
    assert cst(late["initial_review"]["due"]) == due(2024, 10, 8)
    clock.set(datetime(2024, 10, 9, 9, 0, tzinfo=CST))
    case = move(client, late["id"], "initial-review", clerk(), version=2)
    assert case["initial_review"]["on_time"] is False
    clock.set(datetime(2024, 10, 9, 10, 0, tzinfo=CST))
    case = move(client, late["id"], "re-review", supervisor(), version=3)
    assert (case["initial_review"]["on_time"], case["re_review"]["on_time"]) == (False, False)

    # Applied, not reviewed yet: no flag either way.
    clock.set(datetime(2024, 10, 9, 11, 0, tzinfo=CST))
    pending = apply(client, code)
    position = pending["position"]

    rows = {row["id"]: row for row in register(client, ent, position)}
    flags = {cid: (rows[cid]["initial_on_time"], rows[cid]["re_review_on_time"]) for cid in rows}
    assert flags == {
        weekend["id"]: (True, False),
        holiday["id"]: (True, True),
        late["id"]: (False, False),
        pending["id"]: (None, None),
    }
    assert cst(rows[weekend["id"]]["re_review_due"]) == due(2024, 9, 29)
    assert cst(rows[holiday["id"]]["initial_review_due"]) == due(2024, 10, 8)
    assert ids(register(client, ent, position, on_time="true")) == [holiday["id"]]
    assert ids(register(client, ent, position, on_time="false")) == [late["id"], weekend["id"]]
    assert ids(register(client, ent, position, on_time="false", severity="minor")) == [late["id"]]
    # A supervisor's register has them too (among everyone else's).
    late_ones = set(ids(register(client, supervisor(), position, on_time="false")))
    assert {late["id"], weekend["id"]} <= late_ones
    assert not {holiday["id"], pending["id"]} & late_ones


# --- reads ---------------------------------------------------------------------------


def test_read_at_a_version_and_as_of_an_instant(client, clock):
    t0 = clock.set(at(2024, 9, 23, 2, 0))
    cid, code, _ = reviewed(client, clock, until="submit")  # one minute apart
    expected = {1: "applied", 2: "initially_reviewed", 3: "re_reviewed", 4: "submitted"}
    for version, status in expected.items():
        r = client.get(f"{API}/{cid}", params={"version": version}, headers=enterprise(code))
        assert r.status_code == 200, r.text
        assert (r.json()["version"], r.json()["status"]) == (version, status)
        assert r.headers["etag"] == f'"{version}"'
    first = client.get(f"{API}/{cid}", params={"version": 1}, headers=inspector()).json()
    assert first["initial_review"]["reviewed_at"] is None
    assert cst(first["initial_review"]["due"]) == due(2024, 9, 24)
    check_problem(client.get(f"{API}/{cid}", params={"version": 5}, headers=supervisor()), 404)

    def as_of(instant: datetime) -> tuple[int, str]:
        r = client.get(f"{API}/{cid}", params={"as_of": instant.isoformat()}, headers=clerk())
        assert r.status_code == 200, (instant, r.text)
        return r.json()["version"], r.json()["status"]

    assert as_of(t0) == (1, "applied")
    assert as_of(t0.astimezone(CST) + timedelta(seconds=59)) == (1, "applied")
    assert as_of(t0 + timedelta(minutes=1)) == (2, "initially_reviewed")
    assert as_of(t0 + timedelta(minutes=2, seconds=30)) == (3, "re_reviewed")
    assert as_of(t0 + timedelta(days=400)) == (4, "submitted")
    r = client.get(
        f"{API}/{cid}", params={"as_of": (t0 - timedelta(seconds=1)).isoformat()}, headers=clerk()
    )
    check_problem(r, 404)
    r = client.get(f"{API}/{cid}", params={"as_of": "2024-09-23T10:00:00"}, headers=clerk())
    check_problem(r, 422, "as_of")


def test_visibility(client, clock):
    a, b = credit_code(), credit_code()
    clock.set(at(2024, 9, 23, 2, 0))
    mine = apply(client, a)["id"]
    clock.advance(minutes=1)
    for_b = apply(client, b, headers=clerk())["id"]  # a clerk at the window, for b
    clock.advance(minutes=1)
    last = apply(client, a, severity="minor")
    position = last["position"]

    assert ids(register(client, enterprise(a), position)) == [last["id"], mine]
    assert ids(register(client, enterprise(a, "colleague"), position)) == [last["id"], mine]
    assert ids(register(client, enterprise(b), position)) == [for_b]
    assert register(client, enterprise(credit_code()), position) == []
    r = client.get(f"{API}/{for_b}", headers=enterprise(b))
    assert r.status_code == 200, r.text
    assert r.json()["enterprise"]["credit_code"] == b
    for cid in (mine, last["id"]):
        check_problem(client.get(f"{API}/{cid}", headers=enterprise(b)), 404)
        check_problem(client.get(f"{API}/{cid}/history", headers=enterprise(b)), 404)
    check_problem(client.get(f"{API}/{for_b}", headers=enterprise(a)), 404)

    for headers in (clerk("c-x"), supervisor("s-x"), inspector("i-x")):
        everyone = set(ids(register(client, headers, position)))
        assert {mine, for_b, last["id"]} <= everyone
        for cid in (mine, for_b):
            assert client.get(f"{API}/{cid}", headers=headers).status_code == 200
            assert client.get(f"{API}/{cid}/history", headers=headers).status_code == 200

    # Departments and administrators have no part in credit repair.
    for headers in (department("hlj-fgw"), admin()):
        check_problem(client.get(API, headers=headers), 403)
        check_problem(client.get(f"{API}/{mine}", headers=headers), 403)
        check_problem(client.get(f"{API}/{mine}/history", headers=headers), 403)


def test_register_filters_newest_first_and_cursor_pages(client, clock):
    code = credit_code()
    ent = enterprise(code)
    clock.set(at(2024, 9, 23, 2, 0))
    severities = ["minor", "general", "serious", "general", "minor"]
    applied = []
    for severity in severities:
        clock.advance(minutes=1)
        applied.append(apply(client, code, severity=severity)["id"])
    clock.advance(minutes=1)
    move(client, applied[1], "initial-review", clerk(), version=2)
    clock.advance(minutes=1)
    body = {"passed": False, "reason": "材料不全"}
    last = move(client, applied[3], "initial-review", clerk(), body, version=2)
    position = last["position"]
    newest_first = applied[::-1]

    everything = register(client, ent, position)
    assert ids(everything) == newest_first
    applied_at = [cst(i["applied_at"]) for i in everything]
    assert applied_at == sorted(applied_at, reverse=True)

    def listed(**params: str) -> list[str]:
        return ids(register(client, ent, position, **params))

    assert listed(status="applied") == [applied[4], applied[2], applied[0]]
    assert listed(status="initially_reviewed") == [applied[1]]
    assert listed(status="refused") == [applied[3]]
    assert listed(status="repaired") == []
    assert listed(severity="general") == [applied[3], applied[1]]
    assert listed(severity="minor", status="applied") == [applied[4], applied[0]]
    assert listed(on_time="true") == [applied[3], applied[1]]
    assert listed(on_time="false") == []

    pages: list[list[str]] = []
    cursor = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        r = client.get(API, params=params, headers={**ent, "X-Min-Position": str(position)})
        assert r.status_code == 200, r.text
        pages.append(ids(r.json()["items"]))
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 10
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [cid for page in pages for cid in page] == newest_first

    for params, field in [
        ({"status": "open"}, "status"),
        ({"severity": "grave"}, "severity"),
        ({"on_time": "maybe"}, "on_time"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ]:
        check_problem(client.get(API, params=params, headers=supervisor()), 422, field)
    r = client.get(API, headers={**supervisor(), "X-Min-Position": "soon"})
    check_problem(r, 400, "X-Min-Position")


# --- errors --------------------------------------------------------------------------


def _token(*, hours_ago: float = 0, secret: str = JWT_SECRET) -> str:
    now = datetime.now(UTC) - timedelta(hours=hours_ago)
    return issue_token(secret, sub="u", role=Role.CLERK, org=None, now=now, ttl=timedelta(hours=1))


BAD_AUTH: dict[str, dict[str, str]] = {
    "no token": {},
    "garbage token": {"Authorization": "Bearer not.a.jwt"},
    "expired": {"Authorization": f"Bearer {_token(hours_ago=2)}"},
    "other secret": {"Authorization": f"Bearer {_token(secret='x' * 40)}"},
}


def test_401_for_a_missing_or_bad_token(client, clock):
    cid, _, _ = reviewed(client, clock, until="initial-review")
    before = snapshot(client, cid)
    for auth, headers in BAD_AUTH.items():
        for r in [
            client.post(API, json=apply_body(credit_code()), headers=headers),
            client.get(API, headers=headers),
            client.get(f"{API}/{cid}", headers=headers),
            client.get(f"{API}/{cid}/history", headers=headers),
            client.post(f"{API}/{cid}/re-review", json={"passed": True}, headers=headers),
            client.post(f"{API}/{uuid.uuid4()}/submit", json={"bad": 1}, headers=headers),
        ]:
            assert r.status_code == 401, (auth, r.request.url, r.text)
            check_problem(r, 401)
    assert snapshot(client, cid) == before


def test_403_for_every_role_that_may_never_make_a_move(client, clock):
    cid, code, _ = reviewed(client, clock, until="initial-review")
    before = snapshot(client, cid)
    refused = 0
    for name, body in BODIES.items():
        for role in ROLES:
            if role in ALLOWED[name]:
                continue
            headers = as_role(role, code)
            r = client.post(f"{API}/{cid}/{name}", json=body, headers=headers)
            assert check_problem(r, 403)["type"].endswith("forbidden")
            # A stale If-Match or a bad body does not matter: the role is checked first.
            stale = {**headers, "If-Match": '"1"'}
            check_problem(client.post(f"{API}/{cid}/{name}", json=body, headers=stale), 403)
            check_problem(client.post(f"{API}/{cid}/{name}", json={"x": 1}, headers=headers), 403)
            refused += 1
    # 7 moves x 6 roles, less the 9 allowed pairs (a supervisor reminds by hand: issue 11 §3)
    assert refused == 7 * 6 - 9
    assert snapshot(client, cid) == before


def test_403_applying(client):
    code = credit_code()
    for role in sorted(set(ROLES) - ALLOWED["apply"]):
        headers = as_role(role, code)
        check_problem(client.post(API, json=apply_body(code), headers=headers), 403)
        check_problem(client.post(API, json={"severity": "x"}, headers=headers), 403)
    # An enterprise applies only for itself.
    other = credit_code()
    check_problem(client.post(API, json=apply_body(other), headers=enterprise(code)), 403)
    position = client.get("/readyz", headers=supervisor()).json()["position"]
    assert register(client, enterprise(code), position) == []
    assert register(client, enterprise(other), position) == []


APPLY_ERRORS: list[tuple[str, Any, str]] = [
    ("pledge not signed", lambda b: b.update(pledge_signed=False), "pledge_signed"),
    ("pledge as text", lambda b: b.update(pledge_signed="yes"), "pledge_signed"),
    ("pledge missing", lambda b: b.pop("pledge_signed"), "pledge_signed"),
    ("bad severity", lambda b: b.update(severity="grave"), "severity"),
    ("empty proof", lambda b: b.update(proof=""), "proof"),
    ("missing record id", lambda b: b.pop("record_id"), "record_id"),
    ("long authority", lambda b: b.update(penalty_authority="局" * 201), "penalty_authority"),
    ("unknown field", lambda b: b.update(phone="13800000000"), "phone"),
    (
        "bad check character",
        lambda b: b["enterprise"].update(
            credit_code=b["enterprise"]["credit_code"][:17]
            + ("0" if b["enterprise"]["credit_code"][17] != "0" else "1")
        ),
        "enterprise.credit_code",
    ),
    (
        "lowercase credit code",
        lambda b: b["enterprise"].update(credit_code=b["enterprise"]["credit_code"].lower()),
        "enterprise.credit_code",
    ),
    (
        "short credit code",
        lambda b: b["enterprise"].update(credit_code="91"),
        "enterprise.credit_code",
    ),
    ("missing name", lambda b: b["enterprise"].pop("name"), "enterprise.name"),
]


def test_422_apply_names_the_field(client):
    code = credit_code()
    for label, change, field in APPLY_ERRORS:
        body = apply_body(code)
        change(body)
        r = client.post(API, json=body, headers=clerk())
        problem = check_problem(r, 422, field)
        assert field in problem["detail"], label
    position = client.get("/readyz", headers=supervisor()).json()["position"]
    assert register(client, enterprise(code), position) == []


def test_422_and_400_on_moves_name_the_field(client, clock):
    cid, code, _ = reviewed(client, clock, until="initial-review")
    before = snapshot(client, cid)
    for name, body, field in [
        ("re-review", {"passed": "yes"}, "passed"),
        ("re-review", {}, "passed"),
        ("re-review", {"passed": False, "reason": ""}, "reason"),
        ("re-review", {"passed": False}, "reason"),
        ("re-review", {"passed": True, "verdict": "ok"}, "verdict"),
        ("submit", {"note": ""}, "note"),
        ("record-outcome", {"repaired": "maybe"}, "repaired"),
        ("withdraw", {"reason": ""}, "reason"),
    ]:
        headers = enterprise(code) if name == "withdraw" else supervisor("sup-other")
        check_problem(client.post(f"{API}/{cid}/{name}", json=body, headers=headers), 422, field)
    sup = {**supervisor("sup-other"), "Content-Type": "application/json"}
    check_problem(client.post(f"{API}/{cid}/re-review", content=b'{"passed": ', headers=sup), 400)
    for if_match in ["abc", '"two"']:
        r = client.post(
            f"{API}/{cid}/re-review", json={"passed": True}, headers={**sup, "If-Match": if_match}
        )
        check_problem(r, 400, "If-Match")
    assert snapshot(client, cid) == before


def test_404(client, clock):
    cid, code, _ = reviewed(client, clock, until="initial-review")
    before = snapshot(client, cid)
    unknown = uuid.uuid4()
    other = enterprise(credit_code())
    for r in [
        client.get(f"{API}/{unknown}", headers=supervisor()),
        client.get(f"{API}/{unknown}/history", headers=supervisor()),
        client.post(f"{API}/{unknown}/submit", json={}, headers=clerk()),
        client.get(f"{API}/{cid}", headers=other),
        client.get(f"{API}/{cid}/history", headers=other),
        client.post(f"{API}/{cid}/withdraw", json=BODIES["withdraw"], headers=other),
        # A credit repair is not a complaint, and the other way round.
        client.get(f"{COMPLAINTS}/{cid}", headers=supervisor()),
        client.post(f"{COMPLAINTS}/{cid}/supervise", json={"note": "x"}, headers=supervisor()),
    ]:
        assert check_problem(r, 404)["type"].endswith("not-found"), r.request.url
    assert snapshot(client, cid) == before

    complaint = client.post(COMPLAINTS, json=lodge_body(code), headers=enterprise(code))
    assert complaint.status_code == 201, complaint.text
    complaint_id = complaint.json()["id"]
    check_problem(client.get(f"{API}/{complaint_id}", headers=supervisor()), 404)
    r = client.post(
        f"{API}/{complaint_id}/withdraw", json=BODIES["withdraw"], headers=enterprise(code)
    )
    check_problem(r, 404)
    r = client.get(f"{COMPLAINTS}/{complaint_id}", headers=supervisor())
    assert (r.json()["version"], r.json()["status"]) == (1, "lodged")


def test_412_stale_if_match_then_the_right_one_succeeds(client, clock):
    cid, _, _ = reviewed(client, clock, until="initial-review")
    before = snapshot(client, cid)
    assert before[3] == '"2"'
    clock.advance(minutes=1)
    for stale in ('"1"', '"3"', "1"):
        r = client.post(
            f"{API}/{cid}/re-review",
            json={"passed": True},
            headers={**supervisor(), "If-Match": stale},
        )
        check_problem(r, 412)
    # A stale version wins over a move the status forbids: 412 before 409.
    r = client.post(f"{API}/{cid}/submit", json={}, headers={**clerk(), "If-Match": '"1"'})
    check_problem(r, 412)
    assert snapshot(client, cid) == before
    r = client.post(
        f"{API}/{cid}/re-review", json={"passed": True}, headers={**supervisor(), "If-Match": '"2"'}
    )
    check_response(r, status="re_reviewed", version=3)
    r = client.post(f"{API}/{cid}/submit", json={}, headers={**clerk(), "If-Match": 'W/"3"'})
    check_response(r, status="submitted", version=4)


def test_409_moves_the_status_forbids(client, clock):
    code = credit_code()
    clock.set(at(2024, 9, 23, 2, 0))
    cid = apply(client, code)["id"]
    before = snapshot(client, cid)
    for name, headers in [
        ("re-review", supervisor()),
        ("submit", clerk()),
        ("record-outcome", supervisor()),
    ]:
        r = client.post(f"{API}/{cid}/{name}", json=BODIES[name], headers=headers)
        assert check_problem(r, 409)["type"].endswith("move-not-allowed")
    assert snapshot(client, cid) == before
    clock.advance(minutes=1)
    move(client, cid, "initial-review", clerk(), version=2)
    before = snapshot(client, cid)
    for name, headers in [
        ("initial-review", supervisor()),  # twice
        ("submit", clerk()),
        ("record-outcome", clerk()),
    ]:
        check_problem(client.post(f"{API}/{cid}/{name}", json=BODIES[name], headers=headers), 409)
    assert snapshot(client, cid) == before
