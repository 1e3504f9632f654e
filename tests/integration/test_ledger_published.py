"""The published heads' log is one per database (cluster system identifier + database
name): two databases served from one `var/` never mix their heads, and `oversight
verify` says which log it read, or warns that it found none."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psycopg
import pytest

from ledger.published import (
    database_identity,
    heads_log_path,
    log_name,
    publisher_for,
    read_heads,
)
from ledger.signer import run_ledger_signer
from ledger.view import all_heads
from oversight.database import asyncpg_dsn
from oversight.settings import Settings
from tests.ledger_support import (
    Base,
    as_superuser,
    honest_store,
    store_copy,
    verify_cli,
)

pytestmark = pytest.mark.integration

DEFAULT_LOG = {"OVERSIGHT_LEDGER_HEADS_LOG": ""}  # unset: the per-database default


@pytest.fixture(scope="module")
def base(
    server_url: str, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Base]:
    yield from honest_store(server_url, settings, tmp_path_factory)


@pytest.fixture
def store(base: Base, server_url: str) -> Iterator[str]:
    yield from store_copy(base, server_url)


@pytest.fixture
def other(base: Base, server_url: str) -> Iterator[str]:
    yield from store_copy(base, server_url)


def identity(url: str) -> tuple[str, str]:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT system_identifier::text FROM pg_control_system()").fetchone()
        return row[0], conn.info.dbname


def test_the_log_is_named_by_cluster_and_database(tmp_path: Path) -> None:
    var = tmp_path / "var"
    assert heads_log_path(None, var, ("7716", "oversight")) == (
        var / "ledger-heads-7716-oversight.jsonl"
    )
    # Any database name makes one file name of its own.
    assert log_name(("7716", "a/b c")) == "ledger-heads-7716-a%2Fb%20c.jsonl"
    assert log_name(("7716", "a")) != log_name(("7717", "a"))
    assert heads_log_path("off", var, ("1", "d")) is None
    assert heads_log_path("/kept/heads.jsonl", var, ("1", "d")) == Path("/kept/heads.jsonl")


async def sign_as_the_service(url: str, base: Base, var: Path) -> list:
    """`run_ledger_signer` as `oversight serve` runs it (its published log from the
    settings: the default), until it has signed the ledger's size; the heads it made."""
    as_superuser(url, "DELETE FROM views.ledger_heads", "DELETE FROM views.ledger_seals")
    settings = Settings.from_env(
        {
            "DATABASE_URL": url,
            "OVERSIGHT_VAR_DIR": str(var),
            "OVERSIGHT_LEDGER_KEY": str(base.key_path),
            "OVERSIGHT_JWT_SECRET": "test",
            "OVERSIGHT_PROJECTION_POLL": "0.05",
            "OVERSIGHT_LEDGER_HEAD_EVENTS": "50",
        }
    )
    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=1, max_size=2)
    stop = asyncio.Event()
    task = asyncio.create_task(run_ledger_signer(pool, settings.ledger, stop))
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            async with pool.acquire() as conn:
                if await conn.fetchval("SELECT max(size) FROM views.ledger_heads") == base.leaves:
                    return await all_heads(conn)
            await asyncio.sleep(0.05)
        pytest.fail("the signer signed no head at the ledger's size")
    finally:
        stop.set()
        await task
        await pool.close()


async def test_two_databases_served_from_one_var_keep_their_heads_apart(
    store: str, other: str, base: Base, settings: Settings, tmp_path: Path, capsys
) -> None:
    var = tmp_path / "var"
    heads = await sign_as_the_service(store, base, var)
    other_heads = await sign_as_the_service(other, base, var)
    log, other_log = (var / log_name(identity(url)) for url in (store, other))
    assert log != other_log
    assert read_heads(log) == heads
    assert read_heads(other_log) == other_heads
    assert heads != other_heads  # signed at other moments: another head, same sizes
    assert sorted(p.name for p in var.iterdir() if p.suffix == ".jsonl") == sorted(
        [log.name, other_log.name]
    )
    for url, path, count in ((store, log, len(heads)), (other, other_log, len(other_heads))):
        status, out = await asyncio.to_thread(
            verify_cli, url, base.key_path, settings, capsys, env={
                "OVERSIGHT_VAR_DIR": str(var), **DEFAULT_LOG}
        )  # fmt: skip
        assert status == 0, out
        assert f"published heads: {path} ({count} heads)" in out.splitlines()
        assert f"{count} published heads (kept outside the database) checked" in out


async def test_verify_warns_when_it_finds_no_log(
    store: str, base: Base, settings: Settings, tmp_path: Path, capsys
) -> None:
    var = tmp_path / "var"
    var.mkdir()
    (var / "ledger-heads.jsonl").write_text("")  # the shared log of earlier versions
    status, out = await asyncio.to_thread(
        verify_cli, store, base.key_path, settings, capsys, env={
            "OVERSIGHT_VAR_DIR": str(var), **DEFAULT_LOG}
    )  # fmt: skip
    assert status == 0, out
    expected = var / log_name(identity(store))
    assert (
        f"warning: no published heads log at {expected}: only the database's own heads are "
        "checked (pass a kept copy with --heads)"
    ) in out.splitlines()
    assert f"note: {var / 'ledger-heads.jsonl'} (one log shared by every database" in out
    assert "published heads kept outside" not in out
    # Turned off: said so, no warning.
    status, out = await asyncio.to_thread(verify_cli, store, base.key_path, settings, capsys)
    assert status == 0 and "published heads: none (OVERSIGHT_LEDGER_HEADS_LOG is off)" in out


async def test_the_publisher_of_a_connection_is_its_database_s(store: str, tmp_path: Path) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(store))
    try:
        found = await database_identity(conn)
        publisher = await publisher_for(conn, None, tmp_path)
    finally:
        await conn.close()
    assert found == identity(store)
    assert publisher.path == tmp_path / log_name(found)
