"""projections/bulk.py on real PostgreSQL: the staged (COPY + one merge) and the row by
row paths write exactly the same rows, including updates that add to what is there."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import pytest

from oversight.database import asyncpg_dsn
from projections import bulk

pytestmark = pytest.mark.integration

COLUMNS = ("id", "name", "tags", "at", "n")


def rows(seed: int, count: int) -> list[tuple]:
    rng = random.Random(seed)
    return [
        (
            UUID(int=rng.randrange(200)),  # keys repeat across calls: updates as well as inserts
            rng.choice(["受理", "transferred", None]),
            [f"dept-{rng.randrange(5)}" for _ in range(rng.randrange(3))],
            datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(10_000)),
            rng.randrange(-3, 4),
        )
        for _ in range(count)
    ]


def unique(batch: list[tuple]) -> list[tuple]:
    return list({r[0]: r for r in batch}.values())  # one row per key, as projections keep


async def write(conn: asyncpg.Connection, table: str, batches: list[list[tuple]], **kw) -> list:
    await conn.execute(
        f"CREATE TABLE {table} (id uuid PRIMARY KEY, name text, tags text[] NOT NULL, "
        f"at timestamptz NOT NULL, n bigint NOT NULL)"
    )
    for batch in batches:
        async with conn.transaction():
            await bulk.upsert(conn, table, COLUMNS, batch, **kw)
    return [tuple(r) for r in await conn.fetch(f"SELECT * FROM {table} ORDER BY id")]


@pytest.mark.parametrize(
    "update", [None, "n = {table}.n + EXCLUDED.n"], ids=["replace", "accumulate"]
)
async def test_staged_and_row_by_row_write_the_same_rows(fresh_database_url, monkeypatch, update):
    batches = [unique(rows(seed, 150)) for seed in range(4)]
    assert all(len(b) >= bulk.STAGE_AT for b in batches)  # the staged path is taken
    conn = await asyncpg.connect(asyncpg_dsn(fresh_database_url))
    try:
        staged = await write(
            conn, "staged", batches, update=update and update.format(table="staged")
        )
        monkeypatch.setattr(bulk, "STAGE_AT", 10**9)  # every batch row by row
        by_row = await write(
            conn, "by_row", batches, update=update and update.format(table="by_row")
        )
        # No staging table outlives its transaction.
        temp = await conn.fetchval(
            "SELECT count(*) FROM pg_class WHERE relname LIKE 'oversight_stage_%'"
        )
    finally:
        await conn.close()
    assert staged == by_row
    assert len(staged) > 100 and temp == 0
    if update is None:  # the last write of each key wins
        last = {}
        for batch in batches:
            last.update({r[0]: r for r in batch})
        assert staged == sorted(last.values(), key=lambda r: r[0])
    else:  # n adds up over the batches
        total: dict[UUID, int] = {}
        for batch in batches:
            for r in batch:
                total[r[0]] = total.get(r[0], 0) + r[4]
        assert {r[0]: r[4] for r in staged} == total


async def test_a_failed_merge_leaves_nothing(fresh_database_url):
    conn = await asyncpg.connect(asyncpg_dsn(fresh_database_url))
    try:
        batch = unique(rows(1, 150))
        bad = [*batch[:-1], (batch[-1][0], "x", [], None, 1)]  # NOT NULL `at` broken
        with pytest.raises(asyncpg.NotNullViolationError):
            await write(conn, "t", [bad])
        assert await conn.fetchval("SELECT count(*) FROM t") == 0
    finally:
        await conn.close()
