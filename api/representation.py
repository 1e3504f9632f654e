"""How cases, their histories and list rows look over HTTP: the response bodies every
case type shares, and the one rule every body keeps for time.

Every response body is a msgspec Struct deriving from `Representation`, so the OpenAPI
document describes it exactly (api/contract.py) and a type checker follows each field
from the aggregate or the view row. Each case type's own bodies (its read body, its list
row and page) live in its API module; the answer to a command is the read body plus
`position` (api/cases.py `answer_type`).

Time (docs/api.md "Conventions"): every instant in a body is RFC 3339 in UTC with `Z`
(`2024-09-24T09:30:00Z`, fractions of a second only when there are any); dates stay
dates (`2024-09-24`). `Representation` turns each instant field to UTC when the body is
built; `plain` does the same for the free-form values of events and timelines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Annotated, Any
from uuid import UUID

import msgspec
import msgspec.inspect

from domain.cases import CaseType
from domain.public_course import ShownActor, course_events, course_for
from domain.values import Actor, Role

# Fields every body names the same way, described once.
CaseId = Annotated[UUID, msgspec.Meta(description="The case's id.")]
Version = Annotated[
    int,
    msgspec.Meta(
        ge=1, description="The case's version: its number of events, as in the `ETag` header."
    ),
]
Position = Annotated[
    int,
    msgspec.Meta(
        ge=1,
        description=(
            "The notification position of the command's last event (also `X-Position`):"
            " pass it as `X-Min-Position` to a list that must show this write."
        ),
    ),
]
Cursor = Annotated[
    str | None,
    msgspec.Meta(
        description=(
            "Pass it back as `cursor` for the next page; null on the last page."
            " Opaque: only a cursor this API returned is accepted."
        )
    ),
]

# An instant in a body: RFC 3339 in UTC with `Z`, as the document states it.
INSTANT_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z$"
Instant = Annotated[datetime, msgspec.Meta(tz=True, extra_json_schema={"pattern": INSTANT_PATTERN})]

_ZERO = timedelta(0)


def utc(instant: datetime) -> datetime:
    """`instant` in UTC (the body's one time zone); a naive value is left as it is."""
    offset = instant.utcoffset()
    if offset is None or (offset == _ZERO and instant.tzinfo is UTC):
        return instant
    return instant.astimezone(UTC)


@cache
def _instant_fields(cls: type[msgspec.Struct]) -> tuple[str, ...]:
    """The attributes of `cls` that hold an instant (a datetime, or None)."""
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)

    def instant(t: Any) -> bool:
        if isinstance(t, msgspec.inspect.Metadata):
            return instant(t.type)
        if isinstance(t, msgspec.inspect.UnionType):
            return any(instant(u) for u in t.types)
        return isinstance(t, msgspec.inspect.DateTimeType)

    return tuple(f.name for f in info.fields if instant(f.type))


class Representation(msgspec.Struct):
    """Base of every response body: its instants are shown in UTC (`Z`)."""

    def __post_init__(self) -> None:
        for name in _instant_fields(type(self)):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, utc(value))


# An RFC 3339 date-time with an offset, as the domain writes instants into free-form
# values (timeline states): "2024-09-24T17:30:00+08:00".
_INSTANT_TEXT = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})"
)


def plain(value: Any) -> Any:
    """A free-form value (an event's data, a timeline's before and after) as JSON
    values, with every instant in UTC: datetimes, and text that is exactly an RFC 3339
    date-time with an offset (the domain's timeline states hold instants as text; the
    instant is the same, only its offset changes)."""
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, str):
        if len(value) >= 20 and value[4] == "-" and _INSTANT_TEXT.fullmatch(value):
            return utc(datetime.fromisoformat(value))
        return value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bool | int | float | date) or value is None:
        return value
    return plain(msgspec.to_builtins(value, builtin_types=(datetime, date)))


class ActorOut(Representation):
    """Who acted. Staff shown to an enterprise, and the complainant's side shown to a
    department on a confidential case, have `id` (and `org`) null."""

    id: Annotated[str | None, msgspec.Meta(description="The user id (the token's `sub`).")]
    role: Role
    org: Annotated[
        str | None,
        msgspec.Meta(description="The organisation acted for: a credit code or a department code."),
    ]


def actor_body(actor: Actor | ShownActor, *, hidden: bool = False) -> ActorOut:
    """Who acted, as every body shows it. `hidden`: the complainant's identity must not
    show (enterprise users, and whoever lodged a confidential case, are masked). A
    `ShownActor` (the public course) may have no id."""
    if hidden:
        return ActorOut(id=None, role=actor.role, org=None)
    return ActorOut(id=actor.id, role=actor.role, org=actor.org)


def maybe_actor(actor: Actor | ShownActor | None) -> ActorOut | None:
    """`actor_body`, or None for nobody yet."""
    return None if actor is None else actor_body(actor)


class HistoryEvent(Representation):
    """One event of a case as the viewer sees it."""

    version: Version
    type: Annotated[str, msgspec.Meta(description="The event's name, e.g. `Lodged`.")]
    at: Instant
    actor: ActorOut
    data: Annotated[
        dict[str, Any],
        msgspec.Meta(description="The event's fields the viewer may see (by event type)."),
    ]


class CaseHistory(Representation):
    """A case's events, oldest first: every event for the bureau, the public course for
    an enterprise (docs/api.md)."""

    id: CaseId
    version: Annotated[
        int, msgspec.Meta(ge=1, description="The last version the viewer sees (the `ETag`).")
    ]
    events: list[HistoryEvent]


# Event fields that name the complainant, masked for whom the case hides it: the lodged
# complainant, and the enterprise a clerk recorded a phone rating for (issue 11 §5).
_IDENTIFYING = frozenset({"complainant", "recorded_for"})


def identifies_complainant(event: Any) -> bool:
    return event.actor.role is Role.ENTERPRISE or event.originator_version == 1


def history_body(
    case_type: CaseType[Any, Any], case: Any, events: Sequence[Any], viewer: Actor
) -> list[HistoryEvent]:
    """Every event the viewer sees (an enterprise: the public course, domain/public_course.py),
    with the confidential masking for a department."""
    hidden = case_type.hides_identity(viewer, case)
    entries = []
    for e in course_events(course_for(case_type, viewer.role), events):
        data = e.data
        if hidden:
            data = {k: None if k in _IDENTIFYING else v for k, v in data.items()}
        entries.append(
            HistoryEvent(
                version=e.version,
                type=e.type,
                at=e.at,
                actor=actor_body(e.actor, hidden=hidden and identifies_complainant(e.event)),
                data=plain(data),
            )
        )
    return entries


class OrganisationOut(Representation):
    """An enterprise as a body names it."""

    name: str
    credit_code: Annotated[
        str, msgspec.Meta(description="The unified social credit code (GB 32100-2015).")
    ]
