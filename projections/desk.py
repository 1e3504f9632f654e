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
    """The cases waiting on `actor`, oldest deadline first (then by id)."""
    statuses = DESK_STATUSES.get(actor.role)
    if not statuses:
        return []
    q = Query()
    q.where(f"status = ANY({q.arg(list(statuses))}::text[])")
    if actor.role is Role.DEPARTMENT:
        q.where(f"department = {q.arg(actor.org)}")
    if cursor is not None:
        due, after = cursor
        if due is None:
            q.where(f"due_at IS NULL AND id > {q.arg(after)}")
        else:
            d, i = q.arg(due), q.arg(after)
            q.where(f"(due_at > {d} OR (due_at = {d} AND id > {i}) OR due_at IS NULL)")
    return await q.fetch(conn, "views.complaint_summary", "due_at ASC NULLS LAST, id ASC", limit)
