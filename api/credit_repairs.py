"""Credit-repair endpoints: the case endpoints every type has, plus the register list."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.cases import case_router
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
    maybe_actor,
)
from api.services import Services
from domain.credit_repair import CreditRepair, Outcome, Severity, Stage, Status
from domain.credit_repair_case import CREDIT_REPAIR
from domain.values import Actor
from projections import credit_repair_register as register


class ReviewOut(Representation):
    """A review stage: its due, and who decided what and when (null until then)."""

    due: Instant
    due_provisional: bool
    reviewed_at: Instant | None
    reviewed_by: ActorOut | None
    passed: bool | None
    on_time: Annotated[
        bool | None, msgspec.Meta(description="Decided by its due (null until decided).")
    ]


class CreditRepairRead(Representation):
    """A credit-repair application (信用修复) as the viewer may see it."""

    id: CaseId
    version: Version
    status: Status
    enterprise: OrganisationOut
    record_id: Annotated[str, msgspec.Meta(description="The penalty record to repair.")]
    penalty_authority: str
    severity: Severity
    proof: str
    pledge_signed: bool
    applied_at: Instant
    applied_by: ActorOut
    initial_review: ReviewOut
    re_review: ReviewOut
    submitted_at: Instant | None
    outcome: Outcome | None
    outcome_at: Instant | None
    refused_stage: Stage | None
    closed_at: Instant | None
    last_reason: str | None
    updated_at: Instant


def present(case: CreditRepair, viewer: Actor) -> CreditRepairRead:
    return CreditRepairRead(
        id=case.id,
        version=case.version,
        status=case.status,
        enterprise=OrganisationOut(case.enterprise.name, case.enterprise.credit_code),
        record_id=case.record_id,
        penalty_authority=case.penalty_authority,
        severity=case.severity,
        proof=case.proof,
        pledge_signed=case.pledge_signed,
        applied_at=case.applied_at,
        applied_by=actor_body(case.applied_by),
        initial_review=ReviewOut(
            due=case.initial_review_due,
            due_provisional=case.initial_review_due_provisional,
            reviewed_at=case.initial_reviewed_at,
            reviewed_by=maybe_actor(case.initial_reviewed_by),
            passed=case.initial_passed,
            on_time=case.initial_on_time,
        ),
        re_review=ReviewOut(
            due=case.re_review_due,
            due_provisional=case.re_review_due_provisional,
            reviewed_at=case.re_reviewed_at,
            reviewed_by=maybe_actor(case.re_reviewed_by),
            passed=case.re_review_passed,
            on_time=case.re_review_on_time,
        ),
        submitted_at=case.submitted_at,
        outcome=case.outcome,
        outcome_at=case.outcome_at,
        refused_stage=case.refused_stage,
        closed_at=case.closed_at,
        last_reason=case.last_reason,
        updated_at=case.modified_on,
    )


class CreditRepairRow(Representation):
    """An application in the register (the credit_repair_register view)."""

    id: CaseId
    version: Version
    credit_code: str
    enterprise_name: str
    record_id: str
    penalty_authority: str
    severity: Severity
    status: Status
    applied_at: Instant
    initial_review_due: Instant
    initial_reviewed_at: Instant | None
    initial_on_time: bool | None
    re_review_due: Instant
    re_reviewed_at: Instant | None
    re_review_on_time: bool | None
    submitted_at: Instant | None
    outcome: Outcome | None
    outcome_at: Instant | None
    refused_stage: Stage | None
    closed_at: Instant | None
    updated_at: Instant
    reminders: Annotated[int, msgspec.Meta(description="Reminders (催办) made so far.")]
    reminded_step: str | None
    reminded_due: Instant | None
    escalate_after: Instant | None
    escalated_step: str | None
    escalated_due: Instant | None
    initial_review_due_provisional: bool
    re_review_due_provisional: bool


class CreditRepairPage(Representation):
    """A page of the register, newest application first."""

    items: list[CreditRepairRow]
    next_cursor: Cursor


_ROW_FIELDS = tuple(c for c in register.COLUMNS if c not in {"id", "position"})
_ENUMS: dict[str, Any] = {
    "severity": Severity,
    "status": Status,
    "outcome": Outcome,
    "refused_stage": Stage,
}


def register_body(row: dict[str, Any]) -> CreditRepairRow:
    values = {c: row[c] for c in _ROW_FIELDS}
    for name, enum in _ENUMS.items():
        if values[name] is not None:
            values[name] = enum(values[name])
    return CreditRepairRow(id=row["id"], **values)


@get("/", guards=[roles_guard(CREDIT_REPAIR.read_roles, "list credit repairs")], opt=LIST_OPT)
async def list_credit_repairs(
    request: Request[Actor, Any, Any],
    services: NamedDependency[Services],
    status: FromQuery[Status | None] = None,
    severity: FromQuery[Severity | None] = None,
    on_time: FromQuery[bool | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    cursor: TimeIdCursor = None,
) -> CreditRepairPage:
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
        CreditRepairPage,
        cursor=cursor,
        decode=TIME_ID.decode,
        limit=limit,
        fetch=fetch,
        body=register_body,
        encode=lambda row: TIME_ID.encode(row["applied_at"], row["id"]),
    )


# A request body of each move, for the OpenAPI document.
EXAMPLES: dict[str, Any] = {
    "create": {
        "enterprise": {"name": "哈尔滨某某商贸有限公司", "credit_code": "91230103MA18XKQ1P6"},
        "record_id": "HLJ-XZCF-2024-0001",
        "penalty_authority": "哈尔滨市市场监督管理局",
        "severity": "general",
        "proof": "已缴清罚款并完成整改，附缴款凭证与整改报告。",
        "pledge_signed": True,
    },
    "initial-review": {"passed": True, "reason": "材料齐全"},
    "re-review": {"passed": True, "reason": "整改到位"},
    "submit": {"note": "报送国家信用中心"},
    "record-outcome": {"repaired": True, "reason": "已修复"},
    "withdraw": {"reason": "企业撤回申请"},
    "remind": {"note": "请今日内完成初审"},
    "escalate": {},
    "recompute-deadlines": {},
}

router = case_router(CREDIT_REPAIR, present, extra=[list_credit_repairs], examples=EXAMPLES)
