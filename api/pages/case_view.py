"""A complaint as its page shows it: what it is, where it stands (status, the step it
waits on and that step's deadline in working days), what happened (its course: the
public course for an enterprise, every event for the bureau, domain/public_course.py)
and the moves the viewer may make now.

Synchronous and pure apart from the one read of the case's events (the caller runs it
in a worker thread, as the API does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from api.pages import moves as page_moves
from api.pages import vocab
from api.pages.deadlines import DeadlineState, deadline_state
from api.pages.i18n import N_
from api.public_view import public_course
from api.representation import identifies_complainant
from domain.application import Oversight
from domain.calendar import WorkingCalendar
from domain.complaint import Complaint
from domain.complaint_case import COMPLAINT
from domain.public_course import ShownActor, course_events, public_case, public_version
from domain.values import Actor, Role


def case_number(case_id: UUID, kind: str, lodged_at: datetime, calendar: WorkingCalendar) -> str:
    """The number people quote for a case: its kind (TS 投诉, SQ 诉求, JB 举报), the day
    it was lodged in Beijing and the first eight hex digits of its id, e.g.
    TS20240923-1A2B3C4D. The id is the case's identity; the number is derived from it
    (docs/decisions.md "Case numbers on the pages"), so it never needs a counter."""
    day = lodged_at.astimezone(calendar.timezone)
    prefix = vocab.KIND_PREFIX.get(kind, "AJ")
    return f"{prefix}{day:%Y%m%d}-{case_id.hex[:8].upper()}"


@dataclass(frozen=True)
class Detail:
    label: str  # msgid
    value: Any  # as entered, a datetime (shown in Beijing time) or a label's msgid
    kind: str = "text"  # text (as entered), long (a paragraph), time, label (translated)


@dataclass(frozen=True)
class CourseEntry:
    at: datetime
    what: str  # msgid
    who: str  # msgid of the role, or a name
    who_org: str | None
    details: tuple[Detail, ...]


@dataclass
class CaseView:
    case: Complaint  # as the viewer may see it
    number: str
    version: int  # the version the viewer's forms send back (If-Match)
    hidden: bool  # the complainant's identity is withheld from this viewer
    deadline: DeadlineState | None
    step: str | None
    course: list[CourseEntry]
    moves: list[page_moves.PageMove] = field(default_factory=list)


# What each event's own fields say, in the order shown (fields the viewer does not see
# are absent from the event's data and so not shown).
_DETAILS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "Lodged": (("kind", N_("类型"), "kind"), ("category", N_("类别"), "category")),
    "Accepted": (("note", N_("备注"), "text"), ("transfer_due", N_("转办时限"), "time")),
    "Rejected": (("reason", N_("理由"), "text"),),
    "Transferred": (
        ("department", N_("承办部门"), "text"),
        ("working_days", N_("办理时限（工作日）"), "text"),
        ("due", N_("办理期限"), "time"),
    ),
    "SentBack": (("reason", N_("理由"), "text"),),
    "ExtensionRequested": (
        ("working_days", N_("申请延长（工作日）"), "text"),
        ("reason", N_("理由"), "text"),
    ),
    "ExtensionDecided": (
        ("approved", N_("审批结果"), "approved"),
        ("due", N_("新的办理期限"), "time"),
        ("note", N_("备注"), "text"),
    ),
    "Replied": (("answer", N_("答复内容"), "long"),),
    "Reviewed": (("approved", N_("审核结果"), "reviewed"), ("note", N_("审核意见"), "text")),
    "Rated": (("rating", N_("评价"), "rating"), ("comment", N_("评价意见"), "text")),
    "Supervised": (("note", N_("督办意见"), "text"),),
    "Withdrawn": (("reason", N_("理由"), "text"),),
    "Closed": (("note", N_("备注"), "text"),),
    "Reminded": (("step", N_("环节"), "step"), ("note", N_("备注"), "text")),
    "Escalated": (("step", N_("环节"), "step"),),
    "DeadlineRecomputed": (("step", N_("环节"), "step"), ("new_due", N_("新的期限"), "time")),
}
_APPROVED = {True: N_("批准"), False: N_("不批准")}
_REVIEWED = {True: N_("通过"), False: N_("重新办理")}


def _detail(label: str, kind: str, value: Any) -> Detail | None:
    if value is None or value == "":
        return None
    tables = {
        "kind": vocab.KINDS,
        "category": vocab.CATEGORIES,
        "rating": vocab.RATINGS,
        "step": vocab.STEPS,
    }
    if kind in tables:
        return Detail(label, vocab.label(tables[kind], value), "label")
    if kind in ("approved", "reviewed"):
        return Detail(label, (_APPROVED if kind == "approved" else _REVIEWED)[bool(value)], "label")
    if kind in ("time", "long"):
        return Detail(label, value, kind)
    return Detail(label, str(value))


def _who(actor: Actor | ShownActor, viewer: Actor, masked: bool) -> tuple[str, str | None]:
    """(role msgid, organisation or user id) of who made a move, as the viewer may see."""
    if masked:
        return N_("企业（身份保密）"), None
    role = vocab.label(vocab.ROLES, actor.role)
    if actor.role is Role.ENTERPRISE:
        return role, actor.org
    if actor.role is Role.DEPARTMENT:
        return role, actor.org
    # Staff: the enterprise sees the role only (ShownActor has no id); the bureau the id.
    return role, getattr(actor, "id", None) if viewer.role is not Role.ENTERPRISE else None


def build(
    app: Oversight, case_id: UUID, viewer: Actor, now: datetime, *, with_moves: bool = True
) -> CaseView:
    """The case page of `case_id` for `viewer` (CaseNotFound: 404, as in the API)."""
    case, events = app.history(COMPLAINT, case_id, viewer)
    return view_of(app.calendar, case, events, viewer, now, with_moves=with_moves)


def view_of(
    calendar: WorkingCalendar,
    case: Complaint,
    events: Sequence[Any],
    viewer: Actor,
    now: datetime,
    *,
    with_moves: bool = True,
) -> CaseView:
    course = public_course(COMPLAINT, viewer)
    if course is None:
        shown, version = case, case.version
    else:
        shown = public_case(course, events)
        version = public_version(course, events, case.version)
    hidden = COMPLAINT.hides_identity(viewer, case)
    entries = []
    for entry in course_events(course, events):
        masked = hidden and identifies_complainant(entry.event)
        who, org = _who(entry.actor, viewer, masked)
        details = tuple(
            d
            for name, label, kind in _DETAILS.get(entry.type, ())
            if (d := _detail(label, kind, entry.data.get(name))) is not None
        )
        entries.append(
            CourseEntry(entry.at, vocab.label(vocab.EVENTS, entry.type), who, org, details)
        )
    current = shown.current_deadline
    state = None
    if current is not None:
        provisional = bool(getattr(shown, f"{current[0]}_due_provisional", False))
        state = deadline_state(calendar, current[1], now, provisional=provisional)
    return CaseView(
        case=shown,
        number=case_number(case.id, case.kind.value, case.lodged_at, calendar),
        version=version,
        hidden=hidden,
        deadline=state,
        step=shown.current_step,
        course=entries,
        # The moves are decided on the case as it is (the application checks the same).
        moves=page_moves.available(case, viewer) if with_moves else [],
    )
