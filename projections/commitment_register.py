"""View `commitment_register`: one row per credit commitment, for the bureau's register,
the enterprise's own list, and the deadline watcher.

List order: overdue commitments first, the longest overdue (oldest due) first; then all
others, newest first. The order is kept in two columns the projection writes,
`list_group` (0 overdue, 1 the rest) and `list_key` (microseconds since the epoch of
the due instant for overdue rows, minus those of the commitment's time for the rest),
so one ascending keyset `(list_group, list_key, id)` pages through both parts: the
cursor is that triple, no offsets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.commitment import Status
from domain.values import Actor, Role
from projections import cursors
from projections.case_rows import fold_case_rows
from projections.query import Query
from projections.runner import StoredEvent

COLUMNS = (
    "id",
    "version",
    "position",
    "enterprise_credit_code",
    "enterprise_name",
    "matter",
    "status",
    "due_date",
    "due_at",
    "epidemic_contingent",
    "grace_working_days",
    "epidemic_ended_on",
    "materials_total",
    "materials_supplied",
    "overdue_since",
    "credit_record",
    "outcome_reason",
    "committed_by_org",
    "committed_at",
    "granted_at",
    "settled_at",
    "updated_at",
    "list_group",
    "list_key",
    "due_provisional",
)

Row = dict[str, Any]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _committed(row: Row, e: StoredEvent) -> None:
    d = e.data
    row.update(
        id=e.case_id,
        enterprise_credit_code=d["enterprise"].credit_code,
        enterprise_name=d["enterprise"].name,
        matter=d["matter"],
        status=Status.COMMITTED.value,
        due_date=d["due_date"],
        due_at=d["due_at"],
        due_provisional=bool(d.get("due_provisional")),
        epidemic_contingent=d["epidemic_contingent"],
        grace_working_days=d["grace_working_days"],
        epidemic_ended_on=None,
        materials_total=len(d["materials"]),
        materials_supplied=0,
        overdue_since=None,
        credit_record=False,
        outcome_reason=None,
        committed_by_org=d["actor"].org,
        committed_at=d["timestamp"],
        granted_at=None,
        settled_at=None,
    )


def _granted(row: Row, e: StoredEvent) -> None:
    row.update(status=Status.GRANTED.value, granted_at=e.data["timestamp"])


def _supplied(row: Row, e: StoredEvent) -> None:
    row["materials_supplied"] += len(e.data["materials"])


def _epidemic_ended(row: Row, e: StoredEvent) -> None:
    row.update(
        epidemic_ended_on=e.data["ended_on"],
        due_at=e.data["due"],
        due_provisional=bool(e.data.get("due_provisional")),
    )


def _deadline_recomputed(row: Row, e: StoredEvent) -> None:
    row.update(due_at=e.data["new_due"], due_provisional=e.data["due_provisional"])


def _overdue(row: Row, e: StoredEvent) -> None:
    row.update(status=Status.OVERDUE.value, overdue_since=e.data["timestamp"])


def _settled(status: Status, *, reason: bool) -> Callable[[Row, StoredEvent], None]:
    def apply(row: Row, e: StoredEvent) -> None:
        row.update(status=status.value, settled_at=e.data["timestamp"])
        if reason:
            row["outcome_reason"] = e.data["reason"]
        if status is Status.BREACHED:
            row["credit_record"] = True

    return apply


HANDLERS: dict[str, Callable[[Row, StoredEvent], None]] = {
    "Committed": _committed,
    "Granted": _granted,
    "MaterialsSupplied": _supplied,
    "Fulfilled": _settled(Status.FULFILLED, reason=False),
    "EpidemicEnded": _epidemic_ended,
    "Overdue": _overdue,
    "Breached": _settled(Status.BREACHED, reason=True),
    "Exempted": _settled(Status.EXEMPTED, reason=True),
    "Revoked": _settled(Status.REVOKED, reason=True),
    "DeadlineRecomputed": _deadline_recomputed,
}


def list_position(row: Row) -> tuple[int, int]:
    """(list_group, list_key): overdue first by oldest due, then newest first."""
    if row["status"] == Status.OVERDUE and row["due_at"] is not None:
        return 0, _micros(row["due_at"])
    return 1, -_micros(row["committed_at"])


class CommitmentRegister:
    name = "commitment_register"
    version = 2  # 2: due_provisional (issue 11)
    tables = ("views.commitment_register",)

    async def create(self, conn: asyncpg.Connection) -> None:
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS views.commitment_register (
                id uuid PRIMARY KEY,
                version bigint NOT NULL,
                position bigint NOT NULL,
                enterprise_credit_code text NOT NULL,
                enterprise_name text NOT NULL,
                matter text NOT NULL,
                status text NOT NULL,
                due_date date,
                due_at timestamptz,
                epidemic_contingent boolean NOT NULL,
                grace_working_days integer,
                epidemic_ended_on date,
                materials_total integer NOT NULL,
                materials_supplied integer NOT NULL,
                overdue_since timestamptz,
                credit_record boolean NOT NULL,
                outcome_reason text,
                committed_by_org text,
                committed_at timestamptz NOT NULL,
                granted_at timestamptz,
                settled_at timestamptz,
                updated_at timestamptz NOT NULL,
                list_group smallint NOT NULL,
                list_key bigint NOT NULL,
                due_provisional boolean NOT NULL DEFAULT false
            );
            CREATE INDEX IF NOT EXISTS commitment_register_list
                ON views.commitment_register (list_group, list_key, id);
            CREATE INDEX IF NOT EXISTS commitment_register_status
                ON views.commitment_register (status, list_group, list_key, id);
            CREATE INDEX IF NOT EXISTS commitment_register_matter
                ON views.commitment_register (matter, list_group, list_key, id);
            CREATE INDEX IF NOT EXISTS commitment_register_enterprise
                ON views.commitment_register (enterprise_credit_code, list_group, list_key, id);
            -- (due_at, id): the warnings list reads a page in deadline order (warnings.py).
            -- (the overdue watcher's `status = 'granted' AND due_at < now` uses it too)
            DROP INDEX IF EXISTS views.commitment_register_due;
            CREATE INDEX IF NOT EXISTS commitment_register_due_id
                ON views.commitment_register (due_at, id) WHERE status IN ('granted', 'overdue');
            CREATE INDEX IF NOT EXISTS commitment_register_epidemic
                ON views.commitment_register (id)
                WHERE epidemic_contingent AND epidemic_ended_on IS NULL;
            """
        )

    async def apply(self, conn: asyncpg.Connection, events: Sequence[StoredEvent]) -> None:
        await fold_case_rows(
            conn,
            "views.commitment_register",
            COLUMNS,
            [e for e in events if e.case_type == "Commitment"],
            HANDLERS,
            finish=_place_in_list,
        )


def _place_in_list(row: Row) -> None:
    row["list_group"], row["list_key"] = list_position(row)


# --- queries -------------------------------------------------------------------------

Cursor = tuple[int, int, UUID]


def encode_cursor(row: Row) -> str:
    return cursors.encode(row["list_group"], row["list_key"], row["id"])


def decode_cursor(cursor: str) -> Cursor:
    """Raises ValueError on a cursor this API did not make."""
    group, key, case_id = cursors.decode(cursor, 3)
    return int(group), int(key), UUID(case_id)


async def list_commitments(
    conn: asyncpg.Connection,
    actor: Actor,
    *,
    status: str | None = None,
    matter: str | None = None,
    enterprise: str | None = None,
    limit: int = 50,
    cursor: Cursor | None = None,
) -> list[Row]:
    """Overdue first (oldest due first), then newest first; what the actor may see."""
    q = Query()
    if actor.role is Role.ENTERPRISE:
        q.where(f"enterprise_credit_code = {q.arg(actor.org)}")
    if status:
        q.where(f"status = {q.arg(status)}")
    if matter:
        q.where(f"matter = {q.arg(matter)}")
    if enterprise:
        q.where(f"enterprise_credit_code = {q.arg(enterprise)}")
    if cursor:
        q.where(
            f"(list_group, list_key, id) > ({q.arg(cursor[0])}::smallint, "
            f"{q.arg(cursor[1])}::bigint, {q.arg(cursor[2])}::uuid)"
        )
    return await q.fetch(conn, "views.commitment_register", "list_group, list_key, id", limit)


async def due_for_marking(conn: asyncpg.Connection, now: datetime, *, limit: int) -> list[UUID]:
    """Granted commitments whose due instant has passed at `now`, oldest due first."""
    rows = await conn.fetch(
        "SELECT id FROM views.commitment_register "
        "WHERE status = 'granted' AND due_at < $1 ORDER BY due_at, id LIMIT $2",
        now,
        limit,
    )
    return [r["id"] for r in rows]


async def waiting_for_epidemic_end(conn: asyncpg.Connection) -> list[UUID]:
    """Commitments (made or granted) whose due still waits for the epidemic's end."""
    rows = await conn.fetch(
        "SELECT id FROM views.commitment_register "
        "WHERE epidemic_contingent AND epidemic_ended_on IS NULL "
        "AND status = ANY($1::text[]) ORDER BY committed_at, id",
        [Status.COMMITTED.value, Status.GRANTED.value],
    )
    return [r["id"] for r in rows]
