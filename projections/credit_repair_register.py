"""View `credit_repair_register`: one row per credit-repair application, with whether the
initial review and the re-review each finished within their due (1 working day of the
application), for the bureau's register and the release's figures.

Batches as complaint_summary does: load the rows the batch touches, fold its events in
Python, one multi-row upsert. `*_on_time` is `reviewed_at <= due` from the review event
(which carries its due), null while that review has not happened. The deadline
watcher's marks (oversight/deadline_watchers.py) are kept too: how many reminders (催办),
the step and due the last one was about and when it escalates, and the step and due
escalated to the supervisors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.access import SEE_ALL
from domain.credit_repair import Outcome, Stage, Status
from domain.values import Actor, Role
from projections import cursors
from projections.case_rows import fold_case_rows
from projections.query import Query
from projections.runner import StoredEvent

CASE_TYPE = "CreditRepair"

COLUMNS = (
    "id",
    "version",
    "position",
    "credit_code",
    "enterprise_name",
    "record_id",
    "penalty_authority",
    "severity",
    "status",
    "applied_at",
    "initial_review_due",
    "initial_reviewed_at",
    "initial_on_time",
    "re_review_due",
    "re_reviewed_at",
    "re_review_on_time",
    "submitted_at",
    "outcome",
    "outcome_at",
    "refused_stage",
    "closed_at",
    "updated_at",
    "reminders",
    "reminded_step",
    "reminded_due",
    "escalate_after",
    "escalated_step",
    "escalated_due",
    "initial_review_due_provisional",
    "re_review_due_provisional",
)

Row = dict[str, Any]


def _applied(row: Row, e: StoredEvent) -> None:
    d = e.data
    row.update(
        id=e.case_id,
        credit_code=d["enterprise"].credit_code,
        enterprise_name=d["enterprise"].name,
        record_id=d["record_id"],
        penalty_authority=d["penalty_authority"],
        severity=str(d["severity"]),
        status=Status.APPLIED.value,
        applied_at=d["timestamp"],
        initial_review_due=d["initial_review_due"],
        initial_review_due_provisional=bool(d.get("review_due_provisional")),
        re_review_due_provisional=bool(d.get("review_due_provisional")),
        initial_reviewed_at=None,
        initial_on_time=None,
        re_review_due=d["re_review_due"],
        re_reviewed_at=None,
        re_review_on_time=None,
        submitted_at=None,
        outcome=None,
        outcome_at=None,
        refused_stage=None,
        closed_at=None,
        reminders=0,
        reminded_step=None,
        reminded_due=None,
        escalate_after=None,
        escalated_step=None,
        escalated_due=None,
    )


def _refused(row: Row, at: datetime, stage: Stage) -> None:
    row.update(status=Status.REFUSED.value, refused_stage=stage.value, closed_at=at)


def _initially_reviewed(row: Row, e: StoredEvent) -> None:
    at, due = e.data["timestamp"], e.data["due"]
    row.update(initial_review_due=due, initial_reviewed_at=at, initial_on_time=at <= due)
    if e.data["passed"]:
        row["status"] = Status.INITIALLY_REVIEWED.value
    else:
        _refused(row, at, Stage.INITIAL_REVIEW)


def _re_reviewed(row: Row, e: StoredEvent) -> None:
    at, due = e.data["timestamp"], e.data["due"]
    row.update(re_review_due=due, re_reviewed_at=at, re_review_on_time=at <= due)
    if e.data["passed"]:
        row["status"] = Status.RE_REVIEWED.value
    else:
        _refused(row, at, Stage.RE_REVIEW)


def _submitted(row: Row, e: StoredEvent) -> None:
    row.update(status=Status.SUBMITTED.value, submitted_at=e.data["timestamp"])


def _outcome_recorded(row: Row, e: StoredEvent) -> None:
    at = e.data["timestamp"]
    outcome = Outcome.REPAIRED if e.data["repaired"] else Outcome.REFUSED
    row.update(outcome=outcome.value, outcome_at=at)
    if outcome is Outcome.REPAIRED:
        row.update(status=Status.REPAIRED.value, closed_at=at)
    else:
        _refused(row, at, Stage.NATIONAL_CENTRE)


def _withdrawn(row: Row, e: StoredEvent) -> None:
    row.update(status=Status.WITHDRAWN.value, closed_at=e.data["timestamp"])


def _reminded(row: Row, e: StoredEvent) -> None:
    row["reminders"] += 1
    # A supervisor's reminder by hand that does not stand as the deadline's carries no
    # escalate_after (domain/reminders.py): the watcher's keys stay as they were.
    if e.data["escalate_after"] is not None:
        row.update(
            reminded_step=e.data["step"],
            reminded_due=e.data["due"],
            escalate_after=e.data["escalate_after"],
        )


def _escalated(row: Row, e: StoredEvent) -> None:
    row.update(escalated_step=e.data["step"], escalated_due=e.data["due"])


def _deadline_recomputed(row: Row, e: StoredEvent) -> None:
    d = e.data
    if d["step"] == Stage.INITIAL_REVIEW.value:
        row.update(
            initial_review_due=d["new_due"], initial_review_due_provisional=d["due_provisional"]
        )
    else:
        row.update(re_review_due=d["new_due"], re_review_due_provisional=d["due_provisional"])


HANDLERS: dict[str, Callable[[Row, StoredEvent], None]] = {
    "Applied": _applied,
    "InitiallyReviewed": _initially_reviewed,
    "ReReviewed": _re_reviewed,
    "Submitted": _submitted,
    "OutcomeRecorded": _outcome_recorded,
    "Withdrawn": _withdrawn,
    "Reminded": _reminded,
    "Escalated": _escalated,
    "DeadlineRecomputed": _deadline_recomputed,
}


class CreditRepairRegister:
    name = "credit_repair_register"
    version = 3  # 2: the reminder columns; 3: the *_provisional columns (issue 11)
    tables = ("views.credit_repair_register",)

    async def create(self, conn: asyncpg.Connection) -> None:
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS views.credit_repair_register (
                id uuid PRIMARY KEY,
                version bigint NOT NULL,
                position bigint NOT NULL,
                credit_code text NOT NULL,
                enterprise_name text NOT NULL,
                record_id text NOT NULL,
                penalty_authority text NOT NULL,
                severity text NOT NULL,
                status text NOT NULL,
                applied_at timestamptz NOT NULL,
                initial_review_due timestamptz NOT NULL,
                initial_reviewed_at timestamptz,
                initial_on_time boolean,
                re_review_due timestamptz NOT NULL,
                re_reviewed_at timestamptz,
                re_review_on_time boolean,
                submitted_at timestamptz,
                outcome text,
                outcome_at timestamptz,
                refused_stage text,
                closed_at timestamptz,
                updated_at timestamptz NOT NULL,
                reminders integer NOT NULL,
                reminded_step text,
                reminded_due timestamptz,
                escalate_after timestamptz,
                escalated_step text,
                escalated_due timestamptz,
                initial_review_due_provisional boolean NOT NULL DEFAULT false,
                re_review_due_provisional boolean NOT NULL DEFAULT false
            );
            CREATE INDEX IF NOT EXISTS credit_repair_register_newest
                ON views.credit_repair_register (applied_at DESC, id DESC);
            CREATE INDEX IF NOT EXISTS credit_repair_register_status
                ON views.credit_repair_register (status, applied_at DESC, id DESC);
            CREATE INDEX IF NOT EXISTS credit_repair_register_enterprise
                ON views.credit_repair_register (credit_code, applied_at DESC, id DESC);
            -- (due_at, id): the warnings list reads a page in deadline order (warnings.py).
            CREATE INDEX IF NOT EXISTS credit_repair_register_review_due
                ON views.credit_repair_register (
                    (CASE status WHEN 'applied' THEN initial_review_due ELSE re_review_due END), id
                ) WHERE status IN ('applied', 'initially_reviewed');
            """
        )

    async def apply(self, conn: asyncpg.Connection, events: Sequence[StoredEvent]) -> None:
        await fold_case_rows(
            conn,
            "views.credit_repair_register",
            COLUMNS,
            [e for e in events if e.case_type == CASE_TYPE],
            HANDLERS,
        )


# --- the list query ----------------------------------------------------------------


def encode_cursor(row: Row) -> str:
    return cursors.encode_time_id(row["applied_at"], row["id"])


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """Raises ValueError on a cursor this API did not make."""
    return cursors.decode_time_id(cursor)


async def list_credit_repairs(
    conn: asyncpg.Connection,
    actor: Actor,
    *,
    status: str | None = None,
    severity: str | None = None,
    on_time: bool | None = None,
    limit: int = 50,
    cursor: tuple[datetime, UUID] | None = None,
) -> list[Row]:
    """Newest first, filtered, limited to what the actor may see.

    `on_time=True`: at least one review finished and none finished late;
    `on_time=False`: the initial review or the re-review finished late.
    """
    q = Query()
    if actor.role is Role.ENTERPRISE:
        q.where(f"credit_code = {q.arg(actor.org)}")
    elif actor.role not in SEE_ALL:
        q.where("FALSE")
    if status:
        q.where(f"status = {q.arg(status)}")
    if severity:
        q.where(f"severity = {q.arg(severity)}")
    if on_time is True:
        q.where("initial_on_time IS TRUE AND re_review_on_time IS NOT FALSE")
    elif on_time is False:
        q.where("(initial_on_time IS FALSE OR re_review_on_time IS FALSE)")
    if cursor:
        q.where(f"(applied_at, id) < ({q.arg(cursor[0])}, {q.arg(cursor[1])})")
    return await q.fetch(conn, "views.credit_repair_register", "applied_at DESC, id DESC", limit)
