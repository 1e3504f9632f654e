"""The projection runner: keeps the `views` schema up to date with the event store.

It reads the next batch of stored events (in notification order) ONCE, decodes it once,
and hands it to every projection. Each projection applies it in its own transaction on
its own connection: it locks its tracking row, takes the events after its tracked
position, writes its rows, and moves the position. A crash anywhere rolls that view's
batch back, so restarting resumes exactly where each view is: every event reaches every
view exactly once. Two runners on the same database serialise on the tracking row lock,
so they never apply a batch twice. The projections of one batch run concurrently (up to
`concurrency` connections), so one view's database round trips overlap another's Python
work; a view that falls behind the others (rebuilt after a version bump) simply sets
where the next shared batch starts.

It wakes on LISTEN/NOTIFY from the event store and also polls, because a NOTIFY can be
lost (eventsourcing issue #305).
"""

from __future__ import annotations

import asyncio
import contextlib
from bisect import bisect_right
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol
from uuid import UUID

import asyncpg
import structlog

from domain.mapper import decode_event_state
from domain.store import EVENTS_TABLE
from projections.bulk import storable

log = structlog.get_logger(__name__)


SCHEMA_SQL = """
CREATE SCHEMA IF NOT EXISTS views;
CREATE TABLE IF NOT EXISTS views.tracking (
    projection text PRIMARY KEY,
    position bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE views.tracking ADD COLUMN IF NOT EXISTS schema_version integer NOT NULL DEFAULT 1;
"""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One event as the views see it: its position in the log, its case, and its data
    (decoded; `stored` is the state as stored, for the ledger, which hashes those bytes)."""

    position: int
    case_id: UUID
    version: int
    topic: str
    data: dict[str, Any]
    stored: bytes | None = None
    # From the topic ("domain.complaint:Complaint.Lodged" -> "Complaint", "Lodged"); every
    # view asks for them for every event, so they are worked out once, here.
    case_type: str = field(init=False)
    type: str = field(init=False)

    def __post_init__(self) -> None:
        case_type, event_type = _topic_parts(self.topic)
        object.__setattr__(self, "case_type", case_type)
        object.__setattr__(self, "type", event_type)


@cache
def _topic_parts(topic: str) -> tuple[str, str]:
    """("Complaint", "Lodged") from "domain.complaint:Complaint.Lodged" (a few dozen topics)."""
    return topic.split(":", 1)[1].split(".")[0], topic.rsplit(".", 1)[1]


class Projection(Protocol):
    # Read-only: a view declares them as plain class attributes.
    @property
    def name(self) -> str: ...

    @property
    def tables(self) -> Sequence[str]: ...  # qualified names, dropped on rebuild

    # Optional `version: int` (default 1): bump it when the tables change shape, and
    # every database rebuilds that view from the events at the next start.

    async def create(self, conn: asyncpg.Connection) -> None: ...

    async def apply(self, conn: asyncpg.Connection, events: Sequence[StoredEvent]) -> None: ...


async def ensure_schema(conn: asyncpg.Connection, projections: Sequence[Projection]) -> None:
    """Create the views schema and every projection's tables (idempotent).

    A projection whose `version` differs from the one its tables were built with is
    dropped and starts again from position 0: the runner rebuilds it from the events.
    """
    async with conn.transaction():
        # Serialise concurrent start-ups (API processes and a worker) on one lock.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('oversight.views.schema'))")
        await conn.execute(SCHEMA_SQL)
        built = {
            r["projection"]: r["schema_version"]
            for r in await conn.fetch("SELECT projection, schema_version FROM views.tracking")
        }
        for projection in projections:
            version = getattr(projection, "version", 1)
            if projection.name in built and built[projection.name] != version:
                log.warning(
                    "view_rebuild_required",
                    projection=projection.name,
                    was=built[projection.name],
                    now=version,
                )
                await _drop(conn, projection)
            await projection.create(conn)
            await conn.execute(
                "INSERT INTO views.tracking (projection, schema_version) VALUES ($1, $2) "
                "ON CONFLICT DO NOTHING",
                projection.name,
                version,
            )


async def _drop(conn: asyncpg.Connection, projection: Projection) -> None:
    for table in projection.tables:
        await conn.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    await conn.execute("DELETE FROM views.tracking WHERE projection = $1", projection.name)


async def drop_views(conn: asyncpg.Connection, projections: Sequence[Projection]) -> None:
    async with conn.transaction():
        await conn.execute(SCHEMA_SQL)  # a store whose views were never built has none yet
        for projection in projections:
            await _drop(conn, projection)


def _decode(rows: Sequence[asyncpg.Record]) -> list[StoredEvent]:
    return [
        StoredEvent(
            position=row["notification_id"],
            case_id=row["originator_id"],
            version=row["originator_version"],
            topic=row["topic"],
            # Views get U+FFFD for U+0000 (text PostgreSQL cannot hold); the ledger
            # hashes `stored`, the bytes as they are in the store.
            data=storable(decode_event_state(row["topic"], row["state"]), row["state"]),
            stored=row["state"],
        )
        for row in rows
    ]


_SELECT_AFTER = (
    f"SELECT notification_id, originator_id, originator_version, topic, state "
    f"FROM {EVENTS_TABLE} WHERE notification_id > $1 ORDER BY notification_id LIMIT $2"
)


async def max_position(conn: asyncpg.Connection) -> int:
    position: int = await conn.fetchval(
        f"SELECT coalesce(max(notification_id), 0) FROM {EVENTS_TABLE}"
    )
    return position


async def view_position(conn: asyncpg.Connection) -> int:
    """How far every view has caught up (the slowest one)."""
    position: int = await conn.fetchval("SELECT coalesce(min(position), 0) FROM views.tracking")
    return position


# The session advisory lock the leading runner holds (see ProjectionRunner.run).
_LEADER = "hashtext('oversight.projection_runner')"


class ListenerLost(ConnectionError):
    """The runner's listening connection closed: its lead and its NOTIFY wake-ups are gone."""


class ProjectionRunner:
    def __init__(
        self,
        pool: asyncpg.Pool,
        projections: Sequence[Projection],
        *,
        batch_size: int = 1000,
        poll_seconds: float = 1.0,
        concurrency: int = 3,
    ) -> None:
        self.pool = pool
        self.projections = list(projections)
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        # At most this many views apply a batch at once, each on its own connection: the
        # API process shares its pool with the runner and must keep connections free.
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._wake = asyncio.Event()

    async def catch_up(self, progress: Callable[[int], Any] | None = None) -> int:
        """Apply every stored event to every projection; returns how many (event, view)
        applications were made."""
        async with self.pool.acquire() as conn:
            tracked = {
                r["projection"]: r["position"]
                for r in await conn.fetch("SELECT projection, position FROM views.tracking")
            }
        # A projection without a tracking row has no tables yet (ensure_schema makes both).
        positions = {p.name: tracked[p.name] for p in self.projections if p.name in tracked}
        total = 0
        while positions:
            start = min(positions.values())
            async with self.pool.acquire() as conn:
                rows = await conn.fetch(_SELECT_AFTER, start, self.batch_size)
            if not rows:
                break
            events = _decode(rows)
            active = [p for p in self.projections if p.name in positions]
            outcomes = await asyncio.gather(
                *(self._apply(p, events, start) for p in active), return_exceptions=True
            )
            # Every view's transaction has ended (committed or rolled back) by now.
            failed = [
                (p.name, outcome)
                for p, outcome in zip(active, outcomes, strict=True)
                if isinstance(outcome, BaseException)
            ]
            for name, error in failed:
                log.warning(
                    "projection_batch_failed",
                    projection=name,
                    after=start,
                    error=type(error).__name__,
                    sqlstate=getattr(error, "sqlstate", None),
                )
            if failed:
                raise failed[0][1]
            applied = 0
            for name, count, position in outcomes:  # type: ignore[misc]
                positions[name] = position
                applied += count
            total += applied
            if progress:
                progress(applied)
        return total

    async def _apply(
        self, projection: Projection, events: list[StoredEvent], start: int
    ) -> tuple[str, int, int]:
        """Apply the events of a batch (read after `start`) that `projection` lacks, in one
        transaction; returns (name, events applied, its position after)."""
        async with self._slots, self.pool.acquire() as conn, conn.transaction():
            position = await conn.fetchval(
                "SELECT position FROM views.tracking WHERE projection = $1 FOR UPDATE",
                projection.name,
            )
            if position is None:  # dropped under us: nothing to apply until it is re-created
                return projection.name, 0, events[-1].position
            if position < start:
                # It went back (rebuilt meanwhile): the shared batch does not start where it
                # is, so it reads its own this time; the next batch starts at its position.
                events = _decode(await conn.fetch(_SELECT_AFTER, position, self.batch_size))
            else:
                events = events[bisect_right([e.position for e in events], position) :]
            if not events:
                return projection.name, 0, position
            await projection.apply(conn, events)
            await conn.execute(
                "UPDATE views.tracking SET position = $2, updated_at = now() WHERE projection = $1",
                projection.name,
                events[-1].position,
            )
            return projection.name, len(events), events[-1].position

    async def run(self, stop: asyncio.Event) -> None:
        """Keep the views current until `stop` is set.

        Of the runners on one database (every API process runs one, and so does
        `oversight worker`) one leads: it holds a session advisory lock on its listening
        connection. The others stand by and take over within `poll_seconds` of that
        connection closing. Several would still be correct (the tracking rows serialise
        them), but each would read and decode every batch for nothing. `catch_up`
        itself (rebuilds, tests) needs no lock.

        Any failure ends the run with its exception, every open view transaction rolled
        back: a view's batch that fails, a lost connection (asyncpg then raises
        `InterfaceError` or `InternalClientError`, neither a `PostgresError` nor an
        `OSError`), or the listening connection closing (a server restart,
        `pg_terminate_backend`), which takes the lead and the NOTIFY wake-ups with it
        (`ListenerLost`). Run it under the supervisor (projections/supervision.py): it
        logs the failure and runs it again after a backoff, on fresh connections.
        """
        listener = await self.pool.acquire()
        leading = False

        def closed(_: object) -> None:
            self._wake.set()  # look at once rather than at the next poll

        try:
            listener.add_termination_listener(closed)
            await listener.add_listener(EVENTS_TABLE, self._on_notify)
            while not stop.is_set():
                if listener.is_closed():
                    raise ListenerLost("the projection runner's listening connection closed")
                if not leading:
                    leading = await listener.fetchval(f"SELECT pg_try_advisory_lock({_LEADER})")
                    if not leading:
                        await _sleep_or_stop(stop, self.poll_seconds)
                        continue
                    log.info("projection_runner_leading")
                self._wake.clear()  # before reading: a NOTIFY during the batch wakes us again
                await self.catch_up()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        _first(self._wake.wait(), stop.wait()), timeout=self.poll_seconds
                    )
        finally:
            try:
                if not listener.is_closed():
                    with contextlib.suppress(Exception):
                        await listener.remove_listener(EVENTS_TABLE, self._on_notify)
                        if leading:
                            await listener.execute(f"SELECT pg_advisory_unlock({_LEADER})")
            finally:
                listener.remove_termination_listener(closed)
                try:
                    # A broken connection is closed rather than reset; bounded either way.
                    await self.pool.release(listener, timeout=5)
                except Exception as e:
                    log.warning("projection_listener_release_failed", error=type(e).__name__)

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()


async def _first(*waits: Awaitable[Any]) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
