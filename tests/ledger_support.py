"""Helpers for the ledger tests: stores full of real events, projecting and signing,
and tampering as a database superuser would."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import psycopg

from domain import commands as cmd
from domain.application import Oversight
from domain.complaint import Complaint
from domain.mapper import MsgspecMapper
from domain.values import Actor, Channel, Complainant, Kind, Role
from ledger.keys import LedgerKey
from ledger.signer import SigningPolicy, sign_due
from ledger.verify import Report, verify_database
from oversight.database import asyncpg_dsn
from projections.ledger import LEDGER
from projections.runner import ProjectionRunner, ensure_schema
from tests.conftest import actor
from tests.support import credit_code

T0 = datetime(2024, 9, 23, 1, 0, tzinfo=UTC)
CLERK = actor("clerk", "clerk-1")


def write_cases(app: Oversight, n_cases: int, seed: int) -> None:
    """Lodge complaints and move each a few steps, through the application."""
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


def stored_complaints(n_cases: int, seed: int) -> Iterator[tuple[Any, ...]]:
    """Rows of valid stored events (5 per complaint), made by the real aggregate and
    encoded by the application's mapper, for a bulk COPY into the event store."""
    rng = random.Random(seed)
    mapper = MsgspecMapper()
    clerk = Actor(id="clerk-1", role=Role.CLERK)
    dept = Actor(id="dept-1", role=Role.DEPARTMENT, org="d1")
    for i in range(n_cases):
        code = credit_code(rng)
        at = T0 + timedelta(minutes=i)
        case = Complaint(
            actor=Actor(id="e", role=Role.ENTERPRISE, org=code),
            timestamp=at,
            kind=Kind.COMPLAINT,
            channel=Channel.WEB,
            category="approval",
            title=f"施工许可超时 {i}",
            description="施工许可申请超过承诺时限未办结",
            complainant=Complainant(name="某建设有限公司", credit_code=code),
            respondent_department="d1",
            confidential=i % 3 == 0,
            acceptance_due=at + timedelta(days=1),
        )
        case.accept(clerk, at + timedelta(hours=1), note=None, urgent=False)
        case.transfer(
            clerk, at + timedelta(hours=2), department="d1", working_days=5, due=at + timedelta(7)
        )
        case.supervise(Actor(id="sup", role=Role.SUPERVISOR), at + timedelta(hours=3), note="快")
        case.reply_to(dept, at + timedelta(hours=4), answer="已办理")
        for event in case.collect_events():
            s = mapper.to_stored_event(event)
            yield (s.originator_id, s.originator_version, s.topic, s.state)


def many_stored_events(n_events: int, seed: int) -> Iterator[tuple[Any, ...]]:
    """`n_events` valid stored events, quickly: 1,000 complaints' worth made by the real
    aggregate and mapper, then the same payloads under fresh case ids (a stored state
    does not contain its case id or version, so each copy is a valid event)."""
    template = list(stored_complaints(1000, seed))
    made = 0
    while made < n_events:
        ids: dict[Any, Any] = {}
        for originator_id, version, topic, state in template:
            if made == n_events:
                return
            new_id = ids.setdefault(originator_id, uuid.uuid4())
            yield (new_id, version, topic, state)
            made += 1


def copy_events(url: str, rows: Iterator[tuple[Any, ...]]) -> None:
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY oversight_events (originator_id, originator_version, topic, state) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()


async def project(url: str, *, batch_size: int = 1000) -> int:
    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await ensure_schema(conn, [LEDGER])
        return await ProjectionRunner(pool, [LEDGER], batch_size=batch_size).catch_up()
    finally:
        await pool.close()


async def sign(
    url: str, key: LedgerKey, policy: SigningPolicy, *, force: bool = False, now: Any = None
) -> list[Any]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await sign_due(conn, key, policy, force=force, now=now)
    finally:
        await conn.close()


async def verify(url: str, key: LedgerKey) -> Report:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await verify_database(conn, key)
    finally:
        await conn.close()


def run(coro: Any) -> Any:
    """Run a coroutine from a synchronous fixture."""
    return asyncio.run(coro)


def as_superuser(url: str, *statements: str, params: tuple[Any, ...] = ()) -> None:
    """What an attacker with database superuser rights does: switch the append-only
    triggers off, change the store, switch them on again."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE oversight_events DISABLE TRIGGER USER")
        try:
            for statement in statements:
                conn.execute(statement, params if "%s" in statement else None)
        finally:
            conn.execute("ALTER TABLE oversight_events ENABLE TRIGGER USER")
