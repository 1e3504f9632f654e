"""The application layer on eventsourcing's in-memory store: the same `Oversight`
application, only its environment changed (domain/store.py IN_MEMORY), so a case's
whole life runs through the real commands (role 403, visibility 404, expected version
412, the decision, one save) in milliseconds, without PostgreSQL.

What only PostgreSQL can prove (the one-statement insert, conflicts between processes,
LISTEN/NOTIFY, the views) stays in tests/integration and tests/http.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

import pytest

from domain import commands as cmd
from domain import commitment_commands as cc
from domain import credit_repair_commands as rc
from domain import project_commands as pc
from domain.application import Oversight
from domain.commitment import Status as CommitmentStatus
from domain.commitment_case import COMMITMENT
from domain.complaint import Status
from domain.complaint_case import COMPLAINT
from domain.credit_repair import Severity
from domain.credit_repair import Status as RepairStatus
from domain.credit_repair_case import CREDIT_REPAIR
from domain.errors import CaseNotFound, Forbidden, MoveNotAllowed, VersionConflict
from domain.project import Classification, ProblemCategory, ProblemStatus
from domain.project_case import PROBLEM, PROJECT
from domain.sla import SlaPolicy, calendar_for
from domain.store import IN_MEMORY, InMemoryRecorder
from domain.values import Actor, Channel, Kind, Rating, Role
from tests.gwt import given
from tests.support import credit_code

CST = timezone(timedelta(hours=8))
MONDAY = datetime(2024, 9, 23, 9, 0, tzinfo=CST)  # 2024-09-23, a working day

CODE = credit_code()
ENTERPRISE = Actor(id="ent-1", role=Role.ENTERPRISE, org=CODE)
OTHER_ENTERPRISE = Actor(id="ent-2", role=Role.ENTERPRISE, org=credit_code())
CLERK = Actor(id="clerk-1", role=Role.CLERK)
SUPERVISOR = Actor(id="sup-1", role=Role.SUPERVISOR)
OFFICER = Actor(id="officer-1", role=Role.SERVICE_OFFICER)
DEPARTMENT = Actor(id="dep-1", role=Role.DEPARTMENT, org="hlj-fgw")


@pytest.fixture
def app():
    sla = SlaPolicy()
    application = Oversight(IN_MEMORY, calendar=calendar_for(sla), sla=sla)
    yield application
    application.close()


def hours(n: float) -> datetime:
    return MONDAY + timedelta(hours=n)


def lodge(app: Oversight, at: datetime = MONDAY):
    return app.create(
        COMPLAINT,
        ENTERPRISE,
        at,
        cmd.LodgeComplaint(
            kind=Kind.COMPLAINT,
            channel=Channel.WEB,
            category="approval",
            title="审批超时",
            description="施工许可申请超过承诺时限未办结",
            complainant=cmd.ComplainantIn(name="黑龙江某某建设有限公司", credit_code=CODE),
        ),
    )


def stored(app: Oversight) -> int:
    return app.recorder.max_notification_id() or 0


def test_it_is_the_same_application_with_another_environment(app):
    assert type(app) is Oversight
    assert isinstance(app.recorder, InMemoryRecorder)
    assert app.store is app.recorder


def test_a_complaint_lives_its_whole_life_through_the_application(app):
    started = time.perf_counter()
    lodged = lodge(app)
    cid = lodged.case.id
    assert (lodged.case.status, lodged.position) == (Status.LODGED, 1)
    moves = [
        ("accept", CLERK, cmd.Accept(note="材料齐全")),
        ("transfer", CLERK, cmd.Transfer(department="hlj-fgw")),
        ("reply", DEPARTMENT, cmd.Reply(answer="已督促审批部门三个工作日内办结")),
        ("review", SUPERVISOR, cmd.Review(approved=True)),
        ("rate", ENTERPRISE, cmd.Rate(rating=Rating.SATISFIED, comment="满意")),
    ]
    positions = [lodged.position]
    for n, (move, actor, body) in enumerate(moves, start=1):
        result = app.move(cid, move, actor, hours(n), body, expected_version=n)
        assert result.case.version == n + 1
        positions.append(result.position)
    elapsed = time.perf_counter() - started
    assert positions == [1, 2, 3, 4, 5, 6]  # the notification log, gap-free
    case = app.complaint(cid, ENTERPRISE)
    assert case.status is Status.CLOSED
    assert case.departments == ["hlj-fgw"]
    # The case as it stood at a version and at an instant (the in-memory time index).
    assert app.complaint(cid, CLERK, version=2).status is Status.ACCEPTED
    assert app.complaint(cid, CLERK, as_of=hours(3.5)).status is Status.REPLIED
    with pytest.raises(CaseNotFound):
        app.complaint(cid, CLERK, as_of=MONDAY - timedelta(minutes=1))
    # The history is the events in order, and replaying them gives the stored case.
    now, events = app.history(COMPLAINT, cid, SUPERVISOR)
    assert [type(e).__name__ for e in events] == [
        "Lodged",
        "Accepted",
        "Transferred",
        "Replied",
        "Reviewed",
        "Rated",
    ]
    assert given(*events) == now
    assert elapsed < 2  # milliseconds in practice; generous for a loaded machine


def test_a_refused_command_stores_nothing(app):
    cid = lodge(app).case.id
    before = stored(app)
    with pytest.raises(Forbidden):  # 403: a department may not accept
        app.move(cid, "accept", DEPARTMENT, hours(1), cmd.Accept())
    with pytest.raises(CaseNotFound):  # 404: not the other enterprise's case
        app.move(cid, "withdraw", OTHER_ENTERPRISE, hours(1), cmd.Withdraw(reason="撤回"))
    with pytest.raises(VersionConflict):  # 412: the caller saw another version
        app.move(cid, "accept", CLERK, hours(1), cmd.Accept(), expected_version=2)
    with pytest.raises(MoveNotAllowed):  # 409: a lodged complaint is accepted first
        app.move(cid, "transfer", CLERK, hours(1), cmd.Transfer(department="hlj-fgw"))
    assert stored(app) == before
    assert app.complaint(cid, CLERK).version == 1


def test_a_project_and_its_problem(app):
    project = app.create(
        PROJECT,
        CLERK,
        MONDAY,
        pc.RegisterProject(
            name="年产十万套汽车零部件项目",
            investor=pc.InvestorIn(name="黑龙江某某汽车零部件有限公司", credit_code=CODE),
            city="哈尔滨",
            investment_cny=Decimal("1250000000.00"),
            sector="汽车零部件",
            classification=Classification.PLANNING_TO_RESUME,
        ),
    ).case
    app.move(
        project.id,
        "join-officer",
        SUPERVISOR,
        hours(1),
        pc.JoinOfficer(officer_id=OFFICER.id),
        case_type=PROJECT,
    )
    # Raising a problem loads its project (a decision that reads another aggregate).
    problem = app.create(
        PROBLEM,
        ENTERPRISE,
        hours(2),
        pc.RaiseProblem(
            project_id=project.id,
            category=ProblemCategory.LABOUR,
            description="外省技术工人返岗困难",
        ),
    ).case
    app.move(
        problem.id,
        "resolve",
        OFFICER,
        hours(3),
        pc.Resolve(solution="协调包车接回技术工人"),
        case_type=PROBLEM,
    )
    app.move(
        project.id,
        "classify",
        OFFICER,
        hours(4),
        pc.Classify(classification=Classification.RESUMED),
        case_type=PROJECT,
    )
    assert app.read(PROBLEM, problem.id, ENTERPRISE).status is ProblemStatus.RESOLVED
    assert app.read(PROJECT, project.id, SUPERVISOR).classification is Classification.RESUMED
    with pytest.raises(CaseNotFound):  # a problem needs a project that exists
        app.create(
            PROBLEM,
            CLERK,
            hours(5),
            pc.RaiseProblem(project_id=uuid4(), category=ProblemCategory.LAND, description="用地"),
        )


def test_a_commitment_fulfilled(app):
    commitment = app.create(
        COMMITMENT,
        ENTERPRISE,
        MONDAY,
        cc.Commit(
            matter="食品经营许可",
            enterprise=cc.EnterpriseIn(name="黑龙江某某食品有限公司", credit_code=CODE),
            statement="本企业承诺已符合审批条件，所缺材料于约定期限内补齐。",
            materials=["从业人员健康证明", "经营场所平面布局图"],
            due=cc.DueIn(date=(MONDAY + timedelta(days=30)).date()),
        ),
    ).case
    app.move(commitment.id, "grant", CLERK, hours(1), cc.Grant(), case_type=COMMITMENT)
    for n, material in enumerate(commitment.materials, start=2):
        app.move(
            commitment.id,
            "supply",
            ENTERPRISE,
            hours(n),
            cc.Supply(materials=[material]),
            case_type=COMMITMENT,
        )
    case, events = app.history(COMMITMENT, commitment.id, ENTERPRISE)
    assert case.status is CommitmentStatus.FULFILLED
    assert [type(e).__name__ for e in events] == [
        "Committed",
        "Granted",
        "MaterialsSupplied",
        "MaterialsSupplied",
        "Fulfilled",
    ]


def test_a_credit_repair_repaired(app):
    repair = app.create(
        CREDIT_REPAIR,
        ENTERPRISE,
        MONDAY,
        rc.ApplyForRepair(
            enterprise=rc.EnterpriseIn(name="黑龙江某某食品有限公司", credit_code=CODE),
            record_id="哈市监罚〔2019〕123号",
            penalty_authority="哈尔滨市市场监督管理局",
            severity=Severity.MINOR,
            proof="已补报并公示年度报告，罚款已缴清。",
            pledge_signed=True,
        ),
    ).case
    steps = [
        ("initial-review", CLERK, rc.RepairReview(passed=True)),
        ("re-review", SUPERVISOR, rc.RepairReview(passed=True)),
        ("submit", CLERK, rc.SubmitToCentre()),
        ("record-outcome", CLERK, rc.RecordOutcome(repaired=True)),
    ]
    for n, (move, actor, body) in enumerate(steps, start=1):
        app.move(repair.id, move, actor, hours(n), body, case_type=CREDIT_REPAIR)
    assert app.read(CREDIT_REPAIR, repair.id, ENTERPRISE).status is RepairStatus.REPAIRED
    with pytest.raises(CaseNotFound):
        app.read(CREDIT_REPAIR, repair.id, OTHER_ENTERPRISE)


def test_a_long_case_loads_from_its_snapshot_as_replay_builds_it(app):
    """Snapshots every 50 events go through the msgspec mapper in memory too."""
    cid = lodge(app).case.id
    for n in range(1, 60):
        app.move(cid, "supervise", SUPERVISOR, hours(n / 10), cmd.Supervise(note=f"第{n}次督办"))
    assert app.snapshots is not None
    assert len(list(app.snapshots.get(cid))) == 1
    loaded = app.repository.get(cid)
    assert loaded.version == 60
    assert loaded == given(*app.events.get(cid))
