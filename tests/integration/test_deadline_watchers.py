"""The deadline watchers of project problems and credit repairs on real PostgreSQL:
an overdue case is reminded (催办) once, never before its deadline, and escalated to the
supervisors once the reminder's grace has run out; both are events of the system actor,
in the case's history, the audit trail and the case's view row."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import asyncpg
import pytest

from domain import credit_repair_commands as rc
from domain import project_commands as pcmd
from domain.application import Oversight
from domain.credit_repair import Severity
from domain.credit_repair_case import CREDIT_REPAIR
from domain.project import ProblemCategory
from domain.project_case import PROBLEM, PROJECT
from oversight.database import asyncpg_dsn
from oversight.deadline_watchers import (
    remind_and_escalate_credit_repairs,
    remind_and_escalate_problems,
)
from oversight.runtime import PROJECTIONS, build_application
from oversight.watchers import SYSTEM, WATCHERS, run_watchers
from projections.runner import ProjectionRunner, ensure_schema
from tests.conftest import actor
from tests.support import Clock, credit_code

pytestmark = pytest.mark.integration

T0 = datetime(2024, 9, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 Beijing
DUE = datetime(2024, 9, 24, 9, 30, tzinfo=UTC)  # Tuesday 17:30 Beijing: 1 working day on
BEFORE = datetime(2024, 9, 24, 9, 0, tzinfo=UTC)
WEDNESDAY = datetime(2024, 9, 25, 2, 0, tzinfo=UTC)  # 10:00 Beijing
# 5 working days after Wednesday's reminder: 09-26, 09-27, Sunday 09-29 (调休), 09-30,
# then National Day: Tuesday 10-08 17:30 Beijing.
GRACE_END = datetime(2024, 10, 8, 9, 30, tzinfo=UTC)
CLERK = actor("clerk", "clerk-1")
SUPERVISOR = actor("supervisor", "sup-1")


@pytest.fixture
async def fresh(fresh_database_url, settings):
    """An empty store (the watchers' counts are exact) with its views."""
    app = build_application(fresh_database_url, settings)
    pool = await asyncpg.create_pool(asyncpg_dsn(fresh_database_url), min_size=1, max_size=4)
    async with pool.acquire() as conn:
        await ensure_schema(conn, PROJECTIONS)
    yield app, pool, ProjectionRunner(pool, PROJECTIONS)
    await pool.close()
    app.close()


def history(app: Oversight, case_type, case_id: UUID) -> list:
    return list(app.history(case_type, case_id, SUPERVISOR)[1])


def types(app: Oversight, case_type, case_id: UUID) -> list[str]:
    return [type(e).__name__ for e in history(app, case_type, case_id)]


async def trail(pool: asyncpg.Pool, case_id: UUID) -> list[tuple]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT type, actor_id, actor_role, at FROM views.audit_trail WHERE case_id = $1 "
            "ORDER BY version",
            case_id,
        )
    return [tuple(r) for r in rows]


# --- project problems -----------------------------------------------------------------


def project(app: Oversight) -> UUID:
    body = pcmd.RegisterProject(
        name="年产十万套汽车零部件项目",
        investor=pcmd.InvestorIn(name="某汽车零部件有限公司", credit_code=credit_code()),
        city="哈尔滨市",
        investment_cny=Decimal("1250000000"),
        sector="汽车制造",
    )
    pid = app.create(PROJECT, CLERK, T0, body).case.id
    leader = pcmd.AssignLeader(leader="副省长 王某")
    app.move(pid, "assign-leader", SUPERVISOR, T0, leader, case_type=PROJECT)
    return pid


def raise_problem(app: Oversight, project_id: UUID) -> UUID:
    body = pcmd.RaiseProblem(
        project_id=project_id,
        category=ProblemCategory.LAND,
        description="用地手续未办结",
        working_days=1,
    )
    return app.create(PROBLEM, CLERK, T0, body).case.id


def problem_move(app: Oversight, case_id: UUID, name: str, at: datetime, body) -> None:
    app.move(case_id, name, SUPERVISOR, at, body, case_type=PROBLEM)


async def problems_pass(app: Oversight, pool: asyncpg.Pool, runner, moment: datetime) -> int:
    await runner.catch_up()
    return await remind_and_escalate_problems(app, pool, Clock(moment))


async def test_an_overdue_problem_is_reminded_once_then_escalated(fresh):
    app, pool, runner = fresh
    pid = project(app)
    late = raise_problem(app, pid)
    escalated = raise_problem(app, pid)  # to the contact leader: still waits on resolution
    problem_move(app, escalated, "escalate", T0, pcmd.Escalate(reason="需省级协调"))
    resolved = raise_problem(app, pid)
    problem_move(app, resolved, "resolve", T0 + timedelta(hours=1), pcmd.Resolve(solution="已办结"))

    # Before the deadline, and at it: nothing.
    assert await problems_pass(app, pool, runner, BEFORE) == 0
    assert await problems_pass(app, pool, runner, DUE) == 0
    assert types(app, PROBLEM, late) == ["Raised"]

    assert await problems_pass(app, pool, runner, WEDNESDAY) == 2
    assert types(app, PROBLEM, late) == ["Raised", "Reminded"]
    assert types(app, PROBLEM, escalated) == ["Raised", "Escalated", "Reminded"]
    assert types(app, PROBLEM, resolved) == ["Raised", "Resolved"]
    reminded = history(app, PROBLEM, late)[-1]
    assert (reminded.actor, reminded.timestamp, reminded.step, reminded.due) == (
        SYSTEM,
        WEDNESDAY,
        "resolution",
        DUE,
    )
    assert reminded.escalate_after == GRACE_END

    # Later the same day, and just before the grace ends: already reminded, nothing new.
    assert await problems_pass(app, pool, runner, WEDNESDAY + timedelta(hours=1)) == 0
    assert await problems_pass(app, pool, runner, GRACE_END - timedelta(minutes=30)) == 0
    assert types(app, PROBLEM, late) == ["Raised", "Reminded"]

    assert await problems_pass(app, pool, runner, GRACE_END) == 2
    assert types(app, PROBLEM, late) == ["Raised", "Reminded", "DeadlineEscalated"]
    assert types(app, PROBLEM, escalated) == [
        "Raised",
        "Escalated",
        "Reminded",
        "DeadlineEscalated",
    ]
    assert await problems_pass(app, pool, runner, GRACE_END + timedelta(days=3)) == 0

    await runner.catch_up()
    assert (await trail(pool, late))[1:] == [
        ("Reminded", "deadline-watcher", "system", WEDNESDAY),
        ("DeadlineEscalated", "deadline-watcher", "system", GRACE_END),
    ]
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM views.project_problems WHERE id = $1", late)
        board = await conn.fetchrow("SELECT * FROM views.project_board WHERE id = $1", pid)
    assert (row["status"], row["reminders"], row["reminded_due"]) == ("open", 1, DUE)
    assert (row["escalate_after"], row["escalated_due"], row["escalated"]) == (
        GRACE_END,
        DUE,
        False,  # not escalated to the contact leader
    )
    assert (board["open_problems"], board["resolved_problems"]) == (2, 1)


async def test_a_reopened_problem_is_reminded_again_for_its_new_deadline(fresh):
    app, pool, runner = fresh
    problem = raise_problem(app, project(app))
    assert await problems_pass(app, pool, runner, WEDNESDAY) == 1
    problem_move(app, problem, "resolve", WEDNESDAY, pcmd.Resolve(solution="已办结"))
    reopened_at = WEDNESDAY + timedelta(hours=1)
    problem_move(app, problem, "reopen", reopened_at, pcmd.Reopen(reason="仍存在", working_days=1))
    assert await problems_pass(app, pool, runner, reopened_at + timedelta(hours=1)) == 0
    new_due = datetime(2024, 9, 26, 9, 30, tzinfo=UTC)  # Thursday 17:30 Beijing
    assert await problems_pass(app, pool, runner, new_due + timedelta(minutes=1)) == 1
    events = history(app, PROBLEM, problem)
    assert [type(e).__name__ for e in events][-2:] == ["Reopened", "Reminded"]
    assert (events[-1].due, events[1].due) == (new_due, DUE)


# --- credit repairs -------------------------------------------------------------------


def apply(app: Oversight) -> UUID:
    code = credit_code()
    body = rc.ApplyForRepair(
        enterprise=rc.EnterpriseIn(name="某食品有限公司", credit_code=code),
        record_id="哈市监罚〔2024〕0127号",
        penalty_authority="哈尔滨市市场监督管理局",
        severity=Severity.GENERAL,
        proof="已缴清罚款并完成整改",
        pledge_signed=True,
    )
    return app.create(CREDIT_REPAIR, actor("enterprise", "ent-1", code), T0, body).case.id


def review(app: Oversight, case_id: UUID, name: str, who, at: datetime) -> None:
    app.move(case_id, name, who, at, rc.RepairReview(passed=True), case_type=CREDIT_REPAIR)


async def repairs_pass(app: Oversight, pool: asyncpg.Pool, runner, moment: datetime) -> int:
    await runner.catch_up()
    return await remind_and_escalate_credit_repairs(app, pool, Clock(moment))


async def test_an_overdue_review_is_reminded_once_then_escalated(fresh):
    app, pool, runner = fresh
    late = apply(app)
    reviewed = apply(app)  # both reviews on time: never reminded
    review(app, reviewed, "initial-review", CLERK, T0 + timedelta(hours=1))
    review(app, reviewed, "re-review", SUPERVISOR, T0 + timedelta(hours=2))
    re_review_late = apply(app)  # the initial review made late, after its reminder

    assert await repairs_pass(app, pool, runner, BEFORE) == 0
    assert await repairs_pass(app, pool, runner, DUE) == 0
    assert await repairs_pass(app, pool, runner, WEDNESDAY) == 2
    assert types(app, CREDIT_REPAIR, late) == ["Applied", "Reminded"]
    assert types(app, CREDIT_REPAIR, reviewed) == ["Applied", "InitiallyReviewed", "ReReviewed"]
    reminded = history(app, CREDIT_REPAIR, late)[-1]
    assert (reminded.actor, reminded.step, reminded.due, reminded.escalate_after) == (
        SYSTEM,
        "initial_review",
        DUE,
        GRACE_END,
    )
    assert await repairs_pass(app, pool, runner, WEDNESDAY + timedelta(minutes=30)) == 0

    # The re-review waits next, due at the same instant: a reminder of its own.
    review(app, re_review_late, "initial-review", CLERK, WEDNESDAY + timedelta(hours=1))
    assert await repairs_pass(app, pool, runner, WEDNESDAY + timedelta(hours=2)) == 1
    assert types(app, CREDIT_REPAIR, re_review_late) == [
        "Applied",
        "Reminded",
        "InitiallyReviewed",
        "Reminded",
    ]
    assert history(app, CREDIT_REPAIR, re_review_late)[-1].step == "re_review"

    # Both reminders' grace ends at office close on the 5th working day: 10-08 17:30.
    assert await repairs_pass(app, pool, runner, GRACE_END - timedelta(minutes=1)) == 0
    assert await repairs_pass(app, pool, runner, GRACE_END) == 2
    assert types(app, CREDIT_REPAIR, late) == ["Applied", "Reminded", "Escalated"]
    escalated = history(app, CREDIT_REPAIR, re_review_late)[-1]
    assert (type(escalated).__name__, escalated.step, escalated.due) == (
        "Escalated",
        "re_review",
        DUE,
    )
    assert await repairs_pass(app, pool, runner, GRACE_END + timedelta(days=3)) == 0

    await runner.catch_up()
    assert (await trail(pool, late))[1:] == [
        ("Reminded", "deadline-watcher", "system", WEDNESDAY),
        ("Escalated", "deadline-watcher", "system", GRACE_END),
    ]
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM views.credit_repair_register WHERE id = $1", late)
        other = await conn.fetchrow(
            "SELECT * FROM views.credit_repair_register WHERE id = $1", re_review_late
        )
    assert (row["status"], row["reminders"], row["reminded_step"], row["reminded_due"]) == (
        "applied",
        1,
        "initial_review",
        DUE,
    )
    assert (row["escalate_after"], row["escalated_step"], row["escalated_due"]) == (
        GRACE_END,
        "initial_review",
        DUE,
    )
    assert (other["reminders"], other["reminded_step"], other["escalated_step"]) == (
        2,
        "re_review",
        "re_review",
    )


async def test_the_served_watcher_loop_runs_both(fresh):
    """`oversight serve` runs every watcher in WATCHERS: these are listed and remind."""
    app, pool, runner = fresh
    assert remind_and_escalate_problems in WATCHERS
    assert remind_and_escalate_credit_repairs in WATCHERS
    problem = raise_problem(app, project(app))
    repair = apply(app)
    await runner.catch_up()
    stop = asyncio.Event()
    task = asyncio.create_task(run_watchers(app, pool, Clock(WEDNESDAY), stop, every_seconds=0.05))
    try:
        for _ in range(100):
            reminded = (types(app, PROBLEM, problem)[-1], types(app, CREDIT_REPAIR, repair)[-1])
            if reminded == ("Reminded", "Reminded"):
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
    assert types(app, PROBLEM, problem) == ["Raised", "Reminded"]
    assert types(app, CREDIT_REPAIR, repair) == ["Applied", "Reminded"]


async def test_watchers_turned_off_mark_nothing(fresh):
    """OVERSIGHT_WATCH_SECONDS=0: this process does not watch (a worker does)."""
    app, pool, runner = fresh
    problem = raise_problem(app, project(app))
    await runner.catch_up()
    stop = asyncio.Event()  # never set: a loop that ran would never return
    await asyncio.wait_for(run_watchers(app, pool, Clock(WEDNESDAY), stop, every_seconds=0), 5)
    assert types(app, PROBLEM, problem) == ["Raised"]
