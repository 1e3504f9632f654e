"""The lists and record pages of the case types beside complaints (issue 17): projects
(`/projects`, `/projects/{id}`) with their problems (`/problems/{id}`), commitments
(`/commitments`, `/commitments/{id}`) and credit repairs (`/credit-repairs`,
`/credit-repairs/{id}`), and the CSV export of every list (`/cases.csv`,
`/projects.csv`, `/commitments.csv`, `/credit-repairs.csv`).

- A list takes the API's filters (the same names and values as its `GET /api/v1/...`),
  reads the same view through the same query, and pages with the view's cursor.
- 导出 CSV is the whole filtered list, every page of it, as the API's rows
  (api/export.py's CSV).
- A record page shows the case as it is now (read from the store, like the API's read)
  and, as forms, the moves the viewer's role may make in its status (the domain's own
  tables); a move goes through `Oversight.move`, as the API's does. Its form carries the
  version the page showed: a case changed meanwhile shows "案件已被他人更新" with the
  case as it is now (409) and the values still typed, as part 1's case page does.
"""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import partial
from typing import Annotated, Any, Final
from uuid import UUID

import msgspec
from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from api import commitments as commitments_api
from api import credit_repairs as credit_repairs_api
from api import projects as projects_api
from api.cases import in_thread
from api.pages import labels
from api.pages.cases import _caught_up, _position_cookie
from api.pages.deadlines import DeadlineState, deadline_state
from api.pages.filters import (
    CODE_PATTERN,
    YES_NO,
    Filter,
    read_filters,
    yes_no,
)
from api.pages.forms import Field, FormState, decode, message_for
from api.pages.i18n import N_
from api.pages.render import language, page
from api.services import Services
from domain import commitment, credit_repair, project
from domain.cases import AnyCaseType
from domain.commitment_case import COMMITMENT
from domain.credit_repair_case import CREDIT_REPAIR
from domain.errors import ConcurrentUpdate, MoveNotAllowed, RuleViolated, VersionConflict
from domain.project_case import PROBLEM, PROJECT
from domain.values import Actor, Role
from projections import commitment_register, project_board
from projections import credit_repair_register as repair_register

PAGE_SIZE: Final[int] = 25


def _services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


# --- lists -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str = ""
    href: str | None = None
    time: datetime | None = None
    tag: str | None = None  # a tag's CSS modifier (the text is its words)
    deadline: DeadlineState | None = None
    label: bool = False  # `text` is a msgid


@dataclass(frozen=True)
class Register:
    """A list page: its path, title, the API list it mirrors, its filters and columns."""

    path: str
    title: str  # msgid
    roles: frozenset[Role]
    filters: tuple[Filter, ...]
    columns: tuple[str, ...]  # msgids
    fetch: Callable[..., Awaitable[list[dict[str, Any]]]]  # the view's list query
    decode: Callable[[str], Any]
    encode: Callable[[dict[str, Any]], str]
    cells: Callable[[Services, dict[str, Any], datetime], list[Cell]]
    body: Callable[[dict[str, Any], Actor], Any]  # the API's row (CSV)
    export_name: str
    api_body: Callable[[], Callable[..., Any]]  # the API's row body function

    def row_type(self) -> type[msgspec.Struct]:
        """The API's row Struct of the list: what its row body returns (its CSV columns)."""
        row: type[msgspec.Struct] = typing.get_type_hints(self.api_body())["return"]
        return row


def _enum_options(table: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(table.items())


def _due(services: Services, due: datetime | None, provisional: bool, now: datetime) -> Cell:
    if due is None:
        return Cell(N_("无"), label=True)
    return Cell(
        time=due, deadline=deadline_state(services.app.calendar, due, now, provisional=provisional)
    )


def _project_cells(services: Services, r: dict[str, Any], now: datetime) -> list[Cell]:
    return [
        Cell(r["name"], href=f"/projects/{r['id']}"),
        Cell(r["investor_name"]),
        Cell(r["city"]),
        Cell(
            labels.name_of(labels.PROJECT_CLASSES, r["classification"]) or N_("未分类"), label=True
        ),
        Cell(str(r["open_problems"])),
        Cell(str(r["resolved_problems"])),
        Cell(time=r["registered_at"]),
    ]


def _commitment_cells(services: Services, r: dict[str, Any], now: datetime) -> list[Cell]:
    open_ = r["status"] in {s.value for s in commitment.OPEN_STATUSES}
    return [
        Cell(r["matter"], href=f"/commitments/{r['id']}"),
        Cell(r["enterprise_name"]),
        Cell(labels.name_of(labels.COMMITMENT_STATUSES, r["status"]), tag=r["status"], label=True),
        _due(services, r["due_at"] if open_ else None, bool(r["due_provisional"]), now),
        Cell(f"{r['materials_supplied']}/{r['materials_total']}"),
        Cell(time=r["committed_at"]),
    ]


def _repair_cells(services: Services, r: dict[str, Any], now: datetime) -> list[Cell]:
    status = r["status"]
    due, provisional = None, False
    if status == "applied":
        due, provisional = r["initial_review_due"], r["initial_review_due_provisional"]
    elif status == "initially_reviewed":
        due, provisional = r["re_review_due"], r["re_review_due_provisional"]
    return [
        Cell(r["enterprise_name"], href=f"/credit-repairs/{r['id']}"),
        Cell(labels.name_of(labels.CREDIT_REPAIR_STATUSES, status), tag=status, label=True),
        Cell(labels.name_of(labels.SEVERITIES, r["severity"]), label=True),
        _due(services, due, bool(provisional), now),
        Cell(time=r["applied_at"]),
    ]


def _project_row(row: dict[str, Any], viewer: Actor) -> Any:
    return projects_api.board_row_body(row)


def _commitment_row(row: dict[str, Any], viewer: Actor) -> Any:
    return commitments_api.register_body(row)


def _repair_row(row: dict[str, Any], viewer: Actor) -> Any:
    return credit_repairs_api.register_body(row)


REGISTERS: Final[dict[str, Register]] = {
    "projects": Register(
        path="/projects",
        title=N_("重大项目"),
        roles=frozenset({Role.SUPERVISOR, Role.INSPECTOR, Role.CLERK}),
        filters=(
            Filter("classification", N_("分类"), options=_enum_options(labels.PROJECT_CLASSES)),
            Filter("city", N_("城市"), "text", pattern=r".{1,64}"),
            Filter("has_open_problems", N_("有待解决的问题"), "yesno", YES_NO, to_query=yes_no),
        ),
        columns=(
            N_("项目"),
            N_("投资方"),
            N_("城市"),
            N_("分类"),
            N_("待解决问题"),
            N_("已解决问题"),
            N_("登记时间"),
        ),
        fetch=project_board.list_projects,
        decode=project_board.decode_cursor,
        encode=lambda row: project_board.encode_cursor(row["registered_at"], row["id"]),
        cells=_project_cells,
        body=_project_row,
        export_name="projects",
        api_body=lambda: projects_api.board_row_body,
    ),
    "commitments": Register(
        path="/commitments",
        title=N_("信用承诺"),
        roles=frozenset({Role.SUPERVISOR, Role.INSPECTOR, Role.CLERK}),
        filters=(
            Filter("status", N_("状态"), options=_enum_options(labels.COMMITMENT_STATUSES)),
            Filter("matter", N_("事项代码"), "text", pattern=CODE_PATTERN),
            Filter(
                "enterprise",
                N_("企业统一社会信用代码"),
                "text",
                pattern=r"[0-9A-HJ-NPQRTUWXY]{18}",
            ),
        ),
        columns=(
            N_("事项"),
            N_("企业"),
            N_("状态"),
            N_("补正期限"),
            N_("已补交材料"),
            N_("承诺时间"),
        ),
        fetch=commitment_register.list_commitments,
        decode=commitment_register.decode_cursor,
        encode=commitment_register.encode_cursor,
        cells=_commitment_cells,
        body=_commitment_row,
        export_name="commitments",
        api_body=lambda: commitments_api.register_body,
    ),
    "credit-repairs": Register(
        path="/credit-repairs",
        title=N_("信用修复"),
        roles=frozenset({Role.SUPERVISOR, Role.INSPECTOR, Role.CLERK}),
        filters=(
            Filter("status", N_("状态"), options=_enum_options(labels.CREDIT_REPAIR_STATUSES)),
            Filter("severity", N_("严重程度"), options=_enum_options(labels.SEVERITIES)),
            Filter(
                "on_time",
                N_("按时审核"),
                "yesno",
                YES_NO,
                to_query=yes_no,
                hint=N_("是：至少完成一次审核且都按时；否：有审核超期"),
            ),
        ),
        columns=(N_("企业"), N_("状态"), N_("严重程度"), N_("审核期限"), N_("申请时间")),
        fetch=repair_register.list_credit_repairs,
        decode=repair_register.decode_cursor,
        encode=repair_register.encode_cursor,
        cells=_repair_cells,
        body=_repair_row,
        export_name="credit-repairs",
        api_body=lambda: credit_repairs_api.register_body,
    ),
}


def _cursor(register: Register, raw: str | None) -> Any:
    try:
        return register.decode(raw) if raw else None
    except ValueError:
        return None


async def show_register(
    request: Request[Actor, Any, Any], register: Register, given: Mapping[str, str | None]
) -> Response[Any]:
    actor, services = request.user, _services(request)
    if actor.role not in register.roles:
        raise PermissionDeniedException(f"role {actor.role} may not list {register.path}")
    chosen = read_filters(request, register.filters, given)
    raw_cursor = given.get("cursor") or None
    now = services.now()
    async with services.pool.acquire() as conn:
        rows = await register.fetch(
            conn,
            actor,
            limit=PAGE_SIZE + 1,
            cursor=_cursor(register, raw_cursor),
            **chosen.query,
        )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return page(
        request,
        "register.html",
        {
            "register": register,
            "filters": chosen,
            "errors": chosen.errors,
            "rows": [register.cells(services, r, now) for r in rows],
            "next_url": chosen.link(register.path, cursor=register.encode(rows[-1]))
            if more
            else None,
            "export_url": chosen.link(register.path + ".csv"),
            "first_page": raw_cursor is None,
        },
        actor=actor,
        status=422 if chosen.errors else 200,
        title=register.title,
    )


# The query parameters of the lists: the API's filter names.
Text = Annotated[str | None, QueryParameter(max_length=200)]
CursorText = Annotated[str | None, QueryParameter(max_length=500)]


@get("/projects")
async def list_projects(
    request: Request[Actor, Any, Any],
    classification: Text = None,
    city: Text = None,
    has_open_problems: Text = None,
    cursor: CursorText = None,
) -> Response[Any]:
    given = {"classification": classification, "city": city,
             "has_open_problems": has_open_problems, "cursor": cursor}  # fmt: skip
    return await show_register(request, REGISTERS["projects"], given)


@get("/commitments")
async def list_commitments(
    request: Request[Actor, Any, Any],
    status: Text = None,
    matter: Text = None,
    enterprise: Text = None,
    cursor: CursorText = None,
) -> Response[Any]:
    given = {"status": status, "matter": matter, "enterprise": enterprise, "cursor": cursor}
    return await show_register(request, REGISTERS["commitments"], given)


@get("/credit-repairs")
async def list_credit_repairs(
    request: Request[Actor, Any, Any],
    status: Text = None,
    severity: Text = None,
    on_time: Text = None,
    cursor: CursorText = None,
) -> Response[Any]:
    given = {"status": status, "severity": severity, "on_time": on_time, "cursor": cursor}
    return await show_register(request, REGISTERS["credit-repairs"], given)


# --- record pages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Detail:
    label: str  # msgid
    text: str = ""
    time: datetime | None = None
    href: str | None = None
    label_value: bool = False  # `text` is a msgid
    long: bool = False


@dataclass(frozen=True)
class MoveForm:
    name: str  # the domain's move
    button: str  # msgid
    fields: tuple[Field, ...]
    lists: frozenset[str] = frozenset()  # fields that are lists (one item a line)


@dataclass(frozen=True)
class RecordType:
    """A case type's record page."""

    case_type: AnyCaseType
    path: str  # "/commitments"
    title: str  # msgid: what one is called
    heading: Callable[[Any], str]  # the case's own name (its h1)
    statuses: Mapping[str, str]
    move_roles: Mapping[str, frozenset[Role]]
    move_from: Mapping[str, frozenset[Any]]
    details: Callable[[Any], list[Detail]]
    due: Callable[[Any], tuple[datetime | None, bool]]  # the open step's deadline


# Form fields by the body's field name: how each is asked (label from labels.FIELDS).
_LONG_TEXT: Final[frozenset[str]] = frozenset(
    {"note", "reason", "text", "solution", "finding"}
)  # fmt: skip
_BOOL_OPTIONS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "approved": (("true", N_("通过")), ("false", N_("重办"))),
    "passed": (("true", N_("通过")), ("false", N_("不通过"))),
    "repaired": (("true", N_("已修复")), ("false", N_("不予修复"))),
}
_ENUM_OPTIONS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "classification": tuple(labels.PROJECT_CLASSES.items()),
    "role": tuple(labels.COORDINATION_ROLES.items()),
}


def _optional(hint: Any) -> bool:
    args = typing.get_args(hint)
    if typing.get_origin(hint) is typing.Annotated:
        return _optional(args[0])
    return type(None) in args


def _base(hint: Any) -> Any:
    """The type under Annotated and Optional."""
    while True:
        if typing.get_origin(hint) is typing.Annotated:
            hint = typing.get_args(hint)[0]
            continue
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if args and type(None) in typing.get_args(hint):
            hint = args[0]
            continue
        return hint


def move_fields(body: type[msgspec.Struct]) -> tuple[Field, ...]:
    """The form of a move: one field per member of its body, asked as its type says."""
    hints = typing.get_type_hints(body, include_extras=True)
    fields = []
    for info in msgspec.structs.fields(body):
        hint = hints[info.name]
        base = _base(hint)
        label = labels.FIELDS.get(info.name, info.name)
        required = info.required and not _optional(hint)
        if base is bool:
            options = _BOOL_OPTIONS.get(info.name, (("true", N_("是")), ("false", N_("否"))))
            fields.append(Field(info.name, label, "radios", True, options=options))
        elif isinstance(base, type) and issubclass(base, Enum):
            options = _ENUM_OPTIONS.get(
                info.name, tuple((str(m.value), str(m.value)) for m in base)
            )
            fields.append(Field(info.name, label, "select", required, options=options))
        elif base is int:
            fields.append(Field(info.name, label, "number", required, width="w-5"))
        elif base is date:
            fields.append(
                Field(info.name, label, "text", required, hint=N_("例如 2026-01-31"), width="w-10")
            )
        elif typing.get_origin(base) is list:  # one item a line (materials)
            hint = N_("每行一项")
            fields.append(Field(info.name, label, "textarea", required, hint=hint))
        elif info.name in _LONG_TEXT:
            fields.append(Field(info.name, label, "textarea", required))
        else:
            fields.append(Field(info.name, label, "text", required, width="w-20"))
    return tuple(fields)


def available_moves(record: RecordType, case: Any, actor: Actor) -> list[MoveForm]:
    """The moves `actor` may make on `case` now: those its role may ever make (not the
    system's alone) in the case's status (the domain's tables); the application checks
    the rest (who made the initial review, the project's members) when it is sent."""
    status = getattr(case, "status", None)
    out = []
    for name, spec in record.case_type.moves.items():
        if actor.role not in record.move_roles.get(name, spec.roles) or actor.role is Role.SYSTEM:
            continue
        allowed = record.move_from.get(name)
        if allowed is not None and status not in allowed:
            continue
        hints = typing.get_type_hints(spec.body, include_extras=True)
        lists = frozenset(n for n, h in hints.items() if typing.get_origin(_base(h)) is list)
        out.append(MoveForm(name, labels.MOVES.get(name, name), move_fields(spec.body), lists))
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(_text(v) for v in value)
    return str(getattr(value, "value", value))


def _details(
    case: Any, rows: Sequence[tuple[str, str, str]], tables: Mapping[str, Mapping[str, str]]
) -> list[Detail]:
    """(attribute path, label, kind) -> the details that have a value. kind: text,
    long, time, or a key of `tables` (a translated value)."""
    out = []
    for path, label, kind in rows:
        value: Any = case
        for part in path.split("."):
            value = getattr(value, part, None)
        if value is None or value == "" or value == []:
            continue
        if kind == "time":
            out.append(Detail(label, time=value))
        elif kind in tables:
            out.append(Detail(label, labels.name_of(tables[kind], value), label_value=True))
        else:
            out.append(Detail(label, _text(value), long=kind == "long"))
    return out


_TABLES: Final[dict[str, Mapping[str, str]]] = {
    "class": labels.PROJECT_CLASSES,
    "category": labels.PROBLEM_CATEGORIES,
    "severity": labels.SEVERITIES,
    "outcome": labels.CREDIT_REPAIR_STATUSES,
}


def _project_details(case: Any) -> list[Detail]:
    return _details(
        case,
        (
            ("investor.name", N_("投资方"), "text"),
            ("investor.credit_code", N_("统一社会信用代码"), "text"),
            ("city", N_("城市"), "text"),
            ("sector", N_("行业"), "text"),
            ("investment_cny", N_("投资额（元）"), "text"),
            ("classification", N_("分类"), "class"),
            ("task_force", N_("推进专班"), "text"),
            ("officer_id", N_("首席服务员"), "text"),
            ("leader", N_("联系领导"), "text"),
            ("registered_at", N_("登记时间"), "time"),
        ),
        _TABLES,
    )


def _problem_details(case: Any) -> list[Detail]:
    out = [Detail(N_("所属项目"), str(case.project_id), href=f"/projects/{case.project_id}")]
    return out + _details(
        case,
        (
            ("category", N_("类别"), "category"),
            ("description", N_("问题描述"), "long"),
            ("raised_at", N_("提出时间"), "time"),
            ("escalated_to", N_("提级至"), "text"),
            ("solution", N_("解决办法"), "long"),
            ("unresolvable_reason", N_("无法解决的原因"), "long"),
            ("reopen_count", N_("重新办理次数"), "text"),
            ("closed_at", N_("办结时间"), "time"),
        ),
        _TABLES,
    )


def _commitment_details(case: Any) -> list[Detail]:
    return _details(
        case,
        (
            ("enterprise.name", N_("企业"), "text"),
            ("enterprise.credit_code", N_("统一社会信用代码"), "text"),
            ("matter", N_("事项"), "text"),
            ("statement", N_("承诺内容"), "long"),
            ("materials", N_("需补交的材料"), "text"),
            ("supplied", N_("已补交的材料"), "text"),
            ("committed_at", N_("承诺时间"), "time"),
            ("granted_at", N_("容缺受理时间"), "time"),
            ("overdue_since", N_("逾期时间"), "time"),
            ("settled_at", N_("办结时间"), "time"),
            ("outcome_reason", N_("理由"), "long"),
            ("finding", N_("核查结论"), "long"),
        ),
        _TABLES,
    )


def _repair_details(case: Any) -> list[Detail]:
    return _details(
        case,
        (
            ("enterprise.name", N_("企业"), "text"),
            ("enterprise.credit_code", N_("统一社会信用代码"), "text"),
            ("record_id", N_("失信记录编号"), "text"),
            ("penalty_authority", N_("处罚机关"), "text"),
            ("severity", N_("严重程度"), "severity"),
            ("proof", N_("整改证明"), "long"),
            ("applied_at", N_("申请时间"), "time"),
            ("initial_reviewed_at", N_("初审时间"), "time"),
            ("re_reviewed_at", N_("复审时间"), "time"),
            ("submitted_at", N_("报送时间"), "time"),
            ("outcome", N_("终审结果"), "outcome"),
            ("last_reason", N_("理由"), "long"),
        ),
        _TABLES,
    )


def _no_due(case: Any) -> tuple[datetime | None, bool]:
    return None, False


def _problem_due(case: Any) -> tuple[datetime | None, bool]:
    if case.status in project.OPEN_PROBLEM_STATUSES:
        return case.due_at, bool(case.due_provisional)
    return None, False


def _commitment_due(case: Any) -> tuple[datetime | None, bool]:
    if case.status in (commitment.Status.GRANTED, commitment.Status.OVERDUE):
        return case.due_at, bool(case.due_provisional)
    return None, False


def _repair_due(case: Any) -> tuple[datetime | None, bool]:
    if case.status is credit_repair.Status.APPLIED:
        return case.initial_review_due, bool(case.initial_review_due_provisional)
    if case.status is credit_repair.Status.INITIALLY_REVIEWED:
        return case.re_review_due, bool(case.re_review_due_provisional)
    return None, False


RECORDS: Final[dict[str, RecordType]] = {
    "project": RecordType(
        PROJECT, "/projects", N_("重大项目"), lambda c: c.name, labels.PROJECT_STATUSES,
        project.PROJECT_MOVE_ROLES, project.PROJECT_MOVE_FROM, _project_details, _no_due,
    ),
    "problem": RecordType(
        PROBLEM, "/problems", N_("项目问题"), lambda c: c.description[:60],
        labels.PROBLEM_STATUSES, project.PROBLEM_MOVE_ROLES, project.PROBLEM_MOVE_FROM,
        _problem_details, _problem_due,
    ),
    "commitment": RecordType(
        COMMITMENT, "/commitments", N_("信用承诺"), lambda c: c.matter,
        labels.COMMITMENT_STATUSES, commitment.MOVE_ROLES, commitment.MOVE_FROM,
        _commitment_details, _commitment_due,
    ),
    "credit_repair": RecordType(
        CREDIT_REPAIR, "/credit-repairs", N_("信用修复"), lambda c: c.enterprise.name,
        labels.CREDIT_REPAIR_STATUSES, credit_repair.MOVE_ROLES, credit_repair.MOVE_FROM,
        _repair_details, _repair_due,
    ),
}  # fmt: skip


# Who opens the record pages: the bureau's roles that read these case types.
RECORD_ROLES: Final = frozenset({Role.SUPERVISOR, Role.INSPECTOR, Role.CLERK, Role.SERVICE_OFFICER})


@dataclass
class RecordView:
    record: RecordType
    case: Any
    heading: str
    status: str
    details: list[Detail]
    deadline: DeadlineState | None
    moves: list[MoveForm]
    problems: list[dict[str, Any]] = field(default_factory=list)


def _parse_id(case_id: str) -> UUID:
    try:
        return UUID(case_id)
    except ValueError:
        raise NotFoundException(f"no case {case_id!r}") from None


async def record_view(
    services: Services,
    record: RecordType,
    case_id: UUID,
    actor: Actor,
    request: Request[Any, Any, Any] | None = None,
) -> RecordView:
    if actor.role not in RECORD_ROLES:
        # An enterprise follows its case through the API's public course; these pages
        # show the case as the bureau stores it.
        raise PermissionDeniedException(f"role {actor.role} has no record pages")
    fn = partial(services.app.read, record.case_type, case_id, actor)
    case = await in_thread(fn)  # CaseNotFound: 404, as in the API
    due, provisional = record.due(case)
    now = services.now()
    state = (
        deadline_state(services.app.calendar, due, now, provisional=provisional)
        if due is not None
        else None
    )
    view = RecordView(
        record=record,
        case=case,
        heading=record.heading(case),
        status=labels.name_of(record.statuses, case.status),
        details=record.details(case),
        deadline=state,
        moves=available_moves(record, case, actor),
    )
    if record.case_type is PROJECT:
        if request is not None:
            await _caught_up(request, services)  # its problems come from the board's view
        async with services.pool.acquire() as conn:
            view.problems = await project_board.list_problems(conn, case_id, limit=100)
    return view


def _record_page(
    request: Request[Any, Any, Any],
    view: RecordView,
    *,
    status: int = 200,
    done: str | None = None,
    stale: bool = False,
    failed: str | None = None,
    state: FormState | None = None,
    refused: str | None = None,
) -> Response[Any]:
    forms: dict[str, FormState] = {}
    if failed is not None and state is not None:
        forms[failed] = state
    return page(
        request,
        "record.html",
        {
            "view": view,
            "done": labels.MOVES.get(done or "") if done else None,
            "stale": stale,
            "refused": refused,
            "failed": failed,
            "forms": forms,
            "errors": state.errors if state else [],
            "labels": labels,
        },
        actor=request.user,
        status=status,
        title=view.record.title,
    )


async def show_record(
    request: Request[Actor, Any, Any], record: RecordType, case_id: str, done: str | None
) -> Response[Any]:
    view = await record_view(_services(request), record, _parse_id(case_id), request.user, request)
    known = done if done in record.case_type.moves else None
    return _record_page(request, view, done=known)


def _form_values(move: MoveForm, form: Mapping[str, str]) -> dict[str, Any]:
    """A move form's values shaped as the body: empty optional fields left out, a
    choice not made left out (the body's own "missing" error), a list one item a line."""
    values: dict[str, Any] = {}
    for f in move.fields:
        raw = form.get(f.name, "")
        if raw.strip() == "" and (not f.required or f.widget in ("radios", "select")):
            continue
        if f.name in move.lists:
            values[f.name] = [line.strip() for line in raw.splitlines() if line.strip()]
        else:
            values[f.name] = raw.strip() if f.widget == "number" else raw
    return values


async def make_record_move(
    request: Request[Actor, Any, Any], record: RecordType, case_id: str, move: str
) -> Response[Any]:
    services, actor, lang = _services(request), request.user, language(request)
    if move not in record.case_type.moves:
        raise NotFoundException(f"no move {move!r}")
    spec = record.case_type.move(move)
    if actor.role not in spec.roles:
        raise PermissionDeniedException(f"role {actor.role} may not {move}")
    uuid = _parse_id(case_id)
    form_data = await request.form()
    form = {key: str(form_data.get(key, "")) for key in form_data}
    state = FormState(values=form)
    view = await record_view(services, record, uuid, actor)
    offered = next((m for m in view.moves if m.name == move), None)
    sent = form.get("version", "")
    expected = int(sent) if sent.isascii() and sent.isdigit() and len(sent) < 19 else None
    if expected != view.case.version or offered is None:
        return _record_page(request, view, status=409, stale=True, failed=move, state=state)
    command, problems = decode(request, spec.body, _form_values(offered, form))
    if problems or command is None:
        state.errors = [message_for(lang, offered.fields, p) for p in problems]
        return _record_page(request, view, status=422, failed=move, state=state)
    fn = partial(
        services.app.move,
        uuid,
        move,
        actor,
        services.now(),
        command,
        expected_version=expected,
        case_type=record.case_type,
    )
    try:
        result = await in_thread(fn)
    except (VersionConflict, ConcurrentUpdate):
        view = await record_view(services, record, uuid, actor)
        return _record_page(request, view, status=409, stale=True, failed=move, state=state)
    except MoveNotAllowed as e:
        view = await record_view(services, record, uuid, actor)
        return _record_page(request, view, status=409, failed=move, state=state, refused=str(e))
    except RuleViolated as e:
        state.errors = [message_for(lang, offered.fields, {"field": e.field, "rule": e.rule})]
        return _record_page(request, view, status=422, failed=move, state=state)
    return Redirect(
        f"{record.path}/{uuid}?done={move}",
        status_code=303,
        cookies=[_position_cookie(result.position)],
    )


def _record_handlers(record: RecordType) -> list[Any]:
    async def show(
        request: Request[Actor, Any, Any], case_id: FromPath[str], done: Text = None
    ) -> Response[Any]:
        return await show_record(request, record, case_id, done)

    async def act(
        request: Request[Actor, Any, Any], case_id: FromPath[str], move: FromPath[str]
    ) -> Response[Any]:
        return await make_record_move(request, record, case_id, move)

    name = record.case_type.name
    show.__name__ = show.__qualname__ = f"show_{name}_page"
    act.__name__ = act.__qualname__ = f"{name}_page_move"
    return [
        get(f"{record.path}/{{case_id:str}}")(show),
        post(f"{record.path}/{{case_id:str}}/{{move:str}}")(act),
    ]


HANDLERS: Final[list[Any]] = [
    list_projects,
    list_commitments,
    list_credit_repairs,
    *(h for record in RECORDS.values() for h in _record_handlers(record)),
]
