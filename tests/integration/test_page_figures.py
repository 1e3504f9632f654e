"""The dashboard page's own figures (projections/trends.py) on the demo data: the weeks
add up to the period's figures of the API's dashboard (projections/dashboard.py), each
week's rates are computed as the period's are, the late replies by department agree
with the department ranking, the overdue work by department with the complaint list's
filters, and a period with nothing in it divides by nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from domain.values import Actor, Role
from oversight.database import asyncpg_dsn
from oversight.demo import DEMO_START, RELEASE_DAY, load_demo
from oversight.runtime import PROJECTIONS, build_application
from oversight.settings import Settings
from projections import complaint_summary, trends
from projections.dashboard import complaint_figures, day_bounds, department_ranking, percent
from projections.runner import ProjectionRunner, ensure_schema

pytestmark = pytest.mark.integration

TZ = DEMO_START.tzinfo
FIRST = date(2020, 1, 1)


def load(url: str, settings: Settings) -> None:
    from oversight.identity_cli import load_demo_organisation

    app = build_application(url, settings)
    try:
        load_demo_organisation(app, DEMO_START - timedelta(days=1))
        load_demo(app, start=DEMO_START)
    finally:
        app.close()


@pytest.fixture(scope="module")
async def pool(create_database: Callable[[], str], settings: Settings):
    url = create_database()
    await asyncio.to_thread(load, url, settings)
    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=1, max_size=4)
    async with pool.acquire() as conn:
        await ensure_schema(conn, PROJECTIONS)
    await ProjectionRunner(pool, PROJECTIONS).catch_up()
    yield pool
    await pool.close()


def bounds(last: date, as_of: date | None = None) -> tuple[datetime, datetime]:
    from zoneinfo import ZoneInfo

    start, end, _ = day_bounds(FIRST, last, as_of, ZoneInfo("Asia/Shanghai"))
    return start, end


async def test_the_weeks_add_up_to_the_period(pool: asyncpg.Pool) -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    start, end = bounds(RELEASE_DAY)
    async with pool.acquire() as conn:
        weeks = await trends.weekly(conn, start=start, end=end, tz=tz, first=FIRST)
        period = await complaint_figures(conn, start=start, end=end, status_day=RELEASE_DAY)
    # Every week from the one of 1 January 2020 (Monday 30 December) to the release's.
    assert weeks[0]["week"] == date(2019, 12, 30)
    assert weeks[-1]["week"] == RELEASE_DAY - timedelta(days=RELEASE_DAY.weekday())
    assert [w["week"] for w in weeks] == [
        weeks[0]["week"] + timedelta(weeks=i) for i in range(len(weeks))
    ]
    replies = period["replies"]
    assert sum(w["replied"] for w in weeks) == replies["replied"] > 0
    assert sum(w["on_time"] for w in weeks) == replies["on_time"]
    satisfaction = period["satisfaction"]
    assert sum(w["rated"] for w in weeks) == satisfaction["rated"] > 0
    satisfied = sum(w["satisfied"] for w in weeks)
    assert percent(satisfied, satisfaction["rated"]) == satisfaction["satisfied_share"]
    for w in weeks:
        assert w["on_time_rate"] == percent(w["on_time"], w["replied"])
        assert w["satisfied_share"] == percent(w["satisfied"], w["rated"])
    # Weeks with nothing in them have no rate, not a rate of 0.
    quiet = [w for w in weeks if w["replied"] == 0]
    assert quiet and all(w["on_time_rate"] is None for w in quiet)


async def test_a_period_with_nothing_in_it(pool: asyncpg.Pool) -> None:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    first, last = date(2019, 3, 1), date(2019, 3, 31)
    start, end, _ = day_bounds(first, last, None, tz)
    async with pool.acquire() as conn:
        weeks = await trends.weekly(conn, start=start, end=end, tz=tz, first=first)
        late = await trends.late_replies_by_department(conn, start=start, end=end)
    assert len(weeks) == 5 and weeks[0]["week"] == date(2019, 2, 25)
    assert all(w["replied"] == w["rated"] == 0 for w in weeks)
    assert all(w["on_time_rate"] is None and w["satisfied_share"] is None for w in weeks)
    assert late == []
    assert trends.weeks(date(2020, 1, 2), date(2020, 1, 1)) == []


async def test_late_replies_by_department_agree_with_the_ranking(pool: asyncpg.Pool) -> None:
    start, end = bounds(RELEASE_DAY)
    async with pool.acquire() as conn:
        late = await trends.late_replies_by_department(conn, start=start, end=end)
        ranking = await department_ranking(conn, start=start, end=end)
    by_department = {r["department"]: r for r in ranking}
    assert late, "the demo has late replies"
    for row in late:
        ranked = by_department[row["department"]]
        assert row["replied"] == ranked["replied"]
        on_time = row["replied"] - row["late"]
        assert percent(on_time, row["replied"]) == ranked["on_time_rate"]
    # Every department with a late reply is listed, most late first.
    assert sorted(late, key=lambda r: (-r["late"], r["department"])) == late
    assert {r["department"] for r in ranking if r["on_time_rate"] not in (None, 100.0)} == {
        r["department"] for r in late
    }


async def test_overdue_work_by_department_is_the_complaint_list_s(pool: asyncpg.Pool) -> None:
    now = datetime(2020, 7, 10, 2, 0, tzinfo=UTC)
    supervisor = Actor(id="sup", role=Role.SUPERVISOR)
    async with pool.acquire() as conn:
        overdue = await trends.overdue_by_department(conn, now=now)
        listed = await complaint_summary.list_complaints(
            conn, supervisor, now=now, status="transferred", overdue=True, limit=1000
        )
    counted: dict[str, int] = {}
    for row in listed:
        counted[row["department"]] = counted.get(row["department"], 0) + 1
    assert {r["department"]: r["overdue"] for r in overdue} == counted
    assert sum(counted.values()) > 0
