"""The inspector's pages (issue 17): a case's timeline (`/cases/{id}/timeline`, 时间线,
and the same for the other case types under their own paths), the case as it stood at
a version (the slider labelled 版本) or an instant (截至时间), its replay (回放: the
API's server-sent events, played in the page by timeline.js), its evidence bundle
(证据包: the API's, downloaded, and 验证 in the browser by verify.js) and the audit
trail (`/audit`, 审计记录).

The timeline's entries are the API's (`api.inspection.timeline_entries`: who, when,
what changed, masked as the API masks them); the "why" of each is the reason or note
its event carries. The case as it stood is `Oversight.read(version=…)` or
`read(as_of=…)`, as `GET /api/v1/{cases}/{id}?version=…` reads it. The audit trail is
the API's query (projections/audit_trail.py) with its filters and paging.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Annotated, Any, Final
from urllib.parse import urlencode
from uuid import UUID

import msgspec
from litestar import Request, Response, get
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, QueryParameter

from api.audit import AUDIT_ROLES
from api.cases import in_thread
from api.inputs import EARLIEST_DAY, LATEST_DAY
from api.inspection import BUNDLE_ROLES, timeline_entries
from api.pages import labels, registers, vocab
from api.pages.filters import Filters
from api.pages.forms import FieldError
from api.pages.i18n import N_, gettext
from api.pages.registers import Detail
from api.pages.render import language, page
from api.services import Services
from domain.cases import AnyCaseType
from domain.complaint_case import COMPLAINT
from domain.errors import CaseNotFound
from domain.timeline import fold
from domain.values import Actor, Role
from projections.audit_trail import query_audit_trail

TIMELINE_ROLES: Final = frozenset({Role.SUPERVISOR, Role.INSPECTOR})
AUDIT_PAGE_SIZE: Final[int] = 50
# The reasons an event may carry, in the order looked for.
_WHY: Final[tuple[str, ...]] = ("reason", "note", "comment")
_LOCAL_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}")
_ACTOR = re.compile(r"[^\x00-\x1f]{1,200}")


def _services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


@dataclass(frozen=True)
class Inspected:
    """A case type on the inspector's pages: where its pages are."""

    case_type: AnyCaseType
    path: str  # the page path of its cases: /cases, /projects ...
    statuses: dict[str, str]


INSPECTED: Final[tuple[Inspected, ...]] = (
    Inspected(COMPLAINT, "/cases", vocab.STATUSES),
    *(Inspected(r.case_type, r.path, dict(r.statuses)) for r in registers.RECORDS.values()),
)


def event_name(case_type: str, event_type: str) -> str:
    """The msgid of an event (the complaint's are part 1's names)."""
    if case_type == "complaint" and event_type in vocab.EVENTS:
        return vocab.EVENTS[event_type]
    return labels.EVENTS.get(event_type) or vocab.EVENTS.get(event_type) or event_type


@dataclass(frozen=True)
class Change:
    field: str  # msgid of the field, or its name
    before: str
    after: str


@dataclass(frozen=True)
class Entry:
    version: int
    what: str  # msgid
    at: datetime
    role: str  # msgid
    who: str | None  # the actor's id (and organisation)
    why: str | None
    status: str  # msgid of the status after this version
    changes: list[Change]


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, ensure_ascii=False, sort_keys=True)[:300]
    return str(value)[:300]


def _why(event: Any) -> str | None:
    for name in _WHY:
        value = getattr(event, name, None)
        if isinstance(value, str) and value.strip():
            return value
    return None


def entries_of(inspected: Inspected, case: Any, events: list[Any], viewer: Actor) -> list[Entry]:
    api_entries = timeline_entries(inspected.case_type, case, events, viewer)
    statuses = {
        event.originator_version: after.get("status") for event, _, _, after in fold(events)
    }
    whys = {event.originator_version: _why(event) for event in events}
    out = []
    for entry in api_entries:
        # The API's entries, as plain values (a msgspec Struct since issue 14).
        e: dict[str, Any] = entry if isinstance(entry, dict) else msgspec.to_builtins(entry)
        actor = e["actor"] or {}
        role = actor.get("role")
        who = " ".join(str(p) for p in (actor.get("id"), actor.get("org")) if p) or None
        status = statuses.get(e["version"])
        out.append(
            Entry(
                version=e["version"],
                what=event_name(inspected.case_type.name, e["type"]),
                at=datetime.fromisoformat(e["at"]),
                role=vocab.ROLES.get(role, role or "") if role else "",
                who=who,
                why=whys.get(e["version"]),
                status=labels.name_of(inspected.statuses, status) if status else "",
                changes=[
                    Change(
                        labels.CHANGED_FIELDS.get(c["field"], c["field"]),
                        _shown(c["before"]),
                        _shown(c["after"]),
                    )
                    for c in e["changes"]
                ],
            )
        )
    return out


@dataclass
class AsStood:
    """The case as it stood at a version or an instant."""

    version: int | None  # None: it did not exist yet at that instant
    status: str  # msgid
    details: list[Detail] = field(default_factory=list)


def _complaint_details(case: Any) -> list[Detail]:
    out = [
        Detail(N_("类型"), vocab.label(vocab.KINDS, case.kind), label_value=True),
        Detail(N_("标题"), case.title),
    ]
    if case.department:
        out.append(Detail(N_("承办部门"), case.department))
    if case.current_step:
        out.append(
            Detail(N_("当前环节"), vocab.label(vocab.STEPS, case.current_step), label_value=True)
        )
    current = case.current_deadline
    if current is not None:
        out.append(Detail(N_("期限"), time=current[1]))
    if case.reply:
        out.append(Detail(N_("答复内容"), case.reply, long=True))
    return out


def as_stood(inspected: Inspected, case: Any) -> AsStood:
    status = labels.name_of(inspected.statuses, case.status)
    if inspected.case_type is COMPLAINT:
        details = _complaint_details(case)
    else:
        record = next(r for r in registers.RECORDS.values() if r.case_type is inspected.case_type)
        details = record.details(case)
    return AsStood(case.version, status, details)


def _parse_id(case_id: str) -> UUID:
    try:
        return UUID(case_id)
    except ValueError:
        raise NotFoundException(f"no case {case_id!r}") from None


def _local_instant(services: Services, raw: str) -> datetime | None:
    """A `datetime-local` value (Beijing time, as the field shows it) as an instant."""
    if _LOCAL_INSTANT.fullmatch(raw) is None:
        return None
    try:
        local = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if not EARLIEST_DAY <= local.date() <= LATEST_DAY:
        return None
    return local.replace(tzinfo=services.app.calendar.timezone)


async def show_timeline(
    request: Request[Actor, Any, Any],
    inspected: Inspected,
    case_id: str,
    raw_version: str | None,
    raw_as_of: str | None,
) -> Response[Any]:
    actor, services, lang = request.user, _services(request), language(request)
    if actor.role not in TIMELINE_ROLES:
        raise PermissionDeniedException(f"role {actor.role} may not read timelines on the pages")
    uuid = _parse_id(case_id)
    ct = inspected.case_type
    case, events = await in_thread(partial(services.app.history, ct, uuid, actor))
    events = list(events)
    entries = entries_of(inspected, case, events, actor)
    last = entries[-1].version
    raw_version = (raw_version or "").strip()
    raw_as_of = (raw_as_of or "").strip()
    errors: list[FieldError] = []
    version: int | None = None
    instant: datetime | None = None
    if raw_as_of:
        instant = _local_instant(services, raw_as_of)
        if instant is None:
            errors.append(
                FieldError("as_of", gettext(lang, N_("请输入日期和时间，例如 2026-01-31 09:30")))
            )
    elif raw_version:
        if raw_version.isascii() and raw_version.isdigit() and 1 <= int(raw_version) <= last:
            version = int(raw_version)
        else:
            errors.append(
                FieldError("version", gettext(lang, N_("版本须在 1 至 %(n)s 之间"), n=last))
            )
    stood: AsStood | None
    if instant is not None:
        try:
            then = await in_thread(partial(services.app.read, ct, uuid, actor, as_of=instant))
            stood = as_stood(inspected, then)
        except CaseNotFound:
            stood = AsStood(None, N_("该时间案件尚未登记"))
    else:
        then = (
            case
            if version in (None, last)
            else await in_thread(partial(services.app.read, ct, uuid, actor, version=version))
        )
        stood = as_stood(inspected, then)
    selected = stood.version if stood and stood.version is not None else last
    return page(
        request,
        "timeline.html",
        {
            "inspected": inspected,
            "case": case,
            "case_id": str(uuid),
            "entries": entries,
            "last": last,
            "selected": selected,
            "stood": stood,
            "instant": instant,
            "raw_as_of": raw_as_of,
            "errors": errors,
            "error_of": {e.field: e.message for e in errors},
            "api_path": f"/api/v1/{ct.plural}/{uuid}",
            "bundle": actor.role in BUNDLE_ROLES,
            "bundle_name": f"{ct.name}-{uuid}-bundle.json",
            "heading": getattr(case, "title", None) or getattr(case, "name", None) or str(uuid),
        },
        actor=actor,
        status=422 if errors else 200,
        title=N_("时间线"),
    )


Text = Annotated[str | None, QueryParameter(max_length=200)]


def _timeline_handler(inspected: Inspected) -> Any:
    async def handler(
        request: Request[Actor, Any, Any],
        case_id: FromPath[str],
        version: Text = None,
        as_of: Text = None,
    ) -> Response[Any]:
        return await show_timeline(request, inspected, case_id, version, as_of)

    handler.__name__ = handler.__qualname__ = f"{inspected.case_type.name}_timeline_page"
    return get(f"{inspected.path}/{{case_id:str}}/timeline")(handler)


# --- the audit trail ---------------------------------------------------------------------


@dataclass(frozen=True)
class AuditRow:
    position: int
    at: datetime
    case_type: str
    case_id: str
    href: str | None
    version: int
    what: str
    role: str
    who: str


def _audit_row(r: dict[str, Any]) -> AuditRow:
    base = labels.CASE_PATHS.get(r["case_type"])
    return AuditRow(
        position=r["position"],
        at=r["at"],
        case_type=r["case_type"],
        case_id=str(r["case_id"]),
        href=f"{base}/{r['case_id']}/timeline" if base else None,
        version=r["version"],
        what=event_name(r["case_type"], r["type"]),
        role=vocab.ROLES.get(r["actor_role"], r["actor_role"]),
        who=" ".join(p for p in (r["actor_id"], r["actor_org"]) if p),
    )


@get("/audit")
async def show_audit(
    request: Request[Actor, Any, Any],
    case_id: Text = None,
    actor_id: Annotated[str | None, QueryParameter(name="actor", max_length=200)] = None,
    since: Annotated[str | None, QueryParameter(name="from", max_length=40)] = None,
    until: Annotated[str | None, QueryParameter(name="to", max_length=40)] = None,
    after: Annotated[str | None, QueryParameter(max_length=40)] = None,
) -> Response[Any]:
    """The audit trail, oldest first, with the API's filters: case, actor, from, to."""
    actor, services, lang = request.user, _services(request), language(request)
    if actor.role not in AUDIT_ROLES:
        raise PermissionDeniedException(f"role {actor.role} may not read the audit trail")
    given = {"case_id": case_id, "actor": actor_id, "from": since, "to": until}
    values = {k: (v or "").strip() for k, v in given.items()}
    filters = Filters(values=values, query={})
    if values["case_id"]:
        if _UUID.fullmatch(values["case_id"]):
            filters.query["case_id"] = UUID(values["case_id"])
        else:
            filters.errors.append(
                FieldError("case_id", gettext(lang, N_("请输入案件编号（UUID）")))
            )
    if values["actor"]:
        if _ACTOR.fullmatch(values["actor"]):
            filters.query["actor_id"] = values["actor"]
        else:
            filters.errors.append(FieldError("actor", gettext(lang, N_("操作人的格式不正确"))))
    for name, key in (("from", "since"), ("to", "until")):
        if values[name]:
            instant = _local_instant(services, values[name])
            if instant is None:
                filters.errors.append(
                    FieldError(name, gettext(lang, N_("请输入日期和时间，例如 2026-01-31 09:30")))
                )
            else:
                filters.query[key] = instant
    raw_after = (after or "").strip()
    position = (
        int(raw_after)
        if raw_after.isascii() and raw_after.isdigit() and len(raw_after) < 19
        else None
    )
    rows: list[dict[str, Any]] = []
    if not filters.errors:
        async with services.pool.acquire() as conn:
            rows = await query_audit_trail(
                conn,
                case_id=filters.query.get("case_id"),
                actor_id=filters.query.get("actor_id"),
                since=filters.query.get("since"),
                until=filters.query.get("until"),
                after_position=position,
                limit=AUDIT_PAGE_SIZE + 1,
            )
    more = len(rows) > AUDIT_PAGE_SIZE
    rows = rows[:AUDIT_PAGE_SIZE]
    kept = {k: v for k, v in values.items() if v}
    next_url = "/audit?" + urlencode({**kept, "after": rows[-1]["position"]}) if more else None
    return page(
        request,
        "audit.html",
        {
            "rows": [_audit_row(r) for r in rows],
            "filters": filters,
            "errors": filters.errors,
            "labels": labels,
            "next_url": next_url,
            "first_page": position is None,
            "first_url": filters.link("/audit"),
        },
        actor=actor,
        status=422 if filters.errors else 200,
        title=N_("审计记录"),
    )


HANDLERS: Final[list[Any]] = [show_audit, *(_timeline_handler(i) for i in INSPECTED)]
