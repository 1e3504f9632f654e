"""`oversight demo`: the demo data set fills every view with what its summary promises,
the same seed gives the same data, and the command refuses a store that holds events."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg
import psycopg
import pytest
from litestar.testing import TestClient

from domain.commitment import Status as CommitmentStatus
from domain.complaint import Status as ComplaintStatus
from domain.credit_repair import Status as RepairStatus
from domain.project import Classification, ProblemStatus
from domain.sla import calendar_for, load_sla_policy
from domain.values import Channel, Kind
from oversight.database import asyncpg_dsn
from oversight.demo import (
    DEMO_START,
    RELEASE_DAY,
    RELEASE_PROJECTS,
    DemoSummary,
    build_plan,
    load_demo,
)
from oversight.runtime import PROJECTIONS, build_application, create_app
from oversight.settings import Settings
from projections.runner import ProjectionRunner, ensure_schema
from tests.conftest import JWT_SECRET, ROOT, bearer
from tests.support import Clock

pytestmark = pytest.mark.integration

VIEWS = (
    "views.complaint_summary",
    "views.project_board",
    "views.project_problems",
    "views.commitment_register",
    "views.credit_repair_register",
    "views.audit_trail",
    "views.case_facts",
)
SIZES = {
    "project": 200,  # 24 described, 176 making up the release's figures
    "problem": 56,
    "complaint": 40,
    "commitment": 16,
    "credit_repair": 38,
    "service_statistics": 3,  # service items, industrial and foreign-trade resumption
}


def load(url: str, settings: Settings) -> DemoSummary:
    app = build_application(url, settings)
    try:
        return load_demo(app, start=DEMO_START)  # the default seed, as the command
    finally:
        app.close()


@pytest.fixture(scope="module")
async def demo(create_database: Callable[[], str], settings: Settings):
    """The demo loaded into a fresh database, and every view caught up once."""
    url = create_database()
    summary = await asyncio.to_thread(load, url, settings)
    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=1, max_size=4)
    async with pool.acquire() as conn:
        await ensure_schema(conn, PROJECTIONS)
    await ProjectionRunner(pool, PROJECTIONS).catch_up()
    yield url, summary, pool
    await pool.close()


async def counts(conn: asyncpg.Connection, sql: str) -> dict[str, int]:
    return {r[0]: r[1] for r in await conn.fetch(sql)}


async def test_every_view_has_rows_and_every_event_reached_the_trail(demo):
    _, summary, pool = demo
    async with pool.acquire() as conn:
        for view in VIEWS:
            assert await conn.fetchval(f"SELECT count(*) FROM {view}") > 0, view
        stored = await conn.fetchval("SELECT count(*) FROM oversight_events")
        trail = await conn.fetchval("SELECT count(*) FROM views.audit_trail")
        statistics = await conn.fetch(
            "SELECT kind, scope, period_start, period_end, online, offline, resumed, required "
            "FROM views.service_statistics_facts ORDER BY position"
        )
    assert stored == trail == summary.events
    assert summary.cases == SIZES
    period = (DEMO_START.date().replace(day=1), DEMO_START.date().replace(month=6, day=30))
    assert [tuple(r) for r in statistics] == [
        ("service_items", "province", *period, 2_571_536, 1_571_174, None, None),
        ("industrial_resumption", "province", *period, None, None, 3_451, 3_500),
        ("foreign_trade_resumption", "province", *period, None, None, 1_990, 2_000),
    ]
    # Dated in the release's period, from the start the CLI passes.
    assert summary.start == DEMO_START
    assert DEMO_START < summary.end < DEMO_START.replace(month=7, day=2)


async def test_the_views_show_every_status_the_summary_promises(demo):
    _, summary, pool = demo
    async with pool.acquire() as conn:
        complaints = await counts(
            conn, "SELECT status, count(*) FROM views.complaint_summary GROUP BY 1"
        )
        commitments = await counts(
            conn, "SELECT status, count(*) FROM views.commitment_register GROUP BY 1"
        )
        classes = await counts(
            conn, "SELECT classification, count(*) FROM views.project_board GROUP BY 1"
        )
        problems = await counts(
            conn, "SELECT status, count(*) FROM views.project_problems GROUP BY 1"
        )
        repairs = await counts(
            conn, "SELECT status, count(*) FROM views.credit_repair_register GROUP BY 1"
        )
    assert complaints == summary.statuses["complaint"]
    assert set(complaints) == {s.value for s in ComplaintStatus}
    assert commitments == summary.statuses["commitment"]
    assert set(commitments) == {s.value for s in CommitmentStatus}
    assert classes == summary.statuses["project"]
    assert set(classes) == {c.value for c in Classification}
    assert problems == summary.statuses["problem"]
    assert set(problems) == {s.value for s in ProblemStatus}
    assert repairs == summary.statuses["credit_repair"]
    # As in the release: every application repaired.
    assert repairs == {RepairStatus.REPAIRED: 38}


async def test_the_complaints_show_the_variety_a_supervisor_meets(demo):
    _, summary, pool = demo
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT * FROM views.complaint_summary")
        watcher = await counts(
            conn,
            "SELECT case_type || '.' || type, count(*) FROM views.audit_trail "
            "WHERE actor_role = 'system' GROUP BY 1",
        )
        supplies = await conn.fetch(
            "SELECT count(*) FROM views.audit_trail WHERE type = 'MaterialsSupplied' "
            "GROUP BY case_id"
        )
        projects = await conn.fetch("SELECT * FROM views.project_board")
        epidemic = await conn.fetchval(
            "SELECT count(*) FROM views.commitment_register WHERE epidemic_contingent"
        )
    assert {r["kind"] for r in rows} == {k.value for k in Kind}
    assert {r["channel"] for r in rows} == {c.value for c in Channel}
    assert any(r["urgent"] for r in rows)
    assert any(r["confidential"] and r["kind"] == "report" for r in rows)
    assert any(r["redo_count"] and r["rating"] in ("unsatisfied", "very_unsatisfied") for r in rows)
    assert any(r["supervision_count"] for r in rows)
    assert any(r["escalated_due"] for r in rows)
    # Overdue at the end of the period: reminded by the deadline watcher.
    assert any(r["reminders"] and r["due_at"] and r["due_at"] < summary.end for r in rows)
    assert watcher["complaint.Reminded"] >= 3
    assert watcher["complaint.Escalated"] >= 2
    assert watcher["commitment.Overdue"] >= 4
    assert max(r[0] for r in supplies) >= 2  # a commitment fulfilled in parts
    assert epidemic >= 3
    assert all(p["task_forces"] and p["officers"] for p in projects)
    assert all(p["task_force"] == p["task_forces"][-1] for p in projects)
    assert sum(1 for p in projects if p["leader"]) == 168
    assert sum(p["reclassified"] for p in projects) >= 8
    # Several officers serve most projects; some task forces push more than one project.
    assert sum(1 for p in projects if len(p["officers"]) >= 3) > 100
    task_forces = [tf for p in projects for tf in p["task_forces"]]
    assert len(set(task_forces)) < len(task_forces)


def event_stream(url: str) -> list[tuple[str, int, int, str]]:
    """(topic, version, case in order of creation, state with case ids so numbered)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT originator_id, originator_version, topic, state "
            "FROM oversight_events ORDER BY notification_id"
        ).fetchall()
    number: dict[str, str] = {}
    for case_id, *_ in rows:
        number.setdefault(str(case_id), f"case-{len(number)}")
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    return [
        (
            topic,
            version,
            int(number[str(case_id)][5:]),
            uuid.sub(lambda m: number.get(m[0], m[0]), bytes(state).decode()),
        )
        for case_id, version, topic, state in rows
    ]


def test_any_seed_gives_a_valid_plan_and_another_seed_other_data():
    sla = load_sla_policy(None)
    calendar = calendar_for(sla)
    plans = {}
    for seed in range(40):
        plan, _ = build_plan(calendar, sla, DEMO_START, seed)  # raises on an invalid plan
        plans[seed] = [(s.at, s.move) for s in plan.steps]
    assert plans[0] != plans[1]


def oversight(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "oversight.cli", *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_by_command(create_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory):
    """`oversight demo --catch-up` run once on a fresh database."""
    url = create_database()
    env = {
        "DATABASE_URL": url,
        "OVERSIGHT_JWT_SECRET": "s" * 40,
        "OVERSIGHT_VAR_DIR": str(tmp_path_factory.mktemp("var")),
        "OVERSIGHT_LOG_FORMAT": "json",
    }
    return url, env, oversight("demo", "--catch-up", env=env)


def test_the_same_seed_gives_the_same_data(demo, demo_by_command):
    """Loaded in this process and by the command, both with the default seed."""
    url, summary, _ = demo
    other_url, _, result = demo_by_command
    assert result.returncode == 0, result.stderr
    assert summary.format() in result.stdout  # the same counts, statuses, events and times
    first, second = event_stream(url), event_stream(other_url)
    assert [(t, v) for t, v, *_ in first] == [(t, v) for t, v, *_ in second]
    assert any("case-" in state for *_, state in first)  # ids in states are compared too
    assert first == second  # the same events with the same states, case ids aside


def test_the_command_loads_an_empty_store_and_refuses_one_with_events(demo_by_command):
    url, env, first = demo_by_command
    assert first.returncode == 0, first.stderr
    assert "complaint" in first.stdout and "views caught up" in first.stdout

    def state() -> tuple[int, int, int]:
        with psycopg.connect(url) as conn:
            events, latest = conn.execute(
                "SELECT count(*), max(notification_id) FROM oversight_events"
            ).fetchone()
            caught_up = conn.execute("SELECT min(position) FROM views.tracking").fetchone()[0]
            complaints = conn.execute("SELECT count(*) FROM views.complaint_summary").fetchone()[0]
        assert caught_up == latest
        return events, complaints, latest

    before = state()
    assert before[1] == SIZES["complaint"]

    second = oversight("demo", env=env)
    assert second.returncode == 1
    assert "already holds events" in second.stderr and "--force" in second.stderr
    assert second.stdout == ""
    assert state() == before  # nothing was added


def test_the_dashboard_prints_the_release_figures(demo, settings):
    """`GET /dashboard?as_of=2020-07-07`: the year to the release's day, as it stood then
    (the watchers' later reminders are left out)."""
    url, *_ = demo
    app = create_app(
        dataclasses.replace(settings, watch_seconds=0),
        database_url=url,
        jwt_secret=JWT_SECRET,
        clock=Clock(datetime(2026, 12, 1, 1, 0, tzinfo=UTC)),
        run_projections=False,  # the fixture caught the views up
    )
    with TestClient(app) as client:
        r = client.get(f"/api/v1/dashboard?as_of={RELEASE_DAY}", headers=bearer("supervisor"))
        assert r.status_code == 200, r.text
        figures = r.json()
        csv = client.get(
            f"/api/v1/dashboard?as_of={RELEASE_DAY}",
            headers={**bearer("inspector"), "Accept": "text/csv"},
        ).text
    assert figures["period"] == {"from": "2020-01-01", "to": "2020-07-07", "as_of": "2020-07-07"}
    projects = figures["projects"]
    assert (
        {name: projects[name] for name in RELEASE_PROJECTS}
        == RELEASE_PROJECTS
        == {
            "with_leader_contact": 168,
            "projects_with_coordinated_problems": 47,
            "task_forces": 157,
            "chief_service_officers": 614,
        }
    )
    assert projects["registered"] == SIZES["project"]
    assert sum(projects["by_class"].values()) == SIZES["project"]
    assert all(projects["by_class"].values())  # every one of the four classes
    repairs = figures["credit"]["repairs"]
    assert (repairs["applications"], repairs["review_rate"], repairs["repaired_rate"]) == (
        38,
        100.0,
        100.0,
    )
    items = figures["service_items"]
    assert (items["items"], items["online_share"], items["offline_share"]) == (
        4_142_710,
        62.07,
        37.93,
    )
    assert items["periods"] == ["2020-02-01/2020-06-30"]
    resumption = figures["resumption"]
    assert resumption["industrial"]["rate"] == 98.6
    assert resumption["foreign_trade"]["rate"] == 99.5
    assert f"{resumption['industrial']['rate']:.1f}%" == "98.6%"
    for line in (
        "projects.with_leader_contact,168",
        "projects.task_forces,157",
        "projects.chief_service_officers,614",
        "resumption.foreign_trade.rate,99.5",
    ):
        assert line in csv.splitlines(), line
