"""Issue 11 §2, §3 and §5 over HTTP: a supervisor's reminder by hand (`POST .../remind`),
the case body's open reminders and escalation, the list filters `escalated` and
`urgent`, escalated steps first in the warnings, a rating taken by phone
(`POST .../record-rating`), and a case closed as not rated.

Each test has an empty database and no deadline watcher of its own: the watcher's
passes are made here, at chosen instants.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from oversight.complaint_watcher import remind_and_escalate_complaints
from oversight.runtime import create_app
from oversight.settings import Settings
from tests.conftest import JWT_SECRET
from tests.http.support import (
    API,
    CST,
    admin,
    check_problem,
    clerk,
    cst,
    department,
    enterprise,
    inspector,
    latest_position,
    list_cases,
    lodge,
    move,
    snapshot,
    supervisor,
)
from tests.support import Clock, credit_code

pytestmark = pytest.mark.http

DEPT = "hlj-fgw"
WARNINGS = "/api/v1/warnings"


def local(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=CST)


@pytest.fixture
def own(fresh_database_url: str, settings: Settings, clock: Clock) -> Iterator[TestClient]:
    quiet = Settings.from_env(
        {
            "OVERSIGHT_VAR_DIR": str(settings.var_dir),
            "OVERSIGHT_JWT_SECRET": JWT_SECRET,
            "OVERSIGHT_PROJECTION_POLL": "0.2",
            "OVERSIGHT_MIN_POSITION_WAIT": "5",
            "OVERSIGHT_LEDGER_HEADS_LOG": "off",
            "OVERSIGHT_WATCH_SECONDS": "0",
            "OVERSIGHT_DEPARTMENTS": "free",  # made-up department codes
        }
    )
    app = create_app(quiet, database_url=fresh_database_url, jwt_secret=JWT_SECRET, clock=clock)
    with TestClient(app) as client:
        yield client


def watch(client: TestClient, moment: datetime) -> int:
    """One pass of the complaints' watcher at `moment`, once the views are current."""
    services = client.app.state.services
    wanted = latest_position(client)

    async def run() -> int:
        import anyio

        from projections.runner import view_position

        async with services.pool.acquire() as conn:
            for _ in range(200):
                if await view_position(conn) >= wanted:
                    break
                await anyio.sleep(0.05)
        return await remind_and_escalate_complaints(services.app, services.pool, lambda: moment)

    return client.blocking_portal.call(run)


def read(client: TestClient, cid: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    r = client.get(f"{API}/{cid}", headers=headers or supervisor())
    assert r.status_code == 200, r.text
    return r.json()


def history(client: TestClient, cid: str, headers: dict[str, str] | None = None) -> list[Any]:
    r = client.get(f"{API}/{cid}/history", headers=headers or supervisor())
    assert r.status_code == 200, r.text
    return r.json()["events"]


def accepted(client: TestClient, clock: Clock, **lodged: Any) -> tuple[str, str]:
    """A case lodged Monday 23 September 10:00 Beijing and accepted at 11:00: its
    transfer is due Tuesday 17:30."""
    clock.set(local(9, 23))
    code = credit_code()
    cid = lodge(client, code, **lodged)["id"]
    clock.set(local(9, 23, 11))
    move(client, cid, "accept", clerk(), {}, status="accepted")
    return cid, code


def awaiting_rating(client: TestClient, clock: Clock) -> tuple[str, str]:
    """Approved Thursday 26th 10:00: the rating window ends 9 October 17:30."""
    cid, code = accepted(client, clock)
    clock.set(local(9, 23, 12))
    move(client, cid, "transfer", clerk(), {"department": DEPT}, status="transferred")
    clock.set(local(9, 25))
    move(client, cid, "reply", department(DEPT), {"answer": "已办结"}, status="replied")
    clock.set(local(9, 26))
    move(client, cid, "review", supervisor(), {"approved": True}, status="awaiting_rating")
    return cid, code


# --- §3: a reminder by hand ------------------------------------------------------------------


def test_a_supervisor_reminds_by_hand_and_the_case_shows_it(own, clock):
    client = own
    cid, code = accepted(client, clock)
    clock.set(local(9, 24, 9))
    r = client.post(f"{API}/{cid}/remind", json={"note": "请今天转办"}, headers=supervisor("sup-7"))
    assert r.status_code == 200, r.text
    body = r.json()
    # The body: the step waited on, its due, the open reminder and no escalation.
    assert (body["version"], body["current_step"]) == (3, "transfer")
    assert cst(body["due_at"]) == local(9, 24, 17, 30)
    assert cst(body["deadlines"]["transfer_due"]) == local(9, 24, 17, 30)
    (reminder,) = body["open_reminders"]
    assert reminder["by"] == {"id": "sup-7", "role": "supervisor", "org": None}
    assert (reminder["step"], reminder["note"]) == ("transfer", "请今天转办")
    assert cst(reminder["at"]) == local(9, 24, 9)
    assert cst(reminder["due"]) == local(9, 24, 17, 30)
    assert body["escalation"] == {"level": 0, "at": None}
    # The history: a Reminded event by the supervisor, with the note, not standing as the
    # deadline's reminder (made before it passed).
    last = history(client, cid)[-1]
    assert (last["type"], last["actor"]["id"], last["data"]["note"]) == (
        "Reminded",
        "sup-7",
        "请今天转办",
    )
    assert last["data"]["escalate_after"] is None
    # The enterprise sees neither the reminder nor the escalation (issue 11 §4).
    mine = read(client, cid, enterprise(code))
    assert (mine["open_reminders"], mine["escalation"]) == (None, None)
    assert "Reminded" not in [e["type"] for e in history(client, cid, enterprise(code))]
    # The list counts it for the bureau, not for the enterprise.
    position = r.json()["position"]
    (row,) = list_cases(client, supervisor(), position)
    assert (row["open_reminders"], row["escalated"], row["due_step"]) == (1, False, "transfer")
    (row,) = list_cases(client, enterprise(code), position)
    assert (row["open_reminders"], row["escalated"], row["escalation"]) == (None, None, None)


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "note"), ({"note": "   "}, "note"), ({"note": "x", "urgent": True}, "urgent")],
)
def test_a_reminder_by_hand_without_a_note_is_refused_and_nothing_stored(own, clock, body, field):
    cid, _ = accepted(own, clock)
    before = snapshot(own, cid)
    check_problem(own.post(f"{API}/{cid}/remind", json=body, headers=supervisor()), 422, field)
    assert snapshot(own, cid) == before


@pytest.mark.parametrize("role", ["clerk", "department", "enterprise", "inspector", "admin"])
def test_only_a_supervisor_reminds_by_hand(own, clock, role):
    cid, code = accepted(own, clock)
    headers = {
        "clerk": clerk(),
        "department": department(DEPT),
        "enterprise": enterprise(code),
        "inspector": inspector(),
        "admin": admin(),
    }[role]
    before = snapshot(own, cid)
    check_problem(own.post(f"{API}/{cid}/remind", json={"note": "催办"}, headers=headers), 403)
    assert snapshot(own, cid) == before


def test_no_reminder_on_a_final_case(own, clock):
    clock.set(local(9, 23))
    code = credit_code()
    cid = lodge(own, code)["id"]
    move(own, cid, "reject", clerk(), {"reason": "不属于受理范围"}, status="rejected")
    before = snapshot(own, cid)
    check_problem(own.post(f"{API}/{cid}/remind", json={"note": "催办"}, headers=supervisor()), 409)
    assert snapshot(own, cid) == before


def test_the_watchers_moves_stay_out_of_reach_of_every_token(own, clock):
    cid, code = awaiting_rating(own, clock)
    before = snapshot(own, cid)
    for name in ("escalate", "close-unrated"):
        for headers in (supervisor(), clerk(), enterprise(code), inspector()):
            check_problem(own.post(f"{API}/{cid}/{name}", json={}, headers=headers), 403)
    assert snapshot(own, cid) == before


# --- §2-§3: escalation in the body, the list filters, the warnings -----------------------


def test_list_filters_escalated_and_urgent(own, clock):
    client = own
    # A: lodged urgent (acceptance due Monday 17:30); B: an ordinary acceptance, left to
    # be reminded and escalated; C: accepted urgent by the clerk.
    clock.set(local(9, 23))
    code = credit_code()
    a = lodge(client, code, urgent=True)
    assert (a["urgent"], cst(a["deadlines"]["acceptance_due"])) == (True, local(9, 23, 17, 30))
    a = a["id"]
    b = lodge(client, code)["id"]
    c = lodge(client, code)["id"]
    move(client, c, "accept", clerk(), {"urgent": True}, status="accepted")
    # The watcher: A and B overdue on the 25th (reminded); C's transfer was due the 23rd.
    assert watch(client, local(9, 25, 9)) == 3
    # A and C move on; B is escalated when its grace ends (26, 27, 29, 30 Sep, 8 Oct).
    clock.set(local(9, 25, 10))
    move(client, a, "accept", clerk(), {}, status="accepted")
    move(client, c, "transfer", clerk(), {"department": DEPT}, status="transferred")
    clock.set(local(10, 8, 17, 30))
    assert watch(client, local(10, 8, 17, 30)) >= 1
    body = read(client, b)
    assert body["escalation"]["level"] == 1
    assert cst(body["escalation"]["at"]) == local(10, 8, 17, 30)
    assert [r["by"]["role"] for r in body["open_reminders"]] == ["system"]
    # A's acceptance urgency carried into the acceptance: its transfer is due the same day.
    assert read(client, a)["urgent"] is True
    position = latest_position(client)

    def ids(**params: str) -> set[str]:
        return {i["id"] for i in list_cases(client, supervisor(), position, **params)}

    assert ids(escalated="true") == {b}
    assert ids(escalated="false") == {a, c}
    assert ids(urgent="true") == {a, c}
    assert ids(urgent="false") == {b}
    assert ids(escalated="false", urgent="true") == {a, c}
    assert ids(escalated="true", urgent="true") == set()
    (row,) = [i for i in list_cases(client, supervisor(), position) if i["id"] == b]
    assert (row["escalated"], row["escalation"]["level"], row["due_step"]) == (
        True,
        1,
        "acceptance",
    )
    # An enterprise may filter by urgency, never by escalation (internal): 403.
    mine = {i["id"] for i in list_cases(client, enterprise(code), position, urgent="false")}
    assert mine == {b}
    check_problem(
        client.get(API, params={"escalated": "true"}, headers=enterprise(code)), 403, "escalated"
    )
    r = client.get(API, params={"escalated": "maybe"}, headers=supervisor())
    assert r.status_code in (400, 422), r.text
    assert "escalated" in r.text


def test_warnings_put_escalated_steps_first_and_page_in_that_order(own, clock):
    client = own
    # Late: lodged Tuesday 24th (acceptance due the 25th), reminded on the 26th and
    # escalated when the grace ends (27, 29, 30 Sep, 8, 9 Oct: 9 October 17:30).
    clock.set(local(9, 24))
    code = credit_code()
    late = lodge(client, code)["id"]
    assert watch(client, local(9, 26, 9)) == 1
    assert watch(client, local(10, 9, 17, 30)) == 1
    # Early: lodged Monday 23rd (due the 24th, before late's), never reminded.
    clock.set(local(9, 23))
    early = lodge(client, code)["id"]
    clock.set(local(10, 10))
    position = latest_position(client)
    headers = {**supervisor(), "X-Min-Position": str(position)}
    r = client.get(WARNINGS, params={"case_type": "complaint"}, headers=headers)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["case_id"] for i in items] == [late, early]
    first, second = items
    assert (first["step"], first["escalated"], first["escalation"]["level"]) == (
        "acceptance",
        True,
        1,
    )
    assert cst(first["escalation"]["at"]) == local(10, 9, 17, 30)
    assert (second["step"], second["escalated"], second["escalation"]) == (
        "acceptance",
        False,
        {"level": 0, "at": None},
    )
    assert cst(second["due_at"]) < cst(first["due_at"])  # escalated first, not oldest first
    assert second["responsible"] == {"kind": "bureau", "id": "intake"}
    # Pages of one: the same order, through the cursor.
    r = client.get(WARNINGS, params={"case_type": "complaint", "limit": 1}, headers=headers)
    page = r.json()
    assert [i["case_id"] for i in page["items"]] == [late]
    r = client.get(
        WARNINGS,
        params={"case_type": "complaint", "limit": 1, "cursor": page["next_cursor"]},
        headers=headers,
    )
    assert [i["case_id"] for i in r.json()["items"]] == [early]
    assert r.json()["next_cursor"] is None
    # A cursor of another shape (the (due, id) of before issue 11) is refused.
    from projections import cursors

    stale = cursors.encode_time_id(local(9, 25, 17, 30), early)
    check_problem(client.get(WARNINGS, params={"cursor": stale}, headers=headers), 422, "cursor")


# --- §2: the rating window's end ------------------------------------------------------------


def test_a_case_not_rated_in_its_window_is_closed_as_not_rated(own, clock):
    client = own
    cid, code = awaiting_rating(client, clock)
    body = read(client, cid)
    assert (body["current_step"], cst(body["deadlines"]["rating_due"])) == (
        "rating",
        local(10, 9, 17, 30),
    )
    assert watch(client, local(10, 9, 17, 30)) == 0
    assert watch(client, local(10, 10, 9)) == 1
    body = read(client, cid)
    assert (body["status"], body["rating"], body["current_step"], body["due_at"]) == (
        "closed",
        "not_rated",
        None,
        None,
    )
    last = history(client, cid)[-1]
    assert (last["type"], last["actor"]["role"], last["data"]["rating"]) == (
        "ClosedUnrated",
        "system",
        "not_rated",
    )
    # The enterprise sees it closed, not rated.
    mine = read(client, cid, enterprise(code))
    assert (mine["status"], mine["rating"]) == ("closed", "not_rated")
    (row,) = list_cases(client, supervisor(), latest_position(client))
    assert (row["status"], row["rating"]) == ("closed", "not_rated")
    # And it cannot be rated any more.
    clock.set(local(10, 10, 10))
    check_problem(
        client.post(f"{API}/{cid}/rate", json={"rating": "satisfied"}, headers=enterprise(code)),
        409,
    )


# --- §5: a rating taken by phone -------------------------------------------------------------


def phone(rating: str = "satisfied", **overrides: Any) -> dict[str, Any]:
    body = {
        "rating": rating,
        "call_reference": "12345-20240927-0008",
        "called_at": "2024-09-27T09:40:00+08:00",
        "comment": "电话回访：满意",
    }
    body.update(overrides)
    return body


def test_a_clerk_records_the_rating_an_enterprise_gave_by_phone(own, clock):
    client = own
    cid, code = awaiting_rating(client, clock)
    clock.set(local(9, 27))
    r = client.post(f"{API}/{cid}/record-rating", json=phone(), headers=clerk("clerk-9"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["rating"]) == ("closed", "satisfied")
    recorded = body["rating_recorded"]
    assert (recorded["channel"], recorded["call_reference"]) == ("hotline", "12345-20240927-0008")
    assert cst(recorded["called_at"]) == local(9, 27, 9, 40)
    assert recorded["recorded_by"] == {"id": "clerk-9", "role": "clerk", "org": None}
    last = history(client, cid)[-1]
    assert (last["type"], last["actor"]["id"], last["actor"]["role"]) == (
        "Rated",
        "clerk-9",
        "clerk",
    )
    assert (last["data"]["recorded_for"], last["data"]["channel"]) == (code, "hotline")
    # The enterprise sees its rating, recorded by a clerk (not which one).
    mine = read(client, cid, enterprise(code))
    assert mine["rating"] == "satisfied"
    assert mine["rating_recorded"]["recorded_by"] == {"id": None, "role": "clerk", "org": None}
    # And can no longer rate it itself.
    before = snapshot(client, cid)
    check_problem(
        client.post(f"{API}/{cid}/rate", json={"rating": "unsatisfied"}, headers=enterprise(code)),
        409,
    )
    assert snapshot(client, cid) == before


def test_the_enterprise_rates_itself_when_nothing_was_recorded_and_then_no_clerk_may(own, clock):
    client = own
    cid, code = awaiting_rating(client, clock)
    clock.set(local(9, 27))
    move(client, cid, "rate", enterprise(code), {"rating": "very_satisfied"}, status="closed")
    assert read(client, cid)["rating_recorded"] is None
    before = snapshot(client, cid)
    check_problem(client.post(f"{API}/{cid}/record-rating", json=phone(), headers=clerk()), 409)
    assert snapshot(client, cid) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (phone(call_reference=None), "call_reference"),
        ({k: v for k, v in phone().items() if k != "call_reference"}, "call_reference"),
        (phone(called_at="2024-09-27T09:40:00"), "called_at"),  # no offset
        (phone(called_at="2024-09-27T10:30:00+08:00"), "called_at"),  # after the recording
        (phone(called_at="2024-09-26T09:00:00+08:00"), "called_at"),  # before the window
        (phone(rating="not_rated"), "rating"),  # not a level of the scale
        (phone(channel="web"), "channel"),  # the channel is the hotline's, not given
    ],
)
def test_a_phone_rating_that_breaks_a_rule_is_refused_and_nothing_stored(own, clock, body, field):
    cid, _ = awaiting_rating(own, clock)
    clock.set(local(9, 27))
    before = snapshot(own, cid)
    check_problem(own.post(f"{API}/{cid}/record-rating", json=body, headers=clerk()), 422, field)
    assert snapshot(own, cid) == before


@pytest.mark.parametrize("role", ["supervisor", "department", "enterprise", "inspector"])
def test_only_a_clerk_records_a_phone_rating(own, clock, role):
    cid, code = awaiting_rating(own, clock)
    clock.set(local(9, 27))
    headers = {
        "supervisor": supervisor(),
        "department": department(DEPT),
        "enterprise": enterprise(code),
        "inspector": inspector(),
    }[role]
    before = snapshot(own, cid)
    check_problem(own.post(f"{API}/{cid}/record-rating", json=phone(), headers=headers), 403)
    assert snapshot(own, cid) == before


def test_openapi_names_the_new_moves_and_filters(own):
    paths = own.get("/schema/openapi.json").json()["paths"]
    for name in ("remind", "record-rating"):
        assert "post" in paths[f"{API}/{{case_id}}/{name}"], name
    names = {p["name"] for p in paths[API]["get"]["parameters"] if "name" in p}
    assert {"escalated", "urgent", "overdue"} <= names


# --- §3: reminders by hand on the other case types with reminders -------------------------


def test_a_supervisor_reminds_a_credit_repair_and_a_project_problem_by_hand(own, clock):
    from tests.http import test_credit_repairs as repairs
    from tests.http import test_projects as projects

    client = own
    clock.set(local(9, 23))
    rid = repairs.apply(client)["id"]
    served = projects.served_project(client, clock)
    bid = projects.raise_problem(client, served["id"], projects.officer(served["officer"]))["id"]
    for url in (f"{repairs.API}/{rid}", f"{projects.PROBLEMS}/{bid}"):
        before = client.get(url, headers=supervisor()).json()
        # Without a note: 422 naming it; another role: 403; nothing stored.
        check_problem(client.post(f"{url}/remind", json={}, headers=supervisor()), 422, "note")
        check_problem(client.post(f"{url}/remind", json={"note": "x"}, headers=clerk()), 403)
        assert client.get(url, headers=supervisor()).json() == before
        # With a note: a Reminded event by the supervisor, counted in the case.
        r = client.post(f"{url}/remind", json={"note": "请加快办理"}, headers=supervisor("sup-3"))
        assert r.status_code == 200, r.text
        assert r.json()["version"] == before["version"] + 1
        last = client.get(f"{url}/history", headers=supervisor()).json()["events"][-1]
        assert (last["type"], last["actor"]["id"], last["data"]["note"]) == (
            "Reminded",
            "sup-3",
            "请加快办理",
        )
        assert last["data"]["escalate_after"] is None  # made before the due


def test_a_phone_rating_on_a_confidential_case_does_not_name_the_complainant_to_the_department(
    own, clock
):
    client = own
    clock.set(local(9, 23))
    code = credit_code()
    cid = lodge(client, code, confidential=True)["id"]
    clock.set(local(9, 23, 11))
    move(client, cid, "accept", clerk(), {}, status="accepted")
    move(client, cid, "transfer", clerk(), {"department": DEPT}, status="transferred")
    clock.set(local(9, 25))
    move(client, cid, "reply", department(DEPT), {"answer": "已办结"}, status="replied")
    clock.set(local(9, 26))
    move(client, cid, "review", supervisor(), {"approved": True}, status="awaiting_rating")
    clock.set(local(9, 27))
    move(client, cid, "record-rating", clerk(), phone(), status="closed")
    # The department sees the rating and the call, not whose it was.
    for url in (f"{API}/{cid}/history", f"{API}/{cid}/timeline", f"{API}/{cid}"):
        r = client.get(url, headers=department(DEPT))
        assert r.status_code == 200, r.text
        assert code not in r.text, url
    last = history(client, cid, department(DEPT))[-1]
    assert (last["type"], last["data"]["recorded_for"], last["data"]["rating"]) == (
        "Rated",
        None,
        "satisfied",
    )
    # A supervisor sees it.
    assert history(client, cid)[-1]["data"]["recorded_for"] == code
