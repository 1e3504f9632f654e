"""The supervisor dashboard: the period's figures, as they stand or stood."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from litestar import Request, Response, Router, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from api.errors import invalid
from api.export import csv_response, figures_as_rows, wants_csv
from api.guards import roles_guard
from api.inputs import check_day
from api.positions import wait_for_position
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


@get("/", guards=[roles_guard(DASHBOARD_ROLES, "read the dashboard")])
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
) -> Response[Any]:
    """Figures for the local days [from, to] (default: the current year to date in the
    bureau's time zone); with `as_of`, as they stood at the end of that day (events after
    it are left out). `scope`: whose recorded statistics (default the province's)."""
    first, last = period(services, first, last, as_of)
    await wait_for_position(services, request)
    figures = await dashboard_figures(services, first, last, as_of, statistics_scope)
    if wants_csv(request):
        return csv_response(figures_as_rows(figures), f"dashboard-{first}-{last}")
    # Issue 11: a year that matters (from 1 November the next one) has no official
    # holiday schedule yet, so deadlines in it are provisional (docs/calendar.md).
    now, tz = services.now(), services.app.calendar.timezone
    figures["calendar"] = {
        "notice": calendar_notice_at(services.app.calendar, now),
        "provisional_years": list(services.app.calendar.missing_years(now.astimezone(tz).date())),
    }
    return Response(figures)


@get("/ranking", guards=[roles_guard(DASHBOARD_ROLES, "read the department ranking")])
async def ranking(
    request: Request[Actor, Any, Any],
    services: NamedDependency[Services],
    first: Annotated[date | None, QueryParameter(name="from")] = None,
    last: Annotated[date | None, QueryParameter(name="to")] = None,
) -> Response[Any]:
    """Departments by on-time rate, satisfaction and volume over the local days [from, to]
    (default: the current year to date in the bureau's time zone)."""
    first, last = period(services, first, last)
    start, end, _ = day_bounds(first, last, None, services.app.calendar.timezone)
    await wait_for_position(services, request)
    async with services.pool.acquire() as conn:
        items = await department_ranking(conn, start=start, end=end)
    return Response({"from": first, "to": last, "items": items})


departments_router = Router(
    path="/api/v1/departments", route_handlers=[ranking], tags=["dashboard"]
)


router = Router(path="/api/v1/dashboard", route_handlers=[dashboard], tags=["dashboard"])
