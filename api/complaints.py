"""Complaint endpoints: the case endpoints every type has, plus the supervisors' list;
how a complaint and its list row look over HTTP, with the confidential masking."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.cases import case_router
from api.errors import ApiError
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
from domain.complaint import Complaint, Status
from domain.complaint_case import COMPLAINT
from domain.public_course import sees_public_course_only
from domain.reminders import Reminder
from domain.values import Actor, Channel, Kind, Role
from projections import complaint_summary

Step = Literal["acceptance", "transfer", "handling", "review", "rating"]
RatingShown = Literal[
    "very_satisfied",
    "satisfied",
    "basically_satisfied",
    "unsatisfied",
    "very_unsatisfied",
    "not_rated",
]
Internal = msgspec.Meta(description="Internal to the bureau: null for an enterprise.")


class ComplainantOut(Representation):
    """The enterprise behind the complaint (null for a department on a confidential case)."""

    name: str
    credit_code: str
    phone: str | None


class Deadlines(Representation):
    """Every step's due (null until the step opens); `…_provisional`: counted over days
    of a year with no official holiday schedule yet (docs/calendar.md)."""

    acceptance_due: Instant | None
    acceptance_due_provisional: bool
    handling_due: Instant | None
    handling_due_provisional: bool
    transfer_due: Instant | None
    transfer_due_provisional: bool
    review_due: Instant | None
    review_due_provisional: bool
    rating_due: Instant | None
    rating_due_provisional: bool


class ReminderOut(Representation):
    """A reminder (催办) of the step the case waits on."""

    at: Instant
    by: ActorOut
    step: Step
    due: Instant | None
    note: str | None


class Escalation(Representation):
    """How many times the step the case waits on was escalated, and when last (level 0
    and `at` null when never)."""

    level: Annotated[int, msgspec.Meta(ge=0)]
    at: Instant | None


class RatingRecorded(Representation):
    """A rating given by phone and recorded by a clerk (issue 11 §5)."""

    channel: Channel | None
    call_reference: str | None
    called_at: Instant | None
    recorded_by: ActorOut


class ComplaintRead(Representation):
    """A complaint (投诉/诉求/举报) as the viewer may see it (docs/api.md "Visibility")."""

    id: CaseId
    version: Version
    status: Status
    kind: Kind
    channel: Channel
    category: str
    title: str
    description: str
    complainant: ComplainantOut | None
    respondent_department: str | None
    confidential: bool
    urgent: Annotated[bool, msgspec.Meta(description="急事快办: to be accepted the same day.")]
    lodged_at: Instant
    lodged_by: ActorOut
    department: Annotated[
        str | None, msgspec.Meta(description="The department the case is with, if any.")
    ]
    deadlines: Deadlines
    current_step: Annotated[
        Step | None, msgspec.Meta(description="The step the case waits on (null once final).")
    ]
    due_at: Annotated[datetime | None, msgspec.Meta(description="The deadline of `current_step`.")]
    due_provisional: bool
    open_reminders: Annotated[list[ReminderOut] | None, Internal]
    escalation: Annotated[Escalation | None, Internal]
    extension_requested: Annotated[
        int | None,
        msgspec.Meta(description="Working days of an extension request pending a decision."),
    ]
    reply: str | None
    replied_at: Instant | None
    rating: RatingShown | None
    rating_recorded: RatingRecorded | None
    redo_count: int
    supervision_count: Annotated[int | None, Internal]
    closed_at: Instant | None
    updated_at: Instant


def _reminder(reminder: Reminder) -> ReminderOut:
    return ReminderOut(
        at=reminder.at,
        by=actor_body(reminder.by),
        step=reminder.step,  # type: ignore[arg-type]  # one of domain.complaint.STEPS
        due=reminder.due,
        note=reminder.note,
    )


def complaint_body(case: Complaint, viewer: Actor, *, hidden: bool) -> ComplaintRead:
    public = sees_public_course_only(viewer.role)
    current = case.current_deadline
    complainant = case.complainant
    return ComplaintRead(
        id=case.id,
        version=case.version,
        status=case.status,
        kind=case.kind,
        channel=case.channel,
        category=case.category,
        title=case.title,
        description=case.description,
        complainant=None
        if hidden
        else ComplainantOut(complainant.name, complainant.credit_code, complainant.phone),
        respondent_department=case.respondent_department,
        confidential=case.confidential,
        urgent=case.urgent,
        lodged_at=case.lodged_at,
        lodged_by=actor_body(case.lodged_by, hidden=hidden),
        department=case.department,
        deadlines=Deadlines(
            acceptance_due=case.acceptance_due,
            acceptance_due_provisional=case.acceptance_due_provisional,
            handling_due=case.handling_due,
            handling_due_provisional=case.handling_due_provisional,
            # The bureau's own steps and the enterprise's rating window (issue 11 §2).
            transfer_due=case.transfer_due,
            transfer_due_provisional=bool(case.transfer_due_provisional),
            review_due=case.review_due,
            review_due_provisional=bool(case.review_due_provisional),
            rating_due=case.rating_due,
            rating_due_provisional=bool(case.rating_due_provisional),
        ),
        current_step=case.current_step,  # type: ignore[arg-type]  # one of STEPS
        due_at=current[1] if current else None,
        # The deadline of the step the case waits on counted days of a year with no
        # official schedule yet (docs/calendar.md): it may still move.
        due_provisional=case.due_provisional,
        # 催办 and escalations of the step the case waits on (issue 11 §3); internal:
        # null for a viewer of the public course.
        open_reminders=None if public else [_reminder(r) for r in case.open_reminders],
        escalation=None
        if public
        else Escalation(level=case.escalation_level, at=case.escalated_at),
        extension_requested=case.extension_requested,
        reply=case.reply,
        replied_at=case.replied_at,
        rating=case.rating_shown,  # type: ignore[arg-type]  # a level or not_rated
        # A rating given by phone and recorded by a clerk (issue 11 §5), else null.
        rating_recorded=None
        if case.rating_recorded_by is None
        else RatingRecorded(
            channel=case.rating_channel,
            call_reference=case.rating_call_reference,
            called_at=case.rating_called_at,
            recorded_by=actor_body(case.rating_recorded_by),
        ),
        redo_count=case.redo_count,
        supervision_count=case.supervision_count,
        closed_at=case.closed_at,
        updated_at=case.modified_on,
    )


def present(case: Complaint, viewer: Actor) -> ComplaintRead:
    return complaint_body(case, viewer, hidden=COMPLAINT.hides_identity(viewer, case))


class ComplaintRow(Representation):
    """A complaint in the supervisors' list (the complaint_summary view)."""

    id: CaseId
    version: Version
    status: Status
    kind: Kind
    channel: Channel
    category: str
    title: str
    urgent: bool
    confidential: bool
    complainant: OrganisationOut | None
    department: str | None
    lodged_at: Instant
    due_at: Instant | None
    due_step: Step | None
    due_provisional: bool
    rating: RatingShown | None
    redo_count: Annotated[int | None, Internal]
    supervision_count: Annotated[int | None, Internal]
    open_reminders: Annotated[
        int | None,
        msgspec.Meta(
            description="Reminders of the current step (internal: null for an enterprise)."
        ),
    ]
    escalated: Annotated[bool | None, Internal]
    escalation: Annotated[Escalation | None, Internal]
    closed_at: Instant | None


class ComplaintPage(Representation):
    """A page of complaints, newest first."""

    items: list[ComplaintRow]
    next_cursor: Cursor


def summary_body(row: dict[str, Any], viewer: Actor) -> ComplaintRow:
    hidden = row["confidential"] and viewer.role is Role.DEPARTMENT
    # The list counts every redo and supervision notice; an enterprise sees neither count
    # (review redos and notices are internal steps; its own redos are in the history).
    counts = not sees_public_course_only(viewer.role)
    return ComplaintRow(
        id=row["id"],
        version=row["version"],
        status=Status(row["status"]),
        kind=Kind(row["kind"]),
        channel=Channel(row["channel"]),
        category=row["category"],
        title=row["title"],
        urgent=row["urgent"],
        confidential=row["confidential"],
        complainant=None
        if hidden
        else OrganisationOut(row["complainant_name"], row["complainant_credit_code"]),
        department=row["department"],
        lodged_at=row["lodged_at"],
        due_at=row["due_at"],
        due_step=row["due_step"],
        due_provisional=row["due_provisional"],
        rating=row["rating"],
        redo_count=row["redo_count"] if counts else None,
        supervision_count=row["supervision_count"] if counts else None,
        # 催办 and escalation of the step the case waits on (issue 11 §3): internal.
        open_reminders=row["open_reminders"] if counts else None,
        escalated=row["escalation_level"] > 0 if counts else None,
        escalation=Escalation(level=row["escalation_level"], at=row["escalated_at"])
        if counts
        else None,
        closed_at=row["closed_at"],
    )


@get("/", guards=[roles_guard(COMPLAINT.read_roles, "list complaints")], opt=LIST_OPT)
async def list_complaints(
    request: Request[Actor, Any, Any],
    services: NamedDependency[Services],
    status: FromQuery[Status | None] = None,
    kind: FromQuery[Kind | None] = None,
    department: FromQuery[str | None] = None,
    overdue: FromQuery[bool | None] = None,
    escalated: FromQuery[bool | None] = None,
    urgent: FromQuery[bool | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    cursor: TimeIdCursor = None,
) -> ComplaintPage:
    """Newest first, from the complaint_summary view; `next_cursor` pages on.
    `escalated`: whether the step the case waits on was escalated (not for enterprises,
    who never see escalations: 403); `urgent`: 急事快办 or not."""
    if escalated is not None and sees_public_course_only(request.user.role):
        raise ApiError(
            403,
            "forbidden",
            "Forbidden",
            f"role {request.user.role} may not filter by escalation: escalations are internal",
            errors=[{"field": "escalated", "rule": "not a filter this role may use"}],
        )
    fetch = partial(
        complaint_summary.list_complaints,
        actor=request.user,
        now=services.now(),
        status=status.value if status else None,
        kind=kind.value if kind else None,
        department=department,
        overdue=overdue,
        escalated=escalated,
        urgent=urgent,
    )
    return await list_page(
        request,
        services,
        ComplaintPage,
        cursor=cursor,
        decode=TIME_ID.decode,
        limit=limit,
        fetch=fetch,
        body=lambda row: summary_body(row, request.user),
        encode=lambda row: TIME_ID.encode(row["lodged_at"], row["id"]),
    )


# A request body of each move, for the OpenAPI document (moves only the deadline watcher
# makes take an empty body).
EXAMPLES: dict[str, Any] = {
    "create": {
        "kind": "complaint",
        "channel": "web",
        "category": "approval",
        "title": "施工许可审批超时",
        "description": "施工许可申请已超过承诺时限十个工作日仍未办结。",
        "complainant": {
            "name": "哈尔滨某某建设有限公司",
            "credit_code": "91230100MA1C2B3D4L",
            "phone": "13800000000",
        },
        "respondent_department": "hlj-zjt",
        "confidential": False,
        "urgent": False,
    },
    "accept": {"note": "材料齐全，予以受理", "urgent": None},
    "reject": {"reason": "不属于本局受理范围"},
    "transfer": {"department": "hlj-zjt", "working_days": 10},
    "send-back": {"reason": "不属本部门职责"},
    "request-extension": {"working_days": 3, "reason": "需要现场核查"},
    "decide-extension": {"approved": True, "note": "同意延期"},
    "reply": {"answer": "已于本周完成审批并通知企业。"},
    "review": {"approved": True, "note": "答复属实"},
    "rate": {"rating": "satisfied", "comment": "办理及时"},
    "supervise": {"note": "请加快办理并于三日内反馈"},
    "withdraw": {"reason": "问题已解决"},
    "close": {"note": "企业已评价"},
    "record-rating": {
        "rating": "basically_satisfied",
        "call_reference": "12345-20240923-0001",
        "called_at": "2024-09-23T10:15:00+08:00",
        "comment": "电话回访",
    },
    "remind": {"note": "请承办部门今日内答复"},
    "escalate": {},
    "close-unrated": {},
    "recompute-deadlines": {},
}

router = case_router(COMPLAINT, present, extra=[list_complaints], examples=EXAMPLES)
