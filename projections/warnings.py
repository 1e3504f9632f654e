"""Warnings: every open step with a deadline that is close (yellow) or past (red).

Each case type contributes one query over its own view returning rows of
(case_type, case_id, title, step, due_at, responsible); this module unions them and
classes each row: `overdue` when the deadline has passed, `due_soon` when it falls by
the end of the next working day ("1 working day or less left").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

# One SELECT per source; each takes $1 = the due-soon threshold (an instant) and
# yields case_type, case_id, title, step, due_at, responsible, responsible_kind,
# due_provisional (the deadline counted days of a year with no official schedule).
SOURCES: dict[str, str] = {
    "complaint": """
        SELECT 'complaint' AS case_type, id AS case_id, title,
               CASE status WHEN 'lodged' THEN 'acceptance' ELSE 'handling' END AS step,
               due_at,
               CASE status WHEN 'lodged' THEN 'intake' ELSE department END AS responsible,
               CASE status WHEN 'lodged' THEN 'bureau' ELSE 'department' END
                 AS responsible_kind,
               due_provisional
        FROM views.complaint_summary
        WHERE due_at IS NOT NULL AND due_at <= $1
    """,
    "problem": """
        SELECT 'problem' AS case_type, p.id AS case_id, b.name AS title,
               'resolution' AS step, p.due_at,
               b.officer_id AS responsible, 'service_officer' AS responsible_kind,
               p.due_provisional
        FROM views.project_problems p JOIN views.project_board b ON b.id = p.project_id
        WHERE p.status IN ('open', 'escalated') AND p.due_at IS NOT NULL AND p.due_at <= $1
    """,
    "commitment": """
        SELECT 'commitment' AS case_type, id AS case_id, matter AS title,
               CASE status WHEN 'overdue' THEN 'decision' ELSE 'materials' END AS step,
               due_at,
               CASE status WHEN 'overdue' THEN 'supervision' ELSE enterprise_credit_code END
                 AS responsible,
               CASE status WHEN 'overdue' THEN 'bureau' ELSE 'enterprise' END
                 AS responsible_kind,
               due_provisional
        FROM views.commitment_register
        WHERE status IN ('granted', 'overdue') AND due_at IS NOT NULL AND due_at <= $1
    """,
    "credit_repair": """
        SELECT 'credit_repair' AS case_type, id AS case_id, enterprise_name AS title,
               step, due_at, 'credit' AS responsible, 'bureau' AS responsible_kind,
               due_provisional
        FROM (
          SELECT id, enterprise_name,
                 CASE status WHEN 'applied' THEN 'initial_review' ELSE 're_review' END AS step,
                 CASE status WHEN 'applied' THEN initial_review_due ELSE re_review_due END
                   AS due_at,
                 CASE status WHEN 'applied' THEN initial_review_due_provisional
                   ELSE re_review_due_provisional END AS due_provisional
          FROM views.credit_repair_register
          WHERE status IN ('applied', 'initially_reviewed')
        ) AS pending
        WHERE due_at <= $1
    """,
}


async def list_warnings(
    conn: asyncpg.Connection,
    *,
    now: datetime,
    due_soon_until: datetime,
    level: str | None = None,
    case_type: str | None = None,
    responsible: str | None = None,
    limit: int = 200,
    offset: int = 0,
    after: tuple[datetime, UUID] | None = None,
) -> list[dict[str, Any]]:
    """Oldest deadline first (ties by case id); `after` = the (due_at, case_id) of the
    last row of the previous page (keyset), then `offset` rows skipped."""
    sources = [sql for name, sql in SOURCES.items() if case_type in (None, name)]
    if not sources:
        return []
    # Each source gives only its first offset + limit rows after the cursor in deadline
    # order (an ordered index scan that stops there), so a page costs the same however
    # many deadlines have passed; the union of those is sorted once more.
    union = " UNION ALL ".join(
        f"""(SELECT * FROM ({sql}) AS s
             WHERE ($3::text IS NULL
                    OR (CASE WHEN due_at < $2 THEN 'overdue' ELSE 'due_soon' END) = $3)
               AND ($4::text IS NULL OR responsible = $4)
               AND ($7::timestamptz IS NULL OR (due_at, case_id) > ($7, $8::uuid))
             ORDER BY due_at, case_id LIMIT $5::bigint + $6::bigint)"""
        for sql in sources
    )
    rows = await conn.fetch(
        f"""
        SELECT *, CASE WHEN due_at < $2 THEN 'overdue' ELSE 'due_soon' END AS level
        FROM ({union}) AS w
        ORDER BY due_at, case_id
        LIMIT $5::bigint OFFSET $6::bigint
        """,  # the sources are constants of this module
        due_soon_until,
        now,
        level,
        responsible,
        limit,
        offset,
        *(after or (None, None)),
    )
    return [dict(r) for r in rows]
