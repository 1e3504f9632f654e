"""Time travel holds for any history (real PostgreSQL): for random sequences of moves,
the case read at every version equals folding its events up to that version (what the
timeline shows), and `as_of` at each event's time gives that version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import commands as cmd
from domain.application import Oversight
from domain.complaint import MOVE_FROM
from domain.complaint_case import COMPLAINT
from domain.errors import CaseNotFound, DomainError
from domain.timeline import changes, fold, state_of
from domain.values import Rating
from tests.conftest import actor
from tests.support import credit_code

pytestmark = pytest.mark.integration

T0 = datetime(2024, 9, 23, 1, 0, tzinfo=UTC)
INSPECTOR = actor("inspector", "insp-1")
CLERK = actor("clerk", "clerk-1")
DEPARTMENT = actor("department", "dept-1", "d1")
SUPERVISOR = actor("supervisor", "sup-1")

MOVES: dict[str, tuple[str, Any]] = {
    "accept": ("clerk", cmd.Accept()),
    "reject": ("clerk", cmd.Reject(reason="不属于受理范围")),
    "transfer": ("clerk", cmd.Transfer(department="d1")),
    "send-back": ("department", cmd.SendBack(reason="不属本部门职责")),
    "request-extension": ("department", cmd.RequestExtension(working_days=2, reason="核查")),
    "decide-extension": ("supervisor", cmd.DecideExtension(approved=True)),
    "reply": ("department", cmd.Reply(answer="已办结")),
    "review-ok": ("supervisor", cmd.Review(approved=True)),
    "review-redo": ("supervisor", cmd.Review(approved=False, note="重办")),
    "rate-ok": ("enterprise", cmd.Rate(rating=Rating.SATISFIED)),
    "rate-bad": ("enterprise", cmd.Rate(rating=Rating.UNSATISFIED)),
    "supervise": ("supervisor", cmd.Supervise(note="请加快办理")),
    "withdraw": ("enterprise", cmd.Withdraw(reason="已解决")),
    "close": ("supervisor", cmd.Close()),
}

FINAL_MOVES = frozenset({"reject", "withdraw", "close"})

# Each step: which of the moves the case's status allows, and the seconds since the last.
moves = st.lists(
    st.tuples(st.integers(min_value=0, max_value=50), st.integers(1, 5 * 24 * 3600)),
    min_size=3,
    max_size=30,
)


def _move(name: str) -> str:
    return name.split("-")[0] if name.startswith(("review", "rate")) else name


def make_history(app: Oversight, steps: list[tuple[int | str, int]], confidential: bool) -> Any:
    """Lodge a complaint, then make each step's move (a name, or the n-th of the moves
    its status allows); moves the rules refuse are skipped."""
    code = credit_code()
    enterprise = actor("enterprise", "ent-1", code)
    who = {"clerk": CLERK, "department": DEPARTMENT, "supervisor": SUPERVISOR}
    who["enterprise"] = enterprise
    at = T0
    case = app.lodge_complaint(
        enterprise,
        at,
        cmd.LodgeComplaint(
            kind="complaint",
            channel="web",
            category="approval",
            title="审批超时",
            description="d",
            complainant=cmd.ComplainantIn(name="某公司", credit_code=code),
            confidential=confidential,
        ),
    ).case
    for choice, gap in steps:
        at += timedelta(seconds=gap)
        if isinstance(choice, int):
            # Moves that end the case come up a quarter as often as the others.
            allowed = [
                n
                for n in sorted(MOVES)
                if case.status in MOVE_FROM[_move(n)]
                for _ in range(1 if n in FINAL_MOVES else 4)
            ]
            if not allowed:
                break
            name = allowed[choice % len(allowed)]
        else:
            name = choice
        role, command = MOVES[name]
        try:
            case = app.move(case.id, _move(name), who[role], at, command).case
        except DomainError:
            continue
    return case.id


def check_time_travel(app: Oversight, case_id: Any) -> None:
    case, events = app.history(COMPLAINT, case_id, INSPECTOR)
    assert [e.originator_version for e in events] == list(range(1, case.version + 1))
    folded = list(fold(events))
    for event, _, before, after in folded:
        v = event.originator_version
        read = app.read(COMPLAINT, case_id, INSPECTOR, version=v)
        assert read.version == v
        assert state_of(read) == after, f"version {v}"
        assert app.read(COMPLAINT, case_id, INSPECTOR, as_of=event.timestamp).version == v
        # Just before the event, the case was at the previous version.
        earlier = event.timestamp - timedelta(microseconds=1)
        if v == 1:
            with pytest.raises(CaseNotFound):
                app.read(COMPLAINT, case_id, INSPECTOR, as_of=earlier)
        else:
            assert app.read(COMPLAINT, case_id, INSPECTOR, as_of=earlier).version == v - 1
        # The diff the timeline shows turns the state before into the state after.
        rebuilt = dict(before)
        for change in changes(before, after):
            rebuilt[change["field"]] = change["after"]
        assert rebuilt == after
    assert state_of(case) == folded[-1][3]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=moves, confidential=st.booleans())
def test_every_version_is_the_fold_of_its_events(
    application: Oversight, steps: list[tuple[int | str, int]], confidential: bool
) -> None:
    check_time_travel(application, make_history(application, steps, confidential))


def test_a_history_longer_than_the_snapshot_interval(application: Oversight) -> None:
    """Reads past a snapshot (every 50 versions) start from it: still the same fold."""
    steps = [("accept", 60), *[("supervise", 3600)] * 60, ("transfer", 60), ("reply", 60)]
    case_id = make_history(application, steps, confidential=False)
    assert application.read(COMPLAINT, case_id, INSPECTOR).version == 64
    assert list(application.snapshots.get(case_id)), "the history should have a snapshot"
    check_time_travel(application, case_id)
