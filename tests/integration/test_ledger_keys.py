"""Key continuity: the signer signs only with the key in force, a new key takes over only
through a rotation signed by both keys (`oversight ledger rotate-key`), verify follows the
chain of keys, and against a server no key is ever made silently (`oversight ledger
init-key` makes it, once)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from argparse import Namespace
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from structlog.testing import capture_logs

from ledger.heads import TreeHead
from ledger.keys import KeyFileError, LedgerKey, generate_key_file, load_key_file, seal
from ledger.merkle import tree_root
from ledger.published import read_log
from ledger.signer import LedgerKeyMismatch, run_ledger_signer, run_signer, sign_due
from ledger.view import all_heads, compute, insert_heads, ledger_size
from oversight.database import asyncpg_dsn
from oversight.ledger_cli import cmd_init_key, cmd_rotate_key
from oversight.runtime import build_application
from oversight.settings import Settings
from tests.ledger_support import (
    POLICY,
    Base,
    honest_store,
    project,
    store_copy,
    verify,
    verify_cli,
    write_cases,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def base(
    server_url: str, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Base]:
    yield from honest_store(server_url, settings, tmp_path_factory)


@pytest.fixture
def store(base: Base, server_url: str) -> Iterator[str]:
    yield from store_copy(base, server_url)


async def max_head(url: str) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await conn.fetchval("SELECT max(size) FROM views.ledger_heads")
    finally:
        await conn.close()


def server_settings(url: str, var: Path, key: Path | None, **more: str) -> Settings:
    env = {
        "DATABASE_URL": url,
        "OVERSIGHT_VAR_DIR": str(var),
        "OVERSIGHT_JWT_SECRET": "test",
        "OVERSIGHT_LEDGER_HEAD_EVENTS": "50",
        **more,
    }
    if key is not None:
        env["OVERSIGHT_LEDGER_KEY"] = str(key)
    return Settings.from_env(env)


# --- a key swapped without a rotation ------------------------------------------------------


async def test_a_signer_with_another_key_refuses_to_sign(store, base, tmp_path) -> None:
    """The key file was replaced (a fresh container made a new key): the signer stops with
    `ledger_key_mismatch` rather than fork the ledger, and signs nothing."""
    other = generate_key_file(tmp_path / "other.key")
    signed = await max_head(store)
    conn = await asyncpg.connect(asyncpg_dsn(store))
    try:
        with pytest.raises(LedgerKeyMismatch) as refused:
            await sign_due(conn, other, POLICY, force=True)
    finally:
        await conn.close()
    assert (refused.value.expected, refused.value.loaded) == (base.key.key_id, other.key_id)
    pool = await asyncpg.create_pool(asyncpg_dsn(store), min_size=1, max_size=2)
    try:
        with capture_logs() as logs, pytest.raises(LedgerKeyMismatch):
            await asyncio.wait_for(
                run_signer(pool, other, POLICY, asyncio.Event(), poll_seconds=0.05), 5
            )
    finally:
        await pool.close()
    mismatch = [e for e in logs if e["event"] == "ledger_key_mismatch"]
    assert [(e["log_level"], e["expected_key_id"], e["loaded_key_id"]) for e in mismatch] == [
        ("error", base.key.key_id, other.key_id)
    ]
    assert await max_head(store) == signed
    # The key in force still signs.
    conn = await asyncpg.connect(asyncpg_dsn(store))
    try:
        assert [h.size for h in await sign_due(conn, base.key, POLICY, force=True)] == [base.leaves]
    finally:
        await conn.close()


async def forked_head(url: str, key: LedgerKey, signed: int) -> TreeHead:
    """What the signer did before key continuity: a head over the unsigned leaves signed
    with whatever key it loaded, and their seals made with it."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        size = await ledger_size(conn)
        root = await compute(conn, lambda get: tree_root(size, get))
        head = TreeHead.sign(key, size, root, (await all_heads(conn))[-1].timestamp + 1)
        await insert_heads(conn, [head])
        rows = await conn.fetch(
            "SELECT position, notification_id, leaf_hash FROM views.ledger_leaves "
            "WHERE position >= $1 ORDER BY position",
            signed,
        )
        seal_key = key.seal_key
        assert seal_key is not None
        await conn.executemany(
            "INSERT INTO views.ledger_seals (position, notification_id, seal) VALUES ($1, $2, $3)",
            [(r[0], r[1], seal(seal_key, r[0], r[1], r[2])) for r in rows],
        )
        return head
    finally:
        await conn.close()


async def test_a_ledger_forked_by_a_key_swap_is_named_once_with_either_key(
    store, base, tmp_path
) -> None:
    """Verify names the heads signed by the key not in force, and accuses no event, with
    the original key or the swapped one, public or private."""
    other = generate_key_file(tmp_path / "other.key")
    head = await forked_head(store, other, base.signed)
    in_force = [50, 100, 150, 200, base.signed]
    for key in (base.key, LedgerKey(public=base.key.public)):
        report = await verify(store, key)
        assert report.tampered_lines() == [
            f"head-key: 1 signed head (size {head.size}) was signed by key {other.key_id}, not "
            f"by the key in force, {base.key.key_id} (no rotation signed by both keys hands "
            "over to it)"
        ], report.lines()
        assert report.status == 1
    for key in (other, LedgerKey(public=other.public)):
        report = await verify(store, key)
        assert report.tampered_lines() == [
            f"head-key: {len(in_force)} signed heads (sizes {in_force[0]} to {in_force[-1]}) "
            f"were signed by key {base.key.key_id}, not by the key in force, {other.key_id} "
            "(no rotation signed by both keys hands over to it)"
        ], report.lines()
        assert report.status == 1


# --- rotation ----------------------------------------------------------------------------


def rotate(url: str, base: Base, var: Path, new: Path, capsys) -> tuple[int, str]:
    settings = server_settings(url, var, base.key_path, OVERSIGHT_LEDGER_HEADS_LOG=str(var / "h"))
    status = cmd_rotate_key(Namespace(new=str(new)), settings)
    return status, capsys.readouterr().out


async def test_a_rotated_key_takes_over_and_verify_follows_the_chain(
    store, base, settings, tmp_path, capsys
) -> None:
    var = tmp_path / "var"
    log = var / "h"
    new_path = tmp_path / "new" / "ledger.key"
    status, out = await asyncio.to_thread(rotate, store, base, var, new_path, capsys)
    assert status == 0, out
    new = load_key_file(new_path)
    # The old key first signed what the ledger held, then handed over at that size.
    assert await max_head(store) == base.leaves
    assert f"key rotated after tree size {base.leaves}: {base.key.key_id} -> {new.key_id}" in out
    assert f"new public key: {new_path.with_suffix('.pub')}" in out
    heads, rotations = read_log(log)
    assert [h.size for h in heads] == [base.leaves]
    assert len(rotations) == 1 and rotations[0].valid()
    assert (rotations[0].old_key_id, rotations[0].new_key_id, rotations[0].size) == (
        base.key.key_id,
        new.key_id,
        base.leaves,
    )
    # The old key may no longer sign; the new one signs what comes next.
    app = build_application(store, settings)
    try:
        write_cases(app, 8, seed=21)
    finally:
        app.close()
    await project(store)
    conn = await asyncpg.connect(asyncpg_dsn(store))
    try:
        with pytest.raises(LedgerKeyMismatch):
            await sign_due(conn, base.key, POLICY, force=True)
        signed = await sign_due(conn, new, POLICY, force=True)
        assert signed and all(h.key_id == new.key_id for h in signed)
    finally:
        await conn.close()
    # Whichever key the inspector trusts, old or new, public or private: it all holds.
    for key in (base.key, new, LedgerKey(public=base.key.public), LedgerKey(public=new.public)):
        report = await verify(store, key)
        assert report.ok, report.lines()
        assert any("keys in force" in note for note in report.notes)
    # The command, with the published log (heads and the rotation).
    status, out = await asyncio.to_thread(
        verify_cli, store, new_path, settings, capsys, heads_log=log
    )
    assert status == 0, out
    assert f"published heads: {log} (1 heads, 1 key rotations)" in out


async def test_a_rotation_signed_by_one_key_only_hands_over_nothing(
    store, base, tmp_path, capsys
) -> None:
    var = tmp_path / "var"
    new_path = tmp_path / "new.key"
    status, out = await asyncio.to_thread(rotate, store, base, var, new_path, capsys)
    assert status == 0, out
    # A superuser swaps the old key's signature for garbage: the statement no longer holds.
    conn = await asyncpg.connect(asyncpg_dsn(store))
    try:
        await conn.execute("UPDATE views.ledger_key_rotations SET old_signature = $1", b"x" * 64)
        with pytest.raises(LedgerKeyMismatch):
            await sign_due(conn, load_key_file(new_path), POLICY, force=True)
    finally:
        await conn.close()
    report = await verify(store, base.key)
    assert [p.kind for p in report.tampered] == ["key-rotation"], report.lines()
    assert "is ignored: not signed by both keys" in report.tampered[0].detail


# --- no key made silently ------------------------------------------------------------------


async def test_with_a_database_url_no_key_is_generated(store, tmp_path) -> None:
    var = tmp_path / "var"
    settings = server_settings(store, var, None)
    pool = await asyncpg.create_pool(asyncpg_dsn(store), min_size=1, max_size=2)
    try:
        with capture_logs() as logs, contextlib.suppress(KeyFileError):
            await asyncio.wait_for(run_ledger_signer(pool, settings.ledger, asyncio.Event()), 5)
    finally:
        await pool.close()
    assert not (var / "ledger-ed25519.key").exists()
    [event] = [e for e in logs if e["event"] == "ledger_key_unavailable"]
    assert event["log_level"] == "error"
    assert "oversight ledger init-key" in event["problem"]
    assert str(var / "ledger-ed25519.key") in event["problem"]


def test_init_key_creates_the_key_once_and_says_where_the_public_key_is(tmp_path, capsys):
    path = tmp_path / "keys" / "ledger.key"
    settings = server_settings("postgresql://unused/x", tmp_path, path)
    assert cmd_init_key(Namespace(if_missing=False), settings) == 0
    out = capsys.readouterr().out
    key = load_key_file(path)
    assert f"ledger key {key.key_id} created" in out
    assert f"public key: {path.with_suffix('.pub')}" in out
    assert load_key_file(path.with_suffix(".pub")).key_id == key.key_id
    # Never a second key over the first.
    assert cmd_init_key(Namespace(if_missing=False), settings) == 1
    assert "already holds ledger key" in capsys.readouterr().err
    assert load_key_file(path).key_id == key.key_id
    # On every start of a stack: nothing to do.
    assert cmd_init_key(Namespace(if_missing=True), settings) == 0
    assert f"ledger key {key.key_id} already in {path}" in capsys.readouterr().out
    assert json.loads(json.dumps(key.describe()))["key_id"] == key.key_id
