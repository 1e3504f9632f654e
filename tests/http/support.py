"""Helpers for the HTTP end-to-end tests: who is calling, and checks every response gets.

Times: the `clock` fixture starts at Monday 2024-09-23 09:00Z (17:00 in Beijing). Tests
that check deadlines set the clock to instants inside Beijing office hours (01:00Z to
09:29Z), so "the day a move was made" is never in doubt.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from httpx import Response

from tests.conftest import bearer
from tests.support import credit_code, lodge_body

API = "/api/v1/complaints"
AUDIT = "/api/v1/audit-trail"
PROBLEM_JSON = "application/problem+json"
CST = timezone(timedelta(hours=8))

# The allowed roles of every move, as the issue specifies them (not read from the code).
ALLOWED: dict[str, set[str]] = {
    "lodge": {"enterprise", "clerk"},
    "accept": {"clerk", "supervisor"},
    "reject": {"clerk", "supervisor"},
    "transfer": {"clerk", "supervisor"},
    "send-back": {"department"},
    "request-extension": {"department"},
    "decide-extension": {"supervisor"},
    "reply": {"department"},
    "review": {"supervisor"},
    "rate": {"enterprise"},
    "supervise": {"supervisor"},
    "withdraw": {"enterprise"},
    "close": {"supervisor"},
}
ROLES = ("enterprise", "clerk", "department", "supervisor", "inspector", "admin")

# A valid body for each move.
BODIES: dict[str, dict[str, Any]] = {
    "accept": {},
    "reject": {"reason": "不属于受理范围"},
    "transfer": {"department": "hlj-fgw"},
    "send-back": {"reason": "不属本部门职责"},
    "request-extension": {"working_days": 2, "reason": "需要现场核查"},
    "decide-extension": {"approved": True},
    "reply": {"answer": "已办结"},
    "review": {"approved": True},
    "rate": {"rating": "satisfied"},
    "supervise": {"note": "请加快办理"},
    "withdraw": {"reason": "问题已解决"},
    "close": {},
}


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """An instant given in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def cst(text: str) -> datetime:
    """Parse a date-time from a body (it carries an offset)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert value.tzinfo is not None, text
    return value


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def enterprise(code: str, sub: str = "ent-user") -> dict[str, str]:
    return bearer("enterprise", sub, code)


def clerk(sub: str = "clerk-1") -> dict[str, str]:
    return bearer("clerk", sub)


def supervisor(sub: str = "sup-1") -> dict[str, str]:
    return bearer("supervisor", sub)


def inspector(sub: str = "insp-1") -> dict[str, str]:
    return bearer("inspector", sub)


def admin(sub: str = "admin-1") -> dict[str, str]:
    return bearer("admin", sub)


def department(org: str, sub: str = "dept-user") -> dict[str, str]:
    return bearer("department", sub, org)


def as_role(role: str, *, code: str, dept: str) -> dict[str, str]:
    """A token of `role` with the org that role would need for the test's case."""
    org = {"enterprise": code, "department": dept}.get(role)
    return bearer(role, f"{role}-user", org)


def check_case_response(
    r: Response, *, code: int = 200, status: str | None = None, version: int | None = None
) -> dict[str, Any]:
    """Status code, body status/version/position, ETag and X-Position of a command reply."""
    assert r.status_code == code, r.text
    body = r.json()
    if status is not None:
        assert body["status"] == status
    if version is not None:
        assert body["version"] == version
    assert r.headers["etag"] == f'"{body["version"]}"'
    assert isinstance(body["position"], int)
    assert body["position"] >= 1
    assert r.headers["x-position"] == str(body["position"])
    if code == 201:
        assert r.headers["location"] == f"{API}/{body['id']}"
    return body


def lodge(
    client: Any, code: str | None = None, *, headers: dict[str, str] | None = None, **overrides: Any
) -> dict[str, Any]:
    """Lodge a complaint (by the enterprise itself unless headers say otherwise)."""
    code = code or credit_code()
    r = client.post(API, json=lodge_body(code, **overrides), headers=headers or enterprise(code))
    return check_case_response(r, code=201, status="lodged", version=1)


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
    return check_case_response(r, status=status, version=version)


def snapshot(client: Any, case_id: str) -> tuple[int, str, int, str]:
    """What must not change after a refused request: version, status, history length, ETag."""
    r = client.get(f"{API}/{case_id}", headers=supervisor())
    assert r.status_code == 200, r.text
    h = client.get(f"{API}/{case_id}/history", headers=supervisor())
    assert h.status_code == 200, h.text
    events = h.json()["events"]
    assert len(events) == r.json()["version"]
    return r.json()["version"], r.json()["status"], len(events), r.headers["etag"]


def check_problem(r: Response, status: int, field: str | None = None) -> dict[str, Any]:
    """An RFC 9457 problem with the given status (and, if given, naming `field`)."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].split(";")[0].strip() == PROBLEM_JSON
    body = r.json()
    for key in ("type", "title", "status", "detail"):
        assert key in body, body
    assert body["status"] == status
    assert isinstance(body["type"], str)
    assert body["type"]
    assert body["title"]
    assert body["detail"]
    if field is not None:
        assert [e["field"] for e in body.get("errors", [])] == [field], body
        assert all(e.get("rule") for e in body["errors"])
    return body


def latest_position(client: Any) -> int:
    r = client.get("/readyz", headers=bearer("supervisor"))  # positions need a token
    assert r.status_code == 200, r.text
    return r.json()["position"]


def list_cases(
    client: Any, headers: dict[str, str], position: int, **params: Any
) -> list[dict[str, Any]]:
    """All pages of GET /complaints once the views reached `position`."""
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
