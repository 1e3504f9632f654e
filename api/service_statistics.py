"""Statistics per reporting period and scope (/api/v1/service-statistics): government
service items and resumption rates, recorded once per kind, scope and period, corrected
with a reason, and listed.

A second record of a period is 409 naming the record and its correction move (`correct`
in the error body, and a `Link` header), also when two arrive at the same moment.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter

from api.cases import answers, case_router, command_response, in_thread
from api.errors import error_response
from api.guards import roles_check, roles_guard
from api.lists import CURSOR_DOC, LIST_OPT, CursorKey, list_page
from api.representation import CaseId, Cursor, Instant, Representation, Version
from api.services import Services
from domain.errors import ConcurrentUpdate
from domain.service_statistics import (
    ALL_FIGURES,
    FIGURES,
    SERVICE_STATISTICS,
    PeriodAlreadyRecorded,
    RecordServiceStatistics,
    ServiceStatistics,
    StatisticsKind,
    statistics_id,
)
from domain.values import Actor
from projections import case_facts
from projections.dashboard import percent

BASE = f"/api/v1/{SERVICE_STATISTICS.plural}"


class ServiceStatisticsRead(Representation):
    """A period's recorded statistics, as they stand (every correction kept in the
    history). The kind's two figures are set; the other two are null."""

    id: CaseId
    version: Version
    kind: StatisticsKind
    scope: Annotated[
        str, msgspec.Meta(description="`province`, or a code such as a city's division code.")
    ]
    period_start: date
    period_end: date
    online: Annotated[int | None, msgspec.Meta(description="Service items handled online.")]
    offline: int | None
    resumed: Annotated[int | None, msgspec.Meta(description="Enterprises resumed (opened).")]
    required: Annotated[int | None, msgspec.Meta(description="Of the enterprises required.")]
    total: Annotated[int | None, msgspec.Meta(description="Service items: online + offline.")]
    rate: Annotated[
        float | None,
        msgspec.Meta(description="Resumption: resumed / required, in percent (two decimals)."),
    ]
    corrections: int
    recorded_at: Instant
    updated_at: Instant


class ServiceStatisticsPage(Representation):
    """A page of records, the latest reporting period first."""

    items: list[ServiceStatisticsRead]
    next_cursor: Cursor


def present(stats: ServiceStatistics, viewer: Actor) -> ServiceStatisticsRead:
    service = stats.kind is StatisticsKind.SERVICE_ITEMS
    return ServiceStatisticsRead(
        id=stats.id,
        version=stats.version,
        kind=stats.kind,
        scope=stats.scope,
        period_start=stats.period_start,
        period_end=stats.period_end,
        **stats.figures,
        # service items: online + offline; resumption: resumed / required, in percent
        total=(stats.online or 0) + (stats.offline or 0) if service else None,
        rate=None if service else percent(stats.resumed or 0, stats.required or 0),
        corrections=stats.corrections,
        recorded_at=stats.created_on,
        updated_at=stats.modified_on,
    )


def row_body(row: dict[str, Any]) -> ServiceStatisticsRead:
    service = row["kind"] == StatisticsKind.SERVICE_ITEMS
    return ServiceStatisticsRead(
        id=row["id"],
        version=row["version"],
        kind=StatisticsKind(row["kind"]),
        scope=row["scope"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        **{name: row[name] for name in ALL_FIGURES},
        total=(row["online"] or 0) + (row["offline"] or 0) if service else None,
        rate=None if service else percent(row["resumed"] or 0, row["required"] or 0),
        corrections=row["corrections"],
        recorded_at=row["recorded_at"],
        updated_at=row["updated_at"],
    )


# The list's order: the reporting period, then the id (projections/case_facts.py).
PERIOD_KEY = CursorKey("date", "date", "uuid")
PeriodCursor = Annotated[
    str | None, QueryParameter(pattern=PERIOD_KEY.pattern, description=CURSOR_DOC)
]


@post(
    "/",
    before_request=roles_check(SERVICE_STATISTICS.create_roles, "record service statistics"),
    summary="Record a period's statistics (once per kind, scope and period)",
    status_code=201,
    opt={
        "response_headers": ("ETag", "X-Position", "Location"),
        "statuses": {
            409: "The period is recorded already (`already-recorded`: the problem names the"
            " record, its version and its correction move, also in `Link`)."
        },
        "error_headers": ("Link",),
        "body_examples": {
            "service items": {
                "kind": "service_items",
                "scope": "province",
                "period_start": "2024-07-01",
                "period_end": "2024-09-30",
                "online": 120345,
                "offline": 23456,
                "note": "第三季度政务服务事项办理量",
            },
            "resumption": {
                "kind": "industrial_resumption",
                "scope": "230100",
                "period_start": "2024-09-01",
                "period_end": "2024-09-30",
                "resumed": 1180,
                "required": 1200,
            },
        },
    },
)
async def create_service_statistics(
    request: Request[Actor, Any, Any],
    data: JSONBody[RecordServiceStatistics],
    services: NamedDependency[Services],
) -> Response[Any]:
    app, actor = services.app, request.user
    try:
        result = await in_thread(
            partial(app.create, SERVICE_STATISTICS, actor, services.now(), data)
        )
    except ConcurrentUpdate:
        # Another record of this period was stored between our look and our save (the id
        # is the period's, so the store refused ours): answer as if we had seen it.
        existing = statistics_id(data.kind, data.scope, data.period_start, data.period_end)
        stats = await in_thread(partial(app.read, SERVICE_STATISTICS, existing, actor))
        raise PeriodAlreadyRecorded(
            existing, stats.version, data.kind, data.scope, data.period_start, data.period_end
        ) from None
    return command_response(SERVICE_STATISTICS, present, result, actor, status=201)


create_service_statistics.fn.__annotations__["return"] = answers(present)


@get(
    "/",
    guards=[roles_guard(SERVICE_STATISTICS.read_roles, "list service statistics")],
    opt=LIST_OPT,
)
async def list_service_statistics(
    request: Request[Actor, Any, Any],
    services: NamedDependency[Services],
    kind: FromQuery[StatisticsKind | None] = None,
    # `scope` itself is Litestar's reserved name for the ASGI scope.
    statistics_scope: Annotated[str | None, QueryParameter(name="scope")] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    cursor: PeriodCursor = None,
) -> ServiceStatisticsPage:
    """Every record as it stands, the latest reporting period first; `next_cursor`
    pages on."""
    fetch = partial(
        case_facts.list_statistics, kind=kind.value if kind else None, scope=statistics_scope
    )
    return await list_page(
        request,
        services,
        ServiceStatisticsPage,
        cursor=cursor,
        decode=PERIOD_KEY.decode,
        limit=limit,
        fetch=fetch,
        body=row_body,
        encode=lambda row: PERIOD_KEY.encode(row["period_start"], row["period_end"], row["id"]),
    )


def already_recorded(request: Request[Any, Any, Any], exc: PeriodAlreadyRecorded) -> Response[Any]:
    """409 naming the record of that period and how to correct it (RFC 9457 extension
    members `existing`, `correct`, `version`, `figures`; RFC 8288 links)."""
    existing = f"{BASE}/{exc.statistics_id}"
    correct = f"{existing}/correct"
    answer = error_response(
        request,
        409,
        "already-recorded",
        "Period already recorded",
        str(exc),
        headers={"Link": f'<{existing}>; rel="duplicate", <{correct}>; rel="edit"'},
    )
    assert isinstance(answer.content, dict)
    answer.content.update(
        existing=existing,
        correct=correct,
        version=exc.version,
        figures=list(FIGURES[exc.kind]),
    )
    return answer


router = Router(
    path="/",
    route_handlers=[
        case_router(
            SERVICE_STATISTICS,
            present,
            extra=[create_service_statistics, list_service_statistics],
            with_create=False,
            examples={"correct": {"reason": "更正统计口径", "online": 120400, "offline": 23401}},
        )
    ],
    exception_handlers={PeriodAlreadyRecorded: already_recorded},
)
