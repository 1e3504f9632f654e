"""The case map (ledger/casemap.py) as the signer and the bundle endpoint keep it: its
entries live in `views.ledger_map` as of the latest signed head (the signer writes them
with the heads, in one transaction), and each process keeps the tree in memory between
heads, brought up to date from the entries that changed since (their last version's
leaf is at or after the size it holds), and checked against the head's `map_root`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any
from uuid import UUID

import asyncpg

from ledger.casemap import CaseMap, Entry
from ledger.heads import TreeHead
from ledger.view import case_map_entries, case_map_from_leaves


class CaseMapMismatch(Exception):
    """The stored case map does not give the root the last head committed to."""


@cache
def _case_types() -> dict[str, str]:
    from domain.registry import ALL_CASE_TYPES

    return {f"{t.aggregate.__module__}:{t.aggregate.__qualname__}": t.name for t in ALL_CASE_TYPES}


def case_type_of(topic: str) -> str:
    """The case type of an event's topic (`domain.complaint:Complaint.Lodged` ->
    `complaint`): its aggregate's case type name, else the aggregate's topic."""
    aggregate = topic.rsplit(".", 1)[0]
    return _case_types().get(aggregate, aggregate)


@dataclass
class _Held:
    size: int
    root: bytes
    map: CaseMap


_HELD: dict[Any, _Held] = {}


async def case_map_at(conn: asyncpg.Connection, head: TreeHead | None) -> tuple[CaseMap, bool]:
    """The case map as of `head` (the latest head; the caller holds the signer's lock or
    reads in one snapshot), taken out of this process's keeping (give it back with
    `keep`). True with it when its entries are not stored yet (a ledger whose heads
    predate the map: built from the ledger's leaves)."""
    if head is None:
        return CaseMap(), False
    key = await _identity(conn)
    held = _HELD.pop(key, None)
    if head.map_root is None:
        rows = await case_map_from_leaves(conn, head.size)
        return CaseMap((r[0], Entry(case_type_of(r[1]), r[2], r[3])) for r in rows), True
    if held is not None and held.size <= head.size:
        if held.size < head.size:
            for case_id, case_type, version, leaf_index in await case_map_entries(conn, held.size):
                held.map.set(case_id, Entry(case_type, version, leaf_index))
        if held.map.root() == head.map_root:
            return held.map, False
    rows = await case_map_entries(conn)
    fresh = CaseMap((r[0], Entry(r[1], r[2], r[3])) for r in rows)
    if fresh.root() != head.map_root:
        raise CaseMapMismatch(
            f"the stored case map ({len(fresh)} cases) does not give head {head.size}'s map root"
        )
    return fresh, False


async def keep(conn: asyncpg.Connection, case_map: CaseMap, size: int) -> None:
    """Hold `case_map` (as of a head of `size` leaves) for the next call."""
    _HELD[await _identity(conn)] = _Held(size, case_map.root(), case_map)


async def _identity(conn: asyncpg.Connection) -> Any:
    # One map per database this process signs for (tests sign for many).
    from ledger.published import database_identity

    return await database_identity(conn)


def entries_of(
    case_map: CaseMap, case_ids: set[UUID] | None = None
) -> list[tuple[UUID, str, int, int]]:
    """Rows for `views.ledger_map`: of `case_ids`, or of every case (None)."""
    if case_ids is None:
        case_ids = set(case_map.case_ids.values())
    rows = []
    for case_id in case_ids:
        entry = case_map.get(case_id)
        assert entry is not None
        rows.append((case_id, entry.case_type, entry.last_version, entry.leaf_index))
    return rows
