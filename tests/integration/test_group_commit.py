"""Group commit on real PostgreSQL: many commands per transaction, results per command."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from domain import commands as cmd
from domain.errors import ConcurrentUpdate, MoveNotAllowed
from oversight.runtime import build_application
from tests.conftest import actor
from tests.support import credit_code

pytestmark = pytest.mark.integration

T0 = datetime(2024, 9, 23, 1, 0, tzinfo=UTC)
CLERK = actor("clerk", "c")


def lodge_body():
    code = credit_code()
    return code, cmd.LodgeComplaint(
        kind="complaint",
        channel="web",
        category="approval",
        title="t",
        description="d",
        complainant=cmd.ComplainantIn(name="某公司", credit_code=code),
    )


def test_concurrent_commands_share_transactions_and_a_loser_fails_alone(
    fresh_database_url, settings
):
    app = build_application(fresh_database_url, settings)
    app.enable_group_commit()
    try:
        contested = app.lodge_complaint(CLERK, T0, lodge_body()[1]).case
        start = threading.Barrier(33)
        results: dict[str, object] = {}

        def lodge(i: int) -> None:
            start.wait()
            results[f"lodge-{i}"] = app.lodge_complaint(CLERK, T0, lodge_body()[1])

        def accept(i: int) -> None:
            start.wait()
            try:
                results[f"accept-{i}"] = app.move(
                    contested.id, "accept", CLERK, T0 + timedelta(hours=1), cmd.Accept()
                )
            except (ConcurrentUpdate, MoveNotAllowed) as e:
                # Lost the race (409 ConcurrentUpdate), or loaded the case only after the
                # winner's commit (409: already accepted): either way nothing is stored.
                results[f"accept-{i}"] = e

        threads = [threading.Thread(target=lodge, args=(i,)) for i in range(30)]
        threads += [threading.Thread(target=accept, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)

        lodged = [r for k, r in results.items() if k.startswith("lodge")]
        accepts = [r for k, r in results.items() if k.startswith("accept")]
        assert len(lodged) == 30
        assert len(accepts) == 3
        assert sum(isinstance(r, ConcurrentUpdate | MoveNotAllowed) for r in accepts) == 2
        positions = [r.position for r in [*lodged, *accepts] if not isinstance(r, Exception)]
        assert len(set(positions)) == 31
        with app.store.datastore.transaction(commit=False) as curs:
            curs.execute("SELECT count(*) AS n, max(notification_id) AS top FROM oversight_events")
            row = curs.fetchone()
        assert row["n"] == 32  # 31 lodged + 1 accepted, nothing lost, nothing doubled
        assert max(positions) <= row["top"]
        assert app.complaint(contested.id, CLERK).version == 2
        # Each command's position is its own last event's notification id.
        with app.store.datastore.transaction(commit=False) as curs:
            curs.execute("SELECT originator_id, notification_id FROM oversight_events")
            stored = {r["originator_id"]: r["notification_id"] for r in curs.fetchall()}
        assert {r.case.id: r.position for r in lodged} == {
            r.case.id: stored[r.case.id] for r in lodged
        }
    finally:
        app.close()
