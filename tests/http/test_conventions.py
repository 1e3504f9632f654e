"""The conventions every endpoint keeps (issue 14, docs/api.md "Conventions"), over real
HTTP: conditional reads (304 on `If-None-Match`), `If-Match: *`, unknown query parameters
refused with 400 and nothing changed, `cursor`/`next_cursor` everywhere (the audit trail
too), every instant in UTC with `Z`, and cursors: any string of the documented pattern
is one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from domain.store import EVENTS_TABLE
from tests.http.support import (
    API,
    AUDIT,
    BODIES,
    check_case_response,
    check_problem,
    clerk,
    enterprise,
    lodge,
    move,
    new_id,
    snapshot,
    supervisor,
)
from tests.support import credit_code

INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z")
LOOKS_LIKE_AN_INSTANT = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:")

pytestmark = [pytest.mark.http]


@pytest.fixture
def stored(database_url):
    def count() -> int:
        with psycopg.connect(database_url) as conn:
            return conn.execute(f"SELECT count(*) FROM {EVENTS_TABLE}").fetchone()[0]

    return count


# --- If-None-Match: 304 while the version is unchanged ----------------------------------


@pytest.mark.parametrize("tail", ["", "/history", "/timeline"])
def test_if_none_match_answers_304_while_the_version_is_unchanged(client, tail):
    code = credit_code()
    case = lodge(client, code)
    url = f"{API}/{case['id']}{tail}"
    first = client.get(url, headers=supervisor())
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert etag == '"1"'
    for header in ('"1"', 'W/"1"', "1", '"7", "1"', "*"):
        r = client.get(url, headers={**supervisor(), "If-None-Match": header})
        assert r.status_code == 304, (header, r.status_code, r.text)
        assert r.headers["etag"] == etag
        assert r.content == b""
    for header in ('"2"', '"0", W/"3"'):
        r = client.get(url, headers={**supervisor(), "If-None-Match": header})
        assert r.status_code == 200, (header, r.text)
        assert r.json() == first.json()

    move(client, case["id"], "accept", clerk(), BODIES["accept"], version=2)
    r = client.get(url, headers={**supervisor(), "If-None-Match": etag})
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == '"2"'
    assert client.get(url, headers={**supervisor(), "If-None-Match": '"2"'}).status_code == 304


def test_if_none_match_keeps_the_read_checks(client):
    code = credit_code()
    case = lodge(client, code)
    url = f"{API}/{case['id']}"
    # Who may not see the case learns nothing from a conditional read: 404 as always.
    other = enterprise(credit_code())
    check_problem(client.get(url, headers={**other, "If-None-Match": "*"}), 404)
    missing = f"{API}/00000000-0000-4000-8000-000000000000"
    check_problem(client.get(missing, headers={**supervisor(), "If-None-Match": "*"}), 404)
    # An ETag of a past version read at that version is still current for that read.
    r = client.get(url, params={"version": 1}, headers={**supervisor(), "If-None-Match": '"1"'})
    assert r.status_code == 304
    for bad in ('"1', "one", '"1",', "W/1"):
        check_problem(
            client.get(url, headers={**supervisor(), "If-None-Match": bad}), 400, "If-None-Match"
        )


# --- If-Match: * -----------------------------------------------------------------------


def test_if_match_star_accepts_any_version(client, stored):
    case = lodge(client)
    r = client.post(f"{API}/{case['id']}/accept", json={}, headers={**clerk(), "If-Match": "*"})
    body = check_case_response(r, status="accepted", version=2)
    assert r.headers["etag"] == '"2"'
    # Still a precondition on the case existing and the move being allowed.
    events = stored()
    missing = "00000000-0000-4000-8000-000000000000"
    check_problem(
        client.post(f"{API}/{missing}/accept", json={}, headers={**clerk(), "If-Match": "*"}),
        404,
    )
    before = snapshot(client, body["id"])
    check_problem(
        client.post(f"{API}/{body['id']}/accept", json={}, headers={**clerk(), "If-Match": "*"}),
        409,
    )
    assert snapshot(client, body["id"]) == before
    assert stored() == events


# --- unknown query parameters ----------------------------------------------------------


def test_unknown_query_parameters_are_400_naming_them(client):
    code = credit_code()
    lodge(client, code)
    r = client.get(API, params={"q": "审批", "status": "lodged", "zz": "1"}, headers=supervisor())
    problem = check_problem(r, 400)
    assert problem["type"].endswith("/unknown-parameter")
    assert [e["field"] for e in problem["errors"]] == ["q", "zz"]
    assert "cursor" in problem["errors"][0]["rule"]  # it names the ones it takes
    # Public endpoints too, and the role check still comes first.
    check_problem(client.get("/api/v1/meta", params={"x": "1"}), 400, "x")
    check_problem(client.get("/healthz", params={"x": "1"}), 400, "x")
    check_problem(client.get(API, params={"q": "x"}, headers=enterprise(code)), 400, "q")
    check_problem(client.get(AUDIT, params={"q": "x"}, headers=enterprise(code)), 403)


def test_pages_outside_the_api_keep_ignoring_unknown_parameters(client):
    # Web pages and the docs are not the API: a link with a tracking parameter opens them.
    for url in ("/", "/schema/openapi.json", "/schema/swagger"):
        r = client.get(url, params={"utm_source": "mail"})
        assert r.status_code == 200, (url, r.status_code)


def test_an_unknown_query_parameter_on_a_move_changes_nothing(client, stored):
    case = lodge(client)
    before, events = snapshot(client, case["id"]), stored()
    r = client.post(f"{API}/{case['id']}/accept", params={"force": "1"}, json={}, headers=clerk())
    check_problem(r, 400, "force")
    # The role check comes first: an enterprise may never accept.
    r = client.post(
        f"{API}/{case['id']}/accept", params={"force": "1"}, json={}, headers=enterprise("x" * 18)
    )
    check_problem(r, 403)
    r = client.post(API, params={"draft": "1"}, json={}, headers=clerk())
    check_problem(r, 400, "draft")
    assert snapshot(client, case["id"]) == before
    assert stored() == events


# --- cursor / next_cursor everywhere ---------------------------------------------------


def _pages(client: Any, url: str, headers: dict[str, str], **params: Any) -> Iterator[dict]:
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = client.get(url, params=query, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        assert set(page) >= {"items", "next_cursor"}
        yield page
        cursor = page["next_cursor"]
        if cursor is None:
            return


def test_the_audit_trail_pages_with_cursor_and_next_cursor(client):
    code = credit_code()
    who = new_id("clerk")
    ids = [lodge(client, code, headers=clerk(who))["id"] for _ in range(3)]
    last = move(client, ids[0], "accept", clerk(who), {})
    headers = {**supervisor(), "X-Min-Position": str(last["position"])}
    pages = list(_pages(client, AUDIT, headers, actor=who, limit=2))
    assert [len(p["items"]) for p in pages] == [2, 2]  # no empty page after a full one
    items = [i for p in pages for i in p["items"]]
    assert [(i["case_id"], i["type"]) for i in items] == [
        (ids[0], "Lodged"),
        (ids[1], "Lodged"),
        (ids[2], "Lodged"),
        (ids[0], "Accepted"),
    ]
    assert all("next_after" not in p for p in pages)
    problem = check_problem(client.get(AUDIT, params={"after": 1}, headers=supervisor()), 400)
    assert problem["errors"] == [{"field": "after", "rule": "renamed: use cursor"}]


@pytest.mark.parametrize(
    ("url", "length"),
    [
        (API, 32),
        ("/api/v1/projects", 32),
        ("/api/v1/credit-repairs", 32),
        ("/api/v1/commitments", 36),
        ("/api/v1/warnings", 36),
        ("/api/v1/service-statistics", 32),
        (AUDIT, 12),
    ],
)
def test_any_string_of_the_cursor_pattern_is_a_cursor(client, url, length):
    for cursor in ("A" * length, "_" * length, "-" * length, "z9" * (length // 2)):
        r = client.get(url, params={"cursor": cursor}, headers=supervisor())
        assert r.status_code == 200, (cursor, r.text)
    for cursor in ("A" * (length - 1), "A" * (length + 1), "+" * length):
        check_problem(
            client.get(url, params={"cursor": cursor}, headers=supervisor()), 422, "cursor"
        )


# --- one format for instants ------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_every_instant_in_a_body_is_utc_with_z(client):
    code = credit_code()
    dept = new_id("dept")
    case = lodge(client, code)
    move(client, case["id"], "accept", clerk(), {})
    last = move(client, case["id"], "transfer", clerk(), {"department": dept})
    headers = {**supervisor(), "X-Min-Position": str(last["position"])}
    bodies = [last]
    for url in (
        f"{API}/{case['id']}",
        f"{API}/{case['id']}/history",
        f"{API}/{case['id']}/timeline",
        API,
        AUDIT,
        "/api/v1/warnings",
    ):
        r = client.get(url, headers=headers)
        assert r.status_code == 200, r.text
        bodies.append(r.json())
    instants = [s for body in bodies for s in _strings(body) if LOOKS_LIKE_AN_INSTANT.match(s)]
    # Deadlines (computed in Beijing time), event times, view rows and timeline states.
    assert len(instants) > 20
    assert [s for s in instants if not INSTANT.fullmatch(s)] == []
    read, history = bodies[1], bodies[2]
    assert read["due_at"].endswith("Z")
    # Deadlines are computed in Beijing time: 17:30 there is 09:30Z.
    assert history["events"][0]["data"]["acceptance_due"] == "2024-09-24T09:30:00Z"
