"""A list query's filters, with numbered parameters: what every view's list shares.

    q = Query()
    if status:
        q.where(f"status = {q.arg(status)}")
    rows = await q.fetch(conn, "views.complaint_summary", "lodged_at DESC, id DESC", limit)

Conditions are SQL written by this codebase; only values go through `arg`.
"""

from __future__ import annotations

from typing import Any

import asyncpg


class Query:
    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.args: list[Any] = []

    def arg(self, value: Any) -> str:
        """The placeholder (`$n`) for a parameter with this value."""
        self.args.append(value)
        return f"${len(self.args)}"

    def where(self, condition: str) -> None:
        self.conditions.append(condition)

    async def fetch(
        self, conn: asyncpg.Connection, table: str, order_by: str, limit: int
    ) -> list[dict[str, Any]]:
        """Every column of `table`'s rows that meet all conditions, in `order_by` order,
        at most `limit` of them."""
        where = " AND ".join(self.conditions) or "TRUE"
        sql = f"SELECT * FROM {table} WHERE {where} ORDER BY {order_by} LIMIT {self.arg(limit)}"
        return [dict(r) for r in await conn.fetch(sql, *self.args)]
