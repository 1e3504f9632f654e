"""A desk (待办): the complaints waiting on one person's role, oldest deadline first.

Read from the complaint_summary view. Who waits on what is the complaint's own table of
steps (domain/complaint.py STEP_OF and OWNER_OF): the bureau's intake (clerks) accepts
lodged cases and transfers accepted ones, a department handles the cases transferred to
it, supervisors review replies. A case with no deadline for its step (stored before
steps had one) comes last.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from uuid import UUID

import asyncpg

from domain.complaint import Status
from domain.values import Actor, Role
from projections import cursors
from projections.query import Query

Row = dict[str, Any]

# The statuses each role's desk holds; a department's only those with it.
DESK_STATUSES: Final[dict[Role, tuple[str, ...]]] = {
    Role.CLERK: (Status.LODGED.value, Status.ACCEPTED.value),
    Role.DEPARTMENT: (Status.TRANSFERRED.value,),
    Role.SUPERVISOR: (Status.REPLIED.value,),
}
_NO_DUE = "-"  # a cursor's deadline part when the last row had none


def has_desk(role: Role) -> bool:
    return role in DESK_STATUSES


def encode_cursor(row: Row) -> str:
    due = row["due_at"]
    return cursors.encode(due.isoformat() if due else _NO_DUE, row["id"])


def decode_cursor(cursor: str) -> tuple[datetime | None, UUID]:
    """Raises ValueError on a cursor this page did not make."""
    due, row_id = cursors.decode(cursor, 2)
    instant = None if due == _NO_DUE else datetime.fromisoformat(due)
    if instant is not None and instant.tzinfo is None:
        raise ValueError("a cursor's instant carries an offset")
    return instant, UUID(row_id)


async def desk(
    conn: asyncpg.Connection,
    actor: Actor,
    *,
    limit: int = 50,
    cursor: tuple[datetime | None, UUID] | None = None,
) -> list[Row]:
    """The cases waiting on `actor`, oldest deadline first (then by id), those without a
    deadline last. Two reads, so that the first walks the (due_at, id) index of the
    cases with a deadline (complaint_summary_due_id, partial: a sort over every waiting
    case cost 11 ms at 100k events) and the second, only when the page is not full
    yet, reads the few without one."""
    statuses = DESK_STATUSES.get(actor.role)
    if not statuses:
        return []
    rows: list[Row] = []
    if cursor is None or cursor[0] is not None:
        q = _waiting(actor, statuses)
        q.where("due_at IS NOT NULL")
        if cursor is not None:
            q.where(f"(due_at, id) > ({q.arg(cursor[0])}, {q.arg(cursor[1])})")
        rows = await q.fetch(conn, TABLE, "due_at ASC, id ASC", limit)
    if len(rows) < limit:
        q = _waiting(actor, statuses)
        q.where("due_at IS NULL")
        if cursor is not None and cursor[0] is None:
            q.where(f"id > {q.arg(cursor[1])}")
        rows += await q.fetch(conn, TABLE, "id ASC", limit - len(rows))
    return rows


TABLE: Final[str] = "views.complaint_summary"


def _waiting(actor: Actor, statuses: tuple[str, ...]) -> Query:
    q = Query()
    q.where(f"status = ANY({q.arg(list(statuses))}::text[])")
    if actor.role is Role.DEPARTMENT:
        q.where(f"department = {q.arg(actor.org)}")
    return q
