"""Writing a batch of view rows in as few statements as the batch allows.

A projection folds a batch of events into one row per case (or per key) in Python and
then writes those rows. Row by row, PostgreSQL plans and executes one INSERT per row;
`upsert` instead COPYs the rows into a temporary table (dropped at commit) and merges
them with ONE `INSERT ... SELECT ... ON CONFLICT` statement. The staging table costs a
few catalog writes, so small batches (what a live runner sees: a handful of events) go
through the pipelined row-by-row statement, which is cheaper there. Both paths write
exactly the same rows (tests/integration/test_bulk.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import asyncpg
import msgspec

# Below this many rows the pipelined per-row statement beats staging (measured with
# bench: the staging table's catalog writes cost about as much as ~50 row inserts).
STAGE_AT = 64

_names = itertools.count()


def upsert_sql(
    table: str, columns: Sequence[str], *, key: Sequence[str] = ("id",), update: str | None = None
) -> str:
    """`INSERT ... VALUES ($1..$n) ON CONFLICT (key) DO UPDATE SET ...`: every non-key
    column takes the new value unless `update` (a SET list) says otherwise."""
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"VALUES ({', '.join(f'${i}' for i in range(1, len(columns) + 1))}) "
        + _on_conflict(columns, key, update)
    )


def _on_conflict(columns: Sequence[str], key: Sequence[str], update: str | None) -> str:
    sets = update or ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
    return f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"


async def upsert(
    conn: asyncpg.Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    key: Sequence[str] = ("id",),
    update: str | None = None,
) -> None:
    """Insert or update `rows` (tuples in `columns` order) into `table` ("schema.name").

    Keys must be unique within `rows` (a projection keeps one row per key): one
    statement cannot update the same row twice. Call inside the batch's transaction.
    """
    if not rows:
        return
    if len(rows) < STAGE_AT:
        await conn.executemany(upsert_sql(table, columns, key=key, update=update), rows)
        return
    stage = f"oversight_stage_{next(_names)}"
    await conn.execute(
        f"CREATE TEMPORARY TABLE {stage} (LIKE {table}) ON COMMIT DROP",
    )
    await conn.copy_records_to_table(stage, columns=list(columns), records=rows)
    names = ", ".join(columns)
    await conn.execute(
        f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} "
        + _on_conflict(columns, key, update)
    )


# How msgspec's JSON writes U+0000 (the only way JSON can: a raw NUL byte is malformed).
_NUL_IN_JSON = b"\\u0000"


def storable(data: Any, stored: bytes) -> Any:
    """`data` (an event decoded from the JSON bytes `stored`) with every U+0000 in its
    text replaced by U+FFFD, which PostgreSQL `text` and `jsonb` can hold.

    The runner hands every view its events through this (projections/runner.py
    `_decode`), so no view stalls on text it cannot write, live or in a rebuild; the
    event store and the ledger keep the bytes as stored. The JSON is searched first:
    almost every event has no U+0000 and is returned as it is. (msgspec neither writes
    nor reads a lone surrogate, so an event cannot hold one.)"""
    if _NUL_IN_JSON not in stored:
        return data
    return _replace_nul(data)


def _replace_nul(value: Any) -> Any:
    """`value` with U+FFFD for U+0000 in every text inside it; the same object when it
    holds none (so a value struct is copied only when one of its fields changed)."""
    if isinstance(value, str):
        # A StrEnum member is a str too: its values hold no U+0000 and it stays itself.
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, dict):
        items = [(_replace_nul(k), _replace_nul(v)) for k, v in value.items()]
        changed = any(
            a is not k or b is not v for (a, b), (k, v) in zip(items, value.items(), strict=True)
        )
        return dict(items) if changed else value
    if isinstance(value, list | tuple | set | frozenset):
        new = [_replace_nul(v) for v in value]
        if all(a is b for a, b in zip(new, value, strict=True)):
            return value
        if hasattr(value, "_make"):  # a NamedTuple
            return value._make(new)
        return type(value)(new)
    if isinstance(value, msgspec.Struct):
        changes = {}
        for name in value.__struct_fields__:
            old = getattr(value, name)
            new_value = _replace_nul(old)
            if new_value is not old:
                changes[name] = new_value
        return msgspec.structs.replace(value, **changes) if changes else value
    return value
