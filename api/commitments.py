"""Credit commitment endpoints: the case endpoints every type has, the register list,
and the supervisor's bulk "the epidemic response ended" command."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
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
from api.lists import list_page
from api.positions import wait_for_position
from api.representation import actor_body
from api.services import Services
from domain.application import Oversight
from domain.commitment import MOVE_ROLES, Commitment, Status
from domain.commitment_case import COMMITMENT, check_ended_on
from domain.commitment_commands import EpidemicEnded
from domain.errors import CaseNotFound, ConcurrentUpdate, MoveNotAllowed, RuleViolated
from domain.values import Actor
from projections import commitment_register

log = structlog.get_logger(__name__)


def present(case: Commitment, viewer: Actor) -> dict[str, Any]:
    return {
        "id": str(case.id),
        "version": case.version,
        "status": case.status.value,
        "matter": case.matter,
        "enterprise": msgspec.to_builtins(case.enterprise),
        "statement": case.statement,
        "materials": list(case.materials),
        "materials_supplied": list(case.supplied),
        "materials_outstanding": case.outstanding,
        "due": {
            "date": case.due_date,
            "epidemic_end": case.epidemic_contingent,
            "grace_working_days": case.grace_working_days,
            "epidemic_ended_on": case.epidemic_ended_on,
            "due_at": case.due_at,
            "due_provisional": case.due_provisional,
        },
        "committed_at": case.committed_at,
        "committed_by": actor_body(case.committed_by),
        "granted_at": case.granted_at,
        "overdue_since": case.overdue_since,
        "fulfilled_at": case.fulfilled_at,
        "settled_at": case.settled_at,
        "credit_record": case.credit_record,
        "outcome_reason": case.outcome_reason,
        "finding": case.finding,
        "updated_at": case.modified_on,
    }


def register_body(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "version": row["version"],
        "status": row["status"],
        "matter": row["matter"],
        "enterprise": {
            "name": row["enterprise_name"],
            "credit_code": row["enterprise_credit_code"],
        },
        "due_date": row["due_date"],
        "due_at": row["due_at"],
        "due_provisional": row["due_provisional"],
        "epidemic_contingent": row["epidemic_contingent"],
        "grace_working_days": row["grace_working_days"],
        "epidemic_ended_on": row["epidemic_ended_on"],
        "materials_total": row["materials_total"],
        "materials_supplied": row["materials_supplied"],
        "overdue_since": row["overdue_since"],
        "credit_record": row["credit_record"],
        "outcome_reason": row["outcome_reason"],
        "committed_at": row["committed_at"],
        "granted_at": row["granted_at"],
        "settled_at": row["settled_at"],
        "updated_at": row["updated_at"],
    }


@get("/", guards=[roles_guard(COMMITMENT.read_roles, "list commitments")])
async def list_commitments(
    request: Request[Actor, Any, Any],
    services: NamedDependency[Services],
    status: FromQuery[Status | None] = None,
    matter: FromQuery[str | None] = None,
    enterprise: FromQuery[str | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    cursor: FromQuery[str | None] = None,
) -> Response[Any]:
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
        cursor=cursor,
        decode=commitment_register.decode_cursor,
        limit=limit,
        fetch=fetch,
        body=register_body,
        encode=commitment_register.encode_cursor,
    )


def _apply_epidemic_end(
    app: Oversight, ids: Sequence[UUID], actor: Actor, at: datetime, command: EpidemicEnded
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


@post(
    "/epidemic-ended",
    guards=[roles_guard(MOVE_ROLES["epidemic-ended"], "record the end of the epidemic")],
    status_code=200,
    summary="Record the end of the epidemic response on every commitment waiting for it",
)
async def epidemic_ended_everywhere(
    request: Request[Actor, Any, Any],
    data: JSONBody[EpidemicEnded],
    services: NamedDependency[Services],
) -> Response[Any]:
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
    return Response({"applied": applied, "skipped": skipped, "position": position}, headers=headers)


router = case_router(COMMITMENT, present, extra=[list_commitments, epidemic_ended_everywhere])
