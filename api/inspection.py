"""Endpoints every case type gets for inspection: the timeline (the state after every
event, as field-level changes), its replay as server-sent events, and the inspector's
bundle (the case's events as stored, each with an inclusion proof against one signed
tree head).

Visibility and masking are the read endpoint's: whoever may not see a case gets 404,
a viewer from whom the case hides the complainant (a department, on a confidential
complaint) does not see it here either, and an enterprise sees the public course only
(domain/public_course.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated, Any
from uuid import UUID

import anyio.to_thread
import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from api.errors import ApiError
from api.guards import roles_guard
from api.inputs import not_modified
from api.ledger import SignedTreeHead, bundle_evidence, ledger_key, signed_tree_head
from api.positions import wait_for_ledger
from api.representation import (
    ActorOut,
    CaseId,
    Instant,
    Representation,
    Version,
    actor_body,
    identifies_complainant,
    plain,
)
from api.services import Services
from domain.cases import CaseType
from domain.public_course import course_for, public_states
from domain.timeline import changes, fold
from domain.values import Actor, Role
from ledger.heads import b64
from ledger.view import case_events

BUNDLE_ROLES = frozenset({Role.INSPECTOR})


def _mask(change: dict[str, Any]) -> dict[str, Any] | None:
    """A change with the complainant's identity taken out (None when nothing is left)."""
    name = change["field"]
    if name == "complainant":
        return None
    if name == "lodged_by":
        masked = {
            side: {**value, "id": None, "org": None} if isinstance(value, dict) else value
            for side, value in (("before", change["before"]), ("after", change["after"]))
        }
        if masked["before"] == masked["after"]:
            return None
        return {"field": name, **masked}
    return change


class Change(Representation):
    """One field a version changed: its value before and after (null when absent)."""

    field: str
    before: Any
    after: Any


class TimelineEntry(Representation):
    """A version: the event, who made it and when, and what it changed."""

    version: Version
    type: Annotated[str, msgspec.Meta(description="The event's name, e.g. `Transferred`.")]
    at: Instant
    actor: ActorOut
    changes: list[Change]


class Timeline(Representation):
    """Every version of a case the viewer sees, oldest first."""

    id: CaseId
    case_type: str
    version: Annotated[
        int, msgspec.Meta(ge=1, description="The last version the viewer sees (the `ETag`).")
    ]
    entries: list[TimelineEntry]


class CaseMapEntry(Representation):
    """The case's entry in the signed head's case map, with its proof."""

    case_type: str
    last_version: int
    leaf_index: int
    proof: Annotated[list[str], msgspec.Meta(description="Base64 hashes, leaf to root.")]


class BundleEvent(Representation):
    """An event as stored, with its inclusion proof against the bundle's tree head."""

    notification_id: int
    leaf_index: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: Annotated[str, msgspec.Meta(description="The stored event, base64.")]
    inclusion_proof: Annotated[list[str], msgspec.Meta(description="Base64 hashes.")]


class Bundle(Representation):
    """A case's evidence bundle, for `oversight verify --bundle FILE --key PUBLIC_KEY`
    (offline; docs/ledger.md)."""

    case_id: UUID
    case_type: str
    tree_head: SignedTreeHead
    events: list[BundleEvent]
    case_map: CaseMapEntry | None
    public_key: Annotated[str, msgspec.Meta(description="The Ed25519 public key, base64.")]


def _entry(
    version: int, type_: str, at: Instant, actor: ActorOut, diff: list[dict[str, Any]]
) -> TimelineEntry:
    return TimelineEntry(
        version=version,
        type=type_,
        at=at,
        actor=actor,
        changes=[Change(c["field"], plain(c["before"]), plain(c["after"])) for c in diff],
    )


def timeline_entries(
    case_type: CaseType, case: Any, events: list[Any], viewer: Actor
) -> list[TimelineEntry]:
    """One entry per version the viewer sees. An enterprise sees the public course
    (domain/public_course.py): its public versions, each with the changes since the
    previous public one, of what it may see."""
    course = course_for(case_type, viewer.role)
    if course is not None:
        return [
            _entry(
                shown.version, shown.type, shown.at, actor_body(shown.actor), changes(before, after)
            )
            for shown, before, after in public_states(course, events)
        ]
    hidden = case_type.hides_identity(viewer, case)
    entries = []
    for event, _, before, after in fold(events):
        diff = changes(before, after)
        if hidden:
            diff = [c for c in map(_mask, diff) if c is not None]
        entries.append(
            _entry(
                event.originator_version,
                type(event).__name__,
                event.timestamp,
                actor_body(event.actor, hidden=hidden and identifies_complainant(event)),
                diff,
            )
        )
    return entries


def inspection_handlers(case_type: CaseType) -> list[Any]:
    read_guard = roles_guard(case_type.read_roles, f"read {case_type.plural}")
    bundle_guard = roles_guard(BUNDLE_ROLES, f"take a {case_type.name}'s evidence bundle")

    async def load(
        services: Services, case_id: UUID, viewer: Actor
    ) -> tuple[Any, list[TimelineEntry]]:
        fn = partial(services.app.history, case_type, case_id, viewer)
        case, events = await anyio.to_thread.run_sync(fn)
        return case, timeline_entries(case_type, case, list(events), viewer)

    async def timeline(
        request: Request[Actor, Any, Any],
        case_id: FromPath[UUID],
        services: NamedDependency[Services],
    ) -> Response[Timeline]:
        """Every version: the event, who and when, and what it changed; 304 for an
        unchanged `If-None-Match`."""
        _, entries = await load(services, case_id, request.user)
        version = entries[-1].version  # the last the viewer sees
        if not_modified(request, version):
            return Response(b"", status_code=304, headers={"ETag": f'"{version}"'})  # type: ignore[arg-type]
        body = Timeline(id=case_id, case_type=case_type.name, version=version, entries=entries)
        return Response(body, headers={"ETag": f'"{version}"'})

    async def replay(
        request: Request[Actor, Any, Any],
        case_id: FromPath[UUID],
        services: NamedDependency[Services],
        pace: Annotated[
            float,
            QueryParameter(ge=0, le=10, description="seconds between events; 0: all at once"),
        ] = 0,
    ) -> ServerSentEvent:
        """The timeline as server-sent events: one `version` event per version (its data
        is the timeline entry), then `end`."""
        # Checked and read before the stream starts, so refusals keep their status
        # codes; the stream itself touches no database connection.
        _, entries = await load(services, case_id, request.user)
        version = entries[-1].version  # the last the viewer sees

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            for i, entry in enumerate(entries):
                if i and pace:
                    await asyncio.sleep(pace)
                yield ServerSentEventMessage(
                    data=msgspec.json.encode(entry).decode(),
                    event="version",
                    id=entry.version,
                )
            end = {"id": str(case_id), "version": version}
            yield ServerSentEventMessage(data=msgspec.json.encode(end).decode(), event="end")

        return ServerSentEvent(stream())

    async def bundle(
        request: Request[Actor, Any, Any],
        case_id: FromPath[UUID],
        services: NamedDependency[Services],
    ) -> Bundle:
        """The case's events as stored, each with its inclusion proof against one signed
        tree head, for `oversight verify --bundle FILE --key PUBLIC_KEY` (offline)."""
        fn = partial(services.app.read, case_type, case_id, request.user)
        await anyio.to_thread.run_sync(fn)  # 404 unless it is a visible case of this type

        async def in_ledger(conn: Any) -> list[dict[str, Any]] | None:
            rows = await case_events(conn, case_id)
            return rows if all(r["position"] is not None for r in rows) else None

        rows = await wait_for_ledger(services, in_ledger)
        if rows is None:
            raise ApiError(
                503,
                "ledger-behind",
                "Ledger behind",
                "the ledger has not reached this case's latest events yet; retry shortly",
                headers={"Retry-After": "1"},
            )
        async with services.pool.acquire() as conn:
            # The events, their proofs and the case map's entry, all as of one head.
            rows, head, proofs, case_map = await bundle_evidence(
                conn, services.settings, case_id, max(r["position"] for r in rows) + 1
            )
        return Bundle(
            case_id=case_id,
            case_type=case_type.name,
            tree_head=signed_tree_head(head),
            events=[
                BundleEvent(
                    notification_id=r["notification_id"],
                    leaf_index=r["position"],
                    originator_id=r["originator_id"],
                    originator_version=r["originator_version"],
                    topic=r["topic"],
                    state=b64(r["state"]),
                    inclusion_proof=[b64(h) for h in proof],
                )
                for r, proof in zip(rows, proofs, strict=True)
            ],
            case_map=None if case_map is None else CaseMapEntry(**case_map),
            public_key=b64(ledger_key(services.settings).public_raw),
        )

    timeline.__name__ = timeline.__qualname__ = f"{case_type.name}_timeline"
    replay.__name__ = replay.__qualname__ = f"{case_type.name}_replay"
    bundle.__name__ = bundle.__qualname__ = f"{case_type.name}_bundle"
    return [
        get(
            "/{case_id:uuid}/timeline",
            guards=[read_guard],
            summary=f"A {case_type.name}'s timeline",
            opt={"request_headers": ("If-None-Match",), "response_headers": ("ETag",)},
        )(timeline),
        get(
            "/{case_id:uuid}/replay",
            guards=[read_guard],
            summary=f"Replay a {case_type.name} (server-sent events)",
            media_type="text/event-stream",
            opt={
                "stream": "One `version` event per version (`id`: the version; `data`: the"
                " timeline entry, as in `GET .../timeline`), then an `end` event (`data`:"
                " `{id, version}`)."
            },
        )(replay),
        get(
            "/{case_id:uuid}/bundle",
            guards=[bundle_guard],
            summary=f"A {case_type.name}'s evidence bundle (inspectors)",
        )(bundle),
    ]
