"""Credit-repair endpoints: the case endpoints every type has, plus the register list."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.cases import case_router
from api.guards import roles_guard
from api.lists import list_page
from api.representation import actor_body
from api.services import Services
from domain.credit_repair import CreditRepair, Severity, Status
from domain.credit_repair_case import CREDIT_REPAIR
from domain.values import Actor
from projections import credit_repair_register as register


def present(case: CreditRepair, viewer: Actor) -> dict[str, Any]:
    return {
        "id": str(case.id),
        "version": case.version,
        "status": case.status.value,
        "enterprise": msgspec.to_builtins(case.enterprise),
        "record_id": case.record_id,
        "penalty_authority": case.penalty_authority,
        "severity": case.severity.value,
        "proof": case.proof,
        "pledge_signed": case.pledge_signed,
        "applied_at": case.applied_at,
        "applied_by": actor_body(case.applied_by),
        "initial_review": {
            "due": case.initial_review_due,
            "due_provisional": case.initial_review_due_provisional,
            "reviewed_at": case.initial_reviewed_at,
            "reviewed_by": actor_body(case.initial_reviewed_by),
            "passed": case.initial_passed,
            "on_time": case.initial_on_time,
        },
        "re_review": {
            "due": case.re_review_due,
            "due_provisional": case.re_review_due_provisional,
            "reviewed_at": case.re_reviewed_at,
            "reviewed_by": actor_body(case.re_reviewed_by),
            "passed": case.re_review_passed,
            "on_time": case.re_review_on_time,
        },
        "submitted_at": case.submitted_at,
        "outcome": case.outcome.value if case.outcome else None,
        "outcome_at": case.outcome_at,
        "refused_stage": case.refused_stage.value if case.refused_stage else None,
        "closed_at": case.closed_at,
        "last_reason": case.last_reason,
        "updated_at": case.modified_on,
    }


_ROW_FIELDS = tuple(c for c in register.COLUMNS if c not in {"id", "position"})


def register_body(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(row["id"]), **{c: row[c] for c in _ROW_FIELDS}}


@get("/", guards=[roles_guard(CREDIT_REPAIR.read_roles, "list credit repairs")])
async def list_credit_repairs(
    request: Request[Actor, Any, Any],
    services: NamedDependency[Services],
    status: FromQuery[Status | None] = None,
    severity: FromQuery[Severity | None] = None,
    on_time: FromQuery[bool | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    cursor: FromQuery[str | None] = None,
) -> Response[Any]:
    """The credit_repair_register view, newest application first; `next_cursor` pages on.
    `on_time=false`: a review finished after its due; `on_time=true`: at least one review
    finished and none late."""
    fetch = partial(
        register.list_credit_repairs,
        actor=request.user,
        status=status.value if status else None,
        severity=severity.value if severity else None,
        on_time=on_time,
    )
    return await list_page(
        request,
        services,
        cursor=cursor,
        decode=register.decode_cursor,
        limit=limit,
        fetch=fetch,
        body=register_body,
        encode=register.encode_cursor,
    )


router = case_router(CREDIT_REPAIR, present, extra=[list_credit_repairs])
