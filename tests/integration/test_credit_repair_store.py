"""Credit repairs on real PostgreSQL: stored and reloaded, snapshots, the role check of
every move, and the credit_repair_register view folded in batches equal to a rebuild and
to the cases themselves."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from domain import commands as cmd
from domain import credit_repair_commands as rc
from domain.application import Oversight
from domain.credit_repair import MOVE_ROLES, CreditRepair, Severity, Status
from domain.credit_repair_case import CREDIT_REPAIR
from domain.errors import Forbidden
from domain.values import Role
from oversight.database import asyncpg_dsn
from oversight.runtime import PROJECTIONS, build_application
from projections.runner import ProjectionRunner, drop_views, ensure_schema
from tests.conftest import actor
from tests.support import credit_code

pytestmark = pytest.mark.integration

T0 = datetime(2024, 9, 27, 2, 0, tzinfo=UTC)  # Friday 10:00 in Beijing
DUE = datetime(2024, 9, 29, 9, 30, tzinfo=UTC)  # Sunday 17:30 in Beijing (调休)
CLERK = actor("clerk", "clerk-1")
SUPERVISOR = actor("supervisor", "sup-1")
OTHER_SUPERVISOR = actor("supervisor", "sup-2")
BODIES: dict[str, cmd.Command] = {
    "initial-review": rc.RepairReview(passed=True),
    "re-review": rc.RepairReview(passed=True),
    "submit": rc.SubmitToCentre(),
    "record-outcome": rc.RecordOutcome(repaired=True),
    "withdraw": cmd.Withdraw(reason="撤回"),
}


def apply(app: Oversight, at: datetime = T0, code: str | None = None, **fields) -> CreditRepair:
    code = code or credit_code()
    body = rc.ApplyForRepair(
        enterprise=rc.EnterpriseIn(name="某食品公司", credit_code=code),
        record_id=fields.pop("record_id", "R-1"),
        penalty_authority="哈尔滨市市场监督管理局",
        severity=fields.pop("severity", Severity.GENERAL),
        proof="已整改",
        pledge_signed=True,
    )
    return app.create(CREDIT_REPAIR, actor("enterprise", "ent-1", code), at, body).case


def make(app: Oversight, case_id, name: str, who, at: datetime, body=None):
    return app.move(case_id, name, who, at, body or BODIES[name], case_type=CREDIT_REPAIR)


def test_a_credit_repair_persists_and_reloads_in_a_new_process(application, database_url, settings):
    case = apply(application)
    assert (case.initial_review_due, case.re_review_due) == (DUE, DUE)
    make(application, case.id, "initial-review", SUPERVISOR, T0 + timedelta(hours=1))
    make(application, case.id, "re-review", OTHER_SUPERVISOR, DUE + timedelta(minutes=1))

    other = build_application(database_url, settings)
    try:
        reloaded = other.read(CREDIT_REPAIR, case.id, CLERK)
        first = other.read(CREDIT_REPAIR, case.id, CLERK, version=1)
        at_noon = other.read(CREDIT_REPAIR, case.id, CLERK, as_of=T0 + timedelta(hours=2))
    finally:
        other.close()
    assert reloaded == application.read(CREDIT_REPAIR, case.id, CLERK)
    assert reloaded.status is Status.RE_REVIEWED
    assert (reloaded.initial_on_time, reloaded.re_review_on_time) == (True, False)
    assert reloaded.initial_reviewed_by == SUPERVISOR
    assert type(reloaded.severity) is Severity
    assert (first.version, first.status) == (1, Status.APPLIED)
    assert (at_noon.version, at_noon.status) == (2, Status.INITIALLY_REVIEWED)


def test_a_snapshot_of_a_credit_repair_reloads_the_same_case(application):
    case = apply(application)
    make(application, case.id, "initial-review", CLERK, T0 + timedelta(hours=1))
    body = rc.RepairReview(passed=False, reason="未满最短公示期")
    make(application, case.id, "re-review", SUPERVISOR, T0 + timedelta(hours=2), body)
    application.take_snapshot(case.id)
    (snapshot,) = application.snapshots.get(case.id)  # type: ignore[union-attr]
    assert snapshot.originator_version == 3
    folded = None
    for domain_event in application.events.get(case.id):
        folded = domain_event.mutate(folded)
    assert snapshot.mutate(None) == folded == application.read(CREDIT_REPAIR, case.id, CLERK)


def test_every_role_that_may_never_make_a_move_is_forbidden_before_the_case_is_read(
    application,
):
    case = apply(application)
    unknown = uuid.uuid4()
    refused = 0
    for name, body in BODIES.items():
        for role in Role:
            if role in MOVE_ROLES[name]:
                continue
            who = actor(role, f"{role}-user", credit_code() if role is Role.ENTERPRISE else None)
            for case_id in (case.id, unknown):
                with pytest.raises(Forbidden):
                    make(application, case_id, name, who, T0 + timedelta(hours=1), body)
            refused += 1
    assert refused == len(BODIES) * len(Role) - sum(len(MOVE_ROLES[m]) for m in BODIES)
    for role in set(Role) - MOVE_ROLES["apply"]:
        body = rc.ApplyForRepair(
            enterprise=rc.EnterpriseIn(name="x", credit_code=credit_code()),
            record_id="R",
            penalty_authority="A",
            severity=Severity.MINOR,
            proof="p",
            pledge_signed=True,
        )
        with pytest.raises(Forbidden):
            application.create(CREDIT_REPAIR, actor(role, "u", None), T0, body)
    assert application.read(CREDIT_REPAIR, case.id, CLERK).version == 1


def write_lives(app: Oversight, n: int, seed: int) -> list:
    """Applications moved a random way, some reviews late; returns their ids."""
    rng = random.Random(seed)
    ids = []
    for _ in range(n):
        at = T0 + timedelta(minutes=rng.randrange(5_000))
        case = apply(app, at, severity=rng.choice(list(Severity)))
        ids.append(case.id)
        life = rng.choice(["applied", "refused", "re-refused", "withdrawn", "repaired", "centre"])
        steps: list[tuple[str, object, cmd.Command]] = []
        if life != "applied":
            passed = life != "refused"
            reason = None if passed else "材料不全"
            steps.append(("initial-review", CLERK, rc.RepairReview(passed=passed, reason=reason)))
        if life in ("re-refused", "repaired", "centre"):
            passed = life != "re-refused"
            reason = None if passed else "不符合条件"
            steps.append(("re-review", SUPERVISOR, rc.RepairReview(passed=passed, reason=reason)))
        if life in ("repaired", "centre"):
            steps.append(("submit", CLERK, rc.SubmitToCentre(note="已报送")))
            repaired = life == "repaired"
            outcome = rc.RecordOutcome(
                repaired=repaired, reason=None if repaired else "终审不予修复"
            )
            steps.append(("record-outcome", SUPERVISOR, outcome))
        if life == "withdrawn":
            applicant = actor("enterprise", "e", case.enterprise.credit_code)
            steps.append(("withdraw", applicant, cmd.Withdraw(reason="撤回")))
        for name, who, body in steps:
            at += timedelta(hours=rng.choice([1, 20, 60, 100]))
            make(app, case.id, name, who, at, body)
    return ids


@pytest.fixture
async def fresh(fresh_database_url, settings):
    app = build_application(fresh_database_url, settings)
    pool = await asyncpg.create_pool(asyncpg_dsn(fresh_database_url), min_size=1, max_size=4)
    async with pool.acquire() as conn:
        await ensure_schema(conn, PROJECTIONS)
    yield app, pool
    await pool.close()
    app.close()


async def rebuilt_register(pool: asyncpg.Pool, batch_size: int) -> dict:
    async with pool.acquire() as conn:
        await drop_views(conn, PROJECTIONS)
        await ensure_schema(conn, PROJECTIONS)
    await ProjectionRunner(pool, PROJECTIONS, batch_size=batch_size).catch_up()
    async with pool.acquire() as conn:
        return {
            r["id"]: dict(r) for r in await conn.fetch("SELECT * FROM views.credit_repair_register")
        }


async def test_the_register_in_batches_equals_a_rebuild_and_the_cases(fresh):
    app, pool = fresh
    ids = await asyncio.to_thread(write_lives, app, 20, 3)
    in_batches = await rebuilt_register(pool, batch_size=7)
    rows = await rebuilt_register(pool, batch_size=1000)
    assert rows == in_batches
    assert set(rows) == set(ids)
    statuses = set()
    for case_id in ids:
        case = app.read(CREDIT_REPAIR, case_id, CLERK)
        row = rows[case_id]
        statuses.add(case.status)
        assert (row["version"], row["status"], row["severity"]) == (
            case.version,
            case.status.value,
            case.severity.value,
        )
        assert (row["initial_on_time"], row["re_review_on_time"]) == (
            case.initial_on_time,
            case.re_review_on_time,
        )
        assert (row["initial_review_due"], row["re_review_due"]) == (
            case.initial_review_due,
            case.re_review_due,
        )
        assert row["outcome"] == (case.outcome.value if case.outcome else None)
        assert row["refused_stage"] == (case.refused_stage.value if case.refused_stage else None)
        assert (row["submitted_at"], row["closed_at"], row["updated_at"]) == (
            case.submitted_at,
            case.closed_at,
            case.modified_on,
        )
    assert statuses == {
        Status.APPLIED,
        Status.REFUSED,
        Status.WITHDRAWN,
        Status.REPAIRED,
    }
    assert {r["initial_on_time"] for r in rows.values()} == {True, False, None}
