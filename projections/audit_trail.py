"""View `audit_trail`: one row per event of any case: who did what, when.

Its `case_type` is the case type's name, as the URLs (singular), the warnings and the
ledger's case map say it (`problem`, `credit_repair`), not the aggregate's class name
the event's topic carries (`ProjectProblem`, `CreditRepair`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.registry import ALL_CASE_TYPES, IDENTITY_RECORDS
from projections.runner import StoredEvent

# The aggregate's class name (StoredEvent.case_type) -> the case type's name; the
# identity records' too (`account`, issue 15).
CASE_TYPE_NAMES = {t.aggregate.__name__: t.name for t in ALL_CASE_TYPES} | {
    record.__name__: name for record, name in IDENTITY_RECORDS.items()
}


class AuditTrail:
    name = "audit_trail"
    rebuild_cost = 1.5  # relative Python time per event (oversight/rebuild.py)
    # 2: case_type is the case type's name (`problem`), not the aggregate's (issue 13)
    # 3: the identity records' too (`account`, `department`, `category`; issue 15)
    version = 3
    tables = ("views.audit_trail",)

    async def create(self, conn: asyncpg.Connection) -> None:
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS views.audit_trail (
                position bigint PRIMARY KEY,
                case_id uuid NOT NULL,
                case_type text NOT NULL,
                version bigint NOT NULL,
                type text NOT NULL,
                at timestamptz NOT NULL,
                actor_id text NOT NULL,
                actor_role text NOT NULL,
                actor_org text
            );
            CREATE INDEX IF NOT EXISTS audit_trail_case ON views.audit_trail (case_id, version);
            CREATE INDEX IF NOT EXISTS audit_trail_actor ON views.audit_trail (actor_id, position);
            CREATE INDEX IF NOT EXISTS audit_trail_at ON views.audit_trail (at, position);
            """
        )

    async def apply(self, conn: asyncpg.Connection, events: Sequence[StoredEvent]) -> None:
        await conn.copy_records_to_table(
            "audit_trail",
            schema_name="views",
            columns=[
                "position",
                "case_id",
                "case_type",
                "version",
                "type",
                "at",
                "actor_id",
                "actor_role",
                "actor_org",
            ],
            records=[
                (
                    e.position,
                    e.case_id,
                    CASE_TYPE_NAMES.get(e.case_type, e.case_type),
                    e.version,
                    e.type,
                    e.data["timestamp"],
                    e.data["actor"].id,
                    str(e.data["actor"].role),
                    e.data["actor"].org,
                )
                for e in events
            ],
        )


async def query_audit_trail(
    conn: asyncpg.Connection,
    *,
    case_id: UUID | None,
    actor_id: str | None,
    since: datetime | None,
    until: datetime | None,
    after_position: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Oldest first, keyset-paginated by position."""
    rows = await conn.fetch(
        """
        SELECT position, case_id, case_type, version, type, at, actor_id, actor_role, actor_org
        FROM views.audit_trail
        WHERE ($1::uuid IS NULL OR case_id = $1)
          AND ($2::text IS NULL OR actor_id = $2)
          AND ($3::timestamptz IS NULL OR at >= $3)
          AND ($4::timestamptz IS NULL OR at < $4)
          AND position > coalesce($5::bigint, 0)
        ORDER BY position
        LIMIT $6
        """,
        case_id,
        actor_id,
        since,
        until,
        after_position,
        limit,
    )
    return [dict(r) for r in rows]
