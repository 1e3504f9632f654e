"""The commitments' deadline watcher on real PostgreSQL: a deadline passing becomes an
`Overdue` event of the system actor (in the history and the audit trail), exactly once,
and nothing else is touched; races with the lagging view are skipped, never raised."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from uuid import UUID

import asyncpg
import pytest

from domain import commitment_commands as cmd
from domain.application import Oversight
from domain.commitment_case import COMMITMENT
from oversight.commitment_watcher import mark_overdue_commitments
from oversight.database import asyncpg_dsn
from oversight.runtime import PROJECTIONS, build_application
from oversight.watchers import SYSTEM, WATCHERS, run_watchers
from projections.runner import ProjectionRunner, ensure_schema
from tests.conftest import actor
from tests.support import Clock, credit_code

pytestmark = pytest.mark.integration

CST = timezone(timedelta(hours=8))
T0 = datetime(2024, 9, 23, 10, 0, tzinfo=CST)  # Monday
CLERK = actor("clerk", "clerk-1")
SUPERVISOR = actor("supervisor", "sup-1")
MATERIALS = ["施工图审查合格书", "中标通知书"]


def commit(app: Oversight, at: datetime, due: cmd.DueIn, *, grant: bool = True) -> UUID:
    code = credit_code()
    body = cmd.Commit(
        matter="建筑工程施工许可",
        enterprise=cmd.EnterpriseIn(name="某建设有限公司", credit_code=code),
        statement="承诺符合审批条件",
        materials=list(MATERIALS),
        due=due,
    )
    case = app.create(COMMITMENT, CLERK, at, body).case
    if grant:
        app.move(
            case.id, "grant", CLERK, at + timedelta(minutes=1), cmd.Grant(), case_type=COMMITMENT
        )
    return case.id


def by_date(day: date) -> cmd.DueIn:
    return cmd.DueIn(date=day)


def version_and_status(app: Oversight, case_id: UUID) -> tuple[int, str]:
    case = app.read(COMMITMENT, case_id, SUPERVISOR)
    return case.version, case.status.value


@pytest.fixture
async def fresh(fresh_database_url, settings):
    """An empty store (the watcher's counts are exact) with its views."""
    app = build_application(fresh_database_url, settings)
    pool = await asyncpg.create_pool(asyncpg_dsn(fresh_database_url), min_size=1, max_size=4)
    async with pool.acquire() as conn:
        await ensure_schema(conn, PROJECTIONS)
    yield app, pool, ProjectionRunner(pool, PROJECTIONS)
    await pool.close()
    app.close()


async def test_a_passed_deadline_becomes_one_overdue_event_of_the_system(fresh):
    app, pool, runner = fresh
    due = commit(app, T0, by_date(date(2024, 9, 24)))  # due Tue 17:30
    not_yet = commit(app, T0, by_date(date(2024, 9, 26)))
    waiting = commit(app, T0, cmd.DueIn(epidemic_end=True, grace_working_days=0))
    not_granted = commit(app, T0, by_date(date(2024, 9, 24)), grant=False)
    await runner.catch_up()

    clock = Clock(datetime(2024, 9, 24, 17, 30, tzinfo=CST))  # the due instant itself
    assert await mark_overdue_commitments(app, pool, clock) == 0
    now = clock.set(datetime(2024, 9, 25, 9, 0, tzinfo=CST))
    assert await mark_overdue_commitments(app, pool, clock) == 1

    case, events = app.history(COMMITMENT, due, SUPERVISOR)
    assert case.status.value == "overdue"
    last = events[-1]
    assert (type(last).__name__, last.actor, last.timestamp, last.originator_version) == (
        "Overdue",
        SYSTEM,
        now,
        3,
    )
    assert last.due == datetime(2024, 9, 24, 17, 30, tzinfo=CST)
    assert case.overdue_since == now

    await runner.catch_up()
    async with pool.acquire() as conn:
        trail = await conn.fetch(
            "SELECT version, type, actor_id, actor_role, at FROM views.audit_trail "
            "WHERE case_id = $1 ORDER BY version",
            due,
        )
        row = await conn.fetchrow(
            "SELECT status, overdue_since FROM views.commitment_register WHERE id = $1", due
        )
    assert [tuple(r) for r in trail][-1] == (3, "Overdue", "deadline-watcher", "system", now)
    assert (row["status"], row["overdue_since"]) == ("overdue", now)

    # Run again: nothing new anywhere.
    clock.advance(hours=2)
    assert await mark_overdue_commitments(app, pool, clock) == 0
    assert version_and_status(app, due) == (3, "overdue")
    assert version_and_status(app, not_yet) == (2, "granted")
    assert version_and_status(app, waiting) == (2, "granted")
    assert version_and_status(app, not_granted) == (1, "committed")


async def test_a_commitment_that_moved_on_since_the_view_saw_it_is_skipped(fresh):
    app, pool, runner = fresh
    settled = commit(app, T0, by_date(date(2024, 9, 24)))
    later = commit(app, T0, by_date(date(2024, 9, 24)))
    await runner.catch_up()
    # The view still says granted for both: one is exempted meanwhile, the other gets
    # an event dated after the watcher's clock (the move would be refused as 422).
    app.move(
        settled,
        "exempt",
        SUPERVISOR,
        T0 + timedelta(hours=1),
        cmd.Exempt(reason="疫情影响"),
        case_type=COMMITMENT,
    )
    app.move(
        later,
        "supply",
        CLERK,
        datetime(2024, 9, 26, 9, 0, tzinfo=CST),
        cmd.Supply(materials=[MATERIALS[0]]),
        case_type=COMMITMENT,
    )
    clock = Clock(datetime(2024, 9, 25, 9, 0, tzinfo=CST))
    assert await mark_overdue_commitments(app, pool, clock) == 0
    assert version_and_status(app, settled) == (3, "exempted")
    assert version_and_status(app, later) == (3, "granted")
    # Once the clock is past the last event, the second is marked after all.
    clock.set(datetime(2024, 9, 26, 10, 0, tzinfo=CST))
    await runner.catch_up()
    assert await mark_overdue_commitments(app, pool, clock) == 1
    assert version_and_status(app, later) == (4, "overdue")


async def test_the_served_watcher_loop_runs_it(fresh):
    """`oversight serve` runs every watcher in WATCHERS: this one is listed and marks."""
    app, pool, runner = fresh
    assert mark_overdue_commitments in WATCHERS
    due = commit(app, T0, by_date(date(2024, 9, 24)))
    await runner.catch_up()
    clock = Clock(datetime(2024, 9, 25, 9, 0, tzinfo=CST))
    stop = asyncio.Event()
    task = asyncio.create_task(run_watchers(app, pool, clock, stop, every_seconds=0.05))
    try:
        for _ in range(100):
            if version_and_status(app, due) == (3, "overdue"):
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
    assert version_and_status(app, due) == (3, "overdue")
