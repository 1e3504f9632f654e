"""Each way of tampering with the event store gives one exact report and exit status.

A database superuser (the append-only triggers switched off) alters, removes, inserts
(at the start, in the middle, at the end), reorders or truncates events of a copy of
the honest store (tests/ledger_support.py: heads every 50 events). `oversight verify`
must name each real anomaly once, with its position, case id and version, and nothing
else: no untouched event is accused because the store's positions shifted. The report
is the same with the public key as with the private key, row by row or in bulk, and
through the command (exit status 1).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger.keys import LedgerKey
from oversight.settings import Settings
from tests.ledger_support import (
    EVERY,
    OVERDUE,
    Base,
    as_superuser,
    event_at,
    honest_store,
    project,
    store_copy,
    verify,
    verify_cli,
    verify_every_way,
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


def head_sizes(base: Base) -> list[int]:
    sizes = list(range(EVERY, base.signed + 1, EVERY))
    return sizes if sizes[-1] == base.signed else [*sizes, base.signed]


def heads(sizes: list[int]) -> str:
    """How the report names a group of heads."""
    if len(sizes) == 1:
        named = f"size {sizes[0]}"
    elif len(sizes) <= 4:
        named = "sizes " + ", ".join(map(str, sizes))
    else:
        named = f"sizes {sizes[0]} to {sizes[-1]}"
    return f"{len(sizes)} signed head{'s' if len(sizes) > 1 else ''} ({named})"


def head_root(sizes: list[int]) -> str:
    return f"head-root: the store's events no longer hash to the roots of {heads(sizes)}"


def named(kind: str, event: dict[str, Any], detail: str, *, where: str = "leaf") -> str:
    return (
        f"{kind}: {where} {event['position']}, notification {event['notification_id']}, "
        f"case {event['originator_id']} version {event['originator_version']}: {detail}"
    )


def forged_event(url: str, notification_id: int, position: int) -> dict[str, Any]:
    """Store a forged event (a copy of the first event's bytes under a new case id) with
    this notification id, as a superuser would."""
    with psycopg.connect(url) as conn:
        topic, state = conn.execute(
            "SELECT topic, state FROM oversight_events ORDER BY notification_id LIMIT 1"
        ).fetchone()
    forged = uuid.uuid4()
    as_superuser(
        url,
        "INSERT INTO oversight_events (originator_id, originator_version, topic, state, "
        "notification_id) VALUES (%s, 1, %s, %s, %s)",
        params=(forged, topic, state, notification_id),
    )
    return {
        "position": position,
        "notification_id": notification_id,
        "originator_id": forged,
        "originator_version": 1,
    }


def make_room(url: str, notification_id: int) -> None:
    """Shift the notification ids from `notification_id` on up by one (in two steps:
    the ids are unique at every row)."""
    as_superuser(
        url,
        "UPDATE oversight_events SET notification_id = notification_id + 1000000 "
        "WHERE notification_id >= %s",
        params=(notification_id,),
    )
    as_superuser(
        url,
        "UPDATE oversight_events SET notification_id = notification_id - 999999 "
        "WHERE notification_id >= 1000000",
    )


async def check_report(
    url: str,
    base: Base,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    expected: list[str],
) -> Any:
    """The exact problem lines with either key, in bulk and row by row, and through
    `oversight verify` (exit 1) with the configured private key and with `--key` the
    public key."""
    private = await verify_every_way(url, base.key)
    public = await verify_every_way(url, LedgerKey(public=base.key.public))
    assert private.tampered_lines() == expected, private.lines()
    assert public.tampered_lines() == expected, public.lines()
    assert private.status == public.status == 1
    assert private.first_tampered_event is not None
    public_file = tmp_path / "ledger.pub"
    public_file.write_text(base.key.public_pem)
    for key_arg in (None, public_file):
        status, out = await asyncio.to_thread(
            verify_cli, url, base.key_path, settings, capsys, key_arg=key_arg
        )
        assert status == 1, out
        listed = [line[2:] for line in out.splitlines() if line.startswith("  ")]
        assert listed == expected, out
        assert f"FAILED (tampered): {len(expected)} problem(s)" in out
        assert f"FIRST TAMPERED EVENT: {expected[0]}" in out
    return private


async def test_an_altered_event(store, base, settings, capsys, tmp_path) -> None:
    victim = event_at(store, offset=37)
    as_superuser(
        store,
        "UPDATE oversight_events SET state = set_byte(state, 12, get_byte(state, 12) # 1) "
        "WHERE notification_id = %s",
        params=(victim["notification_id"],),
    )
    await check_report(
        store,
        base,
        settings,
        capsys,
        tmp_path,
        [
            named("altered", victim, "its stored bytes no longer hash to the ledger's leaf"),
            head_root([s for s in head_sizes(base) if s > 37]),
        ],
    )


async def test_a_removed_event(store, base, settings, capsys, tmp_path) -> None:
    victim = event_at(store, offset=61)
    as_superuser(
        store,
        "DELETE FROM oversight_events WHERE notification_id = %s",
        params=(victim["notification_id"],),
    )
    await check_report(
        store,
        base,
        settings,
        capsys,
        tmp_path,
        [
            named("removed", victim, "the ledger recorded this event; the store no longer has it"),
            head_root([s for s in head_sizes(base) if s > 61]),
        ],
    )


async def test_an_event_inserted_at_the_start(store, base, settings, capsys, tmp_path) -> None:
    forged = forged_event(store, 0, 0)  # before every event: each one's place shifts by one
    report = await check_report(
        store,
        base,
        settings,
        capsys,
        tmp_path,
        [
            named(
                "inserted",
                forged,
                "this event is in the store but not in the ledger",
                where="store position",
            ),
            head_root(head_sizes(base)),
        ],
    )
    assert report.sealed == base.signed  # every seal still holds: nothing else accused


async def test_an_event_inserted_in_the_middle(store, base, settings, capsys, tmp_path) -> None:
    """Room is made by renumbering every later event: their ids change, not their
    leaves, and the report says so in a note, not as problems."""
    place = event_at(store, offset=100)
    make_room(store, place["notification_id"])
    forged = forged_event(store, place["notification_id"], 100)
    report = await check_report(
        store,
        base,
        settings,
        capsys,
        tmp_path,
        [
            named(
                "inserted",
                forged,
                "this event is in the store but not in the ledger",
                where="store position",
            ),
            head_root([s for s in head_sizes(base) if s > 100]),
        ],
    )
    assert report.renumbered == base.leaves - 100
    assert any(f"{base.leaves - 100} events carry another notification id" in n
               for n in report.notes)  # fmt: skip


async def test_an_event_inserted_at_the_end(store, base, settings, capsys, tmp_path) -> None:
    """Just before the ledger's last leaf (past the last head: no head changes). An
    event after the ledger's last leaf is indistinguishable from one not projected yet
    (pending), as an honest new event is."""
    last = event_at(store, offset=base.leaves - 1)
    make_room(store, last["notification_id"])
    forged = forged_event(store, last["notification_id"], base.leaves - 1)
    report = await check_report(
        store,
        base,
        settings,
        capsys,
        tmp_path,
        [
            named(
                "inserted",
                forged,
                "this event is in the store but not in the ledger",
                where="store position",
            ),
        ],
    )
    assert report.pending == base.events - base.leaves


async def test_two_events_reordered(store, base, settings, capsys, tmp_path) -> None:
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
    await check_report(
        store,
        base,
        settings,
        capsys,
        tmp_path,
        [
            named(
                "reordered",
                {**first, "notification_id": second["notification_id"]},
                "the ledger recorded it at leaf 20; the store now has it at position 45",
            ),
            named(
                "reordered",
                {**second, "notification_id": first["notification_id"]},
                "the ledger recorded it at leaf 45; the store now has it at position 20",
            ),
            head_root(head_sizes(base)),
        ],
    )


async def test_a_truncated_store(store, base, settings, capsys, tmp_path) -> None:
    """The last 7 signed events and everything after them deleted."""
    cut = base.signed - 7
    victim = event_at(store, offset=cut)
    last = event_at(store, offset=base.leaves - 1)
    as_superuser(
        store,
        "DELETE FROM oversight_events WHERE notification_id >= %s",
        params=(victim["notification_id"],),
    )
    count = base.leaves - cut
    beyond = [s for s in head_sizes(base) if s > cut]
    assert len(beyond) > 1
    report = await check_report(
        store,
        base,
        settings,
        capsys,
        tmp_path,
        [
            named(
                "truncated",
                victim,
                f"the store has lost the ledger's last {count} events (leaves {cut}.."
                f"{base.leaves - 1}, notifications {victim['notification_id']} to "
                f"{last['notification_id']})",
            ),
            f"head-beyond-store: {heads(beyond)} cover more events than the store's {cut}",
        ],
    )
    assert report.pending == 0


# --- what no signature covers: unverified, exit status 2 ---------------------------------


def rewrite_everything(url: str, victim: dict[str, Any]) -> None:
    """A superuser removes an event and rewrites the ledger to match: leaves, nodes,
    heads and seals deleted, the ledger projected again from the store as it now is."""
    as_superuser(
        url,
        "DELETE FROM oversight_events WHERE notification_id = %s",
        "DELETE FROM views.ledger_heads",
        "DELETE FROM views.ledger_seals",
        "DELETE FROM views.ledger_leaves",
        "DELETE FROM views.ledger_nodes",
        "DELETE FROM views.ledger_arrivals",
        "UPDATE views.tracking SET position = 0 WHERE projection = 'ledger'",
        params=(victim["notification_id"],),
    )
    asyncio.run(project(url))


def first_recorded(url: str) -> datetime:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT recorded_at FROM views.ledger_arrivals ORDER BY first_position LIMIT 1"
        ).fetchone()[0]


def unsigned(event: dict[str, Any], count: int, waited: str, allowed: float = OVERDUE) -> str:
    return (
        f"unsigned: store position 0, notification {event['notification_id']}, case "
        f"{event['originator_id']} version {event['originator_version']}: {count} events from "
        f"here on are under no signed head, and the first has waited {waited}, longer than "
        f"the signing interval allows ({allowed:g} s): the heads were removed, or no process "
        "signs with the key"
    )


async def test_a_store_rewritten_whole_with_its_heads_deleted_is_unverified(
    store, base, settings, capsys, tmp_path
) -> None:
    """Nothing in the database contradicts it any more; once its events have waited
    longer than the signing interval under no head, verify says so (2, not 0)."""
    victim = event_at(store, offset=5)
    first = event_at(store, offset=0)
    await asyncio.to_thread(rewrite_everything, store, victim)
    # At once, the rewritten ledger looks like leaves the signer has not reached yet.
    assert (await verify(store, base.key)).status == 0
    later = first_recorded(store) + timedelta(hours=2)
    for key in (base.key, LedgerKey(public=base.key.public)):
        report = await verify(store, key, now=later)
        assert report.tampered_lines() == [], report.lines()
        assert [p.describe() for p in report.unverified] == [
            unsigned(first, base.events - 1, "2.0 h")
        ], report.lines()
        assert report.status == 2
    # Through the command, two hours after the rewrite: exit 2 and the reason.
    as_superuser(store, "UPDATE views.ledger_arrivals SET recorded_at = now() - interval '2 h'")
    status, out = await asyncio.to_thread(verify_cli, store, base.key_path, settings, capsys)
    assert status == 2, out
    assert "UNVERIFIED: 1 finding(s)" in out and "FAILED" not in out and "OK" not in out
    # The command allows the signing interval, one projection poll (1 s) and 10 s.
    allowed = OVERDUE + 1
    assert f"  {unsigned(first, base.events - 1, '2.0 h', allowed)}" in out.splitlines()


async def test_heads_deleted_leave_their_seals_beyond_the_last_head(
    store, base, settings, capsys, tmp_path
) -> None:
    keep = 2 * EVERY  # the heads of sizes 50 and 100 stay
    as_superuser(store, "DELETE FROM views.ledger_heads WHERE size > %s", params=(keep,))
    later = first_recorded(store) + timedelta(hours=2)
    start = event_at(store, offset=keep)
    for key in (base.key, LedgerKey(public=base.key.public)):
        report = await verify(store, key, now=later)
        assert report.tampered_lines() == [], report.lines()
        assert [p.describe() for p in report.unverified] == [
            unsigned(start, base.events - keep, "2.0 h").replace(
                "store position 0", f"store position {keep}"
            ),
            f"sealed-unsigned: {base.signed - keep} seals (leaves {keep}..{base.signed - 1}) "
            f"lie beyond the last signed head (size {keep}): seals are made only with a "
            "head, so heads were removed",
        ], report.lines()
        assert report.status == 2
    # The seals alone are a finding at once: no honest signer makes them without a head.
    report = await verify(store, base.key)
    assert [p.kind for p in report.unverified] == ["sealed-unsigned"], report.lines()


async def test_a_ledger_deleted_whole_that_nothing_rebuilds_is_unverified(store, base) -> None:
    """No leaf to date the wait: it counts from when the ledger last moved (the events'
    own times are older: backdated, as the honest store's are)."""
    as_superuser(
        store,
        "DELETE FROM views.ledger_heads",
        "DELETE FROM views.ledger_seals",
        "DELETE FROM views.ledger_leaves",
        "DELETE FROM views.ledger_nodes",
        "UPDATE views.tracking SET position = 0, updated_at = now() WHERE projection = 'ledger'",
    )
    with psycopg.connect(store) as conn:
        moved = conn.execute(
            "SELECT updated_at FROM views.tracking WHERE projection = 'ledger'"
        ).fetchone()[0]
    first = event_at_any(store, offset=0)
    assert (await verify(store, base.key, now=moved + timedelta(minutes=59))).status == 0
    report = await verify(store, base.key, now=moved + timedelta(hours=2))
    assert report.tampered_lines() == []
    assert [p.describe() for p in report.unverified] == [unsigned(first, base.events, "2.0 h")]


def event_at_any(url: str, *, offset: int) -> dict[str, Any]:
    """The stored event `offset` places into the notification log (in the ledger or not)."""
    with psycopg.connect(url, row_factory=psycopg.rows.dict_row) as conn:
        row = conn.execute(
            "SELECT notification_id, originator_id, originator_version FROM oversight_events "
            "ORDER BY notification_id OFFSET %s LIMIT 1",
            (offset,),
        ).fetchone()
    assert row is not None
    return {**row, "position": offset}


async def test_a_checkpoint_changed_in_the_database(store, base) -> None:
    """Each head is also a C2SP checkpoint; one rewritten to another size is named."""
    sign_now = await verify(store, base.key)  # heads of the honest store carry checkpoints
    assert sign_now.ok, sign_now.lines()
    as_superuser(
        store,
        "UPDATE views.ledger_heads SET checkpoint = replace(checkpoint, E'\\n' || size || "
        "E'\\n', E'\\n' || (size + 1) || E'\\n') WHERE size = %s",
        params=(EVERY,),
    )
    for key in (base.key, LedgerKey(public=base.key.public)):
        report = await verify(store, key)
        [line] = report.tampered_lines()
        assert line.startswith(f"head-checkpoint: 1 signed head (size {EVERY}): the checkpoint")
        assert report.status == 1
