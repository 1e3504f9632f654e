"""The bureau's published figures (seed press release, 7 July 2020), reproduced by the
dashboard from cases loaded through the public API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial

from domain.project import Classification, CoordinationRole, ProblemCategory
from domain.project_case import PROBLEM, PROJECT
from domain.project_commands import (
    AssignLeader,
    AssignOfficer,
    AssignTaskForce,
    InvestorIn,
    Note,
    RaiseProblem,
    RegisterProject,
    Resolve,
)
from tests.conftest import actor, bearer
from tests.support import credit_code

SUPERVISOR = bearer("supervisor", "sup-1")
CLERK = bearer("clerk", "clerk-1")
RE_REVIEWER = bearer("supervisor", "sup-2")
PERIOD = "from=2020-02-01&to=2020-06-30"


def test_the_dashboard_prints_the_release_percentages(fresh_client, clock):
    client = fresh_client
    last_position = 0

    def post(path, body, headers, status=200):
        nonlocal last_position
        r = client.post(path, json=body, headers=headers)
        assert r.status_code == status, r.text
        last_position = max(last_position, r.json()["position"])
        return r.json()

    # 38 credit-repair applications, each reviewed and re-reviewed within one working
    # day and repaired by the national centre.
    for i in range(38):
        code = credit_code()
        clock.set(datetime(2020, 3, 2, 1, 0, tzinfo=UTC) + timedelta(days=i))  # 09:00 Beijing
        repair = post(
            "/api/v1/credit-repairs",
            {
                "enterprise": {"name": f"企业{i}", "credit_code": code},
                "record_id": f"XZCF-2020-{i:04d}",
                "penalty_authority": "黑龙江省市场监督管理局",
                "severity": "general",
                "proof": "已整改并缴纳罚款",
                "pledge_signed": True,
            },
            bearer("enterprise", f"e{i}", code),
            status=201,
        )
        path = f"/api/v1/credit-repairs/{repair['id']}"
        clock.advance(hours=2)
        post(f"{path}/initial-review", {"passed": True}, CLERK)
        clock.advance(hours=2)
        post(f"{path}/re-review", {"passed": True}, RE_REVIEWER)
        post(f"{path}/submit", {}, CLERK)
        clock.advance(days=3)
        post(f"{path}/record-outcome", {"repaired": True}, CLERK)

    # Government service items: 4,142,710 of which 1,571,174 offline.
    clock.set(datetime(2020, 7, 1, 2, 0, tzinfo=UTC))
    post(
        "/api/v1/service-statistics",
        {
            "period_start": "2020-02-01",
            "period_end": "2020-06-30",
            "online": 4_142_710 - 1_571_174,
            "offline": 1_571_174,
        },
        SUPERVISOR,
        status=201,
    )

    # Major projects: 614 chief service officers, each serving a project; 157 task forces;
    # 168 projects with a leader contact; problems coordinated and solved for 47 projects.
    # Through the application's commands (the same the API sends), to keep the test quick.
    app = client.app.state.services.app
    at = datetime(2020, 4, 1, 1, 0, tzinfo=UTC)
    clerk, supervisor = actor("clerk", "clerk-1"), actor("supervisor", "sup-1")
    classes = ["never_stopped", "resumed", "planning_to_resume", "newly_signed"]
    for i in range(614):
        code = credit_code()
        project = app.create(
            PROJECT,
            clerk,
            at,
            RegisterProject(
                name=f"重点项目{i}",
                investor=InvestorIn(name=f"投资企业{i}", credit_code=code),
                city="哈尔滨",
                investment_cny=Decimal(100_000_000 + i),
                sector="制造业",
                classification=Classification(classes[i % 4]),
            ),
        ).case
        move = partial(app.move, project.id, actor=supervisor, at=at, case_type=PROJECT)
        last = move(move="assign-officer", command=AssignOfficer(officer_id=f"officer-{i}"))
        last_position = max(last_position, last.position)
        if i < 157:
            move(move="assign-task-force", command=AssignTaskForce(task_force=f"专班{i}"))
        if i < 168:
            last = move(move="assign-leader", command=AssignLeader(leader=f"省领导{i % 20}"))
            last_position = max(last_position, last.position)
        if i < 47:
            officer = actor("service_officer", f"officer-{i}")
            problem = app.create(
                PROBLEM,
                officer,
                at,
                RaiseProblem(
                    project_id=project.id, category=ProblemCategory("land"), description="用地"
                ),
            ).case
            app.move(
                problem.id,
                "note",
                officer,
                at,
                Note(role=CoordinationRole("coordinator"), text="协调"),
                case_type=PROBLEM,
            )
            solved = app.move(
                problem.id, "resolve", officer, at, Resolve(solution="已解决"), case_type=PROBLEM
            )
            last_position = max(last_position, solved.position)

    headers = {**SUPERVISOR, "X-Min-Position": str(last_position)}
    figures = client.get(f"/api/v1/dashboard?{PERIOD}", headers=headers).json()
    repairs = figures["credit"]["repairs"]
    assert repairs["applications"] == 38
    assert f"{repairs['review_rate']:.2f}%" == "100.00%"
    assert f"{repairs['repaired_rate']:.2f}%" == "100.00%"
    items = figures["service_items"]
    assert items["items"] == 4_142_710
    assert f"{items['offline_share']:.2f}%" == "37.93%"
    assert f"{items['online_share']:.2f}%" == "62.07%"
    projects = figures["projects"]
    assert projects["with_leader_contact"] == 168
    assert projects["projects_with_resolved_problems"] == 47
    assert projects["problems"]["coordinated"] == 47
    assert projects["task_forces"] == 157
    assert projects["chief_service_officers"] == 614
    assert projects["registered"] == 614
    assert projects["class_share"] == {c: 25.0 for c in classes} | {
        "never_stopped": 25.08,
        "resumed": 25.08,
        "planning_to_resume": 24.92,
        "newly_signed": 24.92,
    }
    assert projects["resumption_rate"] == 50.16
