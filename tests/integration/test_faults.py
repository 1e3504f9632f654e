"""Faults of the database under a running service (issue 10, defects 2 and 4), on a
PostgreSQL server of these tests' own (tests/embedded.py), which they kill connections
of, restart and stop: never the shared server.

- The projection runner survives its connections being terminated mid-batch and the
  server restarting while commands arrive: it re-acquires its connections (listener
  and lead included) and afterwards every view equals a rebuild from the events.
- During an outage, commands and reads answer 503 with Retry-After within 5 s, and
  nothing of them is stored.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Iterator
from typing import Any

import asyncpg
import psycopg
import pytest
from litestar.testing import TestClient

from oversight.database import BACKGROUND_STATEMENT_TIMEOUT, asyncpg_dsn, create_pool
from oversight.runtime import PROJECTIONS, build_application, create_app
from oversight.settings import Settings
from projections.runner import (
    ProjectionRunner,
    drop_views,
    ensure_schema,
    max_position,
    view_position,
)
from projections.supervision import Supervisor
from tests.conftest import JWT_SECRET, bearer
from tests.embedded import EmbeddedServer
from tests.integration.test_projections import dump_views, write_cases
from tests.support import Clock, credit_code, lodge_body

pytestmark = pytest.mark.integration

API = "/api/v1/complaints"
# Sessions holding the runner's lead (a session advisory lock on one bigint key).
LEADER_LOCK = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
    "AND objid::bigint = hashtext('oversight.projection_runner')::bigint & 4294967295"
)
BACKGROUND = "oversight-background"


@pytest.fixture(scope="module")
def server() -> Iterator[EmbeddedServer]:
    embedded = EmbeddedServer()
    try:
        yield embedded
    finally:
        embedded.close()


@pytest.fixture
def running(server: EmbeddedServer) -> Iterator[EmbeddedServer]:
    """The server, started again after the test whatever the test did to it."""
    yield server
    try:
        with psycopg.connect(server.url, connect_timeout=2):
            pass
    except psycopg.OperationalError:
        server.start()


async def _caught_up(conn: asyncpg.Connection, seconds: float) -> bool:
    """Every view has reached the end of the store, as a connection of the test sees it
    (not one of the runner's pool: those are being killed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await view_position(conn) == await max_position(conn):
            return True
        await asyncio.sleep(0.05)
    return False


async def _views_equal_a_rebuild(url: str) -> None:
    """The views as the live run left them == the views rebuilt from the events."""
    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=1, max_size=4)
    try:
        live = await dump_views(pool)
        async with pool.acquire() as conn:
            await drop_views(conn, PROJECTIONS)
            await ensure_schema(conn, PROJECTIONS)
        await ProjectionRunner(pool, PROJECTIONS).catch_up()
        rebuilt = await dump_views(pool)
        assert live.keys() == rebuilt.keys()
        for table in live:
            assert live[table] == rebuilt[table], table
        assert sum(len(rows) for rows in live.values()) > 0
    finally:
        await pool.close()


async def test_the_runner_survives_its_connections_terminated_mid_batch(running, settings):
    """pg_terminate_backend on every connection of the running runner, again and again
    while it catches up in small batches: it is restarted on fresh connections, takes
    the lead again with a live listener (NOTIFY wakes it: its polling interval here is
    a minute), and the views equal a rebuild."""
    url = running.database()
    app = build_application(url, settings)
    await asyncio.to_thread(write_cases, app, 120, 1)
    pool = await create_pool(
        url,
        min_size=1,
        max_size=7,
        statement_timeout=BACKGROUND_STATEMENT_TIMEOUT,
        application_name=BACKGROUND,
    )
    killer = await asyncpg.connect(url)
    stop = asyncio.Event()
    supervisor = Supervisor(initial_backoff=0.05, max_backoff=0.2)
    try:
        async with pool.acquire() as conn:
            await ensure_schema(conn, PROJECTIONS)
        runner = ProjectionRunner(pool, PROJECTIONS, batch_size=7, poll_seconds=60)
        supervisor.start("projection-runner", lambda: runner.run(stop), stop)
        killed = 0
        for round_ in range(12):
            await asyncio.sleep(0.08 + 0.02 * (round_ % 3))
            killed += await killer.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = $1",
                BACKGROUND,
            )
            if round_ == 5:  # and more events meanwhile
                await asyncio.to_thread(write_cases, app, 20, 2)
        assert killed >= 12
        assert await _caught_up(killer, 30), supervisor.describe()
        health = supervisor.health["projection-runner"]
        assert health.restarts >= 1, supervisor.describe()  # the kills did hit it
        # It runs again and leads again, on a live connection ...
        deadline = time.monotonic() + 10
        while not (health.state == "running" and await killer.fetchval(LEADER_LOCK) == 1):
            assert time.monotonic() < deadline, supervisor.describe()
            await asyncio.sleep(0.05)
        # ... where NOTIFY wakes it (it would not poll for a minute).
        await asyncio.to_thread(write_cases, app, 5, 3)
        assert await _caught_up(killer, 5)
        assert health.state == "running", supervisor.describe()
    finally:
        await supervisor.stop(stop)
        await killer.close()
        await pool.close()
        app.close()
    assert supervisor.health["projection-runner"].state == "stopped"
    await _views_equal_a_rebuild(url)


def _traffic(client: TestClient, stop: threading.Event, log: list[tuple[str, int, float, Any]]):
    """Lodges complaints and accepts them until `stop`, recording each answer."""
    clerk = bearer("clerk", "clerk-f")
    while not stop.is_set():
        code = credit_code()
        started = time.monotonic()
        r = client.post(API, json=lodge_body(code), headers=bearer("enterprise", "e", code))
        log.append(("lodge", r.status_code, time.monotonic() - started, r))
        if r.status_code == 201:
            started = time.monotonic()
            a = client.post(
                f"{API}/{r.json()['id']}/accept", json={}, headers={**clerk, "If-Match": '"1"'}
            )
            log.append(("accept", a.status_code, time.monotonic() - started, a))


def _settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, projection_poll_seconds=0.2)


def _wait_ready(client: TestClient, seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        r = client.get("/readyz", headers=bearer("supervisor", "sup-f"))
        body = r.json()
        if r.status_code == 200 and body["projection_lag"] == 0:
            return body
        time.sleep(0.1)
    raise AssertionError(f"not ready after {seconds} s: {body}")


def test_a_restart_while_commands_arrive_loses_nothing_and_views_equal_a_rebuild(
    running, settings, clock: Clock
):
    """`pg_ctl restart -m fast` twice while complaints are lodged and accepted from four
    threads: every answer is 201/200 or a quick 503 with Retry-After (never a 500 or a
    hang), every case acknowledged is stored, the runner comes back by itself (readyz
    ready, no lag) and every view equals a rebuild."""
    url = running.database()
    app = create_app(_settings(settings), database_url=url, jwt_secret=JWT_SECRET, clock=clock)
    answers: list[tuple[str, int, float, Any]] = []
    with TestClient(app) as client:
        _wait_ready(client, 10)
        stop = threading.Event()
        threads = [
            threading.Thread(target=_traffic, args=(client, stop, answers)) for _ in range(4)
        ]
        for t in threads:
            t.start()
        try:
            for _ in range(2):
                time.sleep(1.0)
                running.restart()
            time.sleep(1.5)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        body = _wait_ready(client, 30)
        runner = body["tasks"]["projection-runner"]
        assert runner["state"] == "running"
        lodged = [r.json()["id"] for kind, status, _, r in answers if status == 201]
        for case_id in lodged:  # every acknowledged command is stored
            assert client.get(f"{API}/{case_id}", headers=bearer("supervisor")).status_code == 200
    statuses = {(kind, status) for kind, status, _, _ in answers}
    assert statuses <= {("lodge", 201), ("lodge", 503), ("accept", 200), ("accept", 503)}, statuses
    assert len(lodged) >= 10
    unavailable = [r for _, status, _, r in answers if status == 503]
    for r in unavailable:
        assert r.headers["retry-after"].isdigit()
        assert r.headers["content-type"].startswith("application/problem+json")
    assert max(seconds for _, _, seconds, _ in answers) < 5
    asyncio.run(_views_equal_a_rebuild(url))


def test_during_an_outage_commands_and_reads_answer_503_quickly_and_store_nothing(
    running, settings, clock: Clock
):
    url = running.database()
    app = create_app(_settings(settings), database_url=url, jwt_secret=JWT_SECRET, clock=clock)
    code = credit_code()
    enterprise = bearer("enterprise", "e", code)
    clerk = {**bearer("clerk", "clerk-o"), "If-Match": '"1"'}
    supervisor = bearer("supervisor", "sup-o")
    with TestClient(app) as client:
        first = client.post(API, json=lodge_body(code), headers=enterprise)
        assert first.status_code == 201, first.text
        case = first.json()["id"]
        _wait_ready(client, 10)
        with psycopg.connect(url) as conn:
            stored = conn.execute("SELECT count(*) FROM oversight_events").fetchone()

        running.stop()
        requests = {
            "lodge": lambda: client.post(API, json=lodge_body(code), headers=enterprise),
            "accept": lambda: client.post(f"{API}/{case}/accept", json={}, headers=clerk),
            "read": lambda: client.get(f"{API}/{case}", headers=supervisor),
            "history": lambda: client.get(f"{API}/{case}/history", headers=supervisor),
            "list": lambda: client.get(API, headers=supervisor),
            "audit": lambda: client.get("/api/v1/audit-trail", headers=supervisor),
        }
        for _ in range(2):  # the first request meets dead pooled connections, then not
            for name, request in requests.items():
                started = time.monotonic()
                r = request()
                took = time.monotonic() - started
                assert r.status_code == 503, (name, r.status_code, r.text)
                assert took < 5, (name, took)
                assert r.headers["retry-after"].isdigit(), name
                assert r.headers["content-type"].startswith("application/problem+json")
                assert r.json()["status"] == 503
        started = time.monotonic()
        ready = client.get("/readyz")
        assert time.monotonic() - started < 5
        assert ready.status_code == 503
        body = ready.json()
        assert "database cannot be reached" in body["detail"]
        assert "position" not in body and "views" not in body and "tasks" not in body
        detail = client.get("/readyz", headers=supervisor).json()  # what went wrong
        assert detail["database"] == "DatabaseUnavailable" and "tasks" in detail

        running.start()
        _wait_ready(client, 20)
        with psycopg.connect(url) as conn:  # nothing of the refused commands was stored
            assert conn.execute("SELECT count(*) FROM oversight_events").fetchone() == stored
        again = client.post(f"{API}/{case}/accept", json={}, headers=clerk)
        assert again.status_code == 200, again.text
        assert client.post(API, json=lodge_body(code), headers=enterprise).status_code == 201
