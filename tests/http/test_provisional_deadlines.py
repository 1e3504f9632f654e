"""Issue 11 §1: deadlines in a year the official schedule does not cover yet.

chinese_calendar 1.11 knows 2026 but not 2027, so 2027 is on the provisional calendar
(New Year's Day, Friday 2027-01-01, is a holiday by rule). December 2026 has no holiday:
from Thursday 2026-12-10, the 15 working days left in December are 11, 14-18, 21-25 and
28-31, so the 20th working day is Friday 2027-01-08 on the provisional calendar.

The 2027 file loaded here is made-up TEST DATA (1 and 4 January off), in the format of
docs/calendar.md: on it the 20th working day is Monday 2027-01-11.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
from litestar.testing import TestClient

from domain.calendar import install_year_file
from oversight.calendar_recompute import recompute_open_deadlines
from oversight.runtime import create_app
from oversight.settings import Settings
from tests.conftest import JWT_SECRET, bearer
from tests.http.support import (
    API,
    CST,
    clerk,
    cst,
    enterprise,
    list_cases,
    lodge,
    move,
    new_id,
    supervisor,
)
from tests.support import Clock, credit_code

pytestmark = pytest.mark.http


def local(year: int, month: int, day: int, hour: int = 17, minute: int = 30) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CST)


PROVISIONAL_DUE = local(2027, 1, 8)
LOADED_DUE = local(2027, 1, 11)


@pytest.fixture
def calendar_dir(tmp_path: Path) -> Path:
    return tmp_path / "calendar"


@pytest.fixture
def own_client(
    fresh_database_url: str, settings: Settings, calendar_dir: Path, clock: Clock
) -> Iterator[TestClient]:
    """A client on an empty database with its own calendar directory (a loaded year file
    must not reach other tests) and no deadline watchers (no reminder moves the cases)."""
    mine = Settings.from_env(
        {
            "OVERSIGHT_VAR_DIR": str(settings.var_dir),
            "OVERSIGHT_JWT_SECRET": JWT_SECRET,
            "OVERSIGHT_PROJECTION_POLL": "0.2",
            "OVERSIGHT_MIN_POSITION_WAIT": "5",
            "OVERSIGHT_LEDGER_HEADS_LOG": "off",
            "OVERSIGHT_CALENDAR_DIR": str(calendar_dir),
            "OVERSIGHT_WATCH_SECONDS": "0",
            "OVERSIGHT_DEPARTMENTS": "free",  # made-up department codes
        }
    )
    app = create_app(mine, database_url=fresh_database_url, jwt_secret=JWT_SECRET, clock=clock)
    with TestClient(app) as test_client:
        yield test_client


def transferred(
    client: TestClient, clock: Clock, when: datetime, working_days: int, dept: str
) -> tuple[str, str, dict[str, Any]]:
    """A complaint lodged, accepted and transferred at `when` (Beijing time)."""
    clock.set(when)
    code = credit_code()
    cid = lodge(client, code)["id"]
    move(client, cid, "accept", clerk(), status="accepted")
    body = move(
        client,
        cid,
        "transfer",
        clerk(),
        {"department": dept, "working_days": working_days},
        status="transferred",
    )
    return cid, code, body


def history(client: TestClient, cid: str) -> list[dict[str, Any]]:
    r = client.get(f"{API}/{cid}/history", headers=supervisor())
    assert r.status_code == 200, r.text
    return r.json()["events"]


def read(client: TestClient, cid: str) -> dict[str, Any]:
    r = client.get(f"{API}/{cid}", headers=supervisor())
    assert r.status_code == 200, r.text
    return r.json()


def recompute(client: TestClient, now: datetime) -> int:
    """What `oversight calendar load` runs after installing the file (on the app's loop,
    where its pool lives)."""
    services = client.app.state.services

    async def run() -> int:
        return await recompute_open_deadlines(services.app, services.pool, now, year=2027)

    return client.blocking_portal.call(run)


def department_of(dept: str) -> dict[str, str]:
    return bearer("department", "dep-1", dept)


def on_time(client: TestClient, cid: str, position: int) -> bool | None:
    """Whether views.case_facts counts the case's reply on time, once it saw `position`."""
    services = client.app.state.services

    async def fetch() -> bool | None:
        async with services.pool.acquire() as conn:
            for _ in range(100):
                seen = await conn.fetchval(
                    "SELECT position FROM views.tracking WHERE projection = 'case_facts'"
                )
                if seen >= position:
                    break
                await anyio.sleep(0.1)
            return await conn.fetchval(
                "SELECT on_time FROM views.case_facts WHERE case_id = $1 AND type = 'Replied'",
                uuid.UUID(cid),
            )

    return client.blocking_portal.call(fetch)


def write_2027(path: Path) -> Path:
    path.write_text(
        json.dumps(
            {
                "year": 2027,
                "holidays": ["2027-01-01", "2027-01-04"],
                "workdays": [],
                "source": "TEST DATA - made up for this test, not an official schedule",
            }
        ),
        encoding="utf-8",
    )
    return path


def test_a_december_transfer_is_provisional_until_the_2027_file_recomputes_it(
    own_client: TestClient, clock: Clock, calendar_dir: Path, tmp_path: Path
) -> None:
    client = own_client
    dept = new_id("dept")

    # Given a complaint transferred on Thursday 2026-12-10 with 20 working days,
    a, _, body = transferred(client, clock, local(2026, 12, 10, 10), 20, dept)
    # Then its due skips New Year's Day 2027 and says it is provisional: body, event ...
    assert cst(body["deadlines"]["handling_due"]) == PROVISIONAL_DUE
    assert body["deadlines"]["handling_due_provisional"] is True
    assert body["due_provisional"] is True
    transfer_event = history(client, a)[-1]
    assert transfer_event["type"] == "Transferred"
    assert transfer_event["data"]["due_provisional"] is True
    assert cst(transfer_event["data"]["due"]) == PROVISIONAL_DUE
    # ... and the list.
    (row,) = [r for r in list_cases(client, supervisor(), body["position"]) if r["id"] == a]
    assert (cst(row["due_at"]), row["due_provisional"]) == (PROVISIONAL_DUE, True)

    # A case closed since (withdrawn) and one whose deadline passed before the load.
    b, b_code, _ = transferred(client, clock, local(2026, 12, 10, 11), 20, dept)
    clock.set(local(2026, 12, 11, 10))
    move(client, b, "withdraw", enterprise(b_code), {"reason": "已解决"}, status="withdrawn")
    # 1 working day from Thursday 2026-12-31: 1 January is off, so Monday 4 January.
    c, _, c_body = transferred(client, clock, local(2026, 12, 31, 10), 1, dept)
    assert cst(c_body["deadlines"]["handling_due"]) == local(2027, 1, 4)
    assert c_body["due_provisional"] is True

    # The warnings on Thursday 2027-01-07 carry the flag too.
    clock.set(local(2027, 1, 7, 10))
    r = client.get(
        "/api/v1/warnings",
        params={"responsible": dept},
        headers={**supervisor(), "X-Min-Position": str(c_body["position"])},
    )
    assert r.status_code == 200, r.text
    warned = {w["case_id"]: w for w in r.json()["items"]}
    assert set(warned) == {a, c}
    assert (warned[a]["level"], warned[a]["due_provisional"]) == ("due_soon", True)
    assert (warned[c]["level"], warned[c]["due_provisional"]) == ("overdue", True)

    versions = {cid: read(client, cid)["version"] for cid in (a, b, c)}

    # When the 2027 file is loaded (what `oversight calendar load` does) on 2027-01-06 ...
    install_year_file(write_2027(tmp_path / "2027-official.json"), calendar_dir)
    loaded_at = local(2027, 1, 6, 10)
    changed = recompute(client, loaded_at)

    # Then the running process uses it without a restart, and the open case's due moves
    # by one DeadlineRecomputed event of the system actor, naming old, new and source.
    assert changed == 1
    case_a = read(client, a)
    assert case_a["version"] == versions[a] + 1
    assert cst(case_a["deadlines"]["handling_due"]) == LOADED_DUE
    assert case_a["due_provisional"] is False
    event = history(client, a)[-1]
    assert event["type"] == "DeadlineRecomputed"
    assert event["actor"]["role"] == "system"
    assert cst(event["at"]) == loaded_at
    assert event["data"]["step"] == "handling"
    assert cst(event["data"]["old_due"]) == PROVISIONAL_DUE
    assert cst(event["data"]["new_due"]) == LOADED_DUE
    assert event["data"]["due_provisional"] is False
    source = event["data"]["calendar_source"]
    assert source.startswith("file:") and source.endswith("2027.json")
    # The closed case and the deadline already passed are not rewritten.
    for cid in (b, c):
        assert read(client, cid)["version"] == versions[cid]
    assert cst(read(client, c)["deadlines"]["handling_due"]) == local(2027, 1, 4)
    # The view picks up the new due.
    latest = client.app.state.services.app.recorder.max_notification_id()
    (row,) = [r for r in list_cases(client, supervisor(), latest) if r["id"] == a]
    assert (cst(row["due_at"]), row["due_provisional"]) == (LOADED_DUE, False)
    # Loading again changes nothing more.
    again = recompute(client, loaded_at)
    assert again == 0
    assert read(client, a)["version"] == versions[a] + 1
    # A reply after the old due but by the new one is on time (the dashboard's facts).
    clock.set(local(2027, 1, 11, 10))
    reply = move(client, a, "reply", department_of(dept), {"answer": "已办结"}, status="replied")
    assert on_time(client, a, reply["position"]) is True
    # New deadlines in 2027 now come from the file: not provisional.
    _, _, d_body = transferred(client, clock, local(2027, 1, 6, 11), 2, dept)
    assert d_body["due_provisional"] is False


def test_from_1_november_the_dashboard_and_readyz_say_next_year_is_missing(
    own_client: TestClient, clock: Clock, calendar_dir: Path, tmp_path: Path
) -> None:
    client = own_client
    period = {"from": "2026-10-01", "to": "2026-10-31"}
    clock.set(local(2026, 10, 31, 10))
    r = client.get("/api/v1/dashboard", params=period, headers=supervisor())
    assert r.status_code == 200, r.text
    assert r.json()["calendar"] == {"notice": None, "provisional_years": []}

    clock.set(local(2026, 12, 6, 10))  # today
    r = client.get("/api/v1/dashboard", params=period, headers=supervisor())
    assert r.json()["calendar"]["provisional_years"] == [2027]
    assert "2027" in r.json()["calendar"]["notice"]
    ready = client.get("/readyz", headers=bearer("supervisor", "sup-1"))
    assert "2027" in ready.json()["calendar"]

    install_year_file(write_2027(tmp_path / "2027-official.json"), calendar_dir)
    r = client.get("/api/v1/dashboard", params=period, headers=supervisor())
    assert r.json()["calendar"] == {"notice": None, "provisional_years": []}
    assert client.get("/readyz", headers=bearer("supervisor", "sup-1")).json()["calendar"] is None
