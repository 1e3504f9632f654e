"""Text PostgreSQL cannot hold never stalls the views (issue 10, defect 1).

The API refuses U+0000 now (tests/http/test_text_input.py), but a store may already hold
such events (written before that check, or by a token's user id). Here they are stored
through the application with commands changed after their (validating) construction,
which is what the API once let through. Every view must catch up past them, with U+FFFD
in place of each U+0000, nothing skipped; `oversight rebuild` must succeed and build the
same views; the event store keeps the original bytes, so the ledger still verifies.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import psycopg
import pytest
from litestar.testing import TestClient

from domain import commands as cmd
from domain import commitment_commands as cc
from domain import credit_repair_commands as rc
from domain import project_commands as pc
from domain.credit_repair import Severity
from domain.project import ProblemCategory
from domain.registry import ALL_CASE_TYPES
from domain.service_statistics import RecordServiceStatistics
from domain.values import Channel, Kind
from ledger.keys import generate_key_file
from ledger.signer import SigningPolicy, sign_due
from ledger.verify import verify_database
from oversight.database import asyncpg_dsn
from oversight.rebuild import rebuild
from oversight.runtime import PROJECTIONS, build_application, create_app
from projections.runner import ProjectionRunner, drop_views, ensure_schema, max_position
from tests.conftest import JWT_SECRET, actor, bearer
from tests.support import Clock, credit_code

pytestmark = pytest.mark.integration

T0 = datetime(2024, 9, 23, 1, 0, tzinfo=UTC)
CASE_TYPES = {t.name: t for t in ALL_CASE_TYPES}
CLERK = actor("clerk", "clerk-1")
SUPERVISOR = actor("supervisor", "sup-1")
NUL, FFFD = "\u0000", "\ufffd"


@dataclass
class Store:
    url: str
    ids: dict[str, UUID]  # the poisoned case of each kind, and the good ones around them
    events: int


def _lodge(name: str, code: str) -> cmd.LodgeComplaint:
    return cmd.LodgeComplaint(
        kind=Kind.COMPLAINT,
        channel=Channel.WEB,
        category="approval",
        title=name,
        description="施工许可申请超时",
        complainant=cmd.ComplainantIn(name="某建设有限公司", credit_code=code),
        respondent_department="d1",
    )


def write_poisoned_store(url: str, settings: Any) -> Store:
    """A good complaint, one case of every type with U+0000 in its text (and one made by
    a user whose id holds it), then a good complaint again."""
    app = build_application(url, settings)
    ids: dict[str, UUID] = {}
    at = T0
    try:
        code = credit_code()
        ids["before"] = app.lodge_complaint(
            actor("enterprise", "e", code), at, _lodge("前", code)
        ).case.id

        # The commands validate when built: change them afterwards, as a body the API
        # decoded before the check existed would have been.
        code = credit_code()
        lodge = _lodge("t", code)
        lodge.title = f"a{NUL}b"
        lodge.category = f"c{NUL}"
        lodge.complainant.name = f"某{NUL}公司"
        case = app.lodge_complaint(actor("enterprise", f"e{NUL}1", code), at, lodge).case
        ids["complaint"] = case.id
        accept = cmd.Accept()
        accept.note = f"n{NUL}"
        app.move(case.id, "accept", CLERK, at + timedelta(minutes=1), accept)
        transfer = cmd.Transfer(department="d1")
        transfer.department = f"d{NUL}2"
        app.move(case.id, "transfer", CLERK, at + timedelta(minutes=2), transfer)

        register = pc.RegisterProject(
            name="p",
            investor=pc.InvestorIn(name="i", credit_code=credit_code()),
            city="哈尔滨市",
            investment_cny=Decimal(1000),
            sector="s",
        )
        register.name = f"项目{NUL}"
        register.investor.name = f"投资{NUL}方"
        register.city = f"{NUL}"
        project = app.create(CASE_TYPES["project"], CLERK, at, register).case
        ids["project"] = project.id
        raise_problem = pc.RaiseProblem(
            project_id=project.id, category=ProblemCategory.LAND, description="d"
        )
        raise_problem.description = f"用地{NUL}"
        ids["problem"] = app.create(CASE_TYPES["problem"], CLERK, at, raise_problem).case.id

        code = credit_code()
        commit = cc.Commit(
            matter="m",
            enterprise=cc.EnterpriseIn(name="e", credit_code=code),
            statement="s",
            materials=["a", "b"],
            due=cc.DueIn(date=datetime(2024, 10, 8).date()),
        )
        commit.matter = f"施工{NUL}许可"
        commit.enterprise.name = f"企业{NUL}"
        commit.materials = [f"a{NUL}", "b"]
        ids["commitment"] = app.create(
            CASE_TYPES["commitment"], actor("enterprise", "e", code), at, commit
        ).case.id

        code = credit_code()
        apply = rc.ApplyForRepair(
            enterprise=rc.EnterpriseIn(name="e", credit_code=code),
            record_id="r",
            penalty_authority="a",
            severity=Severity.GENERAL,
            proof="p",
            pledge_signed=True,
        )
        apply.enterprise.name = f"食品{NUL}公司"
        apply.record_id = f"罚{NUL}"
        ids["credit_repair"] = app.create(
            CASE_TYPES["credit_repair"], actor("enterprise", "e", code), at, apply
        ).case.id

        record = RecordServiceStatistics(
            period_start=datetime(2024, 7, 1).date(),
            period_end=datetime(2024, 9, 30).date(),
            online=5,
            offline=6,
        )
        record.note = f"{NUL}"
        ids["service_statistics"] = app.create(
            CASE_TYPES["service_statistics"], SUPERVISOR, at, record
        ).case.id

        code = credit_code()
        ids["after"] = app.lodge_complaint(
            actor("enterprise", "e", code), at, _lodge("后", code)
        ).case.id
    finally:
        app.close()
    with psycopg.connect(url) as conn:
        events = conn.execute("SELECT count(*) FROM oversight_events").fetchone()[0]  # type: ignore[index]
    return Store(url, ids, events)


@pytest.fixture
def store(fresh_database_url: str, settings: Any) -> Store:
    return write_poisoned_store(fresh_database_url, settings)


async def catch_up(url: str, *, drop: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    """Build every view with a runner in small batches, as `serve` does (from scratch
    when `drop`); returns every view's rows."""
    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=1, max_size=8)
    try:
        async with pool.acquire() as conn:
            if drop:
                await drop_views(conn, PROJECTIONS)
            await ensure_schema(conn, PROJECTIONS)
        await asyncio.wait_for(ProjectionRunner(pool, PROJECTIONS, batch_size=3).catch_up(), 60)
        return await dump(pool)
    finally:
        await pool.close()


async def dump(pool: asyncpg.Pool) -> dict[str, list[tuple[Any, ...]]]:
    async with pool.acquire() as conn:
        latest = await max_position(conn)
        tracked = dict(await conn.fetch("SELECT projection, position FROM views.tracking"))
        assert tracked == {p.name: latest for p in PROJECTIONS}, (tracked, latest)
        return {
            table: sorted((tuple(r) for r in await conn.fetch(f"SELECT * FROM {table}")), key=repr)
            for projection in PROJECTIONS
            for table in projection.tables
        }


def one(url: str, sql: str, *params: Any) -> Any:
    with psycopg.connect(url) as conn:
        row = conn.execute(sql, params).fetchone()
    assert row is not None, sql
    return row[0] if len(row) == 1 else row


def test_the_store_keeps_the_original_text(store: Store, settings: Any):
    states = one(
        store.url,
        "SELECT count(*) FROM oversight_events WHERE position(%s::bytea IN state) > 0",
        b"\\u0000",  # how msgspec's JSON writes U+0000
    )
    assert states == 8  # lodged, accepted, transferred, and one create of every other type
    app = build_application(store.url, settings)
    try:
        case = app.read(CASE_TYPES["complaint"], store.ids["complaint"], SUPERVISOR)
        assert case.title == f"a{NUL}b"
        assert case.complainant.name == f"某{NUL}公司"
    finally:
        app.close()


def test_every_view_catches_up_with_replacement_characters(store: Store):
    asyncio.run(catch_up(store.url))
    ids = store.ids
    assert one(
        store.url,
        "SELECT title, category, complainant_name, department "
        "FROM views.complaint_summary WHERE id = %s",
        ids["complaint"],
    ) == (f"a{FFFD}b", f"c{FFFD}", f"某{FFFD}公司", f"d{FFFD}2")
    assert (
        one(store.url, "SELECT title FROM views.complaint_summary WHERE id = %s", ids["after"])
        == "后"
    )
    assert (
        one(
            store.url,
            "SELECT count(*) FROM views.audit_trail WHERE actor_id = %s",
            f"e{FFFD}1",
        )
        == 1
    )
    assert one(
        store.url,
        "SELECT name, investor_name, city FROM views.project_board WHERE id = %s",
        ids["project"],
    ) == (f"项目{FFFD}", f"投资{FFFD}方", FFFD)
    assert (
        one(
            store.url,
            "SELECT description FROM views.project_problems WHERE id = %s",
            ids["problem"],
        )
        == f"用地{FFFD}"
    )
    assert one(
        store.url,
        "SELECT matter, enterprise_name FROM views.commitment_register WHERE id = %s",
        ids["commitment"],
    ) == (f"施工{FFFD}许可", f"企业{FFFD}")
    assert one(
        store.url,
        "SELECT enterprise_name, record_id FROM views.credit_repair_register WHERE id = %s",
        ids["credit_repair"],
    ) == (f"食品{FFFD}公司", f"罚{FFFD}")
    cases = [v for k, v in ids.items() if k != "service_statistics"]
    assert one(
        store.url,
        "SELECT count(DISTINCT case_id) FROM views.case_facts WHERE case_id = ANY(%s)",
        cases,
    ) == len(cases)
    assert one(
        store.url,
        "SELECT category, department FROM views.fact_state WHERE case_id = %s",
        ids["complaint"],
    ) == (f"c{FFFD}", f"d{FFFD}2")
    assert (
        one(
            store.url,
            "SELECT count(*) FROM views.service_statistics_facts WHERE statistics_id = %s",
            ids["service_statistics"],
        )
        == 1
    )
    assert one(store.url, "SELECT count(*) FROM views.ledger_leaves") == store.events


def test_the_lists_show_every_case(store: Store, settings: Any):
    """Through the API, whose own runner catches the views up."""
    app = create_app(
        settings,
        database_url=store.url,
        jwt_secret=JWT_SECRET,
        clock=Clock(T0 + timedelta(hours=1)),
    )
    with TestClient(app) as client:
        wait = {"X-Min-Position": str(store.events)}
        r = client.get("/api/v1/complaints", headers={**bearer("supervisor", "s"), **wait})
        assert r.status_code == 200, r.text
        titles = {item["id"]: item["title"] for item in r.json()["items"]}
        assert titles == {
            str(store.ids["before"]): "前",
            str(store.ids["complaint"]): f"a{FFFD}b",
            str(store.ids["after"]): "后",
        }
        r = client.get(
            "/api/v1/dashboard",
            params={"from": "2024-09-01", "to": "2024-09-30"},
            headers={**bearer("supervisor", "s"), **wait},
        )
        assert r.status_code == 200, r.text


def test_a_rebuild_succeeds_builds_the_same_views_and_the_ledger_verifies(
    store: Store, settings: Any, tmp_path: Any
):
    # As `oversight rebuild` runs it: the views split over two processes, then one.
    assert asyncio.run(rebuild(settings, store.url, jobs=2)) == 0
    rebuilt = asyncio.run(_dump(store.url))
    assert rebuilt["views.complaint_summary"]  # not left empty
    assert asyncio.run(rebuild(settings, store.url, jobs=1)) == 0
    assert asyncio.run(_dump(store.url)) == rebuilt
    # A live runner's small batches build the same rows.
    assert asyncio.run(catch_up(store.url, drop=True)) == rebuilt

    key = generate_key_file(tmp_path / "ledger.key")

    async def sign_and_verify() -> Any:
        conn = await asyncpg.connect(asyncpg_dsn(store.url))
        try:
            await sign_due(conn, key, SigningPolicy(every_events=5, every_seconds=3600), force=True)
            return await verify_database(conn, key)
        finally:
            await conn.close()

    report = asyncio.run(sign_and_verify())
    assert report.ok, report.lines()
    assert report.events == report.leaves == report.signed == store.events


async def _dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=1, max_size=2)
    try:
        return await dump(pool)
    finally:
        await pool.close()
