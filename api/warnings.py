"""Warnings (预警): deadlines close or past, with who must act, oldest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
import msgspec
from litestar import Request, Router, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.guards import roles_guard
from api.inputs import INT64_MAX
from api.lists import CURSOR_DOC, LIST_OPT, CursorKey, list_page
from api.representation import Cursor, Instant, Representation
from api.services import Services
from domain.values import Actor, Role
from projections.warnings import list_warnings

WARNING_ROLES = frozenset({Role.SUPERVISOR, Role.INSPECTOR, Role.CLERK})
Level = Literal["due_soon", "overdue"]
# The warnings' order: escalated first, then by deadline, ties by case id.
WARNING_KEY = CursorKey("flag", "instant", "uuid")
WarningCursor = Annotated[
    str | None, QueryParameter(pattern=WARNING_KEY.pattern, description=CURSOR_DOC)
]


class Responsible(Representation):
    """Who must act: `bureau` (`intake` or `supervision`), a `department` by code, an
    `enterprise` by credit code, ..."""

    kind: str
    id: str | None


class WarningEscalation(Representation):
    """How many times the step was escalated, and when last (null when unknown)."""

    level: int
    at: Instant | None


class DeadlineWarning(Representation):
    """A deadline close (`due_soon`, yellow) or past (`overdue`, red)."""

    case_type: Annotated[str, msgspec.Meta(description="The case type's name (`complaint`).")]
    case_id: UUID
    title: str
    step: str
    due_at: Instant
    due_provisional: bool
    level: Level
    responsible: Responsible
    escalated: Annotated[
        bool, msgspec.Meta(description="Escalated to the supervisors (listed first).")
    ]
    escalation: WarningEscalation


class WarningPage(Representation):
    """A page of warnings: escalated steps first, then oldest deadline first."""

    items: list[DeadlineWarning]
    next_cursor: Cursor
    as_of: Annotated[datetime, msgspec.Meta(description="The instant the levels are for.")]
    due_soon_until: Annotated[
        datetime, msgspec.Meta(description="Deadlines up to it are `due_soon`.")
    ]


@get("/", guards=[roles_guard(WARNING_ROLES, "read warnings")], opt=LIST_OPT)
async def warnings(
    request: Request[Actor, Any, Any],
    services: NamedDependency[Services],
    level: FromQuery[Level | None] = None,
    case_type: FromQuery[str | None] = None,
    responsible: FromQuery[str | None] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    # The query adds offset and limit in bigint: leave room for the largest limit.
    offset: Annotated[int, QueryParameter(ge=0, le=INT64_MAX - 1001)] = 0,
    cursor: WarningCursor = None,
) -> WarningPage:
    """`overdue` (red): the deadline has passed; `due_soon` (yellow): it falls by the end
    of the next working day. Escalated steps first, then oldest deadline first;
    `next_cursor` pages on."""
    now = services.now()
    due_soon_until = services.app.calendar.due_at(now, 1)

    def fetch(
        conn: asyncpg.Connection, *, limit: int, cursor: tuple[bool, datetime, UUID] | None
    ) -> Any:
        return list_warnings(
            conn,
            now=now,
            due_soon_until=due_soon_until,
            level=level,
            case_type=case_type,
            responsible=responsible,
            limit=limit,
            offset=offset,
            after=cursor,
        )

    return await list_page(
        request,
        services,
        WarningPage,
        cursor=cursor,
        decode=WARNING_KEY.decode,
        limit=limit,
        fetch=fetch,
        body=_warning_body,
        encode=lambda r: WARNING_KEY.encode(r["escalated"], r["due_at"], r["case_id"]),
        extra={"as_of": now, "due_soon_until": due_soon_until},
    )


def _warning_body(r: dict[str, Any]) -> DeadlineWarning:
    return DeadlineWarning(
        case_type=r["case_type"],
        case_id=r["case_id"],
        title=r["title"],
        step=r["step"],
        due_at=r["due_at"],
        due_provisional=r["due_provisional"],
        level=r["level"],
        responsible=Responsible(kind=r["responsible_kind"], id=r["responsible"]),
        # The deadline was escalated to the supervisors (listed first); the level is
        # how many times the step was, and `at` the last time (null when unknown).
        escalated=r["escalated"],
        escalation=WarningEscalation(level=r["escalation_level"], at=r["escalated_at"]),
    )


router = Router(path="/api/v1/warnings", route_handlers=[warnings], tags=["warnings"])
