"""Credit commitment endpoints: the case endpoints every type has, the register list,
and the supervisor's bulk "the epidemic response ended" command."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import partial
from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
import msgspec
import structlog
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter

from api.cases import case_router
from api.guards import roles_guard
from api.lists import CURSOR_DOC, LIST_OPT, CursorKey, list_page
from api.positions import wait_for_position
from api.representation import (
    ActorOut,
    CaseId,
    Cursor,
    Instant,
    OrganisationOut,
    Representation,
    Version,
    actor_body,
)
from api.services import Services
from domain.application import Oversight
from domain.commitment import MOVE_ROLES, Commitment, Status
from domain.commitment_case import COMMITMENT, check_ended_on
from domain.commitment_commands import EpidemicEnded
from domain.errors import CaseNotFound, ConcurrentUpdate, MoveNotAllowed, RuleViolated
from domain.values import Actor
from projections import commitment_register

log = structlog.get_logger(__name__)


class DueOut(Representation):
    """When the materials are due: a date, or the epidemic's end plus a grace."""

    date_: Annotated[date | None, msgspec.Meta(description="The promised day, if one was.")] = (
        msgspec.field(name="date")
    )
    epidemic_end: Annotated[
        bool, msgspec.Meta(description="Due a grace after the epidemic response ends.")
    ]
    grace_working_days: int | None
    epidemic_ended_on: date | None
    due_at: Annotated[
        datetime | None,
        msgspec.Meta(description="The due instant (null until the epidemic's end is known)."),
    ]
    due_provisional: bool


class CommitmentRead(Representation):
    """A credit commitment (信用承诺 / 承诺即开工) as the viewer may see it."""

    id: CaseId
    version: Version
    status: Status
    matter: Annotated[str, msgspec.Meta(description="The approval matter committed for.")]
    enterprise: OrganisationOut
    statement: str
    materials: Annotated[list[str], msgspec.Meta(description="The materials promised.")]
    materials_supplied: list[str]
    materials_outstanding: list[str]
    due: DueOut
    committed_at: Instant
    committed_by: ActorOut
    granted_at: Instant | None
    overdue_since: Instant | None
    fulfilled_at: Instant | None
    settled_at: Instant | None
    credit_record: Annotated[
        bool, msgspec.Meta(description="A breach recorded as dishonesty (失信).")
    ]
    outcome_reason: str | None
    finding: str | None
    updated_at: Instant


def present(case: Commitment, viewer: Actor) -> CommitmentRead:
    return CommitmentRead(
        id=case.id,
        version=case.version,
        status=case.status,
        matter=case.matter,
        enterprise=OrganisationOut(case.enterprise.name, case.enterprise.credit_code),
        statement=case.statement,
        materials=list(case.materials),
        materials_supplied=list(case.supplied),
        materials_outstanding=case.outstanding,
        due=DueOut(
            date_=case.due_date,
            epidemic_end=case.epidemic_contingent,
            grace_working_days=case.grace_working_days,
            epidemic_ended_on=case.epidemic_ended_on,
            due_at=case.due_at,
            due_provisional=case.due_provisional,
        ),
        committed_at=case.committed_at,
        committed_by=actor_body(case.committed_by),
        granted_at=case.granted_at,
        overdue_since=case.overdue_since,
        fulfilled_at=case.fulfilled_at,
        settled_at=case.settled_at,
        credit_record=case.credit_record,
        outcome_reason=case.outcome_reason,
        finding=case.finding,
        updated_at=case.modified_on,
    )


class CommitmentRow(Representation):
    """A commitment in the register (the commitment_register view)."""

    id: CaseId
    version: Version
    status: Status
    matter: str
    enterprise: OrganisationOut
    due_date: date | None
    due_at: Instant | None
    due_provisional: bool
    epidemic_contingent: bool
    grace_working_days: int | None
    epidemic_ended_on: date | None
    materials_total: int
    materials_supplied: int
    overdue_since: Instant | None
    credit_record: bool
    outcome_reason: str | None
    committed_at: Instant
    granted_at: Instant | None
    settled_at: Instant | None
    updated_at: Instant


class CommitmentPage(Representation):
    """A page of the register: overdue first (oldest due first), then newest first."""

    items: list[CommitmentRow]
    next_cursor: Cursor


def register_body(row: dict[str, Any]) -> CommitmentRow:
    return CommitmentRow(
        id=row["id"],
        version=row["version"],
        status=Status(row["status"]),
        matter=row["matter"],
        enterprise=OrganisationOut(row["enterprise_name"], row["enterprise_credit_code"]),
        due_date=row["due_date"],
        due_at=row["due_at"],
        due_provisional=row["due_provisional"],
        epidemic_contingent=row["epidemic_contingent"],
        grace_working_days=row["grace_working_days"],
        epidemic_ended_on=row["epidemic_ended_on"],
        materials_total=row["materials_total"],
        materials_supplied=row["materials_supplied"],
        overdue_since=row["overdue_since"],
        credit_record=row["credit_record"],
        outcome_reason=row["outcome_reason"],
        committed_at=row["committed_at"],
        granted_at=row["granted_at"],
        settled_at=row["settled_at"],
        updated_at=row["updated_at"],
    )


# The register's order: (list_group, list_key, id) (projections/commitment_register.py).
REGISTER_KEY = CursorKey("small", "int", "uuid")
RegisterCursor = Annotated[
    str | None, QueryParameter(pattern=REGISTER_KEY.pattern, description=CURSOR_DOC)
]


@get("/", guards=[roles_guard(COMMITMENT.read_roles, "list commitments")], opt=LIST_OPT)
async def list_commitments(
    request: Request[Actor, Any, Any],
    services: NamedDependency[Services],
    status: FromQuery[Status | None] = None,
    matter: FromQuery[str | None] = None,
    enterprise: FromQuery[str | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    cursor: RegisterCursor = None,
) -> CommitmentPage:
    """The register: overdue first (oldest due first), then newest first; `next_cursor`
    pages on. An enterprise sees only its own commitments."""
    fetch = partial(
        commitment_register.list_commitments,
        actor=request.user,
        status=status.value if status else None,
        matter=matter,
        enterprise=enterprise,
    )
    return await list_page(
        request,
        services,
        CommitmentPage,
        cursor=cursor,
        decode=REGISTER_KEY.decode,
        limit=limit,
        fetch=fetch,
        body=register_body,
        encode=lambda row: REGISTER_KEY.encode(row["list_group"], row["list_key"], row["id"]),
    )


def _apply_epidemic_end(
    app: Oversight, ids: Sequence[UUID], actor: Actor, at: Instant, command: EpidemicEnded
) -> tuple[int, int, int | None]:
    """Record the end on each commitment, one move each (the same checks as a single
    move). One that moved on since the view listed it (settled, or given an end by
    someone else meanwhile) is skipped; so is one the move refuses for another reason
    (e.g. its last event is dated after `at`), with a warning."""
    applied, skipped, position = 0, 0, None
    for case_id in ids:
        try:
            result = app.move(case_id, "epidemic-ended", actor, at, command, case_type=COMMITMENT)
        except (MoveNotAllowed, ConcurrentUpdate, CaseNotFound) as e:
            log.debug("epidemic_end_skipped", case_id=str(case_id), error=type(e).__name__)
            skipped += 1
            continue
        except RuleViolated as e:
            log.warning("epidemic_end_skipped", case_id=str(case_id), error=type(e).__name__)
            skipped += 1
            continue
        applied += 1
        position = result.position
    return applied, skipped, position


class EpidemicEndApplied(Representation):
    """What `POST /commitments/epidemic-ended` did."""

    applied: Annotated[int, msgspec.Meta(description="Commitments given their due.")]
    skipped: Annotated[
        int, msgspec.Meta(description="Commitments that moved on since the view listed them.")
    ]
    position: Annotated[
        int | None,
        msgspec.Meta(description="The last event's position (also `X-Position`), or null."),
    ]


@post(
    "/epidemic-ended",
    guards=[roles_guard(MOVE_ROLES["epidemic-ended"], "record the end of the epidemic")],
    status_code=200,
    opt={
        "request_headers": ("X-Min-Position",),
        "response_headers": ("X-Position",),
        "body_examples": {"example": {"ended_on": "2024-09-20"}},
    },
    summary="Record the end of the epidemic response on every commitment waiting for it",
)
async def epidemic_ended_everywhere(
    request: Request[Actor, Any, Any],
    data: JSONBody[EpidemicEnded],
    services: NamedDependency[Services],
) -> Response[EpidemicEndApplied]:
    """Every commitment (made or granted) whose due waits for the epidemic's end gets
    its due: `applied` says how many, `skipped` how many had moved on since the view
    listed them, `position` is the last event's (or null)."""
    now = services.now()
    check_ended_on(services.app.calendar, now, data.ended_on)
    await wait_for_position(services, request)
    async with services.pool.acquire() as conn:
        ids = await commitment_register.waiting_for_epidemic_end(conn)
    applied, skipped, position = await anyio.to_thread.run_sync(
        _apply_epidemic_end, services.app, ids, request.user, now, data
    )
    headers = {"X-Position": str(position)} if position is not None else {}
    return Response(EpidemicEndApplied(applied, skipped, position), headers=headers)


# A request body of each move, for the OpenAPI document.
EXAMPLES: dict[str, Any] = {
    "create": {
        "matter": "建设工程规划许可",
        "enterprise": {"name": "哈尔滨某某建设有限公司", "credit_code": "91230100MA1C2B3D4L"},
        "statement": "本企业承诺已具备开工条件，所缺材料在约定期限内补交。",
        "materials": ["环境影响评价批复", "消防设计审查意见"],
        "due": {"date": "2099-06-30"},
    },
    "grant": {"note": "同意先行开工"},
    "supply": {"materials": ["环境影响评价批复"]},
    "epidemic-ended": {"ended_on": "2024-09-20"},
    "mark-overdue": {},
    "breach": {"reason": "逾期未补交材料"},
    "exempt": {"reason": "因不可抗力延误"},
    "revoke": {"reason": "核查发现不符合条件", "finding": "消防设计不符合规范"},
    "recompute-deadlines": {},
}

router = case_router(
    COMMITMENT,
    present,
    extra=[list_commitments, epidemic_ended_everywhere],
    examples=EXAMPLES,
)
