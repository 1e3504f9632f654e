"""View `complaint_summary`: one row per complaint, for supervisors' lists and filters.

Each batch loads the rows of the cases it touches, folds the batch's events into them
in Python (one small function per event type), and writes them back with one
multi-row upsert: no round trip per event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.complaint import NOT_RATED, OPEN_STATUSES, STEP_OF, STEPS, Status
from domain.values import Actor, Role
from projections import cursors
from projections.case_rows import fold_case_rows
from projections.query import Query
from projections.runner import StoredEvent

COLUMNS = (
    "id",
    "version",
    "position",
    "kind",
    "channel",
    "category",
    "title",
    "status",
    "urgent",
    "confidential",
    "complainant_name",
    "complainant_credit_code",
    "lodged_by_org",
    "respondent_department",
    "department",
    "departments",
    "lodged_at",
    "acceptance_due",
    "handling_due",
    "due_at",
    "rating",
    "redo_count",
    "supervision_count",
    "closed_at",
    "updated_at",
    "reminders",
    "reminded_due",
    "escalate_after",
    "escalated_due",
    "acceptance_due_provisional",
    "handling_due_provisional",
    "due_provisional",
    # issue 11 §2-3: the bureau's steps and the rating window, the step `due_at` is of,
    # reminders and escalations by step, and those of the step the case waits on.
    "transfer_due",
    "transfer_due_provisional",
    "review_due",
    "review_due_provisional",
    "rating_due",
    "rating_due_provisional",
    "due_step",
    "reminded_step",
    "escalated_step",
    "open_reminders",
    "escalation_level",
    "escalated_at",
)

Row = dict[str, Any]


def _lodged(row: Row, e: StoredEvent) -> None:
    d = e.data
    row.update(
        id=e.case_id,
        kind=str(d["kind"]),
        channel=str(d["channel"]),
        category=d["category"],
        title=d["title"],
        status=Status.LODGED.value,
        confidential=d["confidential"],
        complainant_name=d["complainant"].name,
        complainant_credit_code=d["complainant"].credit_code,
        lodged_by_org=d["actor"].org,
        respondent_department=d["respondent_department"],
        department=None,
        departments=[],
        lodged_at=d["timestamp"],
        acceptance_due=d["acceptance_due"],
        acceptance_due_provisional=bool(d.get("acceptance_due_provisional")),
        handling_due=None,
        handling_due_provisional=False,
        rating=None,
        redo_count=0,
        supervision_count=0,
        closed_at=None,
        reminders=0,
        reminded_due=None,
        escalate_after=None,
        escalated_due=None,
        reminded_step=None,
        escalated_step=None,
        urgent=bool(d.get("urgent")),
    )
    for step in STEPS[1:]:
        _due(row, step, None)
    _enter_step(row)


def _due(row: Row, step: str, due: datetime | None, provisional: bool | None = None) -> None:
    row[f"{step}_due"] = due
    row[f"{step}_due_provisional"] = bool(provisional) and due is not None


def _handling(row: Row, due: datetime | None, provisional: bool | None = None) -> None:
    _due(row, "handling", due, provisional)


def _step_due(row: Row, step: str, e: StoredEvent) -> None:
    """`step`'s deadline as the event carries it (None in events stored before it had one)."""
    _due(row, step, e.data.get(f"{step}_due"), e.data.get(f"{step}_due_provisional"))


def _enter_step(row: Row) -> None:
    """The case moved to another step: the last one's reminders and escalations close."""
    row.update(open_reminders=0, escalation_level=0, escalated_at=None)


def _accepted(row: Row, e: StoredEvent) -> None:
    row.update(status=Status.ACCEPTED.value, urgent=e.data["urgent"])
    _due(row, "acceptance", None)
    _step_due(row, "transfer", e)
    _enter_step(row)


def _finished(status: Status) -> Callable[[Row, StoredEvent], None]:
    def apply(row: Row, e: StoredEvent) -> None:
        row.update(status=status.value, closed_at=e.data["timestamp"])
        for step in STEPS:
            _due(row, step, None)
        _enter_step(row)

    return apply


def _closed_unrated(row: Row, e: StoredEvent) -> None:
    _finished(Status.CLOSED)(row, e)
    row["rating"] = NOT_RATED


def _transferred(row: Row, e: StoredEvent) -> None:
    department = e.data["department"]
    departments = list(row["departments"])
    if department not in departments:
        departments.append(department)
    row.update(
        status=Status.TRANSFERRED.value,
        department=department,
        departments=departments,
    )
    _due(row, "transfer", None)
    _handling(row, e.data["due"], e.data.get("due_provisional"))
    _enter_step(row)


def _sent_back(row: Row, e: StoredEvent) -> None:
    row.update(status=Status.ACCEPTED.value, department=None)
    _handling(row, None)
    _step_due(row, "transfer", e)
    _enter_step(row)


def _extension_decided(row: Row, e: StoredEvent) -> None:
    _handling(row, e.data["due"], e.data.get("due_provisional"))


def _replied(row: Row, e: StoredEvent) -> None:
    row.update(status=Status.REPLIED.value)
    _handling(row, None)
    _step_due(row, "review", e)
    _enter_step(row)


def _redo(row: Row, e: StoredEvent) -> None:
    row.update(status=Status.TRANSFERRED.value, redo_count=row["redo_count"] + 1)
    _handling(row, e.data["due"], e.data.get("due_provisional"))


def _deadline_recomputed(row: Row, e: StoredEvent) -> None:
    d = e.data
    _due(row, d["step"], d["new_due"], d["due_provisional"])


def _reviewed(row: Row, e: StoredEvent) -> None:
    _due(row, "review", None)
    if e.data["approved"]:
        row["status"] = Status.AWAITING_RATING.value
        _step_due(row, "rating", e)
    else:
        _redo(row, e)
    _enter_step(row)


def _rated(row: Row, e: StoredEvent) -> None:
    row["rating"] = str(e.data["rating"])
    _due(row, "rating", None)
    if e.data["due"] is None:
        _finished(Status.CLOSED)(row, e)
    else:
        _redo(row, e)
        _enter_step(row)


def _supervised(row: Row, e: StoredEvent) -> None:
    row["supervision_count"] += 1


def _reminded(row: Row, e: StoredEvent) -> None:
    row.update(reminders=row["reminders"] + 1, open_reminders=row["open_reminders"] + 1)
    # A reminder by hand that does not stand as the deadline's carries no escalate_after
    # (domain/reminders.py): the watcher's keys stay as they were.
    if e.data["escalate_after"] is not None:
        row.update(
            reminded_step=e.data["step"],
            reminded_due=e.data["due"],
            escalate_after=e.data["escalate_after"],
        )


def _escalated(row: Row, e: StoredEvent) -> None:
    row.update(
        escalated_step=e.data["step"],
        escalated_due=e.data["due"],
        escalation_level=row["escalation_level"] + 1,
        escalated_at=e.data["timestamp"],
    )


HANDLERS: dict[str, Callable[[Row, StoredEvent], None]] = {
    "Lodged": _lodged,
    "Accepted": _accepted,
    "Rejected": _finished(Status.REJECTED),
    "Transferred": _transferred,
    "SentBack": _sent_back,
    "ExtensionRequested": lambda row, e: None,
    "ExtensionDecided": _extension_decided,
    "Replied": _replied,
    "Reviewed": _reviewed,
    "Rated": _rated,
    "Supervised": _supervised,
    "Withdrawn": _finished(Status.WITHDRAWN),
    "Closed": _finished(Status.CLOSED),
    "ClosedUnrated": _closed_unrated,
    "Reminded": _reminded,
    "Escalated": _escalated,
    "DeadlineRecomputed": _deadline_recomputed,
}


def active_step(row: Row) -> str | None:
    """The step the case is waiting on (None once it is final)."""
    return STEP_OF.get(Status(row["status"]))


def active_deadline(row: Row) -> datetime | None:
    """The deadline of the step the case is waiting on, if that step has one."""
    step = active_step(row)
    return None if step is None else row[f"{step}_due"]


def active_provisional(row: Row) -> bool:
    """Whether the active deadline counted days of a year with no official schedule."""
    step = active_step(row)
    return step is not None and bool(row[f"{step}_due_provisional"])


class ComplaintSummary:
    name = "complaint_summary"
    rebuild_cost = 2  # relative Python time per event (oversight/rebuild.py)
    # 3: the *_provisional columns (issue 11 §1); 4: the bureau's steps, the rating
    # window, reminders and escalations by step (issue 11 §2-3)
    version = 4
    tables = ("views.complaint_summary",)

    async def create(self, conn: asyncpg.Connection) -> None:
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS views.complaint_summary (
                id uuid PRIMARY KEY,
                version bigint NOT NULL,
                position bigint NOT NULL,
                kind text NOT NULL,
                channel text NOT NULL,
                category text NOT NULL,
                title text NOT NULL,
                status text NOT NULL,
                urgent boolean NOT NULL,
                confidential boolean NOT NULL,
                complainant_name text NOT NULL,
                complainant_credit_code text NOT NULL,
                lodged_by_org text,
                respondent_department text,
                department text,
                departments text[] NOT NULL,
                lodged_at timestamptz NOT NULL,
                acceptance_due timestamptz,
                handling_due timestamptz,
                due_at timestamptz,
                rating text,
                redo_count integer NOT NULL,
                supervision_count integer NOT NULL,
                closed_at timestamptz,
                updated_at timestamptz NOT NULL,
                reminders integer NOT NULL,
                reminded_due timestamptz,
                escalate_after timestamptz,
                escalated_due timestamptz,
                acceptance_due_provisional boolean NOT NULL DEFAULT false,
                handling_due_provisional boolean NOT NULL DEFAULT false,
                due_provisional boolean NOT NULL DEFAULT false,
                transfer_due timestamptz,
                transfer_due_provisional boolean NOT NULL DEFAULT false,
                review_due timestamptz,
                review_due_provisional boolean NOT NULL DEFAULT false,
                rating_due timestamptz,
                rating_due_provisional boolean NOT NULL DEFAULT false,
                due_step text,
                reminded_step text,
                escalated_step text,
                open_reminders integer NOT NULL DEFAULT 0,
                escalation_level integer NOT NULL DEFAULT 0,
                escalated_at timestamptz
            );
            CREATE INDEX IF NOT EXISTS complaint_summary_newest
                ON views.complaint_summary (lodged_at DESC, id DESC);
            CREATE INDEX IF NOT EXISTS complaint_summary_status
                ON views.complaint_summary (status, lodged_at DESC, id DESC);
            CREATE INDEX IF NOT EXISTS complaint_summary_department
                ON views.complaint_summary (department, lodged_at DESC, id DESC);
            CREATE INDEX IF NOT EXISTS complaint_summary_complainant
                ON views.complaint_summary (complainant_credit_code, lodged_at DESC, id DESC);
            CREATE INDEX IF NOT EXISTS complaint_summary_departments
                ON views.complaint_summary USING gin (departments);
            -- (due_at, id): the warnings list reads a page in deadline order (warnings.py).
            DROP INDEX IF EXISTS views.complaint_summary_due;
            CREATE INDEX IF NOT EXISTS complaint_summary_due_id
                ON views.complaint_summary (due_at, id) WHERE due_at IS NOT NULL;
            -- Escalated steps come first in the warnings: a page of them without reading
            -- past every other passed deadline.
            CREATE INDEX IF NOT EXISTS complaint_summary_escalated_due
                ON views.complaint_summary (due_at, id)
                WHERE due_at IS NOT NULL AND escalation_level > 0;
            """
        )

    async def apply(self, conn: asyncpg.Connection, events: Sequence[StoredEvent]) -> None:
        await fold_case_rows(
            conn,
            "views.complaint_summary",
            COLUMNS,
            [e for e in events if e.case_type == "Complaint"],
            HANDLERS,
            finish=_waits_on,
        )


def _waits_on(row: Row) -> None:
    """The deadline the case waits on now, and its step."""
    row["due_at"] = active_deadline(row)
    row["due_provisional"] = active_provisional(row)
    row["due_step"] = active_step(row) if row["due_at"] is not None else None


# --- the list query ----------------------------------------------------------------

OPEN = [s.value for s in OPEN_STATUSES]


def encode_cursor(row: Row) -> str:
    return cursors.encode_time_id(row["lodged_at"], row["id"])


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """Raises ValueError on a cursor this API did not make."""
    return cursors.decode_time_id(cursor)


async def list_complaints(
    conn: asyncpg.Connection,
    actor: Actor,
    *,
    now: datetime,
    status: str | None = None,
    kind: str | None = None,
    department: str | None = None,
    overdue: bool | None = None,
    escalated: bool | None = None,
    urgent: bool | None = None,
    limit: int = 50,
    cursor: tuple[datetime, UUID] | None = None,
) -> list[Row]:
    """Newest first, filtered, limited to what the actor may see."""
    q = Query()
    if actor.role is Role.ENTERPRISE:
        q.where(f"complainant_credit_code = {q.arg(actor.org)}")
    elif actor.role is Role.DEPARTMENT:
        q.where(f"departments @> ARRAY[{q.arg(actor.org)}::text]")
    if status:
        q.where(f"status = {q.arg(status)}")
    if kind:
        q.where(f"kind = {q.arg(kind)}")
    if department:
        q.where(f"department = {q.arg(department)}")
    if overdue is True:
        q.where(f"due_at < {q.arg(now)}")
    elif overdue is False:
        q.where(f"(due_at IS NULL OR due_at >= {q.arg(now)})")
    if escalated is True:
        q.where("escalation_level > 0")
    elif escalated is False:
        q.where("escalation_level = 0")
    if urgent is not None:
        q.where(f"urgent = {q.arg(urgent)}")
    if cursor:
        q.where(f"(lodged_at, id) < ({q.arg(cursor[0])}, {q.arg(cursor[1])})")
    return await q.fetch(conn, "views.complaint_summary", "lodged_at DESC, id DESC", limit)
