"""Reference data: the departments (`/api/v1/departments`) and the complaint categories
(`/api/v1/categories`). Anyone signed in reads them (a form needs the list); only
administrators register or change them (domain/organisation.py). A change takes
`If-Match` like a case's move.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from api.guards import roles_check
from api.identity import identity, in_thread
from api.inputs import expected_version
from api.positions import wait_for_position
from api.representation import Position, Representation, Version
from api.services import Services
from domain import organisation as org
from domain.application import CommandResult
from domain.errors import CaseNotFound
from domain.values import Actor
from projections.identity import list_entries

ADMIN_ONLY = org.ORGANISATION_ROLES


# --- bodies --------------------------------------------------------------------------------------

ActiveFrom = Annotated[
    date | None, msgspec.Meta(description="The first day it is active (null: since ever).")
]
ActiveUntil = Annotated[
    date | None, msgspec.Meta(description="The last day it is active (null: no end).")
]


class DepartmentRead(Representation):
    """A department (部门) cases are transferred to, by its code."""

    code: str
    name: Annotated[str, msgspec.Meta(description="Its Chinese name.")]
    parent: Annotated[str | None, msgspec.Meta(description="The parent department's code.")]
    active_from: ActiveFrom
    active_until: ActiveUntil
    version: Version


class DepartmentAnswer(DepartmentRead):
    """The department after a change, with the `position` of its last event."""

    position: Position


class DepartmentList(Representation):
    """Every department, by code."""

    items: list[DepartmentRead]


class CategoryRead(Representation):
    """A complaint category (诉求类别), by its code."""

    code: str
    name: Annotated[str, msgspec.Meta(description="Its Chinese name.")]
    active_from: ActiveFrom
    active_until: ActiveUntil
    version: Version


class CategoryAnswer(CategoryRead):
    """The category after a change, with the `position` of its last event."""

    position: Position


class CategoryList(Representation):
    """Every category, by code."""

    items: list[CategoryRead]


def present_department(d: org.Department) -> DepartmentRead:
    return DepartmentRead(
        code=d.code,
        name=d.name,
        parent=d.parent,
        active_from=d.active_from,
        active_until=d.active_until,
        version=d.version,
    )


def present_category(c: org.Category) -> CategoryRead:
    return CategoryRead(
        code=c.code,
        name=c.name,
        active_from=c.active_from,
        active_until=c.active_until,
        version=c.version,
    )


def _answer[A: Representation](
    answer: type[A], read: Representation, result: CommandResult[Any], status: int, base: str
) -> Response[A]:
    body = answer(**msgspec.structs.asdict(read), position=result.position)
    headers = {"ETag": f'"{result.case.version}"', "X-Position": str(result.position)}
    if status == 201:
        headers["Location"] = f"{base}/{result.case.code}"
    return Response(body, status_code=status, headers=headers)


# Route options the contract reads (api/contract.py): the headers each operation reads
# and sets, and an example of each request body.
_LIST_OPT: dict[str, Any] = {"request_headers": ("X-Min-Position",)}
_READ_OPT: dict[str, Any] = {"response_headers": ("ETag",)}
_CREATED = ("ETag", "X-Position", "Location")
_CHANGED = ("ETag", "X-Position")


def _create_opt(example: dict[str, Any]) -> dict[str, Any]:
    return {"response_headers": _CREATED, "body_examples": {"example": example}}


def _change_opt(example: dict[str, Any]) -> dict[str, Any]:
    return {
        "request_headers": ("If-Match",),
        "response_headers": _CHANGED,
        "body_examples": {"example": example},
    }


# --- departments --------------------------------------------------------------------------------


@get("/", opt=_LIST_OPT)
async def departments(
    request: Request[Actor, Any, Any], services: NamedDependency[Services]
) -> DepartmentList:
    """Every department by code, with its Chinese name, parent and active days
    (`X-Min-Position` waits for a change just made)."""
    await wait_for_position(services, request)
    async with services.pool.acquire() as conn:
        rows = await list_entries(conn, "views.departments")
    return DepartmentList(items=[msgspec.convert(row, DepartmentRead) for row in rows])


@get("/{code:str}", opt=_READ_OPT)
async def department(
    code: FromPath[str], services: NamedDependency[Services]
) -> Response[DepartmentRead]:
    found = await in_thread(lambda: identity(services).department(code))
    if found is None:
        raise CaseNotFound(f"no department {code}")
    return Response(present_department(found), headers={"ETag": f'"{found.version}"'})


@post(
    "/",
    status_code=201,
    before_request=roles_check(ADMIN_ONLY, "register departments"),
    opt=_create_opt({"code": "hlj-zjt", "name": "省住房和城乡建设厅", "active_from": "2024-01-01"}),
)
async def register_department(
    request: Request[Actor, Any, Any],
    data: JSONBody[org.RegisterDepartment],
    services: NamedDependency[Services],
) -> Response[DepartmentAnswer]:
    actor, at = request.user, services.now()
    result = await in_thread(lambda: identity(services).register_department(actor, at, data))
    return _answer(
        DepartmentAnswer, present_department(result.case), result, 201, "/api/v1/departments"
    )


@patch(
    "/{code:str}",
    before_request=roles_check(ADMIN_ONLY, "change departments"),
    opt=_change_opt({"name": "省住房和城乡建设厅", "active_until": "2030-12-31"}),
)
async def change_department(
    request: Request[Actor, Any, Any],
    code: FromPath[str],
    data: JSONBody[org.ChangeDepartment],
    services: NamedDependency[Services],
) -> Response[DepartmentAnswer]:
    """Fields left out keep their value; `null` clears `parent` or an active day. Ending a
    department: set `active_until` (its cases keep it; new transfers are refused after)."""
    actor, at, expected = request.user, services.now(), expected_version(request)
    result = await in_thread(
        lambda: identity(services).change_department(
            actor, at, code, data, expected_version=expected
        )
    )
    return _answer(
        DepartmentAnswer, present_department(result.case), result, 200, "/api/v1/departments"
    )


departments_router = Router(
    path="/api/v1/departments",
    route_handlers=[departments, department, register_department, change_department],
    tags=["organisations"],
)


# --- complaint categories -------------------------------------------------------------------------


@get("/", opt=_LIST_OPT)
async def categories(
    request: Request[Actor, Any, Any], services: NamedDependency[Services]
) -> CategoryList:
    """Every complaint category by code, with its Chinese name and active days
    (`X-Min-Position` waits for a change just made)."""
    await wait_for_position(services, request)
    async with services.pool.acquire() as conn:
        rows = await list_entries(conn, "views.categories")
    return CategoryList(items=[msgspec.convert(row, CategoryRead) for row in rows])


@get("/{code:str}", opt=_READ_OPT)
async def category(
    code: FromPath[str], services: NamedDependency[Services]
) -> Response[CategoryRead]:
    found = await in_thread(lambda: identity(services).category(code))
    if found is None:
        raise CaseNotFound(f"no category {code}")
    return Response(present_category(found), headers={"ETag": f'"{found.version}"'})


@post(
    "/",
    status_code=201,
    before_request=roles_check(ADMIN_ONLY, "register categories"),
    opt=_create_opt({"code": "tender", "name": "招标投标"}),
)
async def register_category(
    request: Request[Actor, Any, Any],
    data: JSONBody[org.RegisterCategory],
    services: NamedDependency[Services],
) -> Response[CategoryAnswer]:
    actor, at = request.user, services.now()
    result = await in_thread(lambda: identity(services).register_category(actor, at, data))
    return _answer(CategoryAnswer, present_category(result.case), result, 201, "/api/v1/categories")


@patch(
    "/{code:str}",
    before_request=roles_check(ADMIN_ONLY, "change categories"),
    opt=_change_opt({"name": "招标投标", "active_until": "2030-12-31"}),
)
async def change_category(
    request: Request[Actor, Any, Any],
    code: FromPath[str],
    data: JSONBody[org.ChangeCategory],
    services: NamedDependency[Services],
) -> Response[CategoryAnswer]:
    actor, at, expected = request.user, services.now(), expected_version(request)
    result = await in_thread(
        lambda: identity(services).change_category(actor, at, code, data, expected_version=expected)
    )
    return _answer(CategoryAnswer, present_category(result.case), result, 200, "/api/v1/categories")


categories_router = Router(
    path="/api/v1/categories",
    route_handlers=[categories, category, register_category, change_category],
    tags=["organisations"],
)

ROUTERS = [departments_router, categories_router]
