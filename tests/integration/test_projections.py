"""The projection runner on real PostgreSQL: exactly once, restartable, rebuildable."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from domain import commands as cmd
from domain.application import Oversight
from oversight.database import asyncpg_dsn
from oversight.rebuild import groups
from oversight.runtime import PROJECTIONS, build_application
from projections.runner import (
    ProjectionRunner,
    drop_views,
    ensure_schema,
    max_position,
    view_position,
)
from tests.conftest import ROOT, actor
from tests.support import credit_code

pytestmark = pytest.mark.integration

T0 = datetime(2024, 9, 23, 1, 0, tzinfo=UTC)
CLERK = actor("clerk", "clerk-1")


def write_cases(app: Oversight, n_cases: int, seed: int) -> None:
    """Lodge cases and move each a few steps, as a clerk and a department would."""
    rng = random.Random(seed)
    for _ in range(n_cases):
        code = credit_code(rng)
        at = T0 + timedelta(minutes=rng.randrange(10_000))
        case = app.lodge_complaint(
            actor("enterprise", "e", code),
            at,
            cmd.LodgeComplaint(
                kind=rng.choice(["appeal", "complaint", "report"]),
                channel="web",
                category="approval",
                title="t",
                description="d",
                complainant=cmd.ComplainantIn(name="某公司", credit_code=code),
                confidential=rng.random() < 0.3,
            ),
        ).case
        steps = rng.randrange(4)
        if steps >= 1:
            app.move(case.id, "accept", CLERK, at + timedelta(hours=1), cmd.Accept())
        if steps >= 2:
            app.move(
                case.id, "transfer", CLERK, at + timedelta(hours=2), cmd.Transfer(department="d1")
            )
        if steps >= 3:
            app.move(
                case.id,
                "reply",
                actor("department", "d", "d1"),
                at + timedelta(hours=3),
                cmd.Reply(answer="已办理"),
            )


async def dump_views(pool: asyncpg.Pool) -> dict[str, list[tuple]]:
    async with pool.acquire() as conn:
        return {
            table: sorted(
                (tuple(r) for r in await conn.fetch(f"SELECT * FROM {table}")),
                key=repr,
            )
            for projection in PROJECTIONS
            for table in projection.tables
        }


@pytest.fixture
async def fresh(fresh_database_url, settings):
    app = build_application(fresh_database_url, settings)
    pool = await asyncpg.create_pool(asyncpg_dsn(fresh_database_url), min_size=2, max_size=8)
    async with pool.acquire() as conn:
        await ensure_schema(conn, PROJECTIONS)
    yield app, pool, fresh_database_url
    await pool.close()
    app.close()


async def test_every_event_reaches_the_views_exactly_once_with_concurrent_writers(fresh):
    app, pool, _ = fresh
    runner = ProjectionRunner(pool, PROJECTIONS, batch_size=17, poll_seconds=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    writers = [threading.Thread(target=write_cases, args=(app, 25, seed)) for seed in range(4)]
    for w in writers:
        w.start()
    await asyncio.gather(*(asyncio.to_thread(w.join) for w in writers))
    async with pool.acquire() as conn:
        latest = await max_position(conn)
        # The running runner catches up by itself (NOTIFY or polling).
        for _ in range(200):
            done = await conn.fetchval("SELECT min(position) FROM views.tracking")
            if done == latest:
                break
            await asyncio.sleep(0.05)
        stored = await conn.fetch("SELECT notification_id FROM oversight_events ORDER BY 1")
        trail = await conn.fetch("SELECT position FROM views.audit_trail ORDER BY 1")
        summary = await conn.fetch("SELECT id, version FROM views.complaint_summary")
        versions = await conn.fetch(
            "SELECT originator_id, max(originator_version) AS v FROM oversight_events GROUP BY 1"
        )
    stop.set()
    await task
    assert [r[0] for r in trail] == [r[0] for r in stored]  # each event once, in order
    assert len(stored) >= 100
    assert {(r["id"], r["version"]) for r in summary} == {(r[0], r[1]) for r in versions}


async def test_one_running_runner_leads_and_a_standby_takes_over(fresh):
    """Two processes' runners on one database: one applies, the other stands by; when
    the leader stops (its connection closes), the standby catches the views up."""
    app, pool, url = fresh
    other = await asyncpg.create_pool(asyncpg_dsn(url), min_size=1, max_size=4)
    applied: dict[str, int] = {"first": 0, "second": 0}

    def counting(name: str, runner: ProjectionRunner) -> ProjectionRunner:
        original = runner._apply

        async def _apply(projection, events, start):
            outcome = await original(projection, events, start)
            applied[name] += outcome[1]
            return outcome

        runner._apply = _apply  # type: ignore[method-assign]
        return runner

    first = counting("first", ProjectionRunner(pool, PROJECTIONS, poll_seconds=0.05))
    second = counting("second", ProjectionRunner(other, PROJECTIONS, poll_seconds=0.05))
    stop_first, stop_second = asyncio.Event(), asyncio.Event()
    leader = asyncio.create_task(first.run(stop_first))
    await asyncio.sleep(0.3)  # the first takes the lead
    standby = asyncio.create_task(second.run(stop_second))

    async def caught_up() -> bool:
        async with pool.acquire() as conn:
            return await view_position(conn) == await max_position(conn)

    try:
        await asyncio.to_thread(write_cases, app, 10, 31)
        for _ in range(200):
            if await caught_up():
                break
            await asyncio.sleep(0.05)
        assert await caught_up()
        assert applied["first"] > 0 and applied["second"] == 0

        stop_first.set()
        await leader
        await asyncio.to_thread(write_cases, app, 5, 32)
        for _ in range(200):
            if await caught_up():
                break
            await asyncio.sleep(0.05)
        assert await caught_up()
        assert applied["second"] > 0
    finally:
        stop_first.set()
        stop_second.set()
        await asyncio.gather(leader, standby)
        await other.close()


async def test_runner_killed_at_random_moments_ends_equal_to_a_rebuild(fresh):
    app, pool, _ = fresh
    await asyncio.to_thread(write_cases, app, 60, 7)
    rng = random.Random(3)
    for _ in range(12):
        runner = ProjectionRunner(pool, PROJECTIONS, batch_size=rng.randrange(1, 30))
        task = asyncio.create_task(runner.catch_up())
        await asyncio.sleep(rng.random() * 0.05)
        task.cancel()  # kill it wherever it is, mid-batch included
        await asyncio.gather(task, return_exceptions=True)
    await ProjectionRunner(pool, PROJECTIONS).catch_up()
    after_crashes = await dump_views(pool)

    async with pool.acquire() as conn:
        await drop_views(conn, PROJECTIONS)
        await ensure_schema(conn, PROJECTIONS)
    await ProjectionRunner(pool, PROJECTIONS).catch_up()
    rebuilt = await dump_views(pool)

    assert after_crashes == rebuilt
    assert len(rebuilt["views.audit_trail"]) > 60


async def test_views_at_different_positions_each_get_exactly_the_events_they_lack(fresh):
    """One shared batch serves every view: a view rebuilt from 0 while the others are
    current, and views a few events apart, all end equal to a rebuild from scratch."""
    app, pool, _ = fresh
    await asyncio.to_thread(write_cases, app, 30, 21)
    await ProjectionRunner(pool, PROJECTIONS[:3], batch_size=7).catch_up()  # some ahead
    await asyncio.to_thread(write_cases, app, 20, 22)
    await ProjectionRunner(pool, PROJECTIONS, batch_size=11).catch_up()
    # A version bump: one view starts again at 0 while the rest are at the end.
    async with pool.acquire() as conn:
        await drop_views(conn, [PROJECTIONS[4]])
        await ensure_schema(conn, PROJECTIONS)
        before = await conn.fetchval("SELECT count(*) FROM oversight_events")
    await asyncio.to_thread(write_cases, app, 10, 23)
    applied = await ProjectionRunner(pool, PROJECTIONS, batch_size=13).catch_up()
    incremental = await dump_views(pool)
    async with pool.acquire() as conn:
        latest = await max_position(conn)
        positions = {r[0] for r in await conn.fetch("SELECT position FROM views.tracking")}
        stored = await conn.fetchval("SELECT count(*) FROM oversight_events")
        await drop_views(conn, PROJECTIONS)
        await ensure_schema(conn, PROJECTIONS)
    await ProjectionRunner(pool, PROJECTIONS).catch_up()
    assert positions == {latest}
    assert incremental == await dump_views(pool)
    # The rebuilt view took every event; the other six only the new ones, once each.
    assert applied == stored + (len(PROJECTIONS) - 1) * (stored - before)


async def test_a_failing_batch_leaves_no_trace_and_is_retried(fresh):
    app, pool, _ = fresh
    await asyncio.to_thread(write_cases, app, 10, 11)

    class Exploding:
        name = "complaint_summary"
        tables = PROJECTIONS[0].tables

        async def create(self, conn):
            await PROJECTIONS[0].create(conn)

        async def apply(self, conn, events):
            await PROJECTIONS[0].apply(conn, events)  # rows written...
            raise RuntimeError("crash after writing")  # ...then the process dies

    with pytest.raises(RuntimeError):
        await ProjectionRunner(pool, [Exploding()]).catch_up()
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM views.complaint_summary") == 0
        assert (
            await conn.fetchval(
                "SELECT position FROM views.tracking WHERE projection = 'complaint_summary'"
            )
            == 0
        )
    await ProjectionRunner(pool, PROJECTIONS).catch_up()
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM views.complaint_summary") == 10


@pytest.mark.parametrize("jobs", ["1", "3"])
async def test_cli_rebuild_gives_the_same_views(fresh, settings, jobs):
    """In one process, or with the views split over three processes."""
    app, pool, url = fresh
    await asyncio.to_thread(write_cases, app, 20, 5)
    await ProjectionRunner(pool, PROJECTIONS).catch_up()
    before = await dump_views(pool)
    env = {**os.environ, "DATABASE_URL": url, "OVERSIGHT_JWT_SECRET": "x" * 32}
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "oversight.cli", "rebuild", "--jobs", jobs],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "rebuilding views" in result.stderr  # the progress bar
    assert await dump_views(pool) == before


def test_rebuild_groups_hold_every_view_once_balanced_by_cost():
    for jobs in range(1, len(PROJECTIONS) + 3):
        parts = groups(PROJECTIONS, jobs)
        names = [p.name for part in parts for p in part]
        assert sorted(names) == sorted(p.name for p in PROJECTIONS)
        assert len(parts) == min(jobs, len(PROJECTIONS)) and all(parts)
    costs = [sum(getattr(p, "rebuild_cost", 1) for p in part) for part in groups(PROJECTIONS, 2)]
    heaviest = max(getattr(p, "rebuild_cost", 1) for p in PROJECTIONS)
    assert max(costs) - min(costs) <= heaviest
