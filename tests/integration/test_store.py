"""The event store on real PostgreSQL: persistence, snapshots, time index, concurrency."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from domain import commands as cmd
from domain.application import Oversight
from domain.complaint import Complaint, Status
from domain.errors import CaseNotFound, ConcurrentUpdate
from oversight.runtime import build_application
from tests.conftest import actor
from tests.support import credit_code

pytestmark = pytest.mark.integration

T0 = datetime(2024, 9, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Beijing
CLERK = actor("clerk", "clerk-1")
SUPERVISOR = actor("supervisor", "sup-1")


def lodge(app: Oversight, at: datetime = T0) -> Complaint:
    code = credit_code()
    body = cmd.LodgeComplaint(
        kind="complaint",
        channel="hotline",
        category="approval",
        title="审批超时",
        description="d",
        complainant=cmd.ComplainantIn(name="某公司", credit_code=code),
    )
    return app.lodge_complaint(actor("enterprise", "ent-1", code), at, body).case


def test_events_persist_and_reload_in_a_new_process(application, database_url, settings):
    case = lodge(application)
    application.move(case.id, "accept", CLERK, T0 + timedelta(hours=1), cmd.Accept(urgent=True))
    application.move(
        case.id, "transfer", CLERK, T0 + timedelta(hours=2), cmd.Transfer(department="hlj-zjt")
    )

    other = build_application(database_url, settings)
    try:
        reloaded = other.complaint(case.id, SUPERVISOR)
    finally:
        other.close()
    assert reloaded.version == 3
    assert reloaded.status is Status.TRANSFERRED
    assert reloaded.urgent is True
    assert reloaded.department == "hlj-zjt"
    # Urgent (急事快办): due the same working day, at office close in Beijing.
    assert reloaded.handling_due == datetime(2024, 9, 23, 9, 30, tzinfo=UTC)
    assert reloaded == application.complaint(case.id, SUPERVISOR)


def test_long_histories_are_snapshotted_and_past_versions_fold_the_same(application):
    case = lodge(application)
    at = T0
    for i in range(120):
        at += timedelta(minutes=5)
        application.move(case.id, "supervise", SUPERVISOR, at, cmd.Supervise(note=f"督办 {i}"))
    with application.store.datastore.transaction(commit=False) as curs:
        curs.execute(
            "SELECT originator_version FROM oversight_snapshots WHERE originator_id = %s "
            "ORDER BY 1",
            (case.id,),
        )
        snapshot_versions = [row["originator_version"] for row in curs.fetchall()]
    assert snapshot_versions == [50, 100]

    # Version 77 from the snapshot at 50 equals folding all 77 events from scratch.
    via_snapshot = application.complaint(case.id, SUPERVISOR, version=77)
    events = list(application.events.get(case.id, lte=77))
    folded = None
    for event in events:
        folded = event.mutate(folded)
    assert via_snapshot == folded
    assert via_snapshot.supervision_count == 76


def test_as_of_uses_the_time_index(application):
    case = lodge(application)
    application.move(case.id, "accept", CLERK, T0 + timedelta(hours=1), cmd.Accept())
    application.move(
        case.id, "transfer", CLERK, T0 + timedelta(hours=3), cmd.Transfer(department="hlj-swt")
    )

    def status_at(instant: datetime) -> Status:
        return application.complaint(case.id, SUPERVISOR, as_of=instant).status

    assert status_at(T0) is Status.LODGED
    assert status_at(T0 + timedelta(minutes=59)) is Status.LODGED
    assert status_at(T0 + timedelta(hours=1)) is Status.ACCEPTED  # at the event: included
    assert status_at(T0 + timedelta(hours=2, minutes=59)) is Status.ACCEPTED
    assert status_at(T0 + timedelta(days=30)) is Status.TRANSFERRED
    with pytest.raises(CaseNotFound):
        status_at(T0 - timedelta(seconds=1))


def test_two_concurrent_moves_one_wins_the_other_conflicts(application):
    case = lodge(application)
    both_loaded = threading.Barrier(2)
    original_get = application.repository.get

    def get_then_wait(*args, **kwargs):
        loaded = original_get(*args, **kwargs)
        if kwargs.get("version") is None:
            both_loaded.wait(timeout=10)
        return loaded

    outcomes: list[object] = []

    def accept(note: str) -> None:
        try:
            application.move(
                case.id, "accept", CLERK, T0 + timedelta(hours=1), cmd.Accept(note=note)
            )
            outcomes.append("ok")
        except ConcurrentUpdate as e:
            outcomes.append(e)

    application.repository.get = get_then_wait
    try:
        threads = [threading.Thread(target=accept, args=(n,)) for n in ("first", "second")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=20)
    finally:
        application.repository.get = original_get

    assert sorted(map(type, outcomes), key=str) == sorted([str, ConcurrentUpdate], key=str)
    events = list(application.events.get(case.id))
    assert [type(e).__name__ for e in events] == ["Lodged", "Accepted"]
    assert application.complaint(case.id, SUPERVISOR).version == 2


def test_a_snapshot_of_an_older_shape_is_skipped_and_the_case_rebuilt(application):
    case = lodge(application)
    at = T0
    for i in range(55):
        at += timedelta(minutes=5)
        application.move(case.id, "supervise", SUPERVISOR, at, cmd.Supervise(note=f"督办 {i}"))
    # Simulate a snapshot stored before a field was added: drop one from its state.
    with application.store.datastore.transaction(commit=True) as curs:
        curs.execute(
            """UPDATE oversight_snapshots
               SET state = convert_to(replace(convert_from(state, 'UTF8'), ',"reminders":0', ''),
                                      'UTF8')
               WHERE originator_id = %s""",
            (case.id,),
        )
        assert curs.rowcount == 1
        curs.execute("SELECT state FROM oversight_snapshots WHERE originator_id = %s", (case.id,))
        assert b'"reminders"' not in bytes(curs.fetchone()["state"])
    reloaded = application.complaint(case.id, SUPERVISOR)
    assert reloaded.version == 56
    assert reloaded.supervision_count == 55
    assert reloaded.reminders == 0
