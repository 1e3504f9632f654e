"""Project endpoints (/api/v1/projects: the case endpoints, the board list, raising and
listing a project's problems) and problem endpoints (/api/v1/problems: read, history and
one POST per move; problems are created under their project)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.cases import case_router, command_response, in_thread
from api.guards import roles_guard
from api.lists import list_page
from api.representation import actor_body
from api.services import Services
from domain.project import Classification, MemberKind, ProblemStatus, Project, ProjectProblem
from domain.project_case import PROBLEM, PROJECT
from domain.project_commands import RaiseProblem, RaiseProblemIn
from domain.values import Actor
from projections import project_board


def _memberships(case: Project, kind: MemberKind) -> list[dict[str, Any]]:
    return [
        {"member": m.member, "joined_at": m.joined_at, "left_at": m.left_at}
        for m in case.memberships(kind)
    ]


def present_project(case: Project, viewer: Actor) -> dict[str, Any]:
    return {
        "id": str(case.id),
        "version": case.version,
        "status": case.status.value,
        "name": case.name,
        "investor": {"name": case.investor.name, "credit_code": case.investor.credit_code},
        "city": case.city,
        "sector": case.sector,
        # a string, so no client reads yuan and fen through a binary float
        "investment_cny": str(case.investment_cny),
        "classification": case.classification.value if case.classification else None,
        "classification_history": [
            {"classification": entry.classification.value, "at": entry.at}
            for entry in case.classification_history
        ],
        # Who serves the project: every membership, current (left_at null) and past.
        "task_forces": _memberships(case, MemberKind.TASK_FORCE),
        "officers": _memberships(case, MemberKind.OFFICER),
        "leaders": _memberships(case, MemberKind.LEADER),
        # Of those serving now, the one that joined last (null when none serves).
        "task_force": case.task_force,
        "officer_id": case.officer_id,
        "leader": case.leader,
        "registered_at": case.registered_at,
        "registered_by": actor_body(case.registered_by),
        "updated_at": case.modified_on,
    }


def present_problem(case: ProjectProblem, viewer: Actor) -> dict[str, Any]:
    return {
        "id": str(case.id),
        "version": case.version,
        "status": case.status.value,
        "project_id": str(case.project_id),
        "category": case.category.value,
        "description": case.description,
        "raised_at": case.raised_at,
        "raised_by": actor_body(case.raised_by),
        "working_days": case.working_days,
        "due_at": case.due_at,
        "due_provisional": case.due_provisional,
        "notes": [
            {"role": n.role.value, "text": n.text, "by": n.by, "at": n.at} for n in case.notes
        ],
        "escalated": case.escalated,
        "escalated_to": case.escalated_to,
        "escalated_at": case.escalated_at,
        "solution": case.solution,
        "resolved_at": case.resolved_at,
        "unresolvable_reason": case.unresolvable_reason,
        "closed_at": case.closed_at,
        "reopen_count": case.reopen_count,
        "updated_at": case.modified_on,
    }


def board_row_body(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "version": row["version"],
        "name": row["name"],
        "investor": {"name": row["investor_name"], "credit_code": row["investor_credit_code"]},
        "city": row["city"],
        "sector": row["sector"],
        "investment_cny": str(row["investment_cny"]),
        "classification": row["classification"],
        "task_forces": row["task_forces"],  # those serving now, in the order they joined
        "officers": row["officers"],
        "leaders": row["leaders"],
        "task_force": row["task_force"],
        "officer_id": row["officer_id"],
        "leader": row["leader"],
        "open_problems": row["open_problems"],
        "resolved_problems": row["resolved_problems"],
        "unresolvable_problems": row["unresolvable_problems"],
        "reclassified": row["reclassified"],
        "registered_at": row["registered_at"],
        "updated_at": row["updated_at"],
    }


def problem_row_body(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "version": row["version"],
        "project_id": str(row["project_id"]),
        "category": row["category"],
        "description": row["description"],
        "status": row["status"],
        "due_at": row["due_at"],
        "due_provisional": row["due_provisional"],
        "raised_at": row["raised_at"],
        "resolved_at": row["resolved_at"],
        "closed_at": row["closed_at"],
        "escalated": row["escalated"],
        "notes": row["notes"],
        "reopen_count": row["reopen_count"],
    }


@get("/", guards=[roles_guard(PROJECT.read_roles, "list projects")])
async def list_projects(
    request: Request[Actor, Any, Any],
    services: NamedDependency[Services],
    classification: FromQuery[Classification | None] = None,
    city: FromQuery[str | None] = None,
    has_open_problems: FromQuery[bool | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    cursor: FromQuery[str | None] = None,
) -> Response[Any]:
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
        cursor=cursor,
        decode=project_board.decode_cursor,
        limit=limit,
        fetch=fetch,
        body=board_row_body,
        encode=lambda row: project_board.encode_cursor(row["registered_at"], row["id"]),
    )


@post(
    "/{case_id:uuid}/problems",
    guards=[roles_guard(PROBLEM.create_roles, "raise a problem")],
    summary="Raise a problem for a project",
    status_code=201,
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


@get(
    "/{case_id:uuid}/problems",
    guards=[roles_guard(PROBLEM.read_roles, "list problems")],
    summary="A project's problems",
)
async def list_project_problems(
    request: Request[Actor, Any, Any],
    case_id: FromPath[UUID],
    services: NamedDependency[Services],
    status: FromQuery[ProblemStatus | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    cursor: FromQuery[str | None] = None,
) -> Response[Any]:
    """Newest first, from the project_problems view; 404 unless the project is visible."""
    fetch = partial(
        project_board.list_problems, project_id=case_id, status=status.value if status else None
    )
    return await list_page(
        request,
        services,
        cursor=cursor,
        decode=project_board.decode_cursor,
        limit=limit,
        fetch=fetch,
        body=problem_row_body,
        encode=lambda row: project_board.encode_cursor(row["raised_at"], row["id"]),
        check=partial(in_thread, partial(services.app.read, PROJECT, case_id, request.user)),
    )


projects_router = case_router(
    PROJECT, present_project, extra=[list_projects, raise_problem, list_project_problems]
)
problems_router = case_router(PROBLEM, present_problem, with_create=False)
