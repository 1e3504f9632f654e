"""The supervisor's desk (issue 17): the dashboard (`/dashboard`, 监督看板), the warnings
(`/warnings`, 预警) and the department ranking (`/ranking`, 部门排名).

The figures are the API's: the dashboard page reads `api.dashboard.dashboard_figures`,
the function behind `GET /api/v1/dashboard`, with the same period rules
(`api.dashboard.period`: default the year to date in the bureau's time zone, at most
ten years, `as_of` cutting off what happened after that day), and shows each figure to
the API's two decimals. The charts are drawn on the server (api/pages/charts.py); the
weekly lines and the departments' overdue work come from projections/trends.py, the
same facts week by week. Warnings and the ranking read the projections the API's
endpoints read, with the same parameters.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from litestar import Request, Response, get
from litestar.exceptions import PermissionDeniedException
from litestar.params import QueryParameter

from api.dashboard import DASHBOARD_ROLES, dashboard_figures, period
from api.errors import ApiError
from api.pages import charts, labels, vocab
from api.pages.deadlines import DeadlineState, deadline_state
from api.pages.forms import FieldError, FormState
from api.pages.i18n import N_, gettext
from api.pages.render import language, page
from api.services import Services
from api.warnings import WARNING_ROLES
from domain.values import Actor, Role
from projections import trends
from projections.dashboard import day_bounds, department_ranking
from projections.identity import department_names
from projections.warnings import decode_cursor, encode_cursor, list_warnings

PAGE_SIZE: Final[int] = 50
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


def _require(actor: Actor, roles: frozenset[Role], what: str) -> None:
    if actor.role not in roles:
        raise PermissionDeniedException(f"role {actor.role} may not {what}")


# --- the period picker -------------------------------------------------------------------

# The API's period rules, in words (api/dashboard.py `period`, api/inputs.py `check_day`).
_PERIOD_RULES: Final[tuple[tuple[str, str], ...]] = (
    ("is required with", N_("请同时填写起止日期（都不填则为本年至今）")),
    ("must not be before", N_("截止日期不能早于起始日期")),
    ("at most ten years", N_("期间最长为十年")),
    ("must be a date", N_("日期须在 1900 年至 2199 年之间")),
)


@dataclass
class Period:
    first: date
    last: date
    as_of: date | None
    values: dict[str, str]  # as typed, for the form
    errors: list[FieldError]

    def error(self, name: str) -> str | None:
        return next((e.message for e in self.errors if e.field == name), None)


def _day(lang: str, name: str, raw: str, errors: list[FieldError]) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        if _DAY.fullmatch(raw) is None:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(FieldError(name, gettext(lang, N_("请输入日期，例如 2026-01-31"))))
        return None


def read_period(
    request: Request[Any, Any, Any],
    services: Services,
    first_raw: str | None,
    last_raw: str | None,
    as_of_raw: str | None = None,
) -> Period:
    """The period of the page's query (`from`, `to`, `as_of`), checked as the API checks
    it; on an error, the year to date, with the error next to its field."""
    lang = language(request)
    values = {"from": first_raw or "", "to": last_raw or "", "as_of": as_of_raw or ""}
    errors: list[FieldError] = []
    first = _day(lang, "from", values["from"], errors)
    last = _day(lang, "to", values["to"], errors)
    as_of = _day(lang, "as_of", values["as_of"], errors)
    if not errors:
        try:
            first, last = period(services, first, last, as_of)
        except ApiError as e:
            for problem in e.errors or []:
                message = next(
                    (text for rule, text in _PERIOD_RULES if rule in problem["rule"]),
                    N_("日期不正确"),
                )
                errors.append(FieldError(problem["field"], gettext(lang, message)))
    if errors:
        first, last = period(services, None, None)
        as_of = None
    assert first is not None and last is not None
    if not values["from"] and not values["to"]:
        values["from"], values["to"] = first.isoformat(), last.isoformat()
    return Period(first, last, as_of, values, errors)


# --- the dashboard -----------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str  # the API's figure, as a dotted path: complaints.replies.rate
    label: str  # msgid
    text: str  # as shown: the API's value to its two decimals
    unit: str = ""


def lookup(figures: dict[str, Any], key: str) -> Any:
    value: Any = figures
    for part in key.split("."):
        value = value[part]
    return value


def _figure(figures: dict[str, Any], key: str, label: str, unit: str = "") -> Figure:
    return Figure(key, label, charts.format_value(lookup(figures, key), unit), unit)


# The figures shown as numbers, in groups: (heading msgid, [(key, label msgid, unit)]).
FIGURE_GROUPS: Final[tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...]] = (
    (
        N_("投诉举报"),
        (
            ("complaints.lodged", N_("登记"), ""),
            ("complaints.open", N_("在办"), ""),
            ("complaints.closed", N_("办结"), ""),
            ("complaints.acceptance.rate", N_("按时受理率"), "%"),
            ("complaints.replies.rate", N_("按时答复率"), "%"),
            ("complaints.replies.average_handling_working_days", N_("平均办理工作日"), ""),
            ("complaints.satisfaction.satisfied_share", N_("满意率"), "%"),
            ("complaints.redone", N_("重办"), ""),
            ("complaints.supervision_notices", N_("督办"), ""),
            ("complaints.escalations", N_("超期上报"), ""),
        ),
    ),
    (
        N_("重大项目"),
        (
            ("projects.registered", N_("登记项目"), ""),
            ("projects.resumption_rate", N_("开复工率"), "%"),
            ("projects.problems.raised", N_("提出问题"), ""),
            ("projects.problems.resolved", N_("解决问题"), ""),
        ),
    ),
    (
        N_("信用"),
        (
            ("credit.commitments.made", N_("信用承诺"), ""),
            ("credit.commitments.fulfilled_share", N_("履约率"), "%"),
            ("credit.repairs.applications", N_("信用修复申请"), ""),
            ("credit.repairs.review_rate", N_("按时初审率"), "%"),
            ("credit.repairs.repaired_rate", N_("修复率"), "%"),
        ),
    ),
    (
        N_("政务服务"),
        (
            ("service_items.items", N_("服务事项"), ""),
            ("service_items.online_share", N_("网上办理占比"), "%"),
        ),
    ),
)


def _week_label(monday: date) -> str:
    return f"{monday.month:02d}-{monday.day:02d}"


def dashboard_charts(
    lang: str,
    figures: dict[str, Any],
    weeks: list[dict[str, Any]],
    late: list[dict[str, Any]],
    overdue: list[dict[str, Any]] | None,
) -> list[charts.Chart]:
    """The dashboard's charts, captions and labels in `lang`."""

    def t(message: str, **values: Any) -> str:
        return gettext(lang, message, **values)

    complaints = figures["complaints"]
    empty = t(N_("该期间没有数据"))
    by_status = complaints["by_status"]
    status_order = [s for s in vocab.STATUSES if s in by_status] + sorted(
        s for s in by_status if s not in vocab.STATUSES
    )
    out = [
        charts.bar_chart(
            "chart-status",
            t(N_("投诉举报按状态（截至期末）")),
            [(t(vocab.label(vocab.STATUSES, s)), int(by_status[s])) for s in status_order],
            category=t(N_("状态")),
            measure=t(N_("件数")),
            empty_text=empty,
        ),
        charts.bar_chart(
            "chart-kind",
            t(N_("本期登记的投诉举报按类型")),
            [(t(vocab.label(vocab.KINDS, k)), int(n)) for k, n in complaints["by_kind"].items()],
            category=t(N_("类型")),
            measure=t(N_("件数")),
            empty_text=empty,
        ),
    ]
    items = figures["service_items"]
    out.append(
        charts.share_chart(
            "chart-service",
            t(N_("政务服务事项：网上办理与线下办理")),
            [
                (t(N_("网上办理")), int(items["online"]), items["online_share"]),
                (t(N_("线下办理")), int(items["offline"]), items["offline_share"]),
            ],
            category=t(N_("办理方式")),
            count=t(N_("事项数")),
            share=t(N_("占比")),
            empty_text=t(N_("该期间没有完整记录的统计期")),
        )
    )
    out.append(
        charts.line_chart(
            "chart-weekly",
            t(N_("按周：按时答复率与满意率")),
            [_week_label(w["week"]) for w in weeks],
            [
                (t(N_("按时答复率")), [w["on_time_rate"] for w in weeks]),
                (t(N_("满意率")), [w["satisfied_share"] for w in weeks]),
            ],
            x_name=t(N_("周（自周一）")),
            empty_text=t(N_("该期间没有答复和评价")),
        )
    )
    out.append(
        charts.bar_chart(
            "chart-late",
            t(N_("逾期答复按部门")),
            [(str(r["department"]), int(r["late"])) for r in late],
            category=t(N_("部门")),
            measure=t(N_("逾期答复件数")),
            empty_text=t(N_("该期间没有逾期答复")),
        )
    )
    if overdue is not None:
        out.append(
            charts.bar_chart(
                "chart-overdue",
                t(N_("当前超期未答复按部门")),
                [(str(r["department"]), int(r["overdue"])) for r in overdue],
                category=t(N_("部门")),
                measure=t(N_("超期件数")),
                empty_text=t(N_("目前没有超期未答复的案件")),
            )
        )
    return out


# The query parameters of the period picker (the API's names; `from` is a Python word).
From = Annotated[str | None, QueryParameter(name="from", max_length=40)]
To = Annotated[str | None, QueryParameter(name="to", max_length=40)]
AsOf = Annotated[str | None, QueryParameter(name="as_of", max_length=40)]
Text = Annotated[str | None, QueryParameter(max_length=200)]


@get("/dashboard")
async def show_dashboard(
    request: Request[Actor, Any, Any], first: From = None, last: To = None, as_of: AsOf = None
) -> Response[Any]:
    actor, services = request.user, _services(request)
    _require(actor, DASHBOARD_ROLES, "read the dashboard")
    lang = language(request)
    chosen = read_period(request, services, first, last, as_of)
    tz = services.app.calendar.timezone
    start, end, _ = day_bounds(chosen.first, chosen.last, chosen.as_of, tz)

    async def by_week_and_department() -> tuple[Any, Any, Any]:
        async with services.pool.acquire() as conn:
            weeks = await trends.weekly(conn, start=start, end=end, tz=tz, first=chosen.first)
            late = await trends.late_replies_by_department(conn, start=start, end=end)
            # What is overdue now is the present's: not shown for a day in the past.
            overdue = (
                await trends.overdue_by_department(conn, now=services.now())
                if chosen.as_of is None
                else None
            )
            # Issue 15: a registered department by its name (its code otherwise).
            codes = [r["department"] for r in [*late, *(overdue or [])]]
            names = await department_names(conn, codes)
        for row in [*late, *(overdue or [])]:
            row["department"] = names.get(row["department"], row["department"])
        return weeks, late, overdue

    # The API's figures and the page's own on two connections at once: the page costs
    # about what the API's dashboard read costs (bench: dashboard_page).
    figures, (weeks, late, overdue) = await asyncio.gather(
        dashboard_figures(services, chosen.first, chosen.last, chosen.as_of),
        by_week_and_department(),
    )
    groups = [
        (heading, [_figure(figures, key, label, unit) for key, label, unit in shown])
        for heading, shown in FIGURE_GROUPS
    ]
    today = services.now().astimezone(tz).date()
    return page(
        request,
        "dashboard.html",
        {
            "period": chosen,
            "errors": chosen.errors,
            "figures": figures,
            "groups": groups,
            "charts": dashboard_charts(lang, figures, weeks, late, overdue),
            "year_start": date(today.year, 1, 1),
            "today": today,
            "month_start": today.replace(day=1),
        },
        actor=actor,
        status=422 if chosen.errors else 200,
        title=N_("监督看板"),
    )


# --- warnings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WarningRow:
    case_type: str
    case_id: str
    href: str | None
    title: str
    step: str
    level: str
    deadline: DeadlineState
    responsible: str
    responsible_kind: str
    escalated: bool
    escalation_level: int


WARNING_CASE_TYPES: Final[tuple[str, ...]] = ("complaint", "problem", "commitment", "credit_repair")
_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _warning_row(services: Services, r: dict[str, Any], now: datetime) -> WarningRow:
    base = labels.CASE_PATHS.get(r["case_type"])
    state = deadline_state(
        services.app.calendar, r["due_at"], now, provisional=bool(r["due_provisional"])
    )
    return WarningRow(
        case_type=r["case_type"],
        case_id=str(r["case_id"]),
        href=f"{base}/{r['case_id']}" if base else None,
        title=r["title"],
        step=r["step"],
        level=r["level"],
        deadline=state,
        responsible=r["responsible"] or "",
        responsible_kind=r["responsible_kind"],
        escalated=bool(r["escalated"]),
        escalation_level=int(r["escalation_level"] or 0),
    )


@get("/warnings")
async def show_warnings(
    request: Request[Actor, Any, Any],
    case_type: Text = None,
    level: Text = None,
    department: Text = None,
    cursor: Annotated[str | None, QueryParameter(max_length=500)] = None,
) -> Response[Any]:
    """Due-soon, overdue and escalated steps, escalated first then oldest deadline first
    (the API's `GET /api/v1/warnings`), filterable by case type, level and department
    (who must act: the API's `responsible`)."""
    actor, services = request.user, _services(request)
    _require(actor, WARNING_ROLES, "read warnings")
    lang = language(request)
    values = {
        "case_type": (case_type or "").strip(),
        "level": (level or "").strip(),
        "department": (department or "").strip(),
    }
    errors: list[FieldError] = []
    case_type = values["case_type"] or None
    if case_type is not None and case_type not in WARNING_CASE_TYPES:
        errors.append(FieldError("case_type", gettext(lang, N_("请选择案件类型"))))
        case_type = None
    level = values["level"] or None
    if level is not None and level not in labels.WARNING_LEVELS:
        errors.append(FieldError("level", gettext(lang, N_("请选择预警级别"))))
        level = None
    department = values["department"] or None
    if department is not None and _CODE.fullmatch(department) is None:
        errors.append(
            FieldError(
                "department",
                gettext(lang, N_("请输入部门代码，只能包含字母、数字、点、下划线和连字符")),
            )
        )
        department = None
    cursor = cursor or None
    try:
        after = decode_cursor(cursor) if cursor else None
    except ValueError:
        after = None
    now = services.now()
    due_soon_until = services.app.calendar.due_at(now, 1)
    async with services.pool.acquire() as conn:
        rows = await list_warnings(
            conn,
            now=now,
            due_soon_until=due_soon_until,
            level=level,
            case_type=case_type,
            responsible=department,
            limit=PAGE_SIZE + 1,
            after=after,
        )
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        names = await department_names(
            conn, [r["responsible"] for r in rows if r["responsible_kind"] == "department"]
        )
    next_url = None
    if more:
        kept = {k: v for k, v in values.items() if v and not errors}
        next_url = "/warnings?" + urlencode({"cursor": encode_cursor(rows[-1]), **kept})
    return page(
        request,
        "warnings.html",
        {
            "rows": [_warning_row(services, r, now) for r in rows],
            "department_names": names,
            "state": FormState(values=values, errors=errors),
            "errors": errors,
            "case_types": WARNING_CASE_TYPES,
            "labels": labels,
            "next_url": next_url,
            "first_page": cursor is None,
        },
        actor=actor,
        status=422 if errors else 200,
        title=N_("预警"),
    )


# --- the ranking ---------------------------------------------------------------------------


@get("/ranking")
async def show_ranking(
    request: Request[Actor, Any, Any], first: From = None, last: To = None
) -> Response[Any]:
    """Departments by on-time reply rate, then satisfaction, then volume (the API's
    `GET /api/v1/departments/ranking`), over a period (default the year to date)."""
    actor, services = request.user, _services(request)
    _require(actor, DASHBOARD_ROLES, "read the department ranking")
    lang = language(request)
    chosen = read_period(request, services, first, last)
    tz = services.app.calendar.timezone
    start, end, _ = day_bounds(chosen.first, chosen.last, None, tz)
    async with services.pool.acquire() as conn:
        items = await department_ranking(conn, start=start, end=end)
    chart = charts.bar_chart(
        "chart-ranking",
        gettext(lang, N_("各部门按时答复率")),
        [(str(r.get("department_name") or r["department"]), r["on_time_rate"]) for r in items],
        category=gettext(lang, N_("部门")),
        measure=gettext(lang, N_("按时答复率")),
        empty_text=gettext(lang, N_("该期间没有部门收到转办")),
        unit="%",
        top=100,
    )
    return page(
        request,
        "ranking.html",
        {
            "period": chosen,
            "errors": chosen.errors,
            "items": items,
            "chart": chart,
            "fmt": charts.format_value,
        },
        actor=actor,
        status=422 if chosen.errors else 200,
        title=N_("部门排名"),
    )


HANDLERS: Final[list[Any]] = [show_dashboard, show_warnings, show_ranking]
