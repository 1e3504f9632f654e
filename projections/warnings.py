"""Warnings: every open step with a deadline that is close (yellow) or past (red).

Each case type contributes one query over its own view returning rows of
(case_type, case_id, title, step, due_at, responsible); this module unions them and
classes each row: `overdue` when the deadline has passed, `due_soon` when it falls by
the end of the next working day ("1 working day or less left").

Escalated steps come first (issue 11 §3: the deadline of the step the case waits on was
escalated to the supervisors), then the rest, each oldest deadline first.

A complaint's steps (issue 11 §2) and who acts on each: acceptance and transfer by the
bureau's intake (`intake`), handling by the department the case is with, review by the
supervisors (`supervision`), rating by the lodging enterprise (its credit code).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from projections import cursors

# One SELECT per source; each takes $1 = the due-soon threshold (an instant) and
# yields case_type, case_id, title, step, due_at, responsible, responsible_kind,
# due_provisional (the deadline counted days of a year with no official schedule),
# escalated (that deadline was escalated), escalation_level and escalated_at (of the
# step, when the view knows them).
SOURCES: dict[str, str] = {
    "complaint": """
        SELECT 'complaint' AS case_type, id AS case_id, title,
               due_step AS step,
               due_at,
               CASE due_step WHEN 'handling' THEN department
                 WHEN 'review' THEN 'supervision'
                 WHEN 'rating' THEN complainant_credit_code
                 ELSE 'intake' END AS responsible,
               CASE due_step WHEN 'handling' THEN 'department'
                 WHEN 'rating' THEN 'enterprise'
                 ELSE 'bureau' END AS responsible_kind,
               due_provisional,
               escalation_level > 0 AS escalated, escalation_level, escalated_at
        FROM views.complaint_summary
        WHERE due_at IS NOT NULL AND due_at <= $1
    """,
    "problem": """
        SELECT 'problem' AS case_type, p.id AS case_id, b.name AS title,
               'resolution' AS step, p.due_at,
               b.officer_id AS responsible, 'service_officer' AS responsible_kind,
               p.due_provisional,
               coalesce(p.escalated_due = p.due_at, false) AS escalated,
               CASE WHEN p.escalated_due = p.due_at THEN 1 ELSE 0 END AS escalation_level,
               NULL::timestamptz AS escalated_at
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
               due_provisional,
               false AS escalated, 0 AS escalation_level, NULL::timestamptz AS escalated_at
        FROM views.commitment_register
        WHERE status IN ('granted', 'overdue') AND due_at IS NOT NULL AND due_at <= $1
    """,
    "credit_repair": """
        SELECT 'credit_repair' AS case_type, id AS case_id, enterprise_name AS title,
               step, due_at, 'credit' AS responsible, 'bureau' AS responsible_kind,
               due_provisional, escalated,
               CASE WHEN escalated THEN 1 ELSE 0 END AS escalation_level,
               NULL::timestamptz AS escalated_at
        FROM (
          SELECT id, enterprise_name,
                 CASE status WHEN 'applied' THEN 'initial_review' ELSE 're_review' END AS step,
                 CASE status WHEN 'applied' THEN initial_review_due ELSE re_review_due END
                   AS due_at,
                 CASE status WHEN 'applied' THEN initial_review_due_provisional
                   ELSE re_review_due_provisional END AS due_provisional,
                 coalesce(
                   (escalated_step, escalated_due) = (
                     CASE status WHEN 'applied' THEN 'initial_review' ELSE 're_review' END,
                     CASE status WHEN 'applied' THEN initial_review_due ELSE re_review_due END
                   ), false) AS escalated
          FROM views.credit_repair_register
          WHERE status IN ('applied', 'initially_reviewed')
        ) AS pending
        WHERE due_at <= $1
    """,
}

# A page's cursor: the sort key of its last row, (escalated, due_at, case_id).
Cursor = tuple[bool, datetime, UUID]


def encode_cursor(row: dict[str, Any]) -> str:
    return cursors.encode(int(row["escalated"]), row["due_at"], row["case_id"])


def decode_cursor(cursor: str) -> Cursor:
    """Raises ValueError on a cursor this API did not make."""
    escalated, at, row_id = cursors.decode(cursor, 3)
    if escalated not in ("0", "1"):
        raise ValueError("not a cursor")
    instant = datetime.fromisoformat(at)
    if instant.tzinfo is None:
        raise ValueError("a cursor's instant carries an offset")
    return escalated == "1", instant, UUID(row_id)


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
    after: Cursor | None = None,
) -> list[dict[str, Any]]:
    """Escalated steps first, then the others; within each, oldest deadline first (ties
    by case id). `after` = the (escalated, due_at, case_id) of the last row of the
    previous page (keyset), then `offset` rows skipped."""
    sources = [sql for name, sql in SOURCES.items() if case_type in (None, name)]
    if not sources:
        return []
    # Each source gives, escalated and not apart, only its first offset + limit rows
    # after the cursor in deadline order (an ordered index scan that stops there), so a
    # page costs the same however many deadlines have passed; the union of those is
    # sorted once more. The branches name `escalated` literally, so that the escalated
    # complaints are read from their own partial index, and only the branches the cursor
    # leaves anything in are queried, each with a plain range condition: a branch cut
    # off by a parameter (`$7 AND ...`) still got a parallel sequential scan planned.
    after_cursor = "(due_at, case_id) > ($7, $8::uuid)"
    if after is None:
        branches = [("escalated", "true"), ("NOT escalated", "true")]
    elif after[0]:
        branches = [("escalated", after_cursor), ("NOT escalated", "true")]
    else:
        branches = [("NOT escalated", after_cursor)]
    union = " UNION ALL ".join(
        f"""(SELECT * FROM ({sql}) AS s
             WHERE {branch} AND {condition}
               AND ($3::text IS NULL
                    OR (CASE WHEN due_at < $2 THEN 'overdue' ELSE 'due_soon' END) = $3)
               AND ($4::text IS NULL OR responsible = $4)
             ORDER BY due_at, case_id LIMIT $5::bigint + $6::bigint)"""
        for sql in sources
        for branch, condition in branches
    )
    rows = await conn.fetch(
        f"""
        SELECT *, CASE WHEN due_at < $2 THEN 'overdue' ELSE 'due_soon' END AS level
        FROM ({union}) AS w
        ORDER BY escalated DESC, due_at, case_id
        LIMIT $5::bigint OFFSET $6::bigint
        """,  # the sources are constants of this module
        due_soon_until,
        now,
        level,
        responsible,
        limit,
        offset,
        *(() if after is None else after[1:]),
    )
    return [dict(r) for r in rows]
