"""The fold most views make: one row per case, loaded for the cases a batch touches,
each of the batch's events folded into its case's row by the handler of its type, and
the rows written back in one upsert (projections/bulk.py). No round trip per event."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any
from uuid import UUID

import asyncpg

from projections.bulk import upsert
from projections.runner import StoredEvent

Row = dict[str, Any]
Handler = Callable[[Row, StoredEvent], None]


async def load_rows(conn: asyncpg.Connection, table: str, ids: Collection[UUID]) -> dict[UUID, Row]:
    """The rows of `table` ("schema.name") whose `id` is in `ids`, by id."""
    rows = await conn.fetch(f"SELECT * FROM {table} WHERE id = ANY($1::uuid[])", list(ids))
    return {r["id"]: dict(r) for r in rows}


async def fold_case_rows(
    conn: asyncpg.Connection,
    table: str,
    columns: Sequence[str],
    events: Sequence[StoredEvent],
    handlers: Mapping[str, Handler],
    *,
    finish: Callable[[Row], None] | None = None,
) -> None:
    """Fold `events` (of one case type, in notification order) into their cases' rows
    of `table` and write them back. After its handler, each event sets the row's
    `version`, `position` and `updated_at`; then `finish` derives what the row's other
    columns say (e.g. the deadline the case waits on)."""
    if not events:
        return
    rows = await load_rows(conn, table, {e.case_id for e in events})
    for e in events:
        row = rows.setdefault(e.case_id, {})
        handlers[e.type](row, e)
        row.update(version=e.version, position=e.position, updated_at=e.data["timestamp"])
        if finish is not None:
            finish(row)
    await upsert(conn, table, columns, [tuple(row[c] for c in columns) for row in rows.values()])
