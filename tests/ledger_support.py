"""Helpers for the ledger tests: stores full of real events, projecting and signing,
tampering as a database superuser would, and the honest store the tamper tests copy
(`honest_store`, `store_copy`)."""

from __future__ import annotations

import asyncio
import random
import uuid
from argparse import Namespace
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psycopg
import pytest

from domain import commands as cmd
from domain.application import Oversight
from domain.complaint import Complaint
from domain.mapper import MsgspecMapper
from domain.values import Actor, Channel, Complainant, Kind, Role
from ledger.keys import LedgerKey, generate_key_file
from ledger.signer import SigningPolicy, sign_due
from ledger.verify import Report, _Walk, verify_database
from ledger.view import LEDGER
from oversight.database import asyncpg_dsn
from oversight.ledger_cli import cmd_verify
from oversight.runtime import build_application
from oversight.settings import Settings
from projections.runner import ProjectionRunner, ensure_schema
from tests.conftest import actor
from tests.support import credit_code

T0 = datetime(2024, 9, 23, 1, 0, tzinfo=UTC)
CLERK = actor("clerk", "clerk-1")
EVERY = 50  # heads every 50 events in the honest store
POLICY = SigningPolicy(every_events=EVERY, every_seconds=3600)


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


# The honest store's heads come every hour at the latest: verify it as configured so.
OVERDUE = POLICY.every_seconds + 10


async def verify(url: str, key: LedgerKey, **options: Any) -> Report:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await verify_database(conn, key, **{"overdue_seconds": OVERDUE, **options})
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


# --- the honest store, copied for each tamper test ------------------------------------


def _url(server_url: str, name: str) -> str:
    return urlunsplit(urlsplit(server_url)._replace(path="/" + name))


@dataclass
class Base:
    name: str
    url: str
    key: LedgerKey
    key_path: Path
    signed: int  # the last head's size
    leaves: int
    events: int


def honest_store(
    server_url: str, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Base]:
    """The honest store (a module fixture `base` yields from this): complaints through
    the application, projected, heads every 50 events, then some events in the ledger
    under no head yet and some not in the ledger yet."""
    name = "oversight_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _url(server_url, name)
    key_path = tmp_path_factory.mktemp("ledger") / "ledger-ed25519.key"
    key = generate_key_file(key_path)
    app = build_application(url, settings)
    try:
        write_cases(app, 40, seed=1)
        with psycopg.connect(url, autocommit=True) as conn:  # a gap in notification ids
            conn.execute("SELECT nextval('oversight_events_notification_id_seq')")
        write_cases(app, 40, seed=2)
        run(project(url))
        heads = run(sign(url, key, POLICY, force=True))
        write_cases(app, 3, seed=3)  # in the ledger, not yet under a signed head
        run(project(url))
        write_cases(app, 2, seed=4)  # not yet in the ledger
    finally:
        app.close()
    with psycopg.connect(url) as conn:
        events = conn.execute("SELECT count(*) FROM oversight_events").fetchone()[0]
        leaves = conn.execute("SELECT count(*) FROM views.ledger_leaves").fetchone()[0]
    yield Base(name, url, key, key_path, heads[-1].size, leaves, events)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def store_copy(base: Base, server_url: str) -> Iterator[str]:
    """A copy of the honest store for one test (a fixture `store` yields from this)."""
    name = "oversight_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{base.name}"')
    yield _url(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def event_at(url: str, *, offset: int) -> dict:
    """The stored event `offset` places into the notification log, with its leaf."""
    with psycopg.connect(url, row_factory=psycopg.rows.dict_row) as conn:
        row = conn.execute(
            "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, "
            "e.state, l.position FROM oversight_events e "
            "JOIN views.ledger_leaves l USING (notification_id) "
            "ORDER BY e.notification_id OFFSET %s LIMIT 1",
            (offset,),
        ).fetchone()
    assert row is not None
    return row


def _facts(report: Report) -> tuple:
    return (
        report.events,
        report.leaves,
        report.heads,
        report.signed,
        report.sealed,
        report.pending,
        report.seals_checked,
        report.tampered,
    )


async def _row_by_row(self: _Walk) -> bool:
    return False


async def verify_every_way(url: str, key: LedgerKey) -> Report:
    """`verify`, checked against itself. `_Walk._step` (row by row) defines what verify
    reports; the bulk path only certifies clean chunks faster. So the report must be the
    same, problem for problem and in the same order, with the bulk path switched off
    and in chunks of 1, 3 and 8 rows (a tampered row then falls at the start, in the
    middle or at the end of a chunk, after chunks certified in bulk)."""
    report = await verify(url, key)
    with mock.patch.object(_Walk, "_bulk", _row_by_row):
        reference = await verify(url, key)
    assert _facts(report) == _facts(reference), (report.lines(), reference.lines())
    for batch in (1, 3, 8):
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            chunked = await verify_database(conn, key, batch=batch, overdue_seconds=OVERDUE)
        finally:
            await conn.close()
        assert _facts(chunked) == _facts(reference), (batch, chunked.lines(), reference.lines())
    return report


async def check_named(store: str, key: LedgerKey, kind: str, event: dict) -> Report:
    """Verify with the private key (seals checked) and with only the public key (the
    ledger's leaves alone): both must name the event. Returns the first report."""
    reports = [
        await verify_every_way(store, key),
        await verify_every_way(store, LedgerKey(public=key.public)),
    ]
    for report in reports:
        check_names(report, kind, event)
    return reports[0]


def check_names(report: Report, kind: str, event: dict) -> None:
    first = report.first_tampered_event
    assert not report.ok
    assert first is not None, report.lines()
    assert first.kind == kind, report.lines()
    assert first.notification_id == event["notification_id"], report.lines()
    assert first.case_id == event["originator_id"], report.lines()
    assert first.version == event["originator_version"], report.lines()
    assert first.position == event["position"], report.lines()
    line = next(x for x in report.lines() if x.startswith("FIRST TAMPERED EVENT"))
    assert str(event["notification_id"]) in line
    assert str(event["originator_id"]) in line


def verify_cli(
    url: str,
    key: Path | None,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    heads_log: Path | None = None,
    *,
    key_arg: Path | None = None,
    env: dict[str, str] | None = None,
) -> tuple[int, str]:
    """`oversight verify` in this process against `url`, with `key` configured as the
    service's key (OVERSIGHT_LEDGER_KEY) and `key_arg` passed as `--key`: (status, what
    it printed, standard output then standard error). `heads_log` None: off."""
    local = Settings.from_env(
        {
            "DATABASE_URL": url,
            "OVERSIGHT_VAR_DIR": str(settings.var_dir),
            "OVERSIGHT_LEDGER_KEY": str(key) if key else "/nonexistent/ledger.key",
            "OVERSIGHT_LEDGER_HEADS_LOG": str(heads_log) if heads_log else "off",
            "OVERSIGHT_LEDGER_HEAD_SECONDS": str(POLICY.every_seconds),
            **(env or {}),
        }
    )
    args = Namespace(
        key=str(key_arg) if key_arg else None, bundle=None, batch=100, quiet=True, heads=None
    )
    status = cmd_verify(args, local)
    captured = capsys.readouterr()
    return status, captured.out + captured.err
