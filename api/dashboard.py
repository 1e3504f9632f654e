"""The supervisor dashboard: the period's figures, as they stand or stood."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.errors import invalid
from api.export import csv_response, figures_as_rows, wants_csv
from api.guards import roles_guard
from api.inputs import check_day
from api.positions import wait_for_position
from api.representation import Representation
from api.services import Services
from domain.calendar import calendar_notice_at
from domain.service_statistics import PROVINCE
from domain.values import Actor, Role
from projections.dashboard import (
    complaint_figures,
    credit_figures,
    day_bounds,
    department_ranking,
    project_figures,
    resumption_figures,
    service_figures,
)

DASHBOARD_ROLES = frozenset({Role.SUPERVISOR, Role.INSPECTOR})
MAX_PERIOD_DAYS = 3660
_POSITION_OPT = {"request_headers": ("X-Min-Position",)}

Rate = Annotated[
    float | None,
    msgspec.Meta(description="A percentage rounded to two decimals; null with nothing to rate."),
]
Counts = Annotated[dict[str, int], msgspec.Meta(description="A count per value.")]
Interval = Annotated[str, msgspec.Meta(description="A reporting period, `YYYY-MM-DD/YYYY-MM-DD`.")]


class Figures(Representation, forbid_unknown_fields=True):
    """Base of the figure sets, built from the projections' dicts (`msgspec.convert`): a
    figure the projections add and these do not name fails loudly, never silently."""


class Period(Figures):
    """The local (Beijing) days counted, and `as_of` when the figures are as they stood."""

    from_: date = msgspec.field(name="from")
    to: date
    as_of: date | None


class Acceptance(Figures):
    accepted: int
    within_1_working_day: int
    rate: Rate


class Replies(Figures):
    replied: int
    on_time: int
    rate: Rate
    average_handling_working_days: float | None


class Satisfaction(Figures):
    distribution: Annotated[Counts, msgspec.Meta(description="Ratings per level.")]
    rated: int
    satisfied_share: Rate


class ComplaintFigures(Figures):
    """Complaints: statuses at the end of the period (or `as_of`), the rest in it."""

    by_status: Counts
    by_kind: Counts
    by_category: Counts
    by_channel: Counts
    by_department: Annotated[Counts, msgspec.Meta(description="Transfers per department.")]
    lodged: int
    closed: int
    rejected: int
    withdrawn: int
    open: int
    acceptance: Acceptance
    replies: Replies
    satisfaction: Satisfaction
    redone: int
    supervision_notices: int
    reminders: int
    escalations: int
    department_names: Annotated[
        dict[str, str],
        msgspec.Meta(description="The name of each department code in `by_department`."),
    ]


class ProblemFigures(Figures):
    raised: int
    coordinated: int
    escalated: int
    resolved: int
    unresolvable: int
    by_status: Counts


class ProjectFigures(Figures):
    """Major projects."""

    registered: int
    by_class: Counts
    class_share: Annotated[dict[str, float | None], msgspec.Meta(description="Percent.")]
    resumption_rate: Rate
    with_leader_contact: int
    task_forces: int
    chief_service_officers: int
    problems: ProblemFigures
    projects_with_coordinated_problems: int
    projects_with_resolved_problems: int


class CommitmentFigures(Figures):
    made: int
    fulfilled: int
    breached: int
    exempted: int
    revoked: int
    went_overdue: int
    fulfilled_share: Rate
    by_status: Counts


class RepairFigures(Figures):
    applications: int
    reviewed: int
    reviewed_within_1_working_day: int
    review_rate: Rate
    outcomes: int
    repaired: int
    repaired_rate: Rate
    by_status: Counts


class CreditFigures(Figures):
    """Credit commitments and credit repairs."""

    commitments: CommitmentFigures
    repairs: RepairFigures


class ServiceItemFigures(Figures):
    """Government service items of the reporting periods inside the range."""

    scope: str
    periods: Annotated[list[Interval], msgspec.Meta(description="The periods counted.")]
    overlapping: list[Interval]
    partly_outside: list[Interval]
    items: int
    online: int
    offline: int
    online_share: Rate
    offline_share: Rate


class ResumptionFigure(Figures):
    """The latest reporting period inside the range (rates are never summed)."""

    period: Interval | None
    resumed: int | None
    required: int | None
    rate: Rate
    partly_outside: list[Interval]


class ResumptionFigures(Figures):
    scope: str
    industrial: ResumptionFigure
    foreign_trade: ResumptionFigure


class CalendarNotice(Figures):
    """Years that matter with no official holiday schedule yet (docs/calendar.md)."""

    notice: str | None
    provisional_years: list[int]


class Dashboard(Figures, omit_defaults=True):
    """The supervisor dashboard's figures (`calendar` is left out of the CSV)."""

    period: Period
    complaints: ComplaintFigures
    projects: ProjectFigures
    credit: CreditFigures
    service_items: ServiceItemFigures
    resumption: ResumptionFigures
    calendar: CalendarNotice | None = None


class RankedDepartment(Figures):
    department: str
    received: int
    replied: int
    on_time_rate: Rate
    average_handling_working_days: float | None
    rated: int
    satisfied_share: Rate
    redone: int
    rank: Annotated[int, msgspec.Meta(ge=1, description="Its place, 1 for the first.")]
    department_name: Annotated[
        str | None, msgspec.Meta(description="Null for a code that is not registered.")
    ]


class DepartmentRanking(Representation):
    """Departments by on-time reply rate, then satisfied share, then volume."""

    from_: date = msgspec.field(name="from")
    to: date
    items: list[RankedDepartment]


def period(
    services: Services, first: date | None, last: date | None, as_of: date | None = None
) -> tuple[date, date]:
    """The local days [from, to]; without both, the year to date in the bureau's time
    zone: 1 January to today there (or to `as_of`, when given)."""
    for name, day in (("from", first), ("to", last), ("as_of", as_of)):
        if day is not None:
            check_day(name, day)
    if first is None and last is None:
        last = as_of or services.now().astimezone(services.app.calendar.timezone).date()
        first = date(last.year, 1, 1)
    elif first is None or last is None:
        missing, given = ("to", "from") if last is None else ("from", "to")
        raise invalid(
            missing,
            f"is required with {given}: a date, YYYY-MM-DD (give neither for the year to date)",
        )
    if last < first:
        raise invalid("to", "must not be before from")
    if (last - first).days > MAX_PERIOD_DAYS:
        raise invalid("to", "a period is at most ten years")
    return first, last


async def dashboard_figures(
    services: Services, first: date, last: date, as_of: date | None, scope: str = PROVINCE
) -> dict[str, Any]:
    """The figures of the local days [first, last] (as they stood at the end of `as_of`,
    when given): the API's dashboard and the dashboard page (api/pages/) both read them
    here, so the page shows the API's figures."""
    tz = services.app.calendar.timezone
    start, end, status_day = day_bounds(first, last, as_of, tz)
    # Figures recorded after the period (service statistics) count unless as_of cuts them.
    known_by = (
        day_bounds(as_of, as_of, None, tz)[1] - timedelta(microseconds=1)
        if as_of
        else services.now()
    )
    async with services.pool.acquire() as conn:
        return {
            "period": {"from": first, "to": last, "as_of": as_of},
            "complaints": await complaint_figures(
                conn, start=start, end=end, status_day=status_day
            ),
            "projects": await project_figures(conn, start=start, end=end, status_day=status_day),
            "credit": await credit_figures(conn, start=start, end=end, status_day=status_day),
            "service_items": await service_figures(
                conn, first=first, last=last, recorded_before=known_by, scope=scope
            ),
            "resumption": await resumption_figures(
                conn, first=first, last=last, recorded_before=known_by, scope=scope
            ),
        }


@get(
    "/",
    guards=[roles_guard(DASHBOARD_ROLES, "read the dashboard")],
    opt={**_POSITION_OPT, "csv": "figures"},
)
async def dashboard(
    request: Request[Actor, Any, Any],
    services: NamedDependency[Services],
    first: Annotated[date | None, QueryParameter(name="from")] = None,
    last: Annotated[date | None, QueryParameter(name="to")] = None,
    as_of: Annotated[date | None, QueryParameter(name="as_of")] = None,
    # `scope` itself is Litestar's reserved name for the ASGI scope.
    statistics_scope: Annotated[
        str,
        QueryParameter(name="scope", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$"),
    ] = PROVINCE,
) -> Response[Dashboard]:
    """Figures for the local days [from, to] (default: the current year to date in the
    bureau's time zone); with `as_of`, as they stood at the end of that day (events after
    it are left out). `scope`: whose recorded statistics (default the province's)."""
    first, last = period(services, first, last, as_of)
    await wait_for_position(services, request)
    figures = await dashboard_figures(services, first, last, as_of, statistics_scope)
    if wants_csv(request):
        rows = figures_as_rows(figures, request)
        return csv_response(rows, f"dashboard-{first}-{last}", request)  # type: ignore[return-value]
    # Issue 11: a year that matters (from 1 November the next one) has no official
    # holiday schedule yet, so deadlines in it are provisional (docs/calendar.md).
    now, tz = services.now(), services.app.calendar.timezone
    figures["calendar"] = {
        "notice": calendar_notice_at(services.app.calendar, now),
        "provisional_years": list(services.app.calendar.missing_years(now.astimezone(tz).date())),
    }
    return Response(msgspec.convert(figures, Dashboard, from_attributes=True))


@get(
    "/ranking",
    guards=[roles_guard(DASHBOARD_ROLES, "read the department ranking")],
    opt={**_POSITION_OPT, "csv": True},
)
async def ranking(
    request: Request[Actor, Any, Any],
    services: NamedDependency[Services],
    first: Annotated[date | None, QueryParameter(name="from")] = None,
    last: Annotated[date | None, QueryParameter(name="to")] = None,
) -> DepartmentRanking:
    """Departments by on-time rate, satisfaction and volume over the local days [from, to]
    (default: the current year to date in the bureau's time zone)."""
    first, last = period(services, first, last)
    start, end, _ = day_bounds(first, last, None, services.app.calendar.timezone)
    await wait_for_position(services, request)
    async with services.pool.acquire() as conn:
        items = await department_ranking(conn, start=start, end=end)
    return DepartmentRanking(
        from_=first, to=last, items=[msgspec.convert(i, RankedDepartment) for i in items]
    )


departments_router = Router(
    path="/api/v1/departments", route_handlers=[ranking], tags=["dashboard"]
)


router = Router(path="/api/v1/dashboard", route_handlers=[dashboard], tags=["dashboard"])
