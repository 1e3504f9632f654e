"""The event store's PostgreSQL recorder: one round trip per save, with a time index.

Two things differ from eventsourcing's `PostgresApplicationRecorder`, which this extends:

1. **A timestamp-to-version index.** `<app>_event_times` gets one row per stored event
   (case id, version, the event's time) in the same transaction as the events, so "the
   case as it stood at instant T" is an index lookup, never a scan of the case's history.

2. **The insert path of a batch is one statement.** The library's path sends BEGIN, SET
   LOCAL lock_timeout, LOCK TABLE, NOTIFY, the INSERT, (our index INSERT) and COMMIT
   through a psycopg pipeline that waits on the server five times per save (13-16
   socket writes, 15 psycopg waits; measured with strace). Here a PL/pgSQL function,
   created with the tables, does the same work inside the single statement's own
   transaction (the connection is in autocommit mode): `set_config('lock_timeout', …,
   true)`, the `LOCK TABLE … IN EXCLUSIVE MODE` that keeps notification ids committed
   in the order they were issued, `NOTIFY <events table>` (the projection runner
   listens on that channel), and one multi-row `INSERT … SELECT FROM unnest(…)
   RETURNING notification_id` with the time index written by a data-modifying CTE of
   the same statement. The client sends one prepared `SELECT` (bind, execute, sync)
   and reads the ids: one round trip.

   Optimistic concurrency stays exact: a duplicate (originator_id, originator_version),
   against the table or within the batch, fails the whole statement with a unique
   violation, which `PostgresDatastore.get_connection` turns into the library's
   `IntegrityError` (a `RecordConflictError`); the statement's transaction rolls back,
   so nothing of the batch is stored, neither events nor index rows. `LOCK TABLE` is
   allowed there because it runs inside a function (PostgreSQL refuses it at top level
   outside a transaction block, which is why a pipeline without BEGIN cannot do this).

The library's `_insert_events`, `_insert_stored_events`, `_lock_table`,
`_notify_channel` and `_fetch_ids_after_insert_events` hooks are therefore not called on
insert, and `POSTGRES_ENABLE_DB_FUNCTIONS` is ignored (the library's function does not
lock the table). tests/integration/test_recorder_library_cases.py runs the library's
own recorder test cases against this class.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier, Literal

EventTime = tuple[UUID, int, datetime]

# Serialises table creation between processes started together (`serve --workers N`):
# two concurrent CREATE OR REPLACE FUNCTION of the same function can fail with "tuple
# concurrently updated".
_CREATE_LOCK_KEY = "oversight.store.create_table"


# The event store's table (eventsourcing names it after the application, `Oversight`),
# and the channel its inserts NOTIFY on; the read side and the ledger read it directly.
EVENTS_TABLE = "oversight_events"


class OversightRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.times_table_name = events_table_name.removesuffix("_events") + "_event_times"
        self.append_function_name = events_table_name + "_append"
        self.check_identifier_length(self.times_table_name)
        self.check_identifier_length(self.append_function_name)
        schema = Identifier(self.datastore.schema)
        table = Identifier(self.times_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                "originator_id uuid NOT NULL, "
                "originator_version bigint NOT NULL, "
                "at timestamptz NOT NULL, "
                "PRIMARY KEY (originator_id, at, originator_version))"
            ).format(schema=schema, table=table)
        )
        id_type = SQL(self.datastore.originator_id_type)  # "uuid" or "text", checked
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}("
                "ids {id_type}[], versions bigint[], topics text[], states bytea[], "
                "time_ids uuid[], time_versions bigint[], times timestamptz[], "
                "lock_timeout text) "
                "RETURNS SETOF bigint LANGUAGE plpgsql AS $body$\n"
                "BEGIN\n"
                "    PERFORM set_config('lock_timeout', lock_timeout, true);\n"
                "    -- Serialise inserts so notification ids commit in the order issued.\n"
                "    LOCK TABLE {schema}.{events} IN EXCLUSIVE MODE;\n"
                "    NOTIFY {channel};\n"
                "    RETURN QUERY\n"
                "    WITH stored AS (\n"
                "        INSERT INTO {schema}.{events} "
                "(originator_id, originator_version, topic, state)\n"
                "        SELECT * FROM unnest(ids, versions, topics, states)\n"
                "        RETURNING notification_id\n"
                "    ), indexed AS (\n"
                "        INSERT INTO {schema}.{times} (originator_id, originator_version, at)\n"
                "        SELECT * FROM unnest(time_ids, time_versions, times)\n"
                "    )\n"
                "    SELECT notification_id FROM stored;\n"
                "END\n"
                "$body$"
            ).format(
                schema=schema,
                function=Identifier(self.append_function_name),
                id_type=id_type,
                events=Identifier(self.events_table_name),
                times=table,
                channel=Identifier(self.channel_name),
            )
        )
        # Casts fix the parameter types whatever psycopg infers from the values (a list
        # of small ints dumps as smallint[], an empty list has no element type).
        self.append_statement = SQL(
            "SELECT n FROM {schema}.{function}("
            "%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[], "
            "%b::uuid[], %b::bigint[], %b::timestamptz[], %b::text) AS n"
        ).format(schema=schema, function=Identifier(self.append_function_name), id_type=id_type)
        self.lock_timeout_setting = f"{int(self.datastore.lock_timeout)}s"
        self.version_at_statement = SQL(
            "SELECT max(originator_version) AS version FROM {schema}.{table} "
            "WHERE originator_id = %s AND at <= %s"
        ).format(schema=schema, table=table)
        self.create_lock_statement = SQL("SELECT pg_advisory_xact_lock(hashtext({key}))").format(
            key=Literal(_CREATE_LOCK_KEY)
        )

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        curs.execute(self.create_lock_statement, prepare=False)
        super()._create_table(curs)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self,
        stored_events: Sequence[StoredEvent],
        *,
        event_times: Sequence[EventTime] = (),
        **kwargs: Any,
    ) -> Sequence[int] | None:
        """Store the events atomically, returning their notification ids in order; index
        `event_times` (case id, version, time) in the same transaction.

        Raises the library's IntegrityError, storing nothing, if any event's
        (originator_id, originator_version) is taken. Like the library's recorder, an
        empty batch does nothing and returns None.
        """
        if not stored_events:
            return None
        params = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
            [t[0] for t in event_times],
            [t[1] for t in event_times],
            [t[2] for t in event_times],
            self.lock_timeout_setting,
        )
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            assert conn.autocommit  # one statement, one transaction
            curs.execute(self.append_statement, params, prepare=True)
            return [row["n"] for row in curs.fetchall()]

    def version_at(self, originator_id: UUID, instant: datetime) -> int | None:
        """The last version recorded at or before `instant`, or None if none was."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.version_at_statement, (originator_id, instant), prepare=True)
            row = curs.fetchone()
            return None if row is None else row["version"]


# --- the same store in memory: the fast test ring ----------------------------------------

# The environment that puts an `Oversight` application on the in-memory store instead
# of PostgreSQL: `Oversight(IN_MEMORY, calendar=..., sla=...)`. Nothing else changes (the
# commands, the mapper, snapshots, the time index), so tests of the application layer run
# in milliseconds without a database; what only PostgreSQL can prove (concurrency, the
# one-statement insert, notifications) stays in tests/integration.
IN_MEMORY: dict[str, str] = {"PERSISTENCE_MODULE": "domain.store:InMemoryFactory"}


class InMemoryRecorder(POPOApplicationRecorder):
    """eventsourcing's in-memory recorder with the time index of `OversightRecorder`:
    `insert_events` takes the same `event_times`, `version_at` answers the same way."""

    def __init__(self) -> None:
        super().__init__()
        self._times: dict[UUID, list[tuple[datetime, int]]] = defaultdict(list)

    def insert_events(
        self,
        stored_events: Sequence[StoredEvent],
        *,
        event_times: Sequence[EventTime] = (),
        **kwargs: Any,
    ) -> Sequence[int] | None:
        if not stored_events:
            return None
        with self._database_lock:  # events and their times together, or neither
            ids = super().insert_events(stored_events, **kwargs)
            for case_id, version, at in event_times:
                self._times[case_id].append((at, version))
        return ids

    def version_at(self, originator_id: UUID, instant: datetime) -> int | None:
        with self._database_lock:
            versions = [v for at, v in self._times.get(originator_id, ()) if at <= instant]
        return max(versions, default=None)


class InMemoryFactory(POPOFactory):
    """eventsourcing's in-memory infrastructure, with `InMemoryRecorder` for the
    application's events (the library's POPO factory ignores APPLICATION_RECORDER_TOPIC)."""

    def application_recorder(self) -> ApplicationRecorder:
        return InMemoryRecorder()
