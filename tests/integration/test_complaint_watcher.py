"""The complaints' deadline watcher on real PostgreSQL: reminders and escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from domain import commands as cmd
from oversight.complaint_watcher import remind_and_escalate_complaints
from oversight.database import asyncpg_dsn
from oversight.runtime import PROJECTIONS
from projections.runner import ProjectionRunner, ensure_schema
from tests.conftest import actor
from tests.support import credit_code

pytestmark = pytest.mark.integration

LODGED = datetime(2024, 9, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 Beijing
SUPERVISOR = actor("supervisor", "sup-1")


@pytest.fixture
async def pool(database_url):
    pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=4)
    async with pool.acquire() as conn:
        await ensure_schema(conn, PROJECTIONS)
    yield pool
    await pool.close()


def lodge(app) -> tuple:
    code = credit_code()
    body = cmd.LodgeComplaint(
        kind="complaint",
        channel="web",
        category="approval",
        title="t",
        description="d",
        complainant=cmd.ComplainantIn(name="某公司", credit_code=code),
    )
    return app.lodge_complaint(actor("enterprise", "e", code), LODGED, body).case


def types(app, case_id) -> list[str]:
    return [type(e).__name__ for e in app.history(app_case_type(), case_id, SUPERVISOR)[1]]


def app_case_type():
    from domain.complaint_case import COMPLAINT

    return COMPLAINT


async def pass_at(app, pool, moment: datetime) -> int:
    await ProjectionRunner(pool, PROJECTIONS).catch_up()
    return await remind_and_escalate_complaints(app, pool, lambda: moment)


async def test_an_overdue_acceptance_is_reminded_once_then_escalated(application, pool):
    late = lodge(application)
    on_time = lodge(application)
    application.move(on_time.id, "accept", actor("clerk", "c"), LODGED, cmd.Accept())
    # (accepted cases wait on their transfer, due the next working day: issue 11 §2)
    application.move(
        on_time.id, "transfer", actor("clerk", "c"), LODGED, cmd.Transfer(department="d1")
    )

    # Before the deadline (Tuesday 17:30 Beijing): nothing.
    await pass_at(application, pool, datetime(2024, 9, 24, 9, 0, tzinfo=UTC))
    assert types(application, late.id) == ["Lodged"]

    wednesday = datetime(2024, 9, 25, 2, 0, tzinfo=UTC)
    assert await pass_at(application, pool, wednesday) >= 1
    assert types(application, late.id) == ["Lodged", "Reminded"]
    assert types(application, on_time.id) == ["Lodged", "Accepted", "Transferred"]
    reminded = application.history(app_case_type(), late.id, SUPERVISOR)[1][-1]
    assert (reminded.actor.role, reminded.step) == ("system", "acceptance")

    # The next pass, the same day: already reminded, nothing new.
    await pass_at(application, pool, wednesday + timedelta(hours=1))
    assert types(application, late.id) == ["Lodged", "Reminded"]

    # 5 working days after the reminder (Wed 25th -> Sun 29th is a working day in 2024,
    # then National Day): the grace ends 2024-10-08 17:30 Beijing.
    assert reminded.escalate_after == datetime(2024, 10, 8, 9, 30, tzinfo=UTC)
    await pass_at(application, pool, datetime(2024, 10, 8, 9, 0, tzinfo=UTC))
    assert types(application, late.id) == ["Lodged", "Reminded"]
    await pass_at(application, pool, datetime(2024, 10, 8, 9, 30, tzinfo=UTC))
    assert types(application, late.id) == ["Lodged", "Reminded", "Escalated"]

    async with pool.acquire() as conn:
        await ProjectionRunner(pool, PROJECTIONS).catch_up()
        trail = await conn.fetch(
            "SELECT type, actor_id, actor_role FROM views.audit_trail WHERE case_id = $1 "
            "ORDER BY version",
            late.id,
        )
    assert [tuple(r) for r in trail][1:] == [
        ("Reminded", "deadline-watcher", "system"),
        ("Escalated", "deadline-watcher", "system"),
    ]
