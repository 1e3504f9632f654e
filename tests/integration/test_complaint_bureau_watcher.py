"""Issue 11 §2-§3 on real PostgreSQL: each new deadline of a complaint (the bureau's
transfer and review, the enterprise's rating window) in the warnings, reminded and
escalated by the watcher, the window's end closing the case as not rated, escalated
steps first in the warnings, and the department ranking judging only the department's
own step.

Times: Monday 2024-09-23 in Beijing (UTC+8); 2024's National Day holiday is 1-7
October, with Sunday 29 September and Saturday 12 October worked.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from domain import commands as cmd
from domain.complaint_case import COMPLAINT
from domain.values import Rating
from oversight.complaint_watcher import remind_and_escalate_complaints
from oversight.database import asyncpg_dsn
from oversight.runtime import PROJECTIONS
from projections.dashboard import department_ranking
from projections.runner import ProjectionRunner, ensure_schema
from projections.warnings import list_warnings
from tests.conftest import actor
from tests.support import credit_code

pytestmark = pytest.mark.integration

CST = timezone(timedelta(hours=8))
CLERK = actor("clerk", "clerk-1")
SUPERVISOR = actor("supervisor", "sup-1")
SYSTEM_ID = "deadline-watcher"


def cst(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=CST)


def close_of(month: int, day: int) -> datetime:
    return cst(month, day, 17, 30)


@pytest.fixture
async def pool(database_url):
    pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=4)
    async with pool.acquire() as conn:
        await ensure_schema(conn, PROJECTIONS)
    yield pool
    await pool.close()


class Case:
    """One complaint moved through the application at given times."""

    def __init__(self, app: Any, at: datetime, dept: str) -> None:
        self.app = app
        self.code = credit_code()
        self.dept = dept
        body = cmd.LodgeComplaint(
            kind=cmd.Kind.COMPLAINT,
            channel=cmd.Channel.WEB,
            category="approval",
            title="审批超时",
            description="d",
            complainant=cmd.ComplainantIn(name="某公司", credit_code=self.code),
        )
        self.id: UUID = app.lodge_complaint(actor("enterprise", "e", self.code), at, body).case.id

    def move(self, name: str, at: datetime, body: cmd.Command, who: Any = CLERK) -> None:
        self.app.move(self.id, name, who, at, body, case_type=COMPLAINT)

    def department(self) -> Any:
        return actor("department", "d-1", self.dept)

    def events(self) -> list[Any]:
        return list(self.app.history(COMPLAINT, self.id, SUPERVISOR)[1])

    def types(self) -> list[str]:
        return [type(e).__name__ for e in self.events()]


async def catch_up(pool) -> None:
    await ProjectionRunner(pool, PROJECTIONS).catch_up()


async def watch(app, pool, moment: datetime) -> int:
    await catch_up(pool)
    raised = await remind_and_escalate_complaints(app, pool, lambda: moment)
    await catch_up(pool)
    return raised


async def warnings_at(app, pool, moment: datetime, **filters: Any) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        return await list_warnings(
            conn,
            now=moment,
            due_soon_until=app.calendar.due_at(moment, 1),
            case_type="complaint",
            limit=1000,
            **filters,
        )


def warning_of(rows: list[dict[str, Any]], case: Case) -> dict[str, Any] | None:
    found = [r for r in rows if r["case_id"] == case.id]
    assert len(found) <= 1
    return found[0] if found else None


async def summary(pool, case: Case) -> dict[str, Any]:
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM views.complaint_summary WHERE id = $1", case.id)
    return dict(row)


def dept() -> str:
    return "d-" + credit_code()[:8].lower()


async def test_the_transfer_step_warns_reminds_and_escalates(application, pool):
    # Given a case lodged and accepted Monday: the transfer is due Tuesday 17:30.
    case = Case(application, cst(9, 23), dept())
    case.move("accept", cst(9, 23, 11), cmd.Accept())
    await catch_up(pool)
    # When a supervisor looks at the warnings Tuesday morning
    row = warning_of(await warnings_at(application, pool, cst(9, 24, 9)), case)
    # Then the transfer is due soon, the bureau's intake must act, nothing escalated.
    assert row is not None
    assert (row["step"], row["due_at"], row["level"]) == ("transfer", close_of(9, 24), "due_soon")
    assert (row["responsible_kind"], row["responsible"]) == ("bureau", "intake")
    assert (row["escalated"], row["escalation_level"]) == (False, 0)
    # When the watcher passes Tuesday before the due: nothing.
    await watch(application, pool, cst(9, 24, 17))
    assert case.types() == ["Lodged", "Accepted"]
    # When it passes Wednesday: one reminder by the system about the transfer.
    await watch(application, pool, cst(9, 25, 9))
    await watch(application, pool, cst(9, 25, 11))  # and not twice
    assert case.types() == ["Lodged", "Accepted", "Reminded"]
    reminded = case.events()[-1]
    assert (reminded.actor.id, reminded.step, reminded.due) == (
        SYSTEM_ID,
        "transfer",
        close_of(9, 24),
    )
    row = warning_of(await warnings_at(application, pool, cst(9, 25, 11)), case)
    assert row is not None and row["level"] == "overdue"
    view = await summary(pool, case)
    assert (view["open_reminders"], view["reminded_step"], view["due_step"]) == (
        1,
        "transfer",
        "transfer",
    )
    # When the grace (5 working days after Wednesday: 26, 27, 29, 30 Sep, 8 Oct) has run
    # out, and not a minute before
    await watch(application, pool, cst(10, 8, 17, 29))
    assert case.types()[-1] == "Reminded"
    await watch(application, pool, close_of(10, 8))
    # Then the step is escalated: level 1, at that time, listed as escalated.
    assert case.types() == ["Lodged", "Accepted", "Reminded", "Escalated"]
    view = await summary(pool, case)
    assert (view["escalation_level"], view["escalated_at"], view["escalated_step"]) == (
        1,
        close_of(10, 8),
        "transfer",
    )
    row = warning_of(await warnings_at(application, pool, cst(10, 9)), case)
    assert row is not None
    assert (row["escalated"], row["escalation_level"], row["escalated_at"]) == (
        True,
        1,
        close_of(10, 8),
    )
    # When the case is finally transferred, Then the new step starts unescalated.
    case.move("transfer", cst(10, 9), cmd.Transfer(department=case.dept))
    await catch_up(pool)
    view = await summary(pool, case)
    assert (view["due_step"], view["escalation_level"], view["open_reminders"]) == (
        "handling",
        0,
        0,
    )


async def test_the_review_step_warns_reminds_and_escalates(application, pool):
    # Given a reply on Wednesday 10:00: the review is due Friday 17:30.
    case = Case(application, cst(9, 23), dept())
    case.move("accept", cst(9, 23, 11), cmd.Accept())
    case.move("transfer", cst(9, 23, 12), cmd.Transfer(department=case.dept))
    case.move("reply", cst(9, 25), cmd.Reply(answer="已办结"), case.department())
    await catch_up(pool)
    row = warning_of(await warnings_at(application, pool, cst(9, 27, 9)), case)
    assert row is not None
    assert (row["step"], row["due_at"], row["level"]) == ("review", close_of(9, 27), "due_soon")
    assert (row["responsible_kind"], row["responsible"]) == ("bureau", "supervision")
    # The watcher reminds it on Sunday 29th (a working day), escalates 5 working days on.
    await watch(application, pool, cst(9, 29, 9))
    assert case.types()[-1] == "Reminded"
    assert case.events()[-1].step == "review"
    await watch(application, pool, cst(10, 11, 17))  # 30 Sep, 8-11 Oct: the 5th is the 11th
    assert case.types()[-1] == "Reminded"
    await watch(application, pool, close_of(10, 11))
    assert case.types()[-2:] == ["Reminded", "Escalated"]
    assert case.events()[-1].step == "review"


async def test_a_reminder_by_hand_is_not_repeated_by_the_watcher(application, pool):
    case = Case(application, cst(9, 23), dept())
    case.move("accept", cst(9, 23, 11), cmd.Accept())
    # A supervisor reminds by hand after the transfer's due (Tuesday 17:30)
    case.move("remind", cst(9, 25, 9), cmd.Remind(note="请立即转办"), SUPERVISOR)
    await watch(application, pool, cst(9, 25, 10))
    # Then the watcher finds the deadline reminded already.
    assert case.types() == ["Lodged", "Accepted", "Reminded"]
    view = await summary(pool, case)
    assert (view["reminders"], view["open_reminders"], view["reminded_step"]) == (
        1,
        1,
        "transfer",
    )


async def test_the_rating_window_warns_then_its_end_closes_the_case_not_rated(application, pool):
    # Given a reply approved Thursday 26th 10:00: the enterprise may rate until
    # 9 October 17:30 (27, 29, 30 Sep, 8, 9 Oct).
    case = Case(application, cst(9, 23), dept())
    case.move("accept", cst(9, 23, 11), cmd.Accept())
    case.move("transfer", cst(9, 23, 12), cmd.Transfer(department=case.dept))
    case.move("reply", cst(9, 25), cmd.Reply(answer="已办结"), case.department())
    case.move("review", cst(9, 26), cmd.Review(approved=True), SUPERVISOR)
    await catch_up(pool)
    # Then the warnings show the window closing on the 9th, the enterprise to act.
    row = warning_of(await warnings_at(application, pool, cst(10, 8, 9)), case)
    assert row is not None
    assert (row["step"], row["due_at"], row["level"]) == ("rating", close_of(10, 9), "due_soon")
    assert (row["responsible_kind"], row["responsible"]) == ("enterprise", case.code)
    # The watcher neither reminds nor closes it while the window is open.
    await watch(application, pool, close_of(10, 9))
    assert case.types()[-1] == "Reviewed"
    # When the window has passed
    await watch(application, pool, cst(10, 10, 9))
    # Then the system closed it, not rated; nothing to warn about any more.
    assert case.types()[-1] == "ClosedUnrated"
    closed = case.events()[-1]
    assert (closed.actor.id, closed.actor.role, closed.rating, closed.rating_due) == (
        SYSTEM_ID,
        "system",
        "not_rated",
        close_of(10, 9),
    )
    view = await summary(pool, case)
    assert (view["status"], view["rating"], view["closed_at"], view["due_at"]) == (
        "closed",
        "not_rated",
        cst(10, 10, 9),
        None,
    )
    assert warning_of(await warnings_at(application, pool, cst(10, 10, 9)), case) is None
    async with pool.acquire() as conn:
        facts = await conn.fetch(
            "SELECT type, status_to, rating FROM views.case_facts WHERE case_id = $1 "
            "ORDER BY position",
            case.id,
        )
        # And the department's satisfaction counts no rating for it.
        ranking = await department_ranking(conn, start=cst(9, 1), end=cst(11, 1))
    assert tuple(facts[-1]) == ("ClosedUnrated", "closed", "not_rated")
    (mine,) = [r for r in ranking if r["department"] == case.dept]
    assert (mine["rated"], mine["satisfied_share"]) == (0, None)


async def test_escalated_steps_come_first_in_the_warnings(application, pool):
    # Given an older overdue step never escalated and a newer one escalated
    older = Case(application, cst(9, 23), dept())
    older.move("accept", cst(9, 23, 11), cmd.Accept())
    older.move("transfer", cst(9, 23, 12), cmd.Transfer(department=older.dept, working_days=0))
    newer = Case(application, cst(9, 23), dept())
    newer.move("accept", cst(9, 24), cmd.Accept())  # transfer due Wednesday 25th
    await watch(application, pool, cst(9, 26, 9))  # both reminded
    assert older.types()[-1] == newer.types()[-1] == "Reminded"
    older.move("request-extension", cst(9, 26, 10), cmd.RequestExtension(
        working_days=10, reason="核查"), older.department())  # fmt: skip
    older.move("decide-extension", cst(9, 26, 11), cmd.DecideExtension(approved=True), SUPERVISOR)
    # older: handling now due in late October; newer: escalated on 10 October (27, 29,
    # 30 Sep, 8, 9 Oct: the grace ends 9 Oct 17:30).
    await watch(application, pool, cst(10, 10, 9))
    assert newer.types()[-1] == "Escalated"
    late_reply = Case(application, cst(9, 23), dept())  # overdue, earliest, not escalated
    late_reply.move("accept", cst(9, 23, 11), cmd.Accept())
    await catch_up(pool)
    rows = await warnings_at(application, pool, cst(10, 10, 10), responsible="intake")
    assert len(rows) < 1000
    ids = [r["case_id"] for r in rows]
    assert ids.index(newer.id) < ids.index(late_reply.id)
    # Every escalated row precedes every other; each part is in deadline order.
    flags = [r["escalated"] for r in rows]
    assert flags == sorted(flags, reverse=True)
    for part in (True, False):
        keys = [(r["due_at"], r["case_id"]) for r in rows if r["escalated"] is part]
        assert keys == sorted(keys)
    # And the keyset pages walk the same order.
    paged: list[UUID] = []
    after = None
    while True:
        async with pool.acquire() as conn:
            page = await list_warnings(
                conn,
                now=cst(10, 10, 10),
                due_soon_until=application.calendar.due_at(cst(10, 10, 10), 1),
                case_type="complaint",
                responsible="intake",
                limit=3,
                after=after,
            )
        paged += [r["case_id"] for r in page]
        if len(page) < 3:
            break
        last = page[-1]
        after = (last["escalated"], last["due_at"], last["case_id"])
    assert paged == ids


async def test_the_ranking_judges_a_department_only_on_its_own_step(application, pool):
    # Given a case whose transfer and review were late (the bureau's steps) but whose
    # reply was on time (the department's step)
    case = Case(application, cst(9, 23), dept())
    case.move("accept", cst(9, 23, 11), cmd.Accept())  # transfer due Tuesday
    case.move("transfer", cst(9, 26), cmd.Transfer(department=case.dept))  # late
    case.move("reply", cst(9, 27), cmd.Reply(answer="已办结"), case.department())
    case.move("review", cst(10, 10), cmd.Review(approved=True), SUPERVISOR)  # late
    case.move("rate", cst(10, 11), cmd.Rate(rating=Rating.SATISFIED), actor(
        "enterprise", "e", case.code))  # fmt: skip
    await catch_up(pool)
    async with pool.acquire() as conn:
        ranking = await department_ranking(conn, start=cst(9, 1), end=cst(11, 1))
    (mine,) = [r for r in ranking if r["department"] == case.dept]
    # Then its on-time rate is that of its reply: 100 %.
    assert (mine["replied"], mine["on_time_rate"], mine["satisfied_share"]) == (1, 100.0, 100.0)


async def test_loading_next_years_schedule_recomputes_a_provisional_transfer_due(
    fresh_database_url, settings, tmp_path
):
    """§1's recompute covers the bureau's steps: a case accepted on 31 December 2026
    has its transfer due on 2027's provisional calendar until the year file is loaded.
    (An empty database and a calendar directory of its own: the year file and the
    recompute reach no other test's cases.)"""
    import dataclasses
    import json

    from domain.calendar import install_year_file
    from oversight.calendar_recompute import recompute_open_deadlines
    from oversight.runtime import build_application

    calendar_dir = tmp_path / "calendar"
    mine = dataclasses.replace(settings, calendar_dir=calendar_dir)
    app = build_application(fresh_database_url, mine)
    pool = await asyncpg.create_pool(asyncpg_dsn(fresh_database_url), min_size=1, max_size=4)
    async with pool.acquire() as conn:
        await ensure_schema(conn, PROJECTIONS)
    try:
        when = datetime(2026, 12, 31, 10, 0, tzinfo=CST)  # Thursday
        case = Case(app, when - timedelta(hours=1), dept())
        case.move("accept", when, cmd.Accept())
        accepted = case.events()[-1]
        # 1 January 2027 is New Year's Day on the provisional calendar: due Monday 4th.
        assert (accepted.transfer_due, accepted.transfer_due_provisional) == (
            datetime(2027, 1, 4, 17, 30, tzinfo=CST),
            True,
        )
        await catch_up(pool)
        # When a 2027 file with 4 January off too is loaded and the recompute runs
        year_file = tmp_path / "2027.json"
        year_file.write_text(
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
        install_year_file(year_file, calendar_dir)
        assert await recompute_open_deadlines(app, pool, when + timedelta(hours=1), year=2027) == 1
        # Then the transfer is due Tuesday 5th, no longer provisional, by the system.
        recomputed = case.events()[-1]
        assert type(recomputed).__name__ == "DeadlineRecomputed"
        assert (recomputed.actor.id, recomputed.step, recomputed.old_due, recomputed.new_due) == (
            SYSTEM_ID,
            "transfer",
            datetime(2027, 1, 4, 17, 30, tzinfo=CST),
            datetime(2027, 1, 5, 17, 30, tzinfo=CST),
        )
        assert recomputed.due_provisional is False
        await catch_up(pool)
        view = await summary(pool, case)
        assert (view["due_step"], view["due_at"], view["due_provisional"]) == (
            "transfer",
            datetime(2027, 1, 5, 17, 30, tzinfo=CST),
            False,
        )
    finally:
        await pool.close()
        app.close()
