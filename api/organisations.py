"""Reference data: the departments (`/api/v1/departments`) and the complaint categories
(`/api/v1/categories`). Anyone signed in reads them (a form needs the list); only
administrators register or change them (domain/organisation.py). A change takes
`If-Match` like a case's move.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from api.guards import roles_check
from api.identity import identity, in_thread
from api.inputs import expected_version
from api.positions import wait_for_position
from api.services import Services
from domain import organisation as org
from domain.application import CommandResult
from domain.errors import CaseNotFound
from domain.values import Actor
from projections.identity import list_entries

ADMIN_ONLY = org.ORGANISATION_ROLES


def present_department(d: org.Department) -> dict[str, Any]:
    return {
        "code": d.code,
        "name": d.name,
        "parent": d.parent,
        "active_from": d.active_from,
        "active_until": d.active_until,
        "version": d.version,
    }


def present_category(c: org.Category) -> dict[str, Any]:
    return {
        "code": c.code,
        "name": c.name,
        "active_from": c.active_from,
        "active_until": c.active_until,
        "version": c.version,
    }


def _answer(
    body: dict[str, Any], result: CommandResult[Any], status: int, base: str
) -> Response[Any]:
    body["position"] = result.position
    headers = {"ETag": f'"{result.case.version}"', "X-Position": str(result.position)}
    if status == 201:
        headers["Location"] = f"{base}/{result.case.code}"
    return Response(body, status_code=status, headers=headers)


# --- departments --------------------------------------------------------------------------------


@get("/")
async def departments(
    request: Request[Actor, Any, Any], services: NamedDependency[Services]
) -> dict[str, Any]:
    """Every department by code, with its Chinese name, parent and active days
    (`X-Min-Position` waits for a change just made)."""
    await wait_for_position(services, request)
    async with services.pool.acquire() as conn:
        return {"items": await list_entries(conn, "views.departments")}


@get("/{code:str}")
async def department(code: FromPath[str], services: NamedDependency[Services]) -> Response[Any]:
    found = await in_thread(lambda: identity(services).department(code))
    if found is None:
        raise CaseNotFound(f"no department {code}")
    return Response(present_department(found), headers={"ETag": f'"{found.version}"'})


@post("/", status_code=201, before_request=roles_check(ADMIN_ONLY, "register departments"))
async def register_department(
    request: Request[Actor, Any, Any],
    data: JSONBody[org.RegisterDepartment],
    services: NamedDependency[Services],
) -> Response[Any]:
    actor, at = request.user, services.now()
    result = await in_thread(lambda: identity(services).register_department(actor, at, data))
    return _answer(present_department(result.case), result, 201, "/api/v1/departments")


@patch("/{code:str}", before_request=roles_check(ADMIN_ONLY, "change departments"))
async def change_department(
    request: Request[Actor, Any, Any],
    code: FromPath[str],
    data: JSONBody[org.ChangeDepartment],
    services: NamedDependency[Services],
) -> Response[Any]:
    """Fields left out keep their value; `null` clears `parent` or an active day. Ending a
    department: set `active_until` (its cases keep it; new transfers are refused after)."""
    actor, at, expected = request.user, services.now(), expected_version(request)
    result = await in_thread(
        lambda: identity(services).change_department(
            actor, at, code, data, expected_version=expected
        )
    )
    return _answer(present_department(result.case), result, 200, "/api/v1/departments")


departments_router = Router(
    path="/api/v1/departments",
    route_handlers=[departments, department, register_department, change_department],
    tags=["organisations"],
)


# --- complaint categories -------------------------------------------------------------------------


@get("/")
async def categories(
    request: Request[Actor, Any, Any], services: NamedDependency[Services]
) -> dict[str, Any]:
    await wait_for_position(services, request)
    async with services.pool.acquire() as conn:
        return {"items": await list_entries(conn, "views.categories")}


@get("/{code:str}")
async def category(code: FromPath[str], services: NamedDependency[Services]) -> Response[Any]:
    found = await in_thread(lambda: identity(services).category(code))
    if found is None:
        raise CaseNotFound(f"no category {code}")
    return Response(present_category(found), headers={"ETag": f'"{found.version}"'})


@post("/", status_code=201, before_request=roles_check(ADMIN_ONLY, "register categories"))
async def register_category(
    request: Request[Actor, Any, Any],
    data: JSONBody[org.RegisterCategory],
    services: NamedDependency[Services],
) -> Response[Any]:
    actor, at = request.user, services.now()
    result = await in_thread(lambda: identity(services).register_category(actor, at, data))
    return _answer(present_category(result.case), result, 201, "/api/v1/categories")


@patch("/{code:str}", before_request=roles_check(ADMIN_ONLY, "change categories"))
async def change_category(
    request: Request[Actor, Any, Any],
    code: FromPath[str],
    data: JSONBody[org.ChangeCategory],
    services: NamedDependency[Services],
) -> Response[Any]:
    actor, at, expected = request.user, services.now(), expected_version(request)
    result = await in_thread(
        lambda: identity(services).change_category(actor, at, code, data, expected_version=expected)
    )
    return _answer(present_category(result.case), result, 200, "/api/v1/categories")


categories_router = Router(
    path="/api/v1/categories",
    route_handlers=[categories, category, register_category, change_category],
    tags=["organisations"],
)

ROUTERS = [departments_router, categories_router]
