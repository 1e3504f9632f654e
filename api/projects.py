"""Project endpoints (/api/v1/projects: the case endpoints, the board list, raising and
listing a project's problems) and problem endpoints (/api/v1/problems: read, history and
one POST per move; problems are created under their project)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.cases import answers, case_router, command_response, in_thread
from api.guards import roles_guard
from api.lists import LIST_OPT, TIME_ID, TimeIdCursor, list_page
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
from domain.project import (
    Classification,
    CoordinationRole,
    MemberKind,
    ProblemCategory,
    ProblemStatus,
    Project,
    ProjectProblem,
    ProjectStatus,
)
from domain.project_case import PROBLEM, PROJECT
from domain.project_commands import RaiseProblem, RaiseProblemIn
from domain.values import Actor
from projections import project_board


class MembershipOut(Representation):
    """One member serving the project from `joined_at` until `left_at` (null: still)."""

    member: Annotated[
        str | None,
        msgspec.Meta(
            description="The task force's name, the officer's user id (null for an"
            " enterprise), or the leader's name and office."
        ),
    ]
    joined_at: Instant
    left_at: Instant | None


class ClassificationOut(Representation):
    """The project's class from `at` on (until the next entry)."""

    classification: Classification
    at: Instant


class ProjectRead(Representation):
    """A major project (重大项目) as the viewer may see it."""

    id: CaseId
    version: Version
    status: ProjectStatus
    name: str
    investor: OrganisationOut
    city: str
    sector: str
    investment_cny: Annotated[
        str,
        msgspec.Meta(
            description="The investment in yuan, as a decimal string (e.g. `12500000.00`).",
            pattern=r"^-?[0-9]+(\.[0-9]+)?$",
        ),
    ]
    classification: Classification | None
    classification_history: list[ClassificationOut]
    task_forces: Annotated[
        list[MembershipOut], msgspec.Meta(description="Every membership, current and past.")
    ]
    officers: list[MembershipOut]
    leaders: list[MembershipOut]
    task_force: Annotated[
        str | None, msgspec.Meta(description="Of those serving now, the one that joined last.")
    ]
    officer_id: str | None
    leader: str | None
    registered_at: Instant
    registered_by: ActorOut
    updated_at: Instant


def _memberships(case: Project, kind: MemberKind) -> list[MembershipOut]:
    return [MembershipOut(m.member, m.joined_at, m.left_at) for m in case.memberships(kind)]


def present_project(case: Project, viewer: Actor) -> ProjectRead:
    return ProjectRead(
        id=case.id,
        version=case.version,
        status=case.status,
        name=case.name,
        investor=OrganisationOut(case.investor.name, case.investor.credit_code),
        city=case.city,
        sector=case.sector,
        # a string, so no client reads yuan and fen through a binary float
        investment_cny=str(case.investment_cny),
        classification=case.classification,
        classification_history=[
            ClassificationOut(entry.classification, entry.at)
            for entry in case.classification_history
        ],
        # Who serves the project: every membership, current (left_at null) and past.
        task_forces=_memberships(case, MemberKind.TASK_FORCE),
        officers=_memberships(case, MemberKind.OFFICER),
        leaders=_memberships(case, MemberKind.LEADER),
        # Of those serving now, the one that joined last (null when none serves).
        task_force=case.task_force,
        officer_id=case.officer_id,
        leader=case.leader,
        registered_at=case.registered_at,
        registered_by=actor_body(case.registered_by),
        updated_at=case.modified_on,
    )


class NoteOut(Representation):
    """A coordination note on a problem."""

    role: CoordinationRole
    text: str
    by: str
    at: Instant


class ProblemRead(Representation):
    """A project's problem (项目问题) as the viewer may see it."""

    id: CaseId
    version: Version
    status: ProblemStatus
    project_id: UUID
    category: ProblemCategory
    description: str
    raised_at: Instant
    raised_by: ActorOut
    working_days: Annotated[int, msgspec.Meta(description="Working days to resolve it.")]
    due_at: Instant | None
    due_provisional: bool
    notes: list[NoteOut]
    escalated: Annotated[bool, msgspec.Meta(description="Ever escalated to the contact leader.")]
    escalated_to: str | None
    escalated_at: Instant | None
    solution: str | None
    resolved_at: Instant | None
    unresolvable_reason: str | None
    closed_at: Instant | None
    reopen_count: int
    updated_at: Instant


def present_problem(case: ProjectProblem, viewer: Actor) -> ProblemRead:
    return ProblemRead(
        id=case.id,
        version=case.version,
        status=case.status,
        project_id=case.project_id,
        category=case.category,
        description=case.description,
        raised_at=case.raised_at,
        raised_by=actor_body(case.raised_by),
        working_days=case.working_days,
        due_at=case.due_at,
        due_provisional=case.due_provisional,
        notes=[NoteOut(n.role, n.text, n.by, n.at) for n in case.notes],
        escalated=case.escalated,
        escalated_to=case.escalated_to,
        escalated_at=case.escalated_at,
        solution=case.solution,
        resolved_at=case.resolved_at,
        unresolvable_reason=case.unresolvable_reason,
        closed_at=case.closed_at,
        reopen_count=case.reopen_count,
        updated_at=case.modified_on,
    )


class ProjectRow(Representation):
    """A project on the board (the project_board view)."""

    id: CaseId
    version: Version
    name: str
    investor: OrganisationOut
    city: str
    sector: str
    investment_cny: Annotated[
        str,
        msgspec.Meta(
            description="The investment in yuan, as a decimal string.",
            pattern=r"^-?[0-9]+(\.[0-9]+)?$",
        ),
    ]
    classification: Classification | None
    task_forces: Annotated[
        list[str], msgspec.Meta(description="Those serving now, in the order they joined.")
    ]
    officers: list[str]
    leaders: list[str]
    task_force: str | None
    officer_id: str | None
    leader: str | None
    open_problems: Annotated[int, msgspec.Meta(description="Problems open or escalated.")]
    resolved_problems: int
    unresolvable_problems: int
    reclassified: Annotated[
        int, msgspec.Meta(description="Changes of class, not counting the first.")
    ]
    registered_at: Instant
    updated_at: Instant


class ProjectPage(Representation):
    """A page of the project board, newest first."""

    items: list[ProjectRow]
    next_cursor: Cursor


def board_row_body(row: dict[str, Any]) -> ProjectRow:
    classification = row["classification"]
    return ProjectRow(
        id=row["id"],
        version=row["version"],
        name=row["name"],
        investor=OrganisationOut(row["investor_name"], row["investor_credit_code"]),
        city=row["city"],
        sector=row["sector"],
        investment_cny=str(row["investment_cny"]),
        classification=Classification(classification) if classification else None,
        task_forces=row["task_forces"],  # those serving now, in the order they joined
        officers=row["officers"],
        leaders=row["leaders"],
        task_force=row["task_force"],
        officer_id=row["officer_id"],
        leader=row["leader"],
        open_problems=row["open_problems"],
        resolved_problems=row["resolved_problems"],
        unresolvable_problems=row["unresolvable_problems"],
        reclassified=row["reclassified"],
        registered_at=row["registered_at"],
        updated_at=row["updated_at"],
    )


class ProblemRow(Representation):
    """A problem in its project's list (the project_problems view)."""

    id: CaseId
    version: Version
    project_id: UUID
    category: ProblemCategory
    description: str
    status: ProblemStatus
    due_at: Instant | None
    due_provisional: bool
    raised_at: Instant
    resolved_at: Instant | None
    closed_at: Instant | None
    escalated: bool
    notes: Annotated[int, msgspec.Meta(description="How many coordination notes it has.")]
    reopen_count: int


class ProblemPage(Representation):
    """A page of a project's problems, newest first."""

    items: list[ProblemRow]
    next_cursor: Cursor


def problem_row_body(row: dict[str, Any]) -> ProblemRow:
    return ProblemRow(
        id=row["id"],
        version=row["version"],
        project_id=row["project_id"],
        category=ProblemCategory(row["category"]),
        description=row["description"],
        status=ProblemStatus(row["status"]),
        due_at=row["due_at"],
        due_provisional=row["due_provisional"],
        raised_at=row["raised_at"],
        resolved_at=row["resolved_at"],
        closed_at=row["closed_at"],
        escalated=row["escalated"],
        notes=row["notes"],
        reopen_count=row["reopen_count"],
    )


@get("/", guards=[roles_guard(PROJECT.read_roles, "list projects")], opt=LIST_OPT)
async def list_projects(
    request: Request[Actor, Any, Any],
    services: NamedDependency[Services],
    classification: FromQuery[Classification | None] = None,
    city: FromQuery[str | None] = None,
    has_open_problems: FromQuery[bool | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    cursor: TimeIdCursor = None,
) -> ProjectPage:
    """The project board, newest first; `next_cursor` pages on."""
    fetch = partial(
        project_board.list_projects,
        actor=request.user,
        classification=classification.value if classification else None,
        city=city,
        has_open_problems=has_open_problems,
    )
    return await list_page(
        request,
        services,
        ProjectPage,
        cursor=cursor,
        decode=TIME_ID.decode,
        limit=limit,
        fetch=fetch,
        body=board_row_body,
        encode=lambda row: TIME_ID.encode(row["registered_at"], row["id"]),
    )


@post(
    "/{case_id:uuid}/problems",
    guards=[roles_guard(PROBLEM.create_roles, "raise a problem")],
    summary="Raise a problem for a project",
    status_code=201,
    opt={
        "response_headers": ("ETag", "X-Position", "Location"),
        "body_examples": {
            "example": {
                "category": "land",
                "description": "项目用地指标尚未落实",
                "working_days": 10,
            }
        },
    },
)
async def raise_problem(
    request: Request[Actor, Any, Any],
    case_id: FromPath[UUID],
    data: JSONBody[RaiseProblemIn],
    services: NamedDependency[Services],
) -> Response[Any]:
    command = RaiseProblem(
        project_id=case_id,
        category=data.category,
        description=data.description,
        working_days=data.working_days,
    )
    fn = partial(services.app.create, PROBLEM, request.user, services.now(), command)
    result = await anyio.to_thread.run_sync(fn)
    return command_response(PROBLEM, present_problem, result, request.user, status=201)


raise_problem.fn.__annotations__["return"] = answers(present_problem)


@get(
    "/{case_id:uuid}/problems",
    guards=[roles_guard(PROBLEM.read_roles, "list problems")],
    summary="A project's problems",
    opt=LIST_OPT,
)
async def list_project_problems(
    request: Request[Actor, Any, Any],
    case_id: FromPath[UUID],
    services: NamedDependency[Services],
    status: FromQuery[ProblemStatus | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    cursor: TimeIdCursor = None,
) -> ProblemPage:
    """Newest first, from the project_problems view; 404 unless the project is visible."""
    fetch = partial(
        project_board.list_problems, project_id=case_id, status=status.value if status else None
    )
    return await list_page(
        request,
        services,
        ProblemPage,
        cursor=cursor,
        decode=TIME_ID.decode,
        limit=limit,
        fetch=fetch,
        body=problem_row_body,
        encode=lambda row: TIME_ID.encode(row["raised_at"], row["id"]),
        check=partial(in_thread, partial(services.app.read, PROJECT, case_id, request.user)),
    )


# A request body of each move, for the OpenAPI document.
PROJECT_EXAMPLES: dict[str, Any] = {
    "create": {
        "name": "哈尔滨新区智能制造产业园",
        "investor": {"name": "哈尔滨某某实业有限公司", "credit_code": "91230109MA1BWK2L72"},
        "city": "哈尔滨",
        "investment_cny": "1250000000.00",
        "sector": "智能制造",
        "classification": "planning_to_resume",
    },
    "classify": {"classification": "resumed", "note": "已全面复工"},
    "assign-task-force": {"task_force": "新区项目推进专班", "note": "指定专班"},
    "assign-officer": {"officer_id": "officer-zhang", "note": "指定首席服务员"},
    "assign-leader": {"leader": "王某（副市长）", "note": "指定联系领导"},
    "join-task-force": {"task_force": "市发改委专班"},
    "leave-task-force": {"task_force": "市发改委专班"},
    "join-officer": {"officer_id": "officer-li"},
    "leave-officer": {"officer_id": "officer-li"},
    "join-leader": {"leader": "李某（区长）"},
    "leave-leader": {"leader": "李某（区长）"},
}
PROBLEM_EXAMPLES: dict[str, Any] = {
    "note": {"role": "coordinator", "text": "已协调自然资源局加快用地审批"},
    "escalate": {"reason": "需市级层面协调", "leader": "王某（副市长）"},
    "resolve": {"solution": "用地审批已办结"},
    "declare-unresolvable": {"reason": "规划调整，项目无法在原址实施"},
    "reopen": {"reason": "审批结果被撤销", "working_days": 10},
    "remind": {"note": "请本周内反馈协调进展"},
    "escalate-deadline": {},
    "recompute-deadlines": {},
}

projects_router = case_router(
    PROJECT,
    present_project,
    extra=[list_projects, raise_problem, list_project_problems],
    examples=PROJECT_EXAMPLES,
)
problems_router = case_router(
    PROBLEM, present_problem, with_create=False, examples=PROBLEM_EXAMPLES
)
