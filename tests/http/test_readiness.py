"""/readyz tells the truth (issue 10, defect 3): 503 problem+json with the reasons when
a background task is not running or a view has been behind without progress (the
database being down: tests/integration/test_faults.py); positions, lag and the tasks'
state only for supervisors, inspectors and admins. /healthz stays a cheap liveness check.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from oversight.runtime import PROJECTIONS, create_app
from oversight.settings import Settings
from tests.conftest import JWT_SECRET, bearer
from tests.support import Clock, credit_code, lodge_body

API = "/api/v1/complaints"
DETAIL = ("position", "projection_lag", "views", "tasks", "database")
TASKS = {"projection-runner", "deadline-watchers", "ledger-signer"}


def _client(settings: Settings, url: str, clock: Clock) -> Iterator[TestClient]:
    app = create_app(settings, database_url=url, jwt_secret=JWT_SECRET, clock=clock)
    with TestClient(app) as client:
        yield client


def _lodge(client: TestClient) -> dict[str, Any]:
    code = credit_code()
    r = client.post(API, json=lodge_body(code), headers=bearer("enterprise", "e", code))
    assert r.status_code == 201, r.text
    return r.json()


def _until(client: TestClient, check: Callable[[Any], bool], seconds: float, **kw: Any) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        r = client.get("/readyz", **kw)
        if check(r) or time.monotonic() > deadline:
            return r
        time.sleep(0.1)


def test_anyone_gets_the_status_only_supervisors_inspectors_and_admins_the_detail(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    _lodge(client)
    for headers in (
        {},
        bearer("enterprise", "e", credit_code()),
        bearer("clerk"),
        bearer("department", "d", "d1"),
    ):
        r = client.get("/readyz", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json() == {"status": "ready"}, headers
    for role in ("supervisor", "inspector", "admin"):
        r = client.get("/readyz", headers=bearer(role))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "ready" and body["database"] == "ok"
        assert body["position"] >= 1
        assert set(body["views"]) == {p.name for p in PROJECTIONS}
        for view in body["views"].values():
            assert view["lag"] == body["position"] - view["position"] >= 0
        assert set(body["tasks"]) == TASKS
        assert {t["state"] for t in body["tasks"].values()} == {"running"}
    # A bad token is refused, not taken for an anonymous caller.
    r = client.get("/readyz", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_background_task_that_cannot_run_makes_it_503(
    fresh_database_url, settings, clock, tmp_path
):
    """The ledger signer without its key (a configured file that is not there): before,
    it logged once and ended, and readiness said ready."""
    broken = dataclasses.replace(
        settings, database_url="postgresql://elsewhere/db", ledger_key=tmp_path / "absent.key"
    )
    for client in _client(broken, fresh_database_url, clock):
        r = _until(client, lambda r: r.status_code == 503, 5)
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["status"] == 503 and body["title"] == "Not ready"
        assert "ledger-signer" in body["detail"]
        assert not set(DETAIL) & set(body), body  # anonymous: no positions, lag or tasks
        r = _until(client, lambda r: r.status_code == 503, 5, headers=bearer("supervisor"))
        tasks = r.json()["tasks"]
        assert tasks["ledger-signer"]["state"] == "backing_off", tasks
        assert tasks["ledger-signer"]["last_error"] == "KeyFileError"
        assert tasks["ledger-signer"]["restarts"] >= 1
        assert tasks["projection-runner"]["state"] == "running"
        # It keeps trying (with a backoff) rather than ending.
        time.sleep(1.0)
        later = client.get("/readyz", headers=bearer("inspector")).json()["tasks"]
        assert later["ledger-signer"]["restarts"] > tasks["ledger-signer"]["restarts"]


@pytest.fixture
def stall_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, view_stall_seconds=0.5)


def test_a_view_behind_without_progress_makes_it_503_until_it_moves(
    fresh_database_url, stall_settings, clock
):
    """Another session holds the complaint_summary view's tracking row: the runner waits
    on it (it runs, it is not failing), the view stays behind the new events."""
    for client in _client(stall_settings, fresh_database_url, clock):
        _lodge(client)
        r = _until(
            client, lambda r: r.json().get("projection_lag") == 0, 10, headers=bearer("admin")
        )
        assert r.status_code == 200, r.text
        with psycopg.connect(fresh_database_url) as blocker:
            blocker.execute(
                "SELECT 1 FROM views.tracking WHERE projection = 'complaint_summary' FOR UPDATE"
            )
            _lodge(client)
            r = _until(client, lambda r: r.status_code == 503, 5)
            assert r.status_code == 503, r.text
            body = r.json()
            assert "complaint_summary" in body["detail"] and "progress" in body["detail"]
            assert not set(DETAIL) & set(body), body
            detail = client.get("/readyz", headers=bearer("supervisor")).json()
            view = detail["views"]["complaint_summary"]
            assert view["lag"] >= 1 and view["stalled_seconds"] >= 0.5, detail
            assert detail["tasks"]["projection-runner"]["state"] == "running"
            blocker.rollback()
        r = _until(client, lambda r: r.status_code == 200, 10)
        assert r.status_code == 200 and r.json() == {"status": "ready"}, r.text
