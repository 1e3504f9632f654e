"""Statistics per reporting period and scope (issue 11 §7): one record per kind, scope
and period (a second POST is 409 pointing to the correction move, even when sent at the
same moment), the list, the dashboard's `periods` when the range cuts through a
reporting period, and the resumption rates.

Each test records in a scope of its own, so the shared database's other statistics
never meet its figures.
"""

from __future__ import annotations

import threading
import uuid
from datetime import date
from typing import Any

import psycopg

from domain.service_statistics import StatisticsKind, statistics_id
from tests.conftest import bearer
from tests.http.support import check_problem

API = "/api/v1/service-statistics"
SUPERVISOR = bearer("supervisor", "sup-1")
ADMIN = bearer("admin", "admin-1")


def new_scope() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def service(scope: str, start: str, end: str, online: int, offline: int, **extra: Any) -> dict:
    return {
        "scope": scope,
        "period_start": start,
        "period_end": end,
        "online": online,
        "offline": offline,
        **extra,
    }


def resumption(kind: str, scope: str, start: str, end: str, resumed: int, required: int) -> dict:
    return {
        "kind": kind,
        "scope": scope,
        "period_start": start,
        "period_end": end,
        "resumed": resumed,
        "required": required,
    }


def record(client, body: dict, status: int = 201) -> dict:
    r = client.post(API, json=body, headers=SUPERVISOR)
    assert r.status_code == status, r.text
    return r.json()


def stored_records(database_url: str, scope: str) -> int:
    """Stored events of statistics of this scope (the scope is in every Recorded)."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM oversight_events WHERE position(%s::bytea IN state) > 0",
            (f'"scope":"{scope}"'.encode(),),
        ).fetchone()
    assert row is not None
    return row[0]


def dashboard(client, scope: str, first: str, last: str, position: int) -> dict:
    r = client.get(
        f"/api/v1/dashboard?from={first}&to={last}&scope={scope}",
        headers={**SUPERVISOR, "X-Min-Position": str(position)},
    )
    assert r.status_code == 200, r.text
    return r.json()


# --- one record per period --------------------------------------------------------------


def test_a_second_record_of_a_period_is_409_naming_the_correction(client, database_url):
    scope = new_scope()
    first = record(client, service(scope, "2020-02-01", "2020-06-30", 2_571_536, 1_571_174))
    period = (date(2020, 2, 1), date(2020, 6, 30))
    assert first["id"] == str(statistics_id(StatisticsKind.SERVICE_ITEMS, scope, *period))
    assert (first["kind"], first["scope"], first["total"], first["rate"]) == (
        "service_items",
        scope,
        4_142_710,
        None,
    )

    # Given the period recorded, when it is recorded again (other figures, other user):
    r = client.post(
        API, json=service(scope, "2020-02-01", "2020-06-30", 1, 2, note="重复报送"), headers=ADMIN
    )
    # then 409, pointing to the record and its correction move; nothing stored.
    problem = check_problem(r, 409)
    assert problem["type"].endswith("/already-recorded")
    existing = f"{API}/{first['id']}"
    assert problem["existing"] == existing
    assert problem["correct"] == f"{existing}/correct"
    assert problem["version"] == 1
    assert problem["figures"] == ["online", "offline"]
    assert "correct" in problem["detail"] and first["id"] in problem["detail"]
    assert f'<{existing}/correct>; rel="edit"' in r.headers["link"]
    assert f'<{existing}>; rel="duplicate"' in r.headers["link"]
    assert stored_records(database_url, scope) == 1
    assert client.get(existing, headers=SUPERVISOR).json()["offline"] == 1_571_174

    # Following the hint corrects the one record; the dashboard counts it once.
    corrected = client.post(
        problem["correct"],
        json={"online": 2_571_536, "offline": 1_571_175, "reason": "补录一件"},
        headers={**SUPERVISOR, "If-Match": f'"{problem["version"]}"'},
    )
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["version"], corrected.json()["corrections"]) == (2, 1)
    items = dashboard(client, scope, "2020-01-01", "2020-12-31", corrected.json()["position"])[
        "service_items"
    ]
    assert (items["periods"], items["items"]) == (["2020-02-01/2020-06-30"], 4_142_711)

    # The same period in another scope, or of another kind, is a record of its own.
    other_scope = record(client, service(new_scope(), "2020-02-01", "2020-06-30", 5, 5))
    rate = record(
        client,
        resumption("industrial_resumption", scope, "2020-02-01", "2020-06-30", 3_451, 3_500),
    )
    assert len({first["id"], other_scope["id"], rate["id"]}) == 3
    assert rate["rate"] == 98.6


def test_records_of_one_period_sent_at_once_store_one(client, database_url):
    scope = new_scope()
    body = service(scope, "2020-03-01", "2020-03-31", 10, 20)
    answers: list[Any] = []
    start = threading.Barrier(6)

    def post() -> None:
        start.wait()
        answers.append(client.post(API, json=body, headers=SUPERVISOR))

    threads = [threading.Thread(target=post) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r.status_code for r in answers) == [201, 409, 409, 409, 409, 409]
    created = next(r.json() for r in answers if r.status_code == 201)
    for r in answers:
        if r.status_code == 409:
            assert check_problem(r, 409)["correct"] == f"{API}/{created['id']}/correct"
    assert stored_records(database_url, scope) == 1


# --- the list ---------------------------------------------------------------------------


def test_the_list_pages_through_every_record_latest_period_first(client):
    scope = new_scope()
    months = [("2020-01-01", "2020-01-31"), ("2020-02-01", "2020-02-29"),
              ("2020-03-01", "2020-03-31"), ("2020-04-01", "2020-04-30")]  # fmt: skip
    ids = [record(client, service(scope, a, b, i, i))["id"] for i, (a, b) in enumerate(months)]
    rate = record(
        client, resumption("foreign_trade_resumption", scope, "2020-01-01", "2020-03-31", 9, 10)
    )
    position = rate["position"]
    seen: list[dict] = []
    cursor = None
    while True:
        query = {"scope": scope, "limit": 2, **({"cursor": cursor} if cursor else {})}
        r = client.get(
            API, params=query, headers={**bearer("inspector"), "X-Min-Position": str(position)}
        )
        assert r.status_code == 200, r.text
        assert len(r.json()["items"]) <= 2
        seen += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert [item["id"] for item in seen] == [*reversed(ids[1:]), rate["id"], ids[0]]
    by_id = {item["id"]: item for item in seen}
    assert by_id[rate["id"]]["rate"] == 90.0 and by_id[rate["id"]]["online"] is None
    assert by_id[ids[3]]["total"] == 6 and by_id[ids[3]]["resumed"] is None
    kinds = client.get(
        API, params={"scope": scope, "kind": "foreign_trade_resumption"}, headers=SUPERVISOR
    ).json()["items"]
    assert [item["id"] for item in kinds] == [rate["id"]]

    check_problem(client.get(API, params={"cursor": "nonsense"}, headers=SUPERVISOR), 422, "cursor")
    check_problem(client.get(API, params={"kind": "x"}, headers=SUPERVISOR), 422, "kind")
    for role, org in (("enterprise", "91350100M000100Y43"), ("department", "hlj-fgw")):
        check_problem(client.get(API, headers=bearer(role, "u", org)), 403)


# --- the dashboard's periods ----------------------------------------------------------


def test_a_dashboard_range_that_cuts_through_a_period_says_which_it_counted(client):
    scope = new_scope()
    record(client, service(scope, "2020-01-01", "2020-03-31", 100, 50))  # Q1
    record(client, service(scope, "2020-02-01", "2020-02-29", 7, 3))  # inside Q1
    record(client, service(scope, "2020-04-01", "2020-04-30", 10, 5))
    position = record(client, service(scope, "2020-05-01", "2020-05-31", 20, 10))["position"]

    # A range from mid-February: Q1 and February cut through it, and are named.
    items = dashboard(client, scope, "2020-02-15", "2020-05-31", position)["service_items"]
    assert items["scope"] == scope
    assert items["periods"] == ["2020-04-01/2020-04-30", "2020-05-01/2020-05-31"]
    assert items["partly_outside"] == ["2020-01-01/2020-03-31", "2020-02-01/2020-02-29"]
    assert items["overlapping"] == []
    assert (items["online"], items["offline"], items["items"]) == (30, 15, 45)

    # The whole range: February lies inside the counted Q1 and is never added to it.
    items = dashboard(client, scope, "2020-01-01", "2020-05-31", position)["service_items"]
    assert items["periods"] == [
        "2020-01-01/2020-03-31",
        "2020-04-01/2020-04-30",
        "2020-05-01/2020-05-31",
    ]
    assert items["overlapping"] == ["2020-02-01/2020-02-29"]
    assert items["partly_outside"] == []
    assert items["items"] == 195

    # Inside one reporting period: nothing counted, and it says why.
    items = dashboard(client, scope, "2020-01-01", "2020-01-31", position)["service_items"]
    assert (items["periods"], items["partly_outside"], items["items"]) == (
        [],
        ["2020-01-01/2020-03-31"],
        0,
    )
    assert items["online_share"] is None

    # Another scope's dashboard sees none of them.
    other = dashboard(client, new_scope(), "2020-01-01", "2020-05-31", position)
    assert other["service_items"]["periods"] == [] and other["service_items"]["items"] == 0
    bad = client.get("/api/v1/dashboard?scope=a%20b", headers=SUPERVISOR)
    check_problem(bad, 422, "scope")


# --- resumption rates -------------------------------------------------------------------


def test_resumption_rates_one_per_period_latest_shown(client, database_url):
    scope = new_scope()
    industrial, trade = "industrial_resumption", "foreign_trade_resumption"
    q1 = record(client, resumption(industrial, scope, "2020-01-01", "2020-03-31", 900, 1000))
    record(client, resumption(industrial, scope, "2020-04-01", "2020-04-30", 986, 1000))
    trade_q1 = record(client, resumption(trade, scope, "2020-01-01", "2020-03-31", 995, 1000))

    figures = dashboard(client, scope, "2020-01-01", "2020-04-30", trade_q1["position"])
    rates = figures["resumption"]
    assert rates["scope"] == scope
    assert rates["industrial"] == {
        "period": "2020-04-01/2020-04-30",
        "resumed": 986,
        "required": 1000,
        "rate": 98.6,
        "partly_outside": [],
    }
    assert (rates["foreign_trade"]["period"], rates["foreign_trade"]["rate"]) == (
        "2020-01-01/2020-03-31",
        99.5,
    )
    assert figures["service_items"]["items"] == 0  # rates are not service items
    q1_only = dashboard(client, scope, "2020-01-01", "2020-03-31", trade_q1["position"])
    assert q1_only["resumption"]["industrial"]["rate"] == 90.0
    march = dashboard(client, scope, "2020-03-01", "2020-03-31", trade_q1["position"])
    assert march["resumption"]["industrial"] == {
        "period": None,
        "resumed": None,
        "required": None,
        "rate": None,
        "partly_outside": ["2020-01-01/2020-03-31"],
    }

    # The same rules: one record per period (409 naming it), corrections with a reason.
    again = client.post(
        API,
        json=resumption(industrial, scope, "2020-01-01", "2020-03-31", 950, 1000),
        headers=SUPERVISOR,
    )
    assert check_problem(again, 409)["correct"] == f"{API}/{q1['id']}/correct"
    assert check_problem(again, 409)["figures"] == ["resumed", "required"]
    fixed = client.post(
        f"{API}/{q1['id']}/correct",
        json={"resumed": 950, "required": 1000, "reason": "漏报一个地市"},
        headers=SUPERVISOR,
    )
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["rate"], fixed.json()["version"]) == (95.0, 2)
    q1_only = dashboard(client, scope, "2020-01-01", "2020-03-31", fixed.json()["position"])
    assert q1_only["resumption"]["industrial"]["rate"] == 95.0
    assert stored_records(database_url, scope) == 3


def test_figures_that_do_not_fit_the_kind_are_422_and_nothing_is_stored(client, database_url):
    scope = new_scope()
    industrial = "industrial_resumption"
    cases = [
        ({**resumption(industrial, scope, "2020-01-01", "2020-01-31", 11, 10)}, "resumed"),
        ({**resumption(industrial, scope, "2020-01-01", "2020-01-31", 1, 10), "online": 1},
         "online"),
        ({"kind": industrial, "scope": scope, "period_start": "2020-01-01",
          "period_end": "2020-01-31", "resumed": 1}, "required"),
        (service(scope, "2020-01-01", "2020-01-31", 1, 1, resumed=1), "resumed"),
        ({**service(scope, "2020-01-01", "2020-01-31", 1, 1), "offline": None}, "offline"),
        (service("省 全省", "2020-01-01", "2020-01-31", 1, 1), "scope"),
        (service(scope, "2020-01-01", "2020-01-31", 1, 1, kind="exports"), "kind"),
    ]  # fmt: skip
    for body, field in cases:
        check_problem(client.post(API, json=body, headers=SUPERVISOR), 422, field)
    assert stored_records(database_url, scope) == 0

    stats = record(client, service(scope, "2020-01-01", "2020-01-31", 1, 1))
    url = f"{API}/{stats['id']}/correct"
    for body, field in (
        ({"resumed": 1, "required": 2, "reason": "r"}, "online"),
        ({"online": 1, "reason": "r"}, "offline"),
        ({"online": 1, "offline": 2}, "reason"),
    ):
        check_problem(client.post(url, json=body, headers=SUPERVISOR), 422, field)
    after = client.get(f"{API}/{stats['id']}", headers=SUPERVISOR).json()
    assert (after["version"], after["online"], after["corrections"]) == (1, 1, 0)
