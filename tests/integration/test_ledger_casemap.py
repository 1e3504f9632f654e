"""The case map on real PostgreSQL: every head the signer commits carries the root of the
map of each case's last version under it (recomputed here from the store, by the
definition), the map's entries are kept with the heads, a ledger whose heads predate the
map gets one from its leaves, and verify names a head whose map root is not the store's."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import pytest

from ledger import casemaps
from ledger.casemap import map_key, map_value, reference_root
from ledger.casemaps import case_type_of
from ledger.heads import TreeHead
from ledger.keys import LedgerKey
from ledger.view import all_heads, insert_heads
from oversight.database import asyncpg_dsn
from oversight.settings import Settings
from tests.ledger_support import POLICY, Base, honest_store, sign, store_copy, verify

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def base(
    server_url: str, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Base]:
    yield from honest_store(server_url, settings, tmp_path_factory)


@pytest.fixture
def store(base: Base, server_url: str) -> Iterator[str]:
    yield from store_copy(base, server_url)


async def expected_root(conn: asyncpg.Connection, size: int) -> bytes:
    """The map by its definition, from the store's first `size` events."""
    rows = await conn.fetch(
        "SELECT originator_id, originator_version, topic FROM oversight_events "
        "ORDER BY notification_id LIMIT $1",
        size,
    )
    latest: dict[bytes, bytes] = {}
    for index, r in enumerate(rows):
        latest[map_key(r[0])] = map_value(case_type_of(r[2]), r[1], index)
    return reference_root(latest)


def test_case_types_come_from_the_registry() -> None:
    assert case_type_of("domain.complaint:Complaint.Lodged") == "complaint"
    assert case_type_of("domain.project:ProjectProblem.Raised") == "problem"
    assert case_type_of("domain.project:Project.Created") == "project"
    assert case_type_of("elsewhere:Thing.Happened") == "elsewhere:Thing"


async def test_every_head_commits_to_the_case_map_of_its_size(store: str, base: Base) -> None:
    casemaps._HELD.clear()
    signed = await sign(store, base.key, POLICY, force=True)  # the unsigned leaves
    assert signed
    conn = await asyncpg.connect(asyncpg_dsn(store))
    try:
        for head in await all_heads(conn):
            assert head.map_root == await expected_root(conn, head.size), head.size
        stored = await conn.fetchval("SELECT count(*) FROM views.ledger_map")
        cases = await conn.fetchval(
            "SELECT count(DISTINCT e.originator_id) FROM oversight_events e "
            "JOIN views.ledger_leaves l USING (notification_id) WHERE l.position < $1",
            signed[-1].size,
        )
        assert stored == cases
    finally:
        await conn.close()
    # Another process (nothing held in memory) continues from the stored entries.
    casemaps._HELD.clear()
    assert (await verify(store, base.key)).ok


async def test_heads_from_before_the_map_get_one_from_the_leaves(store: str, base: Base) -> None:
    """Heads signed before case maps (no map root) and no stored entries: the next head
    has the map built from the ledger's leaves, and every entry is stored."""
    conn = await asyncpg.connect(asyncpg_dsn(store))
    try:
        old = await all_heads(conn)
        await conn.execute("DELETE FROM views.ledger_heads")
        await conn.execute("DELETE FROM views.ledger_map")
        await insert_heads(
            conn, [TreeHead.sign(base.key, h.size, h.root, h.timestamp) for h in old]
        )
    finally:
        await conn.close()
    casemaps._HELD.clear()
    [head] = await sign(store, base.key, POLICY, force=True)
    conn = await asyncpg.connect(asyncpg_dsn(store))
    try:
        assert head.map_root == await expected_root(conn, head.size)
        stored = await conn.fetchval("SELECT count(*) FROM views.ledger_map")
        assert stored == await conn.fetchval(
            "SELECT count(DISTINCT originator_id) FROM views.ledger_leaves WHERE position < $1",
            head.size,
        )
    finally:
        await conn.close()
    report = await verify(store, base.key)
    assert report.ok, report.lines()


async def test_a_head_committing_to_another_map_is_named(store: str, base: Base) -> None:
    """A signer that committed a wrong map root (a bug, or the key's holder): the store
    still gives the head's tree root, not its map root."""
    conn = await asyncpg.connect(asyncpg_dsn(store))
    try:
        last = (await all_heads(conn))[-1]
        await conn.execute("DELETE FROM views.ledger_heads WHERE size = $1", last.size)
        await insert_heads(
            conn,
            [TreeHead.sign(base.key, last.size, last.root, last.timestamp, bytes(32))],
        )
    finally:
        await conn.close()
    report = await verify(store, base.key)
    assert [p.kind for p in report.tampered] == ["head-map"], report.lines()
    assert f"as of head {last.size}" in report.tampered[0].detail


async def test_verify_reads_a_ledger_the_service_has_not_migrated_yet(
    store: str, base: Base
) -> None:
    """`oversight verify` only reads: against a database still in the earlier layout (no
    map root or checkpoint columns, none of the newer tables) it verifies, not fails."""
    conn = await asyncpg.connect(asyncpg_dsn(store))
    try:
        old = await all_heads(conn)
        await conn.execute("DELETE FROM views.ledger_heads")
        await insert_heads(
            conn, [TreeHead.sign(base.key, h.size, h.root, h.timestamp) for h in old]
        )
        await conn.execute(
            "ALTER TABLE views.ledger_heads DROP COLUMN map_root, DROP COLUMN checkpoint;"
            "DROP TABLE views.ledger_arrivals, views.ledger_map, views.ledger_key_rotations, "
            "views.ledger_origin"
        )
    finally:
        await conn.close()
    for key in (base.key, LedgerKey(public=base.key.public)):
        report = await verify(store, key)
        assert report.ok, report.lines()
        assert report.heads == len(old)
