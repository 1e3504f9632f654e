"""The event store's PostgreSQL recorder, extended with a timestamp-to-version index.

`<app>_event_times` gets one row per stored event (case id, version, the event's time)
in the same transaction as the events, so "the case as it stood at instant T" is an
index lookup, never a scan of the case's history.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

EventTime = tuple[UUID, int, datetime]


class OversightRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.times_table_name = events_table_name.removesuffix("_events") + "_event_times"
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
        self.insert_times_statement = SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, at) "
            "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::timestamptz[])"
        ).format(schema=schema, table=table)
        self.version_at_statement = SQL(
            "SELECT max(originator_version) AS version FROM {schema}.{table} "
            "WHERE originator_id = %s AND at <= %s"
        ).format(schema=schema, table=table)

    def _fetch_ids_after_insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        *,
        event_times: Sequence[EventTime] = (),
        **kwargs: Any,
    ) -> Sequence[int] | None:
        # After the events' own insert (under the table lock, past its uniqueness check),
        # so a concurrent move on the same case fails there with the library's
        # IntegrityError, never on this index.
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if event_times:
            case_ids, versions, times = zip(*event_times, strict=True)
            curs.execute(self.insert_times_statement, (list(case_ids), list(versions), list(times)))
        return ids

    def version_at(self, originator_id: UUID, instant: datetime) -> int | None:
        """The last version recorded at or before `instant`, or None if none was."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.version_at_statement, (originator_id, instant), prepare=True)
            row = curs.fetchone()
            return None if row is None else row["version"]
