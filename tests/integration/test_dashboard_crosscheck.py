"""Every complaint figure on the dashboard, computed another way: from the cases'
histories (what the history endpoint serves), on random scenarios."""

from __future__ import annotations

import asyncio
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import commands as cmd
from domain.complaint_case import COMPLAINT
from domain.values import Channel, Kind, Rating
from oversight.database import asyncpg_dsn
from oversight.runtime import PROJECTIONS, build_application
from projections.dashboard import OPEN_COMPLAINT, SATISFIED, complaint_figures, day_bounds
from projections.runner import ProjectionRunner, ensure_schema
from tests.conftest import actor
from tests.support import credit_code

pytestmark = pytest.mark.integration

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2024, 9, 2, 0, 0, tzinfo=UTC)
CLERK = actor("clerk", "c")
SUPERVISOR = actor("supervisor", "s")
DEPTS = ("d-a", "d-b")
RATINGS = ("very_satisfied", "satisfied", "basically_satisfied", "unsatisfied", "very_unsatisfied")

# A case's script: its lodging offset, then a sequence of (hours later, choice) steps.
steps = st.lists(st.tuples(st.integers(1, 80), st.integers(0, 99)), min_size=0, max_size=9)
case_scripts = st.lists(
    st.tuples(st.integers(0, 24 * 20), st.sampled_from(["appeal", "complaint", "report"]), steps),
    min_size=1,
    max_size=6,
)


def play(app, script) -> None:
    """Drive one case through moves its status allows, picked by the script."""
    offset, kind, moves = script
    code = credit_code()
    at = START + timedelta(hours=offset)
    body = cmd.LodgeComplaint(
        kind=Kind(kind),
        channel=Channel.WEB if offset % 2 else Channel.HOTLINE,
        category="approval",
        title="t",
        description="d",
        complainant=cmd.ComplainantIn(name="某公司", credit_code=code),
    )
    case = app.lodge_complaint(actor("enterprise", "e", code), at, body).case
    ent = actor("enterprise", "e", code)
    for hours, choice in moves:
        at += timedelta(hours=hours)
        status = case.status.value
        dept = actor("department", "d", case.department)
        options = {
            "lodged": [("accept", CLERK, cmd.Accept()), ("reject", CLERK, cmd.Reject(reason="r"))],
            "accepted": [
                ("transfer", CLERK, cmd.Transfer(department=DEPTS[choice % 2], working_days=2))
            ],
            "transferred": [
                ("reply", dept, cmd.Reply(answer="a")),
                ("send-back", dept, cmd.SendBack(reason="r")),
            ],
            "replied": [
                ("review", SUPERVISOR, cmd.Review(approved=True)),
                ("review", SUPERVISOR, cmd.Review(approved=False, note="redo")),
            ],
            "awaiting_rating": [
                ("rate", ent, cmd.Rate(rating=Rating(RATINGS[choice % 5]))),
                ("close", SUPERVISOR, cmd.Close()),
            ],
        }.get(status)
        if not options:
            return
        if choice % 10 == 9:
            app.move(case.id, "supervise", SUPERVISOR, at, cmd.Supervise(note="督办"))
            case = app.complaint(case.id, SUPERVISOR)
            continue
        move, who, command = options[choice % len(options)]
        case = app.move(case.id, move, who, at, command).case


def expected(app, case_ids, start, end, status_day, calendar) -> dict:
    """The figures, folded from each case's history."""
    end_of_status_day = datetime.combine(status_day + timedelta(days=1), datetime.min.time(), TZ)
    f = Counter()
    kinds, channels, departments, ratings, statuses = (Counter() for _ in range(5))
    handling_days: list[float] = []
    for case_id in case_ids:
        _, events = app.history(COMPLAINT, case_id, SUPERVISOR)
        acceptance_due = handling_due = transferred_at = None
        status = None
        for e in events:
            name, at = type(e).__name__, e.timestamp
            inside = start <= at < end
            new_status = None
            if name == "Lodged":
                acceptance_due, new_status = e.acceptance_due, "lodged"
                if inside:
                    f["lodged"] += 1
                    kinds[str(e.kind)] += 1
                    channels[str(e.channel)] += 1
            elif name == "Accepted":
                new_status = "accepted"
                if inside:
                    f["accepted"] += 1
                    f["accepted_on_time"] += at <= acceptance_due
            elif name == "Transferred":
                new_status, handling_due, transferred_at = "transferred", e.due, at
                if inside:
                    departments[e.department] += 1
            elif name == "SentBack":
                new_status = "accepted"
            elif name == "Replied":
                new_status = "replied"
                if inside:
                    f["replied"] += 1
                    f["replied_on_time"] += at <= handling_due
                    handling_days.append(calendar.working_days_between(transferred_at, at))
            elif name == "Reviewed":
                if e.approved:
                    new_status = "awaiting_rating"
                else:
                    new_status, handling_due, transferred_at = "transferred", e.due, at
                    f["redone"] += inside
            elif name == "Rated":
                if inside:
                    ratings[str(e.rating)] += 1
                if e.due is None:
                    new_status = "closed"
                else:
                    new_status, handling_due, transferred_at = "transferred", e.due, at
                    f["redone"] += inside
            elif name in ("Rejected", "Closed", "Withdrawn"):
                new_status = name.lower()
            elif name == "Supervised":
                f["supervised"] += inside
            if new_status:
                if inside and new_status in ("closed", "rejected", "withdrawn"):
                    f[new_status] += 1
                if at < end_of_status_day:
                    status = new_status
        if status:
            statuses[status] += 1
    rated = sum(ratings.values())
    pct = lambda a, b: None if b == 0 else round(100 * a / b, 2)  # noqa: E731
    return {
        "by_status": dict(statuses),
        "by_kind": dict(kinds),
        "by_channel": dict(channels),
        "by_department": dict(departments),
        "lodged": f["lodged"],
        "closed": f["closed"],
        "rejected": f["rejected"],
        "withdrawn": f["withdrawn"],
        "open": sum(statuses[s] for s in OPEN_COMPLAINT),
        "acceptance": (
            f["accepted"],
            f["accepted_on_time"],
            pct(f["accepted_on_time"], f["accepted"]),
        ),
        "replies": (f["replied"], f["replied_on_time"], pct(f["replied_on_time"], f["replied"])),
        "handling": None
        if not handling_days
        else round(sum(handling_days) / len(handling_days), 2),
        "ratings": dict(+ratings),
        "satisfied_share": pct(sum(ratings[r] for r in SATISFIED), rated),
        "redone": f["redone"],
        "supervision_notices": f["supervised"],
    }


def actual(figures: dict) -> dict:
    return {
        **{k: figures[k] for k in ("by_status", "by_kind", "by_channel", "by_department")},
        **{k: figures[k] for k in ("lodged", "closed", "rejected", "withdrawn", "open")},
        "acceptance": tuple(figures["acceptance"].values()),
        "replies": (
            figures["replies"]["replied"],
            figures["replies"]["on_time"],
            figures["replies"]["rate"],
        ),
        "handling": figures["replies"]["average_handling_working_days"],
        "ratings": {k: v for k, v in figures["satisfaction"]["distribution"].items() if v},
        "satisfied_share": figures["satisfaction"]["satisfied_share"],
        "redone": figures["redone"],
        "supervision_notices": figures["supervision_notices"],
    }


def test_dashboard_figures_match_the_histories(fresh_database_url, settings: object) -> None:
    app = build_application(fresh_database_url, settings)
    created: list = []

    async def figures_for(first: date, last: date, as_of: date | None):
        pool = await asyncpg.create_pool(asyncpg_dsn(fresh_database_url), min_size=1, max_size=2)
        try:
            async with pool.acquire() as conn:
                await ensure_schema(conn, PROJECTIONS)
            await ProjectionRunner(pool, PROJECTIONS).catch_up()
            start, end, status_day = day_bounds(first, last, as_of, TZ)
            async with pool.acquire() as conn:
                figures = await complaint_figures(conn, start=start, end=end, status_day=status_day)
            return start, end, status_day, figures
        finally:
            await pool.close()

    @settings_for_db
    @given(
        scripts=case_scripts,
        first=st.integers(0, 15),
        length=st.integers(0, 20),
        as_of=st.none() | st.integers(0, 30),
    )
    def check(scripts, first, length, as_of) -> None:
        for script in scripts:
            before = set(app_ids(app))
            play(app, script)
            created.extend(set(app_ids(app)) - before)
        first_day = date(2024, 9, 2) + timedelta(days=first)
        last_day = first_day + timedelta(days=length)
        as_of_day = None if as_of is None else date(2024, 9, 2) + timedelta(days=as_of)
        # A loop of its own, in a thread: pytest-asyncio owns this thread's loop.
        with ThreadPoolExecutor(1) as executor:
            start, end, status_day, figures = executor.submit(
                asyncio.run, figures_for(first_day, last_day, as_of_day)
            ).result()
        assert actual(figures) == expected(app, created, start, end, status_day, app.calendar)

    try:
        check()
    finally:
        app.close()


def app_ids(app) -> list:
    with app.store.datastore.transaction(commit=False) as curs:
        curs.execute("SELECT DISTINCT originator_id FROM oversight_events")
        return [r["originator_id"] for r in curs.fetchall()]


settings_for_db = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
