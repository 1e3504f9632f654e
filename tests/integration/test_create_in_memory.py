"""`Oversight.create_in_memory`: a create decided without I/O, stored by group commit.

The API decides creates in the event loop and awaits the committer (api/cases.py), so
the path must give the same case, position and errors as `create`, and step aside (None)
whenever the decision needs the store or there is no group committer.
"""

from __future__ import annotations

from concurrent.futures import Future
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain import commands as cmd
from domain import project_commands as pcmd
from domain.complaint_case import COMPLAINT
from domain.errors import Forbidden
from domain.project import ProblemCategory
from domain.project_case import PROBLEM, PROJECT
from oversight.runtime import build_application
from tests.conftest import actor
from tests.support import credit_code

pytestmark = pytest.mark.integration

T0 = datetime(2024, 9, 23, 1, 0, tzinfo=UTC)
CLERK = actor("clerk", "c")


def lodging() -> cmd.LodgeComplaint:
    return cmd.LodgeComplaint(
        kind="complaint",
        channel="web",
        category="approval",
        title="t",
        description="d",
        complainant=cmd.ComplainantIn(name="某公司", credit_code=credit_code()),
    )


@pytest.fixture
def app(database_url, settings):
    application = build_application(database_url, settings)
    yield application
    application.close()


class Waiter(Future):
    """The `done` callback as a future (the API uses an asyncio one)."""

    def __call__(self, result, error) -> None:
        if error is None:
            self.set_result(result)
        else:
            self.set_exception(error)


def never(result, error) -> None:
    raise AssertionError("nothing was queued, nothing should be told")


def test_without_group_commit_it_steps_aside(app):
    assert app.create_in_memory(COMPLAINT, CLERK, T0, lodging(), never) is False


def test_a_create_is_decided_at_once_and_completes_when_stored(app):
    app.enable_group_commit()
    futures = [Waiter() for _ in range(20)]
    assert all(app.create_in_memory(COMPLAINT, CLERK, T0, lodging(), f) for f in futures)
    results = [f.result(timeout=10) for f in futures]
    positions = [r.position for r in results]
    assert len(set(positions)) == 20
    for result in results:
        stored = app.complaint(result.case.id, CLERK)
        assert stored == result.case and stored.version == 1
        with app.store.datastore.transaction(commit=False) as curs:
            curs.execute(
                "SELECT notification_id FROM oversight_events WHERE originator_id = %s",
                (result.case.id,),
            )
            assert curs.fetchone()["notification_id"] == result.position
        assert app.store.version_at(result.case.id, T0) == 1  # the time index too


def test_its_errors_are_creates_errors_raised_before_anything_is_queued(app):
    app.enable_group_commit()
    with pytest.raises(Forbidden):
        app.create_in_memory(COMPLAINT, actor("department", "d", "hlj-swt"), T0, lodging(), never)


def test_a_decision_that_loads_another_case_steps_aside_and_create_still_works(app):
    app.enable_group_commit()
    project = app.create(
        PROJECT,
        CLERK,
        T0,
        pcmd.RegisterProject(
            name="项目",
            investor=pcmd.InvestorIn(name="某公司", credit_code=credit_code()),
            city="哈尔滨市",
            investment_cny=Decimal("1000000"),
            sector="制造",
        ),
    ).case
    body = pcmd.RaiseProblem(
        project_id=project.id, category=ProblemCategory.LAND, description="d", working_days=1
    )
    assert app.create_in_memory(PROBLEM, CLERK, T0, body, never) is False
    problem = app.create(PROBLEM, CLERK, T0, body).case
    assert problem.project_id == project.id
