"""The case pages: lodging (`/cases/new`), one case (`/cases/{id}`) with the moves its
viewer may make, the list of one's cases (`/cases`) and the desk (`/desk`).

Each form posts to its own URL and, once the application has stored the move, the page
redirects (303) to the case, which then says what was done. A refused form is shown
again with the values as typed and each error next to its field (422); nothing is
stored. A form that names a version the case no longer has shows the case as it is now
with "案件已被他人更新" (409), the values still typed in.

The pages call what the API calls: `create_case` and `make_move` (api/cases.py), the
case read from the store (always current), the lists from the views through their
queries (projections/). A list read right after a move waits, bounded, for the views to
reach that move's position (a short-lived cookie carries it, as `X-Min-Position` does
for API clients).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any, Final
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from api.cases import create_case, in_thread, make_move
from api.pages import case_view, identity_link, reference, vocab
from api.pages import moves as page_moves
from api.pages.deadlines import DeadlineState, deadline_state
from api.pages.filters import COMPLAINT_FILTERS, COMPLAINT_LIST_ROLES, complaint_filters
from api.pages.forms import Field, FieldError, FormState, decode, message_for
from api.pages.i18n import N_, gettext
from api.pages.render import language, page
from api.services import Services
from domain import commands as cmd
from domain.complaint import STEP_OF, Status
from domain.complaint_case import COMPLAINT
from domain.errors import ConcurrentUpdate, MoveNotAllowed, RuleViolated, VersionConflict
from domain.public_course import sees_public_course_only
from domain.values import Actor, Channel, Kind, Role
from projections import complaint_summary, desk
from projections.runner import view_position

POSITION_COOKIE: Final[str] = "oversight_position"
POSITION_COOKIE_SECONDS: Final[int] = 60
PAGE_SIZE: Final[int] = 25

LODGE_FIELDS: Final[tuple[Field, ...]] = (
    Field(
        "kind",
        N_("类型"),
        "radios",
        options=tuple((k.value, vocab.KINDS[k]) for k in vocab.KIND_ORDER),
        hint=N_(
            "投诉：对办事过程中的问题提出投诉；诉求：请求协调解决困难；举报：反映违法违规行为。"
        ),
    ),
    Field(
        "category",
        N_("类别"),
        "select",
        options=tuple(vocab.CATEGORIES.items()),
    ),
    Field("title", N_("标题"), hint=N_("用一句话概括问题，不超过 200 字")),
    Field(
        "description",
        N_("内容"),
        "textarea",
        hint=N_("请写明事情经过、涉及的部门或窗口、时间，以及您的诉求"),
    ),
    Field(
        "confidential",
        N_("保密"),
        "checkbox",
        required=False,
        hint=N_("仅适用于举报：承办部门将看不到举报单位的身份"),
    ),
)


def _services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


async def form_values(request: Request[Any, Any, Any]) -> dict[str, str]:
    """A posted form's fields (the first value of each), as text."""
    form = await request.form()
    return {key: str(form.get(key, "")) for key in form}


def _fail(lang: str, fields: tuple[Field, ...], errors: list[dict[str, str]]) -> list[FieldError]:
    return [message_for(lang, fields, e) for e in errors]


def _require(actor: Actor, roles: frozenset[Role], what: str) -> None:
    if actor.role not in roles:
        raise PermissionDeniedException(f"role {actor.role} may not {what}")


def _position_cookie(position: int) -> Cookie:
    return Cookie(
        key=POSITION_COOKIE,
        value=str(position),
        max_age=POSITION_COOKIE_SECONDS,
        httponly=True,
        samesite="lax",
        path="/",
    )


async def _caught_up(request: Request[Any, Any, Any], services: Services) -> bool:
    """Wait (bounded) until the views reach the position of this browser's last move;
    False when they have not in time (the page then says the list may be behind)."""
    raw = request.cookies.get(POSITION_COOKIE, "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return True
    wanted = int(raw)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + services.settings.min_position_wait_seconds
    delay = 0.01
    while True:
        async with services.pool.acquire() as conn:
            if await view_position(conn) >= wanted:
                return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.2)


def _parse_id(case_id: str) -> UUID:
    try:
        return UUID(case_id)
    except ValueError:
        raise NotFoundException(f"no case {case_id!r}") from None


# --- lodging -----------------------------------------------------------------------------

LODGE_ROLES: Final = frozenset({Role.ENTERPRISE})


async def _lodge_page(
    request: Request[Any, Any, Any], actor: Actor, name: str, state: FormState, status: int = 200
) -> Response[Any]:
    choices = tuple(await reference.categories(_services(request)))
    fields = tuple(replace(f, options=choices) if f.name == "category" else f for f in LODGE_FIELDS)
    return page(
        request,
        "case_new.html",
        {"fields": fields, "state": state, "errors": state.errors, "enterprise_name": name},
        actor=actor,
        status=status,
        title=N_("提交投诉、诉求或举报"),
    )


@get("/cases/new")
async def new_case(request: Request[Actor, Any, Any]) -> Response[Any]:
    actor = request.user
    _require(actor, LODGE_ROLES, "lodge a case on the pages")
    profile = await identity_link.enterprise(_services(request), actor)
    return await _lodge_page(request, actor, profile.name, FormState(values={"kind": ""}))


# status_code 201: the route creates a case, so the rate limiter's `lodge` rules count it
# as they count the API's creates (api/ratelimit.py); the answer is the form's 303.
@post("/cases/new", status_code=201)
async def lodge(request: Request[Actor, Any, Any]) -> Response[Any]:
    actor = request.user
    _require(actor, LODGE_ROLES, "lodge a case on the pages")
    services = _services(request)
    lang = language(request)
    form = await form_values(request)
    profile = await identity_link.enterprise(services, actor)
    state = FormState(values=form)
    values: dict[str, Any] = {
        "channel": Channel.WEB.value,
        "confidential": form.get("confidential") == "on",
        "complainant": {
            "name": profile.name,
            "credit_code": actor.org,
            **({"phone": profile.phone} if profile.phone else {}),
        },
    }
    for name in ("kind", "category", "title", "description"):
        if form.get(name, "") != "" or name in ("title", "description"):
            values[name] = form.get(name, "")
    errors: list[FieldError] = []
    if values["confidential"] and form.get("kind") != Kind.REPORT.value:
        errors.append(FieldError("confidential", gettext(lang, N_("只有举报可以选择保密"))))
    command, problems = decode(request, cmd.LodgeComplaint, values)
    errors += _fail(lang, LODGE_FIELDS, problems)
    if errors or command is None:
        state.errors = errors
        return await _lodge_page(request, actor, profile.name, state, status=422)
    try:
        result = await create_case(services, COMPLAINT, actor, command)
    except RuleViolated as e:
        state.errors = _fail(lang, LODGE_FIELDS, [{"field": e.field, "rule": e.rule}])
        return await _lodge_page(request, actor, profile.name, state, status=422)
    return Redirect(
        f"/cases/{result.case.id}?done=lodge",
        status_code=303,
        cookies=[_position_cookie(result.position)],
    )


# --- one case ----------------------------------------------------------------------------

# What the page says after each move, and after lodging.
DONE: Final[dict[str, str]] = {"lodge": N_("已提交")} | {m.name: m.done for m in page_moves.MOVES}


async def _case_page(
    request: Request[Any, Any, Any],
    view: case_view.CaseView,
    *,
    status: int = 200,
    done: str | None = None,
    stale: bool = False,
    failed: str | None = None,
    state: FormState | None = None,
) -> Response[Any]:
    forms: dict[str, FormState] = {}
    if failed is not None and state is not None:
        forms[failed] = state
    services = _services(request)
    if any(f.name == "department" for m in view.moves for f in m.fields):
        view.moves = reference.offer_departments(view.moves, await reference.departments(services))
    named = [view.case.department, *(e.who_org for e in view.course)]
    named += [d.value for e in view.course for d in e.details if d.label == "承办部门"]
    department_names = await reference.names_of_departments(services, named)
    back = "/cases" if request.user.role is Role.ENTERPRISE else "/desk"
    return page(
        request,
        "case.html",
        {
            "view": view,
            "done": DONE.get(done or ""),
            "stale": stale,
            "failed": failed,
            "forms": forms,
            "errors": state.errors if state else [],
            "back": back,
            "department_names": department_names,
        },
        actor=request.user,
        status=status,
        title=N_("案件"),
    )


async def _view(services: Services, case_id: UUID, actor: Actor) -> case_view.CaseView:
    return await in_thread(partial(case_view.build, services.app, case_id, actor, services.now()))


@get("/cases/{case_id:str}")
async def show_case(
    request: Request[Actor, Any, Any], case_id: FromPath[str], done: FromQuery[str | None] = None
) -> Response[Any]:
    services = _services(request)
    view = await _view(services, _parse_id(case_id), request.user)
    return await _case_page(request, view, done=done)


@post("/cases/{case_id:str}/{move:str}")
async def make_page_move(
    request: Request[Actor, Any, Any], case_id: FromPath[str], move: FromPath[str]
) -> Response[Any]:
    spec = page_moves.BY_NAME.get(move)
    if spec is None:
        raise NotFoundException(f"no move {move!r} on the pages")
    services, actor, lang = _services(request), request.user, language(request)
    _require(actor, COMPLAINT.move(spec.name).roles, f"{move} a complaint")
    uuid = _parse_id(case_id)
    form = await form_values(request)
    state = FormState(values=form)
    view = await _view(services, uuid, actor)
    sent = form.get("version", "")
    expected = int(sent) if sent.isascii() and sent.isdigit() and len(sent) < 19 else None
    if expected != view.version or spec not in view.moves:
        return await _case_page(
            request, view, status=409, stale=True, failed=spec.name, state=state
        )
    command, problems = decode(
        request, COMPLAINT.move(spec.name).body, page_moves.body_values(spec, form)
    )
    if problems or command is None:
        state.errors = _fail(lang, spec.fields, problems)
        return await _case_page(request, view, status=422, failed=spec.name, state=state)
    try:
        result, _ = await make_move(services, COMPLAINT, uuid, spec.name, actor, command, expected)
    except (VersionConflict, ConcurrentUpdate, MoveNotAllowed):
        view = await _view(services, uuid, actor)
        return await _case_page(
            request, view, status=409, stale=True, failed=spec.name, state=state
        )
    except RuleViolated as e:
        state.errors = _fail(lang, spec.fields, [{"field": e.field, "rule": e.rule}])
        return await _case_page(request, view, status=422, failed=spec.name, state=state)
    return Redirect(
        f"/cases/{uuid}?done={spec.name}",
        status_code=303,
        cookies=[_position_cookie(result.position)],
    )


# --- lists -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListRow:
    id: UUID
    number: str
    title: str
    kind: str
    status: str
    step: str | None
    deadline: DeadlineState | None
    lodged_at: datetime
    complainant: str | None
    urgent: bool
    escalated: bool


def _row(services: Services, r: dict[str, Any], viewer: Actor, now: datetime) -> ListRow:
    status, due = r["status"], r["due_at"]
    step = r["due_step"] or STEP_OF.get(Status(status))
    if sees_public_course_only(viewer.role) and status == Status.REPLIED.value:
        # The enterprise sees a reply once the review approved it (its public course):
        # until then the case is still with the department, and the review's deadline
        # is internal.
        status, step, due = Status.TRANSFERRED.value, None, None
    calendar = services.app.calendar
    state = (
        deadline_state(calendar, due, now, provisional=bool(r["due_provisional"]))
        if due is not None
        else None
    )
    hidden = r["confidential"] and viewer.role is Role.DEPARTMENT
    return ListRow(
        id=r["id"],
        number=case_view.case_number(r["id"], r["kind"], r["lodged_at"], calendar),
        title=r["title"],
        kind=r["kind"],
        status=status,
        step=step,
        deadline=state,
        lodged_at=r["lodged_at"],
        complainant=None if hidden else r["complainant_name"],
        urgent=bool(r["urgent"]),
        escalated=r["escalation_level"] > 0 and not sees_public_course_only(viewer.role),
    )


# Issue 17: the bureau's filters, the API's (api/pages/filters.py).
Filter = FromQuery[str | None]


@get("/cases")
async def list_cases(
    request: Request[Actor, Any, Any],
    cursor: FromQuery[str | None] = None,
    done: FromQuery[str | None] = None,  # a step that led here (render.NOTICES)
    status: Filter = None,
    kind: Filter = None,
    department: Filter = None,
    overdue: Filter = None,
    escalated: Filter = None,
    urgent: Filter = None,
) -> Response[Any]:
    """An enterprise's own cases (我的案件), a department's, or every case for the
    bureau: newest first, from the complaint_summary view, as the API lists them (with
    the API's filters for the bureau, and 导出 CSV of the whole filtered list)."""
    services, actor, now = _services(request), request.user, _services(request).now()
    try:
        after = complaint_summary.decode_cursor(cursor) if cursor else None
    except ValueError:
        after = None
    given = {"status": status, "kind": kind, "department": department, "overdue": overdue,
             "escalated": escalated, "urgent": urgent}  # fmt: skip
    bureau = actor.role in COMPLAINT_LIST_ROLES
    chosen = complaint_filters(request, given if bureau else {})
    behind = not await _caught_up(request, services)
    async with services.pool.acquire() as conn:
        rows = await complaint_summary.list_complaints(
            conn, actor, now=now, limit=PAGE_SIZE + 1, cursor=after, **chosen.query
        )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    title = N_("我的案件") if actor.role is Role.ENTERPRISE else N_("案件")
    return page(
        request,
        "cases.html",
        {
            "rows": [_row(services, r, actor, now) for r in rows],
            "behind": behind,
            "next_url": chosen.link("/cases", cursor=complaint_summary.encode_cursor(rows[-1]))
            if more
            else None,
            "filters": chosen if bureau else None,
            "filter_specs": COMPLAINT_FILTERS,
            "errors": chosen.errors,
            "export_url": chosen.link("/cases.csv") if bureau else None,
        },
        actor=actor,
        status=422 if chosen.errors else 200,
        title=title,
    )


DESK_HINTS: Final[dict[Role, str]] = {
    Role.CLERK: N_("等待受理和转办的案件，期限最早的在前。"),
    Role.DEPARTMENT: N_("转办给本部门、等待答复的案件，期限最早的在前。"),
    Role.SUPERVISOR: N_("等待审核答复的案件，期限最早的在前。"),
}


@get("/desk")
async def show_desk(
    request: Request[Actor, Any, Any],
    cursor: FromQuery[str | None] = None,
    done: FromQuery[str | None] = None,  # a step that led here (render.NOTICES)
) -> Response[Any]:
    services, actor = _services(request), request.user
    if not desk.has_desk(actor.role):
        raise PermissionDeniedException(f"role {actor.role} has no desk")
    now = services.now()
    try:
        after = desk.decode_cursor(cursor) if cursor else None
    except ValueError:
        after = None
    behind = not await _caught_up(request, services)
    async with services.pool.acquire() as conn:
        rows = await desk.desk(conn, actor, limit=PAGE_SIZE + 1, cursor=after)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return page(
        request,
        "desk.html",
        {
            "rows": [_row(services, r, actor, now) for r in rows],
            "behind": behind,
            "desk_hint": DESK_HINTS[actor.role],
            "next_url": f"/desk?cursor={desk.encode_cursor(rows[-1])}" if more else None,
        },
        actor=actor,
        title=N_("待办"),
    )


HANDLERS: Final[list[Any]] = [new_case, lodge, show_case, make_page_move, list_cases, show_desk]
