"""Bad input answers 4xx problem+json and stores nothing (issue 10, defects 5, 7 and 8).

Each case checks the status, the problem's fields (naming the public parameter or the
body field) and that the event store holds no new event (and a refused move left its
case as it was).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest

from projections.runner import EVENTS_TABLE
from tests.http.support import (
    API,
    AUDIT,
    check_problem,
    clerk,
    enterprise,
    inspector,
    lodge,
    snapshot,
    supervisor,
)
from tests.support import credit_code, lodge_body

INT64_MAX = 2**63 - 1
INTERNAL_NAMES = ("first", "last", "since", "until", "second")


@pytest.fixture
def stored(database_url):
    """How many events the store holds (the session's database)."""

    def count() -> int:
        with psycopg.connect(database_url) as conn:
            return conn.execute(f"SELECT count(*) FROM {EVENTS_TABLE}").fetchone()[0]

    return count


@pytest.fixture
def lodged(client) -> dict[str, Any]:
    code = credit_code()
    return {"id": lodge(client, code)["id"], "code": code}


def raw_request(
    client: Any,
    method: str,
    url: str,
    headers: list[tuple[bytes, bytes]],
    content: bytes | None = None,
) -> httpx.Response:
    """A request whose header bytes reach the app as given (Litestar's TestClient
    re-encodes header values as UTF-8, so it cannot send a Latin-1 "²", byte 0xB2)."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return await http.request(method, url, headers=headers, content=content)

    return client.blocking_portal.call(send)


def _raw(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.encode(), v.encode()) for k, v in headers.items()]


def post_json(client: Any, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return client.post(url, content=body, headers={**headers, "Content-Type": "application/json"})


def check_body_problem(r: httpx.Response, status: int, field: str, *words: str) -> dict[str, Any]:
    problem = check_problem(r, status, field)
    for word in words:
        assert word in problem["errors"][0]["rule"], problem
    assert problem["instance"] == r.request.url.path
    return problem


# --- 5: bodies that raised RecursionError / UnicodeDecodeError ------------------------


def test_deeply_nested_body_is_400_and_nothing_is_stored(client, lodged, stored):
    code, cid = lodged["code"], lodged["id"]
    before, events = snapshot(client, cid), stored()
    deep = b"[" * 100_000
    check_body_problem(post_json(client, API, deep, enterprise(code)), 400, "body", "nest")
    r = post_json(client, f"{API}/{cid}/accept", deep, clerk())
    check_body_problem(r, 400, "body", "nest")
    # Nested below msgspec's own limit, still deeper than any body of ours.
    check_body_problem(
        post_json(client, API, b"[" * 40 + b"]" * 40, enterprise(code)), 400, "body", "32"
    )
    assert stored() == events
    assert snapshot(client, cid) == before


def test_deeply_nested_value_in_a_text_field_is_400(client, lodged, stored):
    code, events = lodged["code"], stored()
    body = json.dumps(lodge_body(code)).encode()
    nested = body.replace(b'"title": ', b'"title": ' + b"[" * 100_000, 1)
    check_body_problem(post_json(client, API, nested, enterprise(code)), 400, "body", "nest")
    # Valid JSON 51 levels deep: refused for its depth (400), not decoded and then
    # found to be no string (422).
    title: Any = "审批超时"
    for _ in range(50):
        title = [title]
    shallower = json.dumps(lodge_body(code, title=title)).encode()
    check_body_problem(post_json(client, API, shallower, enterprise(code)), 400, "body", "32")
    assert stored() == events


def test_body_with_invalid_utf8_is_400(client, lodged, stored):
    code, cid = lodged["code"], lodged["id"]
    before, events = snapshot(client, cid), stored()
    body = json.dumps(lodge_body(code), ensure_ascii=False).encode()
    bad = body.replace("审批".encode(), b"\xff\xfe", 1)
    assert bad != body
    check_body_problem(post_json(client, API, bad, enterprise(code)), 400, "body", "UTF-8")
    r = post_json(client, f"{API}/{cid}/reject", b'{"reason": "\xc3\x28"}', clerk())
    check_body_problem(r, 400, "body", "UTF-8")
    assert stored() == events
    assert snapshot(client, cid) == before


# --- 5: integers beyond int64 ---------------------------------------------------------


@pytest.mark.parametrize("value", [str(INT64_MAX + 1), str(2**70), "9" * 5000])
def test_integer_parameters_beyond_int64_are_422_naming_the_parameter(
    client, lodged, stored, value
):
    cid, events = lodged["id"], stored()
    ledger = "/api/v1/ledger/proof"
    for url, params, name in [
        ("/api/v1/warnings", {"offset": value}, "offset"),
        (f"{ledger}/inclusion", {"position": value}, "position"),
        (f"{ledger}/inclusion", {"position": "1", "size": value}, "size"),
        (f"{ledger}/consistency", {"from": value, "to": "1"}, "from"),
        (f"{ledger}/consistency", {"from": "1", "to": value}, "to"),
        (f"{API}/{cid}", {"version": value}, "version"),
    ]:
        r = client.get(url, params=params, headers=supervisor())
        problem = check_problem(r, 422, name)
        assert "whole number" in problem["errors"][0]["rule"], problem
    assert stored() == events


def test_largest_int64_is_still_a_well_formed_parameter(client, lodged):
    # (The audit trail pages with an opaque cursor since issue 14, no longer `after`.)
    r = client.get(
        f"{API}/{lodged['id']}", params={"version": str(INT64_MAX)}, headers=supervisor()
    )
    check_problem(r, 404)


# --- 5: If-Match and X-Min-Position ---------------------------------------------------


def test_if_match_superscript_two_is_400(client, lodged, stored):
    cid = lodged["id"]
    before, events = snapshot(client, cid), stored()
    for value in (b"\xb2", b'"\xb2"', b'W/"\xb2"', b"\xb9\xb3"):
        r = raw_request(
            client,
            "POST",
            f"{API}/{cid}/accept",
            [*_raw(clerk()), (b"content-type", b"application/json"), (b"if-match", value)],
            content=b"{}",
        )
        check_problem(r, 400, "If-Match")
    assert stored() == events
    assert snapshot(client, cid) == before


def test_if_match_unbalanced_or_overlong_is_400_not_a_version(client, lodged, stored):
    cid = lodged["id"]
    before, events = snapshot(client, cid), stored()
    for value in ['"1', '1"', 'W/"1', '""1""', "9" * 5000, f'"{10**19}"']:
        r = client.post(f"{API}/{cid}/accept", json={}, headers={**clerk(), "If-Match": value})
        check_problem(r, 400, "If-Match")
    # A well-formed version no case can have is stale like any other (issue 14: the
    # document's pattern allows 19 digits).
    r = client.post(
        f"{API}/{cid}/accept", json={}, headers={**clerk(), "If-Match": f'"{INT64_MAX + 1}"'}
    )
    check_problem(r, 412)
    assert stored() == events
    assert snapshot(client, cid) == before
    # The well-formed forms still work.
    r = client.post(f"{API}/{cid}/accept", json={}, headers={**clerk(), "If-Match": 'W/"1"'})
    assert r.status_code == 200, r.text


def test_x_min_position_superscript_two_is_400(client, stored):
    events = stored()
    for url in (API, AUDIT):
        r = raw_request(client, "GET", url, [*_raw(supervisor()), (b"x-min-position", b"\xb2")])
        check_problem(r, 400, "X-Min-Position")
    assert stored() == events


def test_x_min_position_beyond_any_position_is_refused_at_once(client):
    started = time.monotonic()
    for value, status in ((str(INT64_MAX + 1), 422), (str(2**70), 400), ("9" * 5000, 400)):
        for url in (API, AUDIT, "/api/v1/warnings", "/api/v1/dashboard"):
            r = client.get(url, headers={**supervisor(), "X-Min-Position": value})
            check_problem(r, status, "X-Min-Position")
    # No 5 s wait for a position that cannot exist (12 requests).
    assert time.monotonic() - started < 3


# --- 5: dates and query text PostgreSQL or datetime cannot hold -----------------------


def test_dates_out_of_range_are_422_naming_the_parameter(client, lodged):
    cid = lodged["id"]
    for url, params, name in [
        ("/api/v1/dashboard", {"from": "0001-01-01", "to": "0001-01-02"}, "from"),
        ("/api/v1/dashboard", {"from": "2024-01-01", "to": "9999-12-31"}, "to"),
        (
            "/api/v1/dashboard",
            {"from": "2024-01-01", "to": "2024-02-01", "as_of": "9999-12-31"},
            "as_of",
        ),
        ("/api/v1/departments/ranking", {"from": "9999-12-30", "to": "9999-12-31"}, "from"),
        (AUDIT, {"from": "0001-01-01T00:00:00+14:00"}, "from"),
        (AUDIT, {"to": "9999-12-31T23:59:59-14:00"}, "to"),
        (f"{API}/{cid}", {"as_of": "0001-01-01T00:00:00+14:00"}, "as_of"),
    ]:
        check_problem(client.get(url, params=params, headers=supervisor()), 422, name)


def test_control_characters_in_query_text_are_422(client):
    for url, name in [
        (API, "department"),
        (AUDIT, "actor"),
        ("/api/v1/warnings", "responsible"),
        ("/api/v1/commitments", "matter"),
        ("/api/v1/projects", "city"),
        ("/api/v1/credit-repairs", "cursor"),
    ]:
        r = client.get(url, params={name: "a\x00b"}, headers=supervisor())
        check_problem(r, 422, name)
    # A role that may not list is still told so first.
    check_problem(client.get(AUDIT, params={"actor": "\x00"}, headers=clerk()), 403)


# --- 7: messages name the public parameter and what it must be ------------------------


def test_errors_name_public_parameters_not_internal_ones(client):
    ledger = "/api/v1/ledger/proof/consistency"
    for url, params, fields, what in [
        ("/api/v1/dashboard", {"from": "x", "to": "2024-01-01"}, ["from"], "date"),
        ("/api/v1/dashboard", {"from": "2024-01-01", "to": "soon"}, ["to"], "date"),
        ("/api/v1/departments/ranking", {"from": "2024-13-01"}, ["from"], "date"),
        (AUDIT, {"from": "x"}, ["from"], "date-time"),
        (AUDIT, {"to": "x"}, ["to"], "date-time"),
        (ledger, {"from": "a", "to": "b"}, ["from", "to"], "whole number"),
        (ledger, {"to": "3"}, ["from"], "required"),
        (ledger, {"from": "3"}, ["to"], "required"),
        ("/api/v1/ledger/proof/inclusion", {}, ["position"], "required"),
        ("/api/v1/warnings", {"level": "red"}, ["level"], "due_soon"),
    ]:
        r = client.get(url, params=params, headers=supervisor())
        problem = check_problem(r, 422)
        assert [e["field"] for e in problem["errors"]] == fields, (url, problem)
        assert all(what in e["rule"] for e in problem["errors"]), (url, problem)
        text = json.dumps(problem)
        assert "body" not in text, problem
        for internal in INTERNAL_NAMES:
            assert f'"{internal}' not in text and f"{internal}:" not in text, problem


def test_dashboard_and_ranking_default_to_the_year_to_date_in_beijing(client, clock):
    # 2024-12-31 17:30 UTC is already 1 January 2025 in Beijing.
    clock.set(datetime(2024, 12, 31, 17, 30, tzinfo=UTC))
    for headers in (supervisor(), inspector()):
        r = client.get("/api/v1/dashboard", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["period"] == {"from": "2025-01-01", "to": "2025-01-01", "as_of": None}
        r = client.get("/api/v1/departments/ranking", headers=headers)
        assert r.status_code == 200, r.text
        assert (r.json()["from"], r.json()["to"]) == ("2025-01-01", "2025-01-01")
    # The clock fixture's day: 2024-09-23, 17:00 in Beijing.
    clock.set(datetime(2024, 9, 23, 9, 0, tzinfo=UTC))
    default = client.get("/api/v1/dashboard", headers=supervisor())
    explicit = client.get(
        "/api/v1/dashboard", params={"from": "2024-01-01", "to": "2024-09-23"}, headers=supervisor()
    )
    assert default.status_code == explicit.status_code == 200, default.text
    assert default.json() == explicit.json()
    # As of a day: the year to date of that day.
    r = client.get("/api/v1/dashboard", params={"as_of": "2024-03-31"}, headers=supervisor())
    assert r.json()["period"] == {"from": "2024-01-01", "to": "2024-03-31", "as_of": "2024-03-31"}
    # One end alone is refused, naming the other.
    for url in ("/api/v1/dashboard", "/api/v1/departments/ranking"):
        for given, missing in (("from", "to"), ("to", "from")):
            r = client.get(url, params={given: "2024-06-01"}, headers=supervisor())
            problem = check_problem(r, 422, missing)
            assert "year to date" in problem["errors"][0]["rule"]


# --- 8: content type and duplicate keys -----------------------------------------------


def test_json_body_without_a_json_content_type_is_415(client, lodged, stored):
    code, cid = lodged["code"], lodged["id"]
    before, events = snapshot(client, cid), stored()
    lodge_json = json.dumps(lodge_body(code)).encode()
    posts = [
        (API, lodge_json, enterprise(code)),
        (f"{API}/{cid}/accept", b"{}", clerk()),
        ("/api/v1/commitments/epidemic-ended", b'{"ended_on": "2024-09-20"}', supervisor()),
        (
            "/api/v1/service-statistics",
            b'{"period_start": "2024-08-01", "period_end": "2024-08-31", "online": 1}',
            supervisor(),
        ),
    ]
    for url, body, headers in posts:
        for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
            sent = {**headers, **({"Content-Type": content_type} if content_type else {})}
            r = client.post(url, content=body, headers=sent)
            problem = check_problem(r, 415, "Content-Type")
            assert "application/json" in problem["errors"][0]["rule"]
        r = client.post(
            url,
            content=body,
            headers={**headers, "Content-Type": "application/json; charset=latin-1"},
        )
        check_problem(r, 415, "Content-Type")
    assert stored() == events
    assert snapshot(client, cid) == before
    # JSON with its charset, or a +json type, is taken.
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        r = client.post(
            API, content=lodge_json, headers={**enterprise(code), "Content-Type": content_type}
        )
        assert r.status_code == 201, r.text


def test_duplicate_keys_are_400_naming_the_key(client, lodged, stored):
    code, cid = lodged["code"], lodged["id"]
    before, events = snapshot(client, cid), stored()
    body = json.dumps(lodge_body(code), ensure_ascii=False)
    top = body[:-1] + ', "title": "另一个标题"}'
    nested = body.replace('"name": ', '"name": "甲公司", "name": ', 1)
    # A colon inside a string, and an escaped quote before it, must not hide the duplicate.
    tricky = body[:-1] + r', "description": "时间: 9:00 \" x: y", "description": "z"}'
    for text, field in [(top, "title"), (nested, "complainant.name"), (tricky, "description")]:
        r = post_json(client, API, text.encode(), enterprise(code))
        check_body_problem(r, 400, field, "once")
    r = post_json(client, f"{API}/{cid}/reject", b'{"reason": "a", "reason": "b"}', clerk())
    check_body_problem(r, 400, "reason", "once")
    assert stored() == events
    assert snapshot(client, cid) == before
    # Colons, quotes and backslashes in strings, and no duplicate: taken.
    text = '时间: 9:00 " x: y \\ "z": 1'
    fine = json.dumps(lodge_body(code, description=text)).encode()
    r = post_json(client, API, fine, enterprise(code))
    assert r.status_code == 201, r.text
    assert r.json()["description"] == text
