"""Every error status of the API, their order, and that a refused request stores nothing.

Order (api/errors.py): 401 bad token; 403 the role may never make the move; 400/422
bad input; 404 no such case for this user; 412 stale If-Match; 409 the status forbids it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.auth import issue_token
from domain.values import Role
from tests.conftest import JWT_SECRET
from tests.http.support import (
    ALLOWED,
    API,
    BODIES,
    ROLES,
    admin,
    as_role,
    check_problem,
    clerk,
    department,
    enterprise,
    inspector,
    latest_position,
    list_cases,
    lodge,
    move,
    new_id,
    snapshot,
    supervisor,
)
from tests.support import credit_code, lodge_body


def _token(secret: str, *, hours_ago: float = 0, org: str | None = "x", role: str = "clerk") -> str:
    now = datetime.now(UTC) - timedelta(hours=hours_ago)
    return issue_token(secret, sub="u", role=Role(role), org=org, now=now, ttl=timedelta(hours=1))


BAD_AUTH: dict[str, dict[str, str]] = {
    "no token": {},
    "garbage token": {"Authorization": "Bearer not.a.jwt"},
    "not bearer": {"Authorization": "Basic dXNlcjpwYXNz"},
    "expired": {"Authorization": f"Bearer {_token(JWT_SECRET, hours_ago=2)}"},
    "other secret": {
        "Authorization": f"Bearer {_token('another-secret-' + uuid.uuid4().hex + '-long-enough')}"
    },
    "enterprise without org": {
        "Authorization": f"Bearer {_token(JWT_SECRET, org=None, role='enterprise')}"
    },
}


@pytest.fixture
def transferred(client, clock) -> dict[str, Any]:
    """A case at version 3, transferred to a department of its own."""
    code = credit_code()
    dept = new_id("dept")
    cid = lodge(client, code)["id"]
    clock.advance(minutes=1)
    move(client, cid, "accept", clerk(), version=2)
    clock.advance(minutes=1)
    move(client, cid, "transfer", clerk(), {"department": dept}, version=3)
    clock.advance(minutes=1)
    return {"id": cid, "code": code, "dept": dept}


# --- 401 ----------------------------------------------------------------------------


def test_401_for_a_missing_or_bad_token(client, transferred):
    cid = transferred["id"]
    before = snapshot(client, cid)
    for auth, headers in BAD_AUTH.items():
        _all_401(client, cid, auth, headers)
    assert snapshot(client, cid) == before


def _all_401(client, cid: str, auth: str, headers: dict[str, str]) -> None:
    requests = [
        client.post(f"{API}/{cid}/supervise", json={"note": "x"}, headers=headers),
        client.post(f"{API}/{cid}/withdraw", json={"bad": 1}, headers=headers),  # bad body too
        client.post(f"{API}/{uuid.uuid4()}/accept", json={}, headers=headers),  # unknown case too
        client.post(API, json=lodge_body(credit_code()), headers=headers),
        client.get(f"{API}/{cid}", headers=headers),
        client.get(f"{API}/{cid}/history", headers=headers),
        client.get(API, headers=headers),
        client.get("/api/v1/audit-trail", headers=headers),
    ]
    for r in requests:
        assert r.status_code == 401, (auth, r.request.url, r.text)
        check_problem(r, 401)
        assert r.headers["www-authenticate"].lower().startswith("bearer")


# --- 403 ----------------------------------------------------------------------------


def test_403_for_every_role_that_may_never_make_a_move(client, transferred):
    cid, code, dept = transferred["id"], transferred["code"], transferred["dept"]
    before = snapshot(client, cid)
    refused = 0
    for name, body in BODIES.items():
        for role in ROLES:
            if role in ALLOWED[name]:
                continue
            headers = as_role(role, code=code, dept=dept)
            r = client.post(f"{API}/{cid}/{name}", json=body, headers=headers)
            check_problem(r, 403)
            # Also with a stale If-Match: the role is checked first.
            r = client.post(
                f"{API}/{cid}/{name}", json=body, headers={**headers, "If-Match": '"1"'}
            )
            check_problem(r, 403)
            refused += 1
    assert refused == 57  # 12 moves x 6 roles, less the 15 allowed pairs
    assert snapshot(client, cid) == before


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("accept", "enterprise"),
        ("review", "department"),
        ("transfer", "department"),
        ("rate", "supervisor"),
        ("reply", "clerk"),
    ],
)
def test_403_named_examples(client, transferred, name, role):
    cid = transferred["id"]
    before = snapshot(client, cid)
    headers = as_role(role, code=transferred["code"], dept=transferred["dept"])
    body = check_problem(
        client.post(f"{API}/{cid}/{name}", json=BODIES[name], headers=headers), 403
    )
    assert body["type"].endswith("forbidden")
    assert snapshot(client, cid) == before


@pytest.mark.parametrize("role", ["department", "supervisor", "inspector", "admin"])
def test_403_lodging_by_a_role_that_may_not_lodge(client, role):
    code = credit_code()
    headers = as_role(role, code=code, dept=new_id("dept"))
    check_problem(client.post(API, json=lodge_body(code), headers=headers), 403)
    # With a bad body too: still 403, not 422.
    check_problem(client.post(API, json={"kind": "nonsense"}, headers=headers), 403)
    assert list_cases(client, enterprise(code), latest_position(client)) == []


def test_403_enterprise_lodging_with_another_enterprises_credit_code(client):
    mine, theirs = credit_code(), credit_code()
    r = client.post(API, json=lodge_body(theirs), headers=enterprise(mine))
    check_problem(r, 403)
    position = latest_position(client)
    assert list_cases(client, enterprise(theirs), position) == []
    assert list_cases(client, enterprise(mine), position) == []


def test_403_reads_for_roles_without_access(client, transferred):
    cid = transferred["id"]
    check_problem(client.get(f"{API}/{cid}", headers=admin()), 403)
    check_problem(client.get(f"{API}/{cid}/history", headers=admin()), 403)
    check_problem(client.get(API, headers=admin()), 403)
    for headers in (
        enterprise(transferred["code"]),
        department(transferred["dept"]),
        clerk(),
        admin(),
    ):
        check_problem(
            client.get("/api/v1/audit-trail", params={"case_id": cid}, headers=headers), 403
        )


# --- 400 / 422 ----------------------------------------------------------------------


def _lodge_with(code: str, change) -> dict[str, Any]:
    body = lodge_body(code)
    change(body)
    return body


LODGE_ERRORS: list[Any] = [
    pytest.param(lambda b: b.update(title=5), "title", id="wrong type"),
    pytest.param(lambda b: b.update(confidential="yes"), "confidential", id="wrong type bool"),
    pytest.param(lambda b: b.update(kind="petition"), "kind", id="bad enum kind"),
    pytest.param(lambda b: b.update(channel="fax"), "channel", id="bad enum channel"),
    pytest.param(lambda b: b.update(title=""), "title", id="empty title"),
    pytest.param(
        lambda b: b.update(respondent_department="a b"),
        "respondent_department",
        id="bad department code",
    ),
    pytest.param(
        lambda b: b["complainant"].update(phone="call me"), "complainant.phone", id="bad phone"
    ),
    pytest.param(
        lambda b: b["complainant"].update(credit_code=b["complainant"]["credit_code"][:17] + "?"),
        "complainant.credit_code",
        id="invalid credit-code character",
    ),
    pytest.param(
        lambda b: b["complainant"].update(credit_code="91"),
        "complainant.credit_code",
        id="short credit code",
    ),
    pytest.param(
        lambda b: b.pop("title"),
        "title",
        id="missing field",
    ),
    pytest.param(
        lambda b: b["complainant"].pop("name"),
        "complainant.name",
        id="missing nested field",
    ),
    pytest.param(
        lambda b: b.update(extra=1),
        "extra",
        id="unknown field",
    ),
]


@pytest.mark.parametrize(("change", "field"), LODGE_ERRORS)
def test_422_lodge_names_the_field(client, change, field):
    code = credit_code()
    r = client.post(API, json=_lodge_with(code, change), headers=enterprise(code))
    body = check_problem(r, 422, field)
    assert field in body["detail"]
    assert list_cases(client, enterprise(code), latest_position(client)) == []


def test_422_bad_credit_code_check_character(client):
    code = credit_code()
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    body = lodge_body(code)
    body["complainant"]["credit_code"] = wrong
    r = client.post(API, json=body, headers=enterprise(wrong))
    problem = check_problem(r, 422, "complainant.credit_code")
    assert "check character" in problem["errors"][0]["rule"]
    assert list_cases(client, enterprise(wrong), latest_position(client)) == []


MOVE_ERRORS: list[tuple[str, dict[str, Any], str]] = [
    ("transfer", {"department": "x", "working_days": "ten"}, "working_days"),
    ("transfer", {"department": "x", "working_days": 400}, "working_days"),
    ("transfer", {"department": ""}, "department"),
    ("supervise", {"note": 7}, "note"),
    ("request-extension", {"working_days": 11, "reason": "r"}, "working_days"),
    ("request-extension", {"working_days": 0, "reason": "r"}, "working_days"),
    ("reply", {"answer": ""}, "answer"),
]


def test_422_move_names_the_field(client, transferred):
    cid = transferred["id"]
    before = snapshot(client, cid)
    for name, body, field in MOVE_ERRORS:
        dept = department(transferred["dept"])
        headers = supervisor() if name in ("transfer", "supervise") else dept
        check_problem(client.post(f"{API}/{cid}/{name}", json=body, headers=headers), 422, field)
    assert snapshot(client, cid) == before


def test_422_rule_violations_name_the_field(client, clock, transferred):
    cid, dept = transferred["id"], transferred["dept"]
    move(client, cid, "reply", department(dept), version=4)
    before = snapshot(client, cid)
    # A redo needs a note.
    r = client.post(f"{API}/{cid}/review", json={"approved": False}, headers=supervisor())
    check_problem(r, 422, "note")
    # A bad rating value.
    r = client.post(
        f"{API}/{cid}/rate", json={"rating": "meh"}, headers=enterprise(transferred["code"])
    )
    check_problem(r, 422, "rating")
    assert snapshot(client, cid) == before


def test_400_malformed_json(client, transferred):
    cid = transferred["id"]
    before = snapshot(client, cid)
    headers = {**supervisor(), "Content-Type": "application/json"}
    check_problem(client.post(f"{API}/{cid}/supervise", content=b'{"note": ', headers=headers), 400)
    code = credit_code()
    r = client.post(
        API,
        content=b"{kind: complaint}",
        headers={**enterprise(code), "Content-Type": "application/json"},
    )
    check_problem(r, 400)
    assert snapshot(client, cid) == before
    assert list_cases(client, enterprise(code), latest_position(client)) == []


def test_400_empty_body(client, transferred):
    cid = transferred["id"]
    headers = {**supervisor(), "Content-Type": "application/json"}
    check_problem(client.post(f"{API}/{cid}/supervise", content=b"", headers=headers), 400)


def test_400_bad_if_match(client, transferred):
    cid = transferred["id"]
    before = snapshot(client, cid)
    for if_match in ["abc", '"two"', "*x", '"-1"', '"3.0"']:
        r = client.post(
            f"{API}/{cid}/supervise",
            json={"note": "x"},
            headers={**supervisor(), "If-Match": if_match},
        )
        check_problem(r, 400, "If-Match")
    assert snapshot(client, cid) == before


def test_422_bad_read_parameters(client, transferred):
    for params, field in [
        ({"as_of": "2024-09-23T09:00:00"}, "as_of"),  # no offset
        ({"as_of": "yesterday"}, "as_of"),
        ({"version": "0"}, "version"),
        ({"version": "one"}, "version"),
        ({"version": "1", "as_of": "2024-09-23T09:00:00+00:00"}, "as_of"),
    ]:
        r = client.get(f"{API}/{transferred['id']}", params=params, headers=supervisor())
        check_problem(r, 422, field)


def test_422_bad_list_parameters(client):
    for params, field in [
        ({"status": "open"}, "status"),
        ({"kind": "petition"}, "kind"),
        ({"overdue": "maybe"}, "overdue"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ]:
        check_problem(client.get(API, params=params, headers=supervisor()), 422, field)


# --- 404 ----------------------------------------------------------------------------


def test_404_unknown_case(client):
    unknown = uuid.uuid4()
    for r in [
        client.get(f"{API}/{unknown}", headers=supervisor()),
        client.get(f"{API}/{unknown}/history", headers=supervisor()),
        client.post(f"{API}/{unknown}/accept", json={}, headers=clerk()),
        client.post(f"{API}/{unknown}/supervise", json={"note": "x"}, headers=supervisor()),
    ]:
        body = check_problem(r, 404)
        assert body["type"].endswith("not-found")


def test_404_another_enterprises_case(client, transferred):
    cid = transferred["id"]
    other = enterprise(credit_code())
    before = snapshot(client, cid)
    check_problem(client.get(f"{API}/{cid}", headers=other), 404)
    check_problem(client.get(f"{API}/{cid}/history", headers=other), 404)
    check_problem(client.post(f"{API}/{cid}/withdraw", json={"reason": "x"}, headers=other), 404)
    assert snapshot(client, cid) == before


def test_404_department_the_case_was_never_transferred_to(client, transferred):
    cid = transferred["id"]
    stranger = department(new_id("dept"))
    before = snapshot(client, cid)
    check_problem(client.get(f"{API}/{cid}", headers=stranger), 404)
    check_problem(client.get(f"{API}/{cid}/history", headers=stranger), 404)
    for name in ("reply", "send-back", "request-extension"):
        check_problem(client.post(f"{API}/{cid}/{name}", json=BODIES[name], headers=stranger), 404)
    assert snapshot(client, cid) == before


def test_404_version_that_does_not_exist(client, transferred):
    r = client.get(f"{API}/{transferred['id']}", params={"version": 4}, headers=supervisor())
    check_problem(r, 404)


# --- 412 ----------------------------------------------------------------------------


def test_412_stale_if_match_then_the_right_one_succeeds(client, clock):
    cid = lodge(client)["id"]
    clock.advance(minutes=1)
    move(client, cid, "supervise", supervisor(), version=2)
    before = snapshot(client, cid)
    assert before[3] == '"2"'
    clock.advance(minutes=1)
    for stale in ('"1"', '"3"', "1"):
        r = client.post(f"{API}/{cid}/accept", json={}, headers={**clerk(), "If-Match": stale})
        check_problem(r, 412)
    assert snapshot(client, cid) == before
    r = client.post(f"{API}/{cid}/accept", json={}, headers={**clerk(), "If-Match": '"2"'})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 3
    assert r.headers["etag"] == '"3"'
    r = client.post(
        f"{API}/{cid}/supervise", json={"note": "x"}, headers={**supervisor(), "If-Match": 'W/"3"'}
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 4


# --- 409 ----------------------------------------------------------------------------


def test_409_move_forbidden_in_the_status(client, clock):
    code = credit_code()
    cid = lodge(client, code)["id"]
    clock.advance(minutes=1)
    move(client, cid, "accept", clerk(), version=2)
    before = snapshot(client, cid)
    for name, headers in [
        ("accept", clerk()),  # twice
        ("reject", supervisor()),
        ("rate", enterprise(code)),  # before awaiting_rating
        ("review", supervisor()),
        ("close", supervisor()),
        ("decide-extension", supervisor()),
    ]:
        body = check_problem(
            client.post(f"{API}/{cid}/{name}", json=BODIES[name], headers=headers), 409
        )
        assert body["type"].endswith("move-not-allowed")
        assert snapshot(client, cid) == before


def test_409_decide_extension_with_nothing_pending(client, transferred):
    cid = transferred["id"]
    before = snapshot(client, cid)
    r = client.post(f"{API}/{cid}/decide-extension", json={"approved": True}, headers=supervisor())
    check_problem(r, 409)
    assert snapshot(client, cid) == before


# --- the order of the checks --------------------------------------------------------


def test_order_forbidden_role_with_bad_body_is_403(client, transferred):
    cid = transferred["id"]
    before = snapshot(client, cid)
    r = client.post(
        f"{API}/{cid}/accept", json={"urgent": "very"}, headers=enterprise(transferred["code"])
    )
    check_problem(r, 403)
    r = client.post(f"{API}/{cid}/review", content=b"{not json", headers=inspector())
    check_problem(r, 403)
    r = client.post(f"{API}/{uuid.uuid4()}/transfer", json={"department": 5}, headers=admin())
    check_problem(r, 403)
    assert snapshot(client, cid) == before


def test_order_bad_body_on_unknown_case_is_422(client):
    r = client.post(f"{API}/{uuid.uuid4()}/transfer", json={"department": 5}, headers=clerk())
    check_problem(r, 422, "department")
    r = client.post(
        f"{API}/{uuid.uuid4()}/accept", json={"urgent": "x"}, headers={**clerk(), "If-Match": '"9"'}
    )
    check_problem(r, 422, "urgent")


def test_order_stale_if_match_on_a_move_the_status_forbids_is_412(client, transferred):
    cid = transferred["id"]
    before = snapshot(client, cid)
    # accept is forbidden in 'transferred' (409), but the If-Match is stale: 412 first.
    r = client.post(f"{API}/{cid}/accept", json={}, headers={**clerk(), "If-Match": '"1"'})
    check_problem(r, 412)
    # With the right version, the status check answers.
    r = client.post(f"{API}/{cid}/accept", json={}, headers={**clerk(), "If-Match": '"3"'})
    check_problem(r, 409)
    assert snapshot(client, cid) == before


def test_order_unknown_case_with_stale_if_match_is_404(client, transferred):
    r = client.post(f"{API}/{uuid.uuid4()}/accept", json={}, headers={**clerk(), "If-Match": '"1"'})
    check_problem(r, 404)
    # A case this department cannot see is unknown to it, whatever its If-Match says.
    cid = transferred["id"]
    before = snapshot(client, cid)
    headers = {**department(new_id("dept")), "If-Match": '"1"'}
    check_problem(client.post(f"{API}/{cid}/reply", json={"answer": "x"}, headers=headers), 404)
    assert snapshot(client, cid) == before
