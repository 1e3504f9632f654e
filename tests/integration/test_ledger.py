"""The ledger on real PostgreSQL: the projection, signing, `verify`, and tampering.

One honest store is built once (complaints through the application, projected, heads
signed every 50 events, then some unsigned and some unprojected events) and copied for
each test (CREATE DATABASE ... TEMPLATE), so every tamper test starts from the same
store and changes one thing, as a database superuser would.
"""

from __future__ import annotations

import asyncio
import itertools
import stat
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import psycopg
import pytest

from ledger.guard import roles_sql
from ledger.heads import TreeHead
from ledger.keys import KeyFileError, LedgerKey, generate_key_file, load_key_file, signing_key
from ledger.merkle import (
    MemoryTree,
    event_leaf_hash,
    frontier_nodes,
    tree_root,
    verify_consistency,
)
from ledger.published import append_heads, read_heads
from ledger.signer import LedgerMismatch, SigningPolicy, run_signer, sign_due
from ledger.verify import Report, _Walk, verify_database
from ledger.view import all_heads, compute, ledger_size
from oversight.database import asyncpg_dsn
from oversight.runtime import build_application
from oversight.settings import Settings
from projections.runner import ProjectionRunner
from tests.ledger_support import (
    EVERY,
    OVERDUE,
    POLICY,
    Base,
    as_superuser,
    check_named,
    check_names,
    copy_events,
    event_at,
    honest_store,
    many_stored_events,
    project,
    sign,
    store_copy,
    verify,
    verify_cli,
    verify_every_way,
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


# --- the honest store -------------------------------------------------------------------


async def test_the_honest_store_verifies_clean(base: Base) -> None:
    report = await verify_every_way(base.url, base.key)
    assert report.ok, report.lines()
    assert report.events == base.events
    assert report.leaves == base.leaves
    assert report.pending == base.events - base.leaves > 0
    assert report.heads == len(range(EVERY, base.signed + 1, EVERY)) + (base.signed % EVERY > 0)
    assert report.sealed == base.signed
    assert report.signed == base.signed
    assert report.seals_checked
    assert "OK" in report.lines()[-1]


async def verify_counting_bulk(url: str, key: LedgerKey, batch: int) -> tuple[Report, list[int]]:
    """verify in chunks of `batch`, and the first event of each chunk `_bulk` certified."""
    certified: list[int] = []
    bulk = _Walk._bulk

    async def counting(self: _Walk) -> bool:
        before = self.report.events
        done = await bulk(self)
        if done:
            certified.append(before)
        return done

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        with mock.patch.object(_Walk, "_bulk", counting):
            report = await verify_database(conn, key, batch=batch, overdue_seconds=OVERDUE)
        # The read-ahead left no fetch running: the connection answers at once.
        assert await conn.fetchval("SELECT count(*) FROM views.ledger_heads") == report.heads
    finally:
        await conn.close()
    return report, certified


async def test_the_honest_store_is_certified_in_bulk(base: Base) -> None:
    """The fast path really runs (the reports of `verify_every_way` would agree
    vacuously if it never did): in chunks of 8, every leaf of the ledger is certified
    in bulk (the events after it, not yet in the ledger, go row by row)."""
    report, certified = await verify_counting_bulk(base.url, base.key, 8)
    assert report.ok, report.lines()
    assert certified == list(range(0, base.leaves, 8)), (certified, base.leaves)


async def test_after_an_altered_event_the_rest_is_still_certified_in_bulk(
    store: str, base: Base
) -> None:
    """The store's tree and the ledger's part at an altered event; the chunks after it
    are still clean, and certified in bulk with a tree each (heads after it still fail)."""
    victim = event_at(store, offset=13)
    as_superuser(
        store,
        "UPDATE oversight_events SET state = set_byte(state, 12, get_byte(state, 12) # 1) "
        "WHERE notification_id = %s",
        params=(victim["notification_id"],),
    )
    for key in (base.key, LedgerKey(public=base.key.public)):
        report, certified = await verify_counting_bulk(store, key, 8)
        check_names(report, "altered", victim)
        # Chunk 8..15 holds the altered event: row by row; every other chunk in bulk.
        assert certified == [0, *range(16, base.leaves, 8)], (certified, base.leaves)
        # Every head is past the altered event: the store's root differs at each (one
        # line naming them all).
        head_roots = [p for p in report.tampered if p.kind == "head-root"]
        assert [len(p.sizes) for p in head_roots] == [report.heads], report.lines()


async def test_heads_come_every_n_events_and_verify(base: Base) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(base.url))
    try:
        heads = await all_heads(conn)
        sizes = [h.size for h in heads]
        assert sizes[:-1] == list(range(EVERY, base.signed, EVERY))
        assert sizes[-1] == base.signed
        assert all(h.verify(base.key) for h in heads)
        leaves = [
            r["leaf_hash"]
            for r in await conn.fetch("SELECT leaf_hash FROM views.ledger_leaves ORDER BY position")
        ]
        tree = MemoryTree(leaves)
        for head in heads:
            assert tree.root(head.size) == head.root
        for a, b in itertools.pairwise(heads):
            proof = tree.consistency_proof(a.size, b.size)
            assert verify_consistency(a.size, b.size, a.root, b.root, proof)
        # Every leaf is the hash of the event's canonical bytes, in notification order.
        rows = await conn.fetch(
            "SELECT e.originator_id, e.originator_version, e.topic, e.state, l.leaf_hash, "
            "l.position FROM oversight_events e JOIN views.ledger_leaves l "
            "USING (notification_id) ORDER BY e.notification_id"
        )
        assert [r["position"] for r in rows] == list(range(len(rows)))
        assert all(
            event_leaf_hash(r["originator_id"], r["originator_version"], r["topic"], r["state"])
            == r["leaf_hash"]
            for r in rows
        )
        # Stored nodes give the same roots as the whole tree in memory.
        size = await ledger_size(conn)
        for n in (1, 2, 3, EVERY + 1, size):
            assert await compute(conn, lambda get, n=n: tree_root(n, get)) == tree.root(n)
    finally:
        await conn.close()


async def test_time_passing_signs_a_head_at_the_current_size(store: str, base: Base) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(store))
    try:
        last = (await all_heads(conn))[-1]
    finally:
        await conn.close()
    moment = datetime.fromtimestamp(last.timestamp / 1000, UTC)
    policy = SigningPolicy(every_events=1000, every_seconds=60)
    assert await sign(store, base.key, policy, now=moment + timedelta(seconds=59)) == []
    heads = await sign(store, base.key, policy, now=moment + timedelta(seconds=61))
    assert [h.size for h in heads] == [base.leaves]
    assert abs(heads[0].timestamp - (last.timestamp + 61_000)) <= 1
    assert await sign(store, base.key, policy, now=moment + timedelta(seconds=200)) == []
    assert (await verify_every_way(store, base.key)).ok


async def test_a_signer_far_behind_catches_up_in_bounded_passes(store: str, base: Base) -> None:
    """Each pass signs at most `max_heads` heads; passes repeated give every head a
    single pass would (every EVERY events), and the last pass the current size."""
    conn = await asyncpg.connect(asyncpg_dsn(store))
    try:
        await conn.execute("DELETE FROM views.ledger_heads")
        await conn.execute("DELETE FROM views.ledger_seals")
        passes = []
        now = datetime.now(UTC)
        while heads := await sign_due(conn, base.key, POLICY, max_heads=2, now=now):
            passes.append([h.size for h in heads])
            now += timedelta(seconds=POLICY.every_seconds + 1)  # a time head is due too
        signed = [r[0] for r in await conn.fetch("SELECT size FROM views.ledger_heads ORDER BY 1")]
        sealed = await conn.fetchval("SELECT count(*) FROM views.ledger_seals")
    finally:
        await conn.close()
    assert all(len(p) <= 2 for p in passes) and len(passes) > 2
    assert signed == [*range(EVERY, base.leaves + 1, EVERY), base.leaves][: len(signed)]
    assert signed[-1] == base.leaves and sealed == base.leaves
    assert (await verify_every_way(store, base.key)).ok


async def test_the_signer_task_signs_and_stops(store: str, base: Base) -> None:
    pool = await asyncpg.create_pool(asyncpg_dsn(store), min_size=1, max_size=2)
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_signer(pool, base.key, SigningPolicy(1000, 0.1), stop, poll_seconds=0.05)
    )
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            async with pool.acquire() as conn:
                if await conn.fetchval("SELECT max(size) FROM views.ledger_heads") == base.leaves:
                    break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the signer task signed no head at the ledger's size")
    finally:
        stop.set()
        await task
        await pool.close()


async def test_the_signer_refuses_to_sign_over_a_changed_event(store: str, base: Base) -> None:
    unsigned = event_at(store, offset=base.signed + 1)  # in the ledger, not under a head
    as_superuser(
        store,
        "UPDATE oversight_events SET state = state || ' '::bytea WHERE notification_id = %s",
        params=(unsigned["notification_id"],),
    )
    with pytest.raises(LedgerMismatch) as refused:
        await sign(store, base.key, POLICY, force=True)
    assert refused.value.position == unsigned["position"]
    conn = await asyncpg.connect(asyncpg_dsn(store))
    try:
        assert await conn.fetchval("SELECT max(size) FROM views.ledger_heads") == base.signed
    finally:
        await conn.close()


async def test_a_damaged_node_table_is_reported_and_never_signed_over(
    store: str, base: Base
) -> None:
    level, index = frontier_nodes(base.signed)[0]  # on the signer's path
    as_superuser(
        store,
        "DELETE FROM views.ledger_nodes WHERE level = %s AND node_index = %s",
        params=(level, index),
    )
    with pytest.raises(LedgerMismatch):
        await sign(store, base.key, POLICY, force=True)
    report = await verify_every_way(store, base.key)
    assert report.first_tampered_event is None
    kinds = {p.kind for p in report.tampered}
    assert "ledger-node" in kinds, report.lines()
    assert "consistency" in kinds, report.lines()


# --- tampering --------------------------------------------------------------------------


async def test_one_altered_byte_is_named(store: str, base: Base) -> None:
    victim = event_at(store, offset=37)
    as_superuser(
        store,
        "UPDATE oversight_events SET state = set_byte(state, 12, get_byte(state, 12) # 1) "
        "WHERE notification_id = %s",
        params=(victim["notification_id"],),
    )
    report = await check_named(store, base.key, "altered", victim)
    assert any(p.kind == "head-root" for p in report.tampered)


async def test_a_deleted_event_is_named(store: str, base: Base) -> None:
    victim = event_at(store, offset=61)
    as_superuser(
        store,
        "DELETE FROM oversight_events WHERE notification_id = %s",
        params=(victim["notification_id"],),
    )
    await check_named(store, base.key, "removed", victim)


async def test_two_swapped_events_are_named(store: str, base: Base) -> None:
    first, second = event_at(store, offset=20), event_at(store, offset=45)
    as_superuser(
        store,
        "UPDATE oversight_events SET notification_id = -1 WHERE notification_id = %s",
        params=(first["notification_id"],),
    )
    as_superuser(
        store,
        "UPDATE oversight_events SET notification_id = %s WHERE notification_id = %s",
        params=(first["notification_id"], second["notification_id"]),
    )
    as_superuser(
        store,
        "UPDATE oversight_events SET notification_id = %s WHERE notification_id = -1",
        params=(second["notification_id"],),
    )
    for key in (base.key, LedgerKey(public=base.key.public)):
        report = await verify_every_way(store, key)
        # Matched by content, each event is named once, by its own case and version, at
        # the leaf the ledger recorded it at; nothing between them is blamed.
        reordered = [p for p in report.tampered if p.kind == "reordered"]
        assert [(p.position, p.notification_id, p.case_id, p.version) for p in reordered] == [
            (first["position"], second["notification_id"], first["originator_id"],
             first["originator_version"]),
            (second["position"], first["notification_id"], second["originator_id"],
             second["originator_version"]),
        ], report.lines()  # fmt: skip
        assert report.first_tampered_event == reordered[0]
        assert [p.kind for p in report.tampered] == ["reordered", "reordered", "head-root"]


async def test_a_truncated_tail_after_a_head_is_named(store: str, base: Base) -> None:
    victim = event_at(store, offset=base.signed - 7)  # the last 7 signed, and what follows
    as_superuser(
        store,
        "DELETE FROM oversight_events WHERE notification_id >= %s",
        params=(victim["notification_id"],),
    )
    report = await check_named(store, base.key, "truncated", victim)
    assert [p.kind for p in report.tampered] == ["truncated", "head-beyond-store"]
    assert f"the store has lost the ledger's last {base.leaves - victim['position']} events" in (
        report.tampered[0].detail
    )


async def test_an_inserted_event_is_named(store: str, base: Base) -> None:
    with psycopg.connect(store) as conn:
        gap = conn.execute(
            "SELECT n FROM generate_series(1, (SELECT max(notification_id) FROM "
            "views.ledger_leaves)) n WHERE n NOT IN (SELECT notification_id FROM "
            "oversight_events) LIMIT 1"
        ).fetchone()[0]
        source = conn.execute(
            "SELECT topic, state FROM oversight_events ORDER BY notification_id LIMIT 1"
        ).fetchone()
        position = conn.execute(
            "SELECT count(*) FROM oversight_events WHERE notification_id < %s", (gap,)
        ).fetchone()[0]
    forged = uuid.uuid4()
    as_superuser(
        store,
        "INSERT INTO oversight_events (originator_id, originator_version, topic, state, "
        "notification_id) VALUES (%s, %s, %s, %s, %s)",
        params=(forged, 1, source[0], source[1], gap),
    )
    await check_named(
        store,
        base.key,
        "inserted",
        {
            "notification_id": gap,
            "originator_id": forged,
            "originator_version": 1,
            "position": position,
        },
    )


async def _rewrite_ledger_to_match(store: str, victim: dict) -> None:
    """An attacker who changed an event also recomputes its leaf and every node, so the
    ledger tables agree with the store again. Only the signatures can't be redone."""
    conn = await asyncpg.connect(asyncpg_dsn(store))
    try:
        row = await conn.fetchrow(
            "SELECT originator_id, originator_version, topic, state FROM oversight_events "
            "WHERE notification_id = $1",
            victim["notification_id"],
        )
        await conn.execute(
            "UPDATE views.ledger_leaves SET leaf_hash = $2 WHERE notification_id = $1",
            victim["notification_id"],
            event_leaf_hash(*row.values()),
        )
        leaves = [
            r["leaf_hash"]
            for r in await conn.fetch("SELECT leaf_hash FROM views.ledger_leaves ORDER BY position")
        ]
        tree = MemoryTree(leaves)
        await conn.execute("DELETE FROM views.ledger_nodes")
        await conn.executemany(
            "INSERT INTO views.ledger_nodes (level, node_index, hash) VALUES ($1, $2, $3)",
            [(lv, i, h) for (lv, i), h in tree.nodes.items() if lv > 0],
        )
    finally:
        await conn.close()


async def test_a_ledger_rewritten_to_match_is_caught_and_the_event_named(
    store: str, base: Base
) -> None:
    victim = event_at(store, offset=77)
    as_superuser(
        store,
        "UPDATE oversight_events SET state = set_byte(state, 20, get_byte(state, 20) # 2) "
        "WHERE notification_id = %s",
        params=(victim["notification_id"],),
    )
    await _rewrite_ledger_to_match(store, victim)
    report = await verify_every_way(store, base.key)
    check_names(report, "altered", victim)
    kinds = {p.kind for p in report.tampered}
    assert {"ledger-rewritten", "head-root"} <= kinds, report.lines()
    # With only the public key, no seal can be checked: still caught, and narrowed to
    # the events between the last head that holds and the first that does not.
    public_only = LedgerKey(public=base.key.public)
    report = await verify_every_way(store, public_only)
    assert not report.ok
    assert report.first_tampered_event is None
    narrowed = [p for p in report.tampered if p.kind == "head-root" and "among leaves" in p.detail]
    assert len(narrowed) == 1, report.lines()
    start = (victim["position"] // EVERY) * EVERY
    assert f"among leaves {start}..{start + EVERY - 1}" in narrowed[0].detail


async def test_a_forged_head_signature_is_caught(store: str, base: Base) -> None:
    as_superuser(
        store,
        "UPDATE views.ledger_heads SET signature = set_byte(signature, 0, "
        "get_byte(signature, 0) # 1) WHERE size = %s",
        params=(EVERY,),
    )
    report = await verify_every_way(store, base.key)
    assert [p.kind for p in report.tampered] == ["head-signature"], report.lines()


async def test_heads_from_another_key_are_caught(store: str, base: Base, tmp_path: Path) -> None:
    other = generate_key_file(tmp_path / "other.key")
    report = await verify_every_way(store, LedgerKey(public=other.public))
    assert [p.kind for p in report.tampered] == ["head-key"], report.lines()
    assert len(report.tampered[0].sizes) == report.heads


# --- the command ------------------------------------------------------------------------


def test_the_verify_command_exits_0_only_when_everything_holds(
    store: str, base: Base, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = verify_cli(store, base.key_path, settings, capsys)
    assert status == 0, out
    assert "OK" in out
    victim = event_at(store, offset=3)
    as_superuser(
        store,
        "UPDATE oversight_events SET topic = topic || 'x' WHERE notification_id = %s",
        params=(victim["notification_id"],),
    )
    status, out = verify_cli(store, base.key_path, settings, capsys)
    assert status == 1, out
    assert f"notification {victim['notification_id']}" in out
    assert str(victim["originator_id"]) in out
    status, out = verify_cli(store, None, settings, capsys)
    assert status == 2


# --- heads published outside the database ----------------------------------------------


async def test_the_signer_publishes_what_it_commits(store: str, base: Base, tmp_path: Path) -> None:
    log = tmp_path / "heads.jsonl"
    conn = await asyncpg.connect(asyncpg_dsn(store))
    try:
        await conn.execute("DELETE FROM views.ledger_heads")
        signed = await sign_due(
            conn, base.key, POLICY, force=True, publish=partial(append_heads, log)
        )
        assert await sign_due(conn, base.key, POLICY, publish=partial(append_heads, log)) == []
        assert read_heads(log) == signed == await all_heads(conn)
    finally:
        await conn.close()


async def test_published_heads_catch_a_database_rewritten_whole(
    store: str, base: Base, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A superuser removes an event and rewrites the ledger, the heads and the seals to
    match: the database alone then verifies clean; the heads kept outside do not."""
    log = tmp_path / "heads.jsonl"
    conn = await asyncpg.connect(asyncpg_dsn(store))
    try:
        append_heads(log, await all_heads(conn))
    finally:
        await conn.close()
    published = read_heads(log)
    cli = partial(verify_cli, store, base.key_path, settings, capsys, heads_log=log)
    status, out = await asyncio.to_thread(cli)  # the command runs its own event loop
    assert status == 0 and f"{len(published)} published heads" in out, out

    victim = event_at(store, offset=5)
    as_superuser(
        store,
        "DELETE FROM oversight_events WHERE notification_id = %s",
        "DELETE FROM views.ledger_heads",
        "DELETE FROM views.ledger_seals",
        "DELETE FROM views.ledger_leaves",
        "DELETE FROM views.ledger_nodes",
        "UPDATE views.tracking SET position = 0 WHERE projection = 'ledger'",
        params=(victim["notification_id"],),
    )
    await project(store)
    alone = await verify(store, base.key)
    assert alone.ok, alone.lines()  # nothing in the database contradicts it any more

    status, out = await asyncio.to_thread(cli)
    assert status == 1, out
    conn = await asyncpg.connect(asyncpg_dsn(store))
    try:
        report = await verify_database(conn, base.key, published=published, overdue_seconds=OVERDUE)
    finally:
        await conn.close()
    kinds = [p.kind for p in report.tampered]
    assert kinds == ["head-root", "head-root", "published-missing"], report.lines()
    # Every published head past the removed event fails; the ones before it still hold.
    failing = {h.size for h in published if h.size > victim["position"]}
    assert set(report.tampered[0].sizes) == failing
    assert f"{len(failing)} of them published" in report.tampered[0].detail
    assert "among leaves 0..49" in report.tampered[1].detail  # no seal names it any more
    assert set(report.tampered[2].sizes) == {h.size for h in published}


def test_an_unreadable_heads_log_stops_verify(
    store: str, base: Base, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "heads.jsonl"
    log.write_text('{"size": 1}\n')
    status, _ = verify_cli(store, base.key_path, settings, capsys, heads_log=log)
    assert status == 2
    with pytest.raises(ValueError, match=r"heads\.jsonl:1: tree_head\.timestamp"):
        read_heads(log)


# --- the write guard and the database role ------------------------------------------------


def test_the_trigger_refuses_update_delete_and_truncate(store: str) -> None:
    with psycopg.connect(store, autocommit=True) as conn:
        for statement in (
            "UPDATE oversight_events SET topic = topic",
            "DELETE FROM oversight_events",
            "TRUNCATE oversight_events",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(statement)
        assert conn.execute("SELECT count(*) FROM oversight_events").fetchone()[0] > 0


def test_building_the_application_puts_a_disabled_trigger_back(
    store: str, settings: Settings
) -> None:
    with psycopg.connect(store, autocommit=True) as conn:
        conn.execute("ALTER TABLE oversight_events DISABLE TRIGGER USER")
    build_application(store, settings).close()
    with (
        psycopg.connect(store, autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("DELETE FROM oversight_events")


def test_the_api_role_can_append_and_read_but_never_change_events(
    store: str, server_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    role = "oversight_api_" + uuid.uuid4().hex[:8]
    name = urlsplit(store).path.lstrip("/")
    with psycopg.connect(store, autocommit=True) as conn:
        version = conn.info.server_version
        conn.execute(roles_sql(role, database=name, server_version=version))
    parts = urlsplit(store)
    host = f"{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
    role_url = urlunsplit(parts._replace(netloc=f"{role}@{host}"))
    try:
        with psycopg.connect(role_url, autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM oversight_events").fetchone()[0] > 0
            conn.execute(
                "INSERT INTO oversight_events (originator_id, originator_version, topic, state) "
                "VALUES (%s, 1, 't', 's')",
                (uuid.uuid4(),),
            )
            for statement in (
                "UPDATE oversight_events SET topic = topic",
                "DELETE FROM oversight_events",
                "TRUNCATE oversight_events",
                "ALTER TABLE oversight_events DISABLE TRIGGER USER",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)
        if version >= 170000:
            # The application's own write path works through the role.
            monkeypatch.setenv("OVERSIGHT_CREATE_TABLE", "n")
            app = build_application(role_url, settings)
            try:
                write_cases(app, 1, seed=9)
            finally:
                app.close()
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


# --- the key ------------------------------------------------------------------------------


def test_the_key_file_is_private_and_the_key_stays_out_of_the_database(
    tmp_path: Path, base: Base
) -> None:
    path = tmp_path / "k" / "ledger-ed25519.key"
    key = signing_key(path, configured=False, embedded=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key_file(path).key_id == key.key_id
    assert load_key_file(path.with_suffix(".pub")).private is None
    assert signing_key(path, configured=False, embedded=True).key_id == key.key_id
    with pytest.raises(KeyFileError):
        signing_key(tmp_path / "missing.key", configured=True, embedded=False)
    # Against a server, not even the default path gets a key made silently.
    with pytest.raises(KeyFileError, match="oversight ledger init-key"):
        signing_key(tmp_path / "var" / "ledger-ed25519.key", configured=False, embedded=False)
    assert not (tmp_path / "var").exists()
    with pytest.raises(KeyFileError):
        signing_key(path.with_suffix(".pub"), configured=True, embedded=True)
    # Nothing in the database holds the private key's bytes.
    raw = base.key.private.private_bytes_raw()  # type: ignore[union-attr]
    with psycopg.connect(base.url) as conn:
        for table, column in (
            ("views.ledger_heads", "signature"),
            ("views.ledger_seals", "seal"),
            ("views.ledger_nodes", "hash"),
        ):
            assert not conn.execute(
                f"SELECT 1 FROM {table} WHERE position(%s::bytea in {column}) > 0", (raw,)
            ).fetchall()


def test_a_tree_head_signs_the_rfc_9162_tree_head_data(base: Base) -> None:
    head = TreeHead.sign(base.key, 5, bytes(range(32)), 1_700_000_000_123)
    data = head.signed_data()
    assert data == (
        (1_700_000_000_123).to_bytes(8, "big")
        + (5).to_bytes(8, "big")
        + bytes([32])
        + bytes(range(32))
        + b"\x00\x00"
    )
    assert base.key.public.verify(head.signature, data) is None
    assert head.verify(base.key)
    assert not TreeHead(6, head.root, head.timestamp, head.signature, head.key_id).verify(base.key)
    assert TreeHead.from_json(head.to_json()) == head


# --- 100,000 events ---------------------------------------------------------------------


async def test_an_honest_store_of_100_000_events_verifies_clean(
    fresh_database_url: str, settings: Settings, tmp_path: Path, record_property: Callable
) -> None:
    """The events are valid stored events (real aggregates, the application's mapper),
    written with one COPY rather than 100,000 commands, to keep the suite fast."""
    build_application(fresh_database_url, settings).close()
    copy_events(fresh_database_url, many_stored_events(100_000, seed=5))
    assert await project(fresh_database_url, batch_size=5000) == 100_000
    key = generate_key_file(tmp_path / "ledger.key")
    heads = await sign(fresh_database_url, key, SigningPolicy(1000, 60))
    assert [h.size for h in heads] == list(range(1000, 100_001, 1000))
    started = time.perf_counter()
    report = await verify(fresh_database_url, key)
    seconds = time.perf_counter() - started
    assert report.ok, report.lines()
    assert (report.events, report.leaves, report.heads, report.sealed) == (
        100_000,
        100_000,
        100,
        100_000,
    )
    record_property("verify_events_per_second", round(100_000 / seconds))
    print(f"verify: 100,000 events in {seconds:.1f} s ({100_000 / seconds:,.0f} events/s)")
    assert seconds < 60


async def test_the_runner_keeps_the_ledger_current(fresh_database_url: str, settings) -> None:
    """Through the real runner with every projection: leaves follow the store."""
    from oversight.runtime import PROJECTIONS
    from projections.runner import ensure_schema

    app = build_application(fresh_database_url, settings)
    try:
        write_cases(app, 5, seed=11)
    finally:
        app.close()
    pool = await asyncpg.create_pool(asyncpg_dsn(fresh_database_url), min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await ensure_schema(conn, PROJECTIONS)
        await ProjectionRunner(pool, PROJECTIONS, batch_size=3).catch_up()
        async with pool.acquire() as conn:
            events = await conn.fetchval("SELECT count(*) FROM oversight_events")
            assert await ledger_size(conn) == events
    finally:
        await pool.close()
