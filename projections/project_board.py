"""View `project_board`: every project with its class, who serves it and its problem
counts (views.project_board), one row per problem (views.project_problems), and one row
per membership of a task force, chief service officer or contact leader, with the days
it began and ended (views.project_members: the dashboard counts who served in a period).

Each batch loads the rows it touches (the problems of the batch, then their projects and
the batch's projects), folds the events into them in notification order in Python, and
writes each table back with one multi-row upsert. A problem's move changes its project's
counts: the problem leaves the count of its old status bucket for the new one.

A project's assignment events (stored before members joined and left) are the previous
member leaving and the new one joining, as in the aggregate (domain/project.py).

A problem row also keeps the deadline watcher's marks (oversight/deadline_watchers.py):
how many reminders (催办) it got, the due the last one was about and when it escalates,
and the due escalated to the supervisors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from domain.project import MemberKind, ProblemStatus
from domain.values import Actor, Role
from projections import cursors
from projections.bulk import upsert
from projections.case_rows import load_rows
from projections.query import Query
from projections.runner import StoredEvent

PROJECT_COLUMNS = (
    "id",
    "version",
    "position",
    "name",
    "investor_name",
    "investor_credit_code",
    "city",
    "sector",
    "investment_cny",
    "classification",
    "task_force",
    "officer_id",
    "leader",
    "task_forces",
    "officers",
    "leaders",
    "open_problems",
    "resolved_problems",
    "unresolvable_problems",
    "reclassified",
    "registered_at",
    "updated_at",
)

PROBLEM_COLUMNS = (
    "id",
    "version",
    "position",
    "project_id",
    "category",
    "description",
    "status",
    "due_at",
    "raised_at",
    "resolved_at",
    "closed_at",
    "escalated",
    "notes",
    "reopen_count",
    "updated_at",
    "reminders",
    "reminded_due",
    "escalate_after",
    "escalated_due",
    "due_provisional",
)

MEMBER_COLUMNS = ("project_id", "kind", "member", "joined_position", "joined_at", "left_at")

Row = dict[str, Any]

# Each kind of member (domain/project.py MemberKind): the board's list of the current
# ones, and its column of the one that joined last (what the board had when a project
# had one of each; the warnings name that officer).
MEMBER_LISTS = {
    MemberKind.TASK_FORCE: ("task_forces", "task_force"),
    MemberKind.OFFICER: ("officers", "officer_id"),
    MemberKind.LEADER: ("leaders", "leader"),
}

# The project_board column that counts problems in each status.
COUNT_COLUMN: dict[str, str] = {
    ProblemStatus.OPEN.value: "open_problems",
    ProblemStatus.ESCALATED.value: "open_problems",
    ProblemStatus.RESOLVED.value: "resolved_problems",
    ProblemStatus.UNRESOLVABLE.value: "unresolvable_problems",
}


def _value(enum_or_none: Any) -> str | None:
    return None if enum_or_none is None else str(enum_or_none)


# --- project events ------------------------------------------------------------------


def _registered(row: Row, e: StoredEvent) -> None:
    d = e.data
    row.update(
        id=e.case_id,
        name=d["name"],
        investor_name=d["investor"].name,
        investor_credit_code=d["investor"].credit_code,
        city=d["city"],
        sector=d["sector"],
        investment_cny=d["investment_cny"],
        classification=_value(d["classification"]),
        task_force=None,
        officer_id=None,
        leader=None,
        task_forces=[],
        officers=[],
        leaders=[],
        open_problems=0,
        resolved_problems=0,
        unresolvable_problems=0,
        reclassified=0,
        registered_at=d["timestamp"],
    )


def _reclassified(row: Row, e: StoredEvent) -> None:
    row["classification"] = _value(e.data["classification"])
    if e.data["previous"] is not None:  # a first classification is no change of class
        row["reclassified"] += 1


class Members:
    """The memberships a batch touches: those still open, loaded for the batch's
    projects, and every one begun or ended in the batch."""

    def __init__(self, open_rows: Sequence[Row]) -> None:
        self.open: dict[tuple[UUID, str, str], Row] = {
            (r["project_id"], r["kind"], r["member"]): r for r in open_rows
        }
        self.touched: dict[int, Row] = {}

    def join(self, board: Row, kind: MemberKind, member: str, e: StoredEvent) -> None:
        row = {
            "project_id": e.case_id,
            "kind": kind.value,
            "member": member,
            "joined_position": e.position,
            "joined_at": e.data["timestamp"],
            "left_at": None,
        }
        self.open[(e.case_id, kind.value, member)] = row
        self.touched[e.position] = row
        current, latest = MEMBER_LISTS[kind]
        board[current] = [*board[current], member]
        board[latest] = member

    def leave(self, board: Row, kind: MemberKind, member: str, e: StoredEvent) -> None:
        row = self.open.pop((e.case_id, kind.value, member))
        row["left_at"] = e.data["timestamp"]
        self.touched[row["joined_position"]] = row
        current, latest = MEMBER_LISTS[kind]
        board[current] = [m for m in board[current] if m != member]
        board[latest] = board[current][-1] if board[current] else None

    def replace(self, board: Row, kind: MemberKind, member: str, e: StoredEvent) -> None:
        for previous in list(board[MEMBER_LISTS[kind][0]]):
            self.leave(board, kind, previous, e)
        self.join(board, kind, member, e)


def _member_handler(
    kind: MemberKind, field: str, verb: str
) -> Callable[[Members, Row, StoredEvent], None]:
    def apply(members: Members, row: Row, e: StoredEvent) -> None:
        getattr(members, verb)(row, kind, e.data[field], e)

    return apply


PROJECT_HANDLERS: dict[str, Callable[[Row, StoredEvent], None]] = {
    "Registered": _registered,
    "Reclassified": _reclassified,
}
# Who serves the project: handlers that also keep views.project_members.
MEMBER_HANDLERS: dict[str, Callable[[Members, Row, StoredEvent], None]] = {
    f"{noun}{event}": _member_handler(kind, field, verb)
    for kind, noun, field in (
        (MemberKind.TASK_FORCE, "TaskForce", "task_force"),
        (MemberKind.OFFICER, "Officer", "officer_id"),
        (MemberKind.LEADER, "Leader", "leader"),
    )
    for event, verb in (("Assigned", "replace"), ("Joined", "join"), ("Left", "leave"))
}


# --- problem events ------------------------------------------------------------------


def _raised(row: Row, e: StoredEvent) -> None:
    d = e.data
    row.update(
        id=e.case_id,
        project_id=d["project_id"],
        category=str(d["category"]),
        description=d["description"],
        status=ProblemStatus.OPEN.value,
        due_at=d["due"],
        due_provisional=bool(d.get("due_provisional")),
        raised_at=d["timestamp"],
        resolved_at=None,
        closed_at=None,
        escalated=False,
        notes=0,
        reopen_count=0,
        reminders=0,
        reminded_due=None,
        escalate_after=None,
        escalated_due=None,
    )


def _noted(row: Row, e: StoredEvent) -> None:
    row["notes"] += 1


def _escalated(row: Row, e: StoredEvent) -> None:
    row.update(status=ProblemStatus.ESCALATED.value, escalated=True)


def _resolved(row: Row, e: StoredEvent) -> None:
    at = e.data["timestamp"]
    row.update(
        status=ProblemStatus.RESOLVED.value,
        due_at=None,
        due_provisional=False,
        resolved_at=at,
        closed_at=at,
    )


def _declared_unresolvable(row: Row, e: StoredEvent) -> None:
    row.update(
        status=ProblemStatus.UNRESOLVABLE.value,
        due_at=None,
        due_provisional=False,
        closed_at=e.data["timestamp"],
    )


def _reopened(row: Row, e: StoredEvent) -> None:
    row.update(
        status=ProblemStatus.OPEN.value,
        due_at=e.data["due"],
        due_provisional=bool(e.data.get("due_provisional")),
        resolved_at=None,
        closed_at=None,
        reopen_count=row["reopen_count"] + 1,
    )


def _reminded(row: Row, e: StoredEvent) -> None:
    row["reminders"] += 1
    # A supervisor's reminder by hand that does not stand as the deadline's carries no
    # escalate_after (domain/reminders.py): the watcher's keys stay as they were.
    if e.data["escalate_after"] is not None:
        row.update(reminded_due=e.data["due"], escalate_after=e.data["escalate_after"])


def _deadline_escalated(row: Row, e: StoredEvent) -> None:
    row["escalated_due"] = e.data["due"]


def _deadline_recomputed(row: Row, e: StoredEvent) -> None:
    row.update(due_at=e.data["new_due"], due_provisional=e.data["due_provisional"])


PROBLEM_HANDLERS: dict[str, Callable[[Row, StoredEvent], None]] = {
    "Raised": _raised,
    "Noted": _noted,
    "Escalated": _escalated,
    "Resolved": _resolved,
    "DeclaredUnresolvable": _declared_unresolvable,
    "Reopened": _reopened,
    "Reminded": _reminded,
    "DeadlineEscalated": _deadline_escalated,
    "DeadlineRecomputed": _deadline_recomputed,
}


class ProjectBoard:
    name = "project_board"
    # 2: the problems' reminder columns; 3: due_provisional (issue 11); 4: members who
    # join and leave (issue 11): the board's lists and views.project_members
    version = 4
    tables = ("views.project_board", "views.project_problems", "views.project_members")

    async def create(self, conn: asyncpg.Connection) -> None:
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS views.project_board (
                id uuid PRIMARY KEY,
                version bigint NOT NULL,
                position bigint NOT NULL,
                name text NOT NULL,
                investor_name text NOT NULL,
                investor_credit_code text NOT NULL,
                city text NOT NULL,
                sector text NOT NULL,
                investment_cny numeric(19, 2) NOT NULL,
                classification text,
                task_force text,
                officer_id text,
                leader text,
                task_forces text[] NOT NULL,
                officers text[] NOT NULL,
                leaders text[] NOT NULL,
                open_problems integer NOT NULL,
                resolved_problems integer NOT NULL,
                unresolvable_problems integer NOT NULL,
                reclassified integer NOT NULL,
                registered_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL
            );
            CREATE INDEX IF NOT EXISTS project_board_newest
                ON views.project_board (registered_at DESC, id DESC);
            CREATE INDEX IF NOT EXISTS project_board_investor
                ON views.project_board (investor_credit_code, registered_at DESC, id DESC);
            -- A service officer's list: the projects it serves now (any of their officers).
            DROP INDEX IF EXISTS views.project_board_officer;
            CREATE INDEX IF NOT EXISTS project_board_officers
                ON views.project_board USING gin (officers);
            CREATE INDEX IF NOT EXISTS project_board_class
                ON views.project_board (classification, registered_at DESC, id DESC);
            CREATE TABLE IF NOT EXISTS views.project_problems (
                id uuid PRIMARY KEY,
                version bigint NOT NULL,
                position bigint NOT NULL,
                project_id uuid NOT NULL,
                category text NOT NULL,
                description text NOT NULL,
                status text NOT NULL,
                due_at timestamptz,
                raised_at timestamptz NOT NULL,
                resolved_at timestamptz,
                closed_at timestamptz,
                escalated boolean NOT NULL,
                notes integer NOT NULL,
                reopen_count integer NOT NULL,
                updated_at timestamptz NOT NULL,
                reminders integer NOT NULL,
                reminded_due timestamptz,
                escalate_after timestamptz,
                escalated_due timestamptz,
                due_provisional boolean NOT NULL DEFAULT false
            );
            CREATE INDEX IF NOT EXISTS project_problems_project
                ON views.project_problems (project_id, raised_at DESC, id DESC);
            -- (due_at, id): the warnings list reads a page in deadline order (warnings.py).
            DROP INDEX IF EXISTS views.project_problems_due;
            CREATE INDEX IF NOT EXISTS project_problems_due_id
                ON views.project_problems (due_at, id) WHERE due_at IS NOT NULL;
            CREATE TABLE IF NOT EXISTS views.project_members (
                joined_position bigint PRIMARY KEY,  -- the event that began it
                project_id uuid NOT NULL,
                kind text NOT NULL,  -- task_force, officer, leader
                member text NOT NULL,
                joined_at timestamptz NOT NULL,
                left_at timestamptz
            );
            -- The dashboard: who served in [start, end), i.e. joined before its end.
            CREATE INDEX IF NOT EXISTS project_members_kind
                ON views.project_members (kind, joined_at);
            CREATE INDEX IF NOT EXISTS project_members_open
                ON views.project_members (project_id) WHERE left_at IS NULL;
            """
        )

    async def apply(self, conn: asyncpg.Connection, events: Sequence[StoredEvent]) -> None:
        mine = [e for e in events if e.case_type in ("Project", "ProjectProblem")]
        if not mine:
            return
        problem_ids = {e.case_id for e in mine if e.case_type == "ProjectProblem"}
        problems = await load_rows(conn, "views.project_problems", problem_ids)
        project_ids = {e.case_id for e in mine if e.case_type == "Project"}
        project_ids |= {r["project_id"] for r in problems.values()}
        project_ids |= {e.data["project_id"] for e in mine if e.type == "Raised"}
        projects = await load_rows(conn, "views.project_board", project_ids)
        serving = {e.case_id for e in mine if e.type in MEMBER_HANDLERS}
        members = Members(
            [
                dict(r)
                for r in await conn.fetch(
                    "SELECT * FROM views.project_members "
                    "WHERE project_id = ANY($1::uuid[]) AND left_at IS NULL",
                    list(serving),
                )
            ]
            if serving
            else []
        )
        for e in mine:
            at = e.data["timestamp"]
            if e.case_type == "Project":
                project = projects.setdefault(e.case_id, {})
                if e.type in MEMBER_HANDLERS:
                    MEMBER_HANDLERS[e.type](members, project, e)
                else:
                    PROJECT_HANDLERS[e.type](project, e)
                project["version"] = e.version
            else:
                problem = problems.setdefault(e.case_id, {})
                before = COUNT_COLUMN.get(problem.get("status", ""))
                PROBLEM_HANDLERS[e.type](problem, e)
                problem.update(version=e.version, position=e.position, updated_at=at)
                # A problem is always raised after its project (notification order), so
                # the project's row is in the view or earlier in this batch.
                project = projects[problem["project_id"]]
                after = COUNT_COLUMN[problem["status"]]
                if before != after:
                    if before is not None:
                        project[before] -= 1
                    project[after] += 1
            project.update(position=e.position, updated_at=at)
        await upsert(
            conn,
            "views.project_board",
            PROJECT_COLUMNS,
            [tuple(row[c] for c in PROJECT_COLUMNS) for row in projects.values()],
        )
        await upsert(
            conn,
            "views.project_problems",
            PROBLEM_COLUMNS,
            [tuple(row[c] for c in PROBLEM_COLUMNS) for row in problems.values()],
        )
        await upsert(
            conn,
            "views.project_members",
            MEMBER_COLUMNS,
            [tuple(row[c] for c in MEMBER_COLUMNS) for row in members.touched.values()],
            key=("joined_position",),
        )


# --- the list queries ----------------------------------------------------------------


def encode_cursor(at: datetime, row_id: UUID) -> str:
    return cursors.encode_time_id(at, row_id)


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """Raises ValueError on a cursor this API did not make."""
    return cursors.decode_time_id(cursor)


async def list_projects(
    conn: asyncpg.Connection,
    actor: Actor,
    *,
    classification: str | None = None,
    city: str | None = None,
    has_open_problems: bool | None = None,
    limit: int = 50,
    cursor: tuple[datetime, UUID] | None = None,
) -> list[Row]:
    """Newest first, filtered, limited to what the actor may see."""
    q = Query()
    if actor.role is Role.ENTERPRISE:
        q.where(f"investor_credit_code = {q.arg(actor.org)}")
    elif actor.role is Role.SERVICE_OFFICER:
        q.where(f"officers @> ARRAY[{q.arg(actor.id)}::text]")
    if classification:
        q.where(f"classification = {q.arg(classification)}")
    if city:
        q.where(f"city = {q.arg(city)}")
    if has_open_problems is True:
        q.where("open_problems > 0")
    elif has_open_problems is False:
        q.where("open_problems = 0")
    if cursor:
        q.where(f"(registered_at, id) < ({q.arg(cursor[0])}, {q.arg(cursor[1])})")
    return await q.fetch(conn, "views.project_board", "registered_at DESC, id DESC", limit)


async def list_problems(
    conn: asyncpg.Connection,
    project_id: UUID,
    *,
    status: str | None = None,
    limit: int = 50,
    cursor: tuple[datetime, UUID] | None = None,
) -> list[Row]:
    """One project's problems, newest first (the caller checked the project is visible)."""
    rows = await conn.fetch(
        """
        SELECT * FROM views.project_problems
        WHERE project_id = $1
          AND ($2::text IS NULL OR status = $2)
          AND ($3::timestamptz IS NULL OR (raised_at, id) < ($3, $4::uuid))
        ORDER BY raised_at DESC, id DESC
        LIMIT $5
        """,
        project_id,
        status,
        cursor[0] if cursor else None,
        cursor[1] if cursor else None,
        limit,
    )
    return [dict(r) for r in rows]
