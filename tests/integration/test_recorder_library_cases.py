"""eventsourcing's own recorder test cases, run against our OversightRecorder.

Issue 6: whatever replaces or wraps the library's recorder must still pass the library's
recorder test cases (`eventsourcing/tests/persistence.py`). They are unittest TestCases;
pytest collects them. Each test gets a schema of its own in the session's database
(tests/conftest.py: the server in DATABASE_URL, or the embedded one), created in setUp
and dropped with everything in it (tables, composite type, insert function) in tearDown,
so nothing is left behind and the library's expectations of a fresh table (notification
ids 1, 2, 3) hold.

Which cases, and what we do differently:

- `ApplicationRecorderTestCase`: all of it, plus its `optional_test_insert_subscribe`
  (LISTEN/NOTIFY), as the library's own PostgreSQL tests run it.
- `NonInterleavingNotificationIDsBaseCase`: two concurrent 100-event inserts must not
  interleave their notification ids (the table lock). Run with a pool of 4 connections:
  the library's own run uses a pool of one, which serialises the writers before they
  reach the database and so cannot fail.
- `AggregateRecorderTestCase`: it asserts that `insert_events` returns None, which is the
  aggregate recorder's contract; an application recorder (ours, and the library's
  `PostgresApplicationRecorder`, which the library never runs through this case) returns
  the notification ids. We run it through `_IdsDiscarded`, which only drops the return
  value, so the rest of the case (atomic batches, duplicates within a batch and against
  the table raising IntegrityError with nothing stored, selection by version) runs
  against our insert path unchanged.
- `TrackingRecorderTestCase`, `ProcessRecorderTestCase`: do not apply. OversightRecorder
  is only the application recorder; the projection runner tracks its positions in its
  own tables (projections/), not through an eventsourcing tracking recorder.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import TestCase

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, RecordConflictError, StoredEvent
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.tests.persistence import (
    AggregateRecorderTestCase,
    ApplicationRecorderTestCase,
    NonInterleavingNotificationIDsBaseCase,
)

from domain.store import OversightRecorder
from oversight.database import eventsourcing_env

pytestmark = pytest.mark.integration

EVENTS_TABLE = "oversight_events"  # the name the application uses


class _OwnSchema(TestCase):
    """A datastore on the session's database, in a schema made for this one test."""

    pool_size = 4
    database_url: str

    @pytest.fixture(autouse=True)
    def _database(self, database_url: str) -> None:  # runs before setUp
        self.database_url = database_url

    def setUp(self) -> None:
        super().setUp()
        self.schema = "es_case_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{self.schema}"')
        env = eventsourcing_env(self.database_url)
        self.datastore = PostgresDatastore(
            env["POSTGRES_DBNAME"],
            env["POSTGRES_HOST"],
            env["POSTGRES_PORT"],
            env["POSTGRES_USER"],
            env["POSTGRES_PASSWORD"],
            pool_size=self.pool_size,
            max_overflow=0,
            schema=self.schema,
        )

    def tearDown(self) -> None:
        self.datastore.close()
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{self.schema}" CASCADE')
        super().tearDown()

    def create_recorder(self) -> OversightRecorder:
        recorder = OversightRecorder(self.datastore, events_table_name=EVENTS_TABLE)
        recorder.create_table()
        return recorder


class TestApplicationRecorderCases(_OwnSchema, ApplicationRecorderTestCase[OversightRecorder]):
    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestNonInterleavingNotificationIds(_OwnSchema, NonInterleavingNotificationIDsBaseCase):
    insert_num = 100


class _IdsDiscarded(OversightRecorder):
    """OversightRecorder seen through the aggregate recorder's contract (no ids back)."""

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        super().insert_events(stored_events, **kwargs)


class TestAggregateRecorderCases(_OwnSchema, AggregateRecorderTestCase):
    def create_recorder(self) -> OversightRecorder:
        recorder = _IdsDiscarded(self.datastore, events_table_name=EVENTS_TABLE)
        recorder.create_table()
        return recorder


# --- what the library's cases do not look at ------------------------------------------


class TestOurInsertPath(_OwnSchema):
    def event(self, case_id: uuid.UUID, version: int) -> StoredEvent:
        return StoredEvent(case_id, version, "topic", b'{"x":1}')

    def count(self, table: str) -> int:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(f'SELECT count(*) AS n FROM "{self.schema}"."{table}"')
            return curs.fetchone()["n"]

    def test_a_conflict_anywhere_in_a_batch_stores_neither_events_nor_index_rows(self) -> None:
        recorder = self.create_recorder()
        taken = uuid.uuid4()
        at = datetime(2024, 9, 23, 1, 0, tzinfo=UTC)
        recorder.insert_events([self.event(taken, 1)], event_times=[(taken, 1, at)])
        fresh = uuid.uuid4()
        batch = [self.event(fresh, 1), self.event(taken, 1)]
        times = [(fresh, 1, at), (taken, 1, at + timedelta(seconds=1))]
        with pytest.raises(IntegrityError) as caught:
            recorder.insert_events(batch, event_times=times)
        assert isinstance(caught.value, RecordConflictError)  # what group commit catches
        assert self.count(EVENTS_TABLE) == 1
        assert self.count(recorder.times_table_name) == 1
        assert recorder.version_at(fresh, at) is None

    def test_one_statement_per_batch_and_the_index_is_written_with_it(
        self,
    ) -> None:
        recorder = self.create_recorder()
        case_id = uuid.uuid4()
        at = datetime(2024, 9, 23, 1, 0, tzinfo=UTC)
        statements: list[Any] = []
        original = psycopg.Cursor.execute

        def counting(curs: psycopg.Cursor, query: Any, *args: Any, **kwargs: Any) -> Any:
            statements.append(query)
            return original(curs, query, *args, **kwargs)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(psycopg.Cursor, "execute", counting)
            ids = recorder.insert_events(
                [self.event(case_id, v) for v in (1, 2, 3)],
                event_times=[(case_id, v, at + timedelta(hours=v)) for v in (1, 2, 3)],
            )
        assert len(statements) == 1
        assert ids == sorted(ids) and len(set(ids)) == 3
        assert recorder.version_at(case_id, at + timedelta(hours=2, minutes=30)) == 2

    def test_an_insert_notifies_the_channel_the_projection_runner_listens_on(self) -> None:
        recorder = self.create_recorder()
        assert recorder.channel_name == EVENTS_TABLE  # projections/runner.py listens here
        with psycopg.connect(self.database_url, autocommit=True) as listener:
            listener.execute(f'LISTEN "{EVENTS_TABLE}"')
            recorder.insert_events([self.event(uuid.uuid4(), 1)])
            heard = [n.channel for n in listener.notifies(timeout=10, stop_after=1)]
        assert heard == [EVENTS_TABLE]


# The abstract bases must not be collected on their own.
del AggregateRecorderTestCase, ApplicationRecorderTestCase, NonInterleavingNotificationIDsBaseCase
