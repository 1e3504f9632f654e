"""The bureau's published figures (seed press release, 7 July 2020), reproduced by the
dashboard from cases loaded through the public API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.project import Classification, CoordinationRole, ProblemCategory
from domain.project_case import PROBLEM, PROJECT
from domain.project_commands import (
    InvestorIn,
    JoinLeader,
    JoinOfficer,
    JoinTaskForce,
    LeaveLeader,
    LeaveOfficer,
    LeaveTaskForce,
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

    # Resumption to date: 98.6 % of industrial enterprises above designated size, 99.5 % of
    # foreign-trade enterprises.
    for kind, resumed, required in (
        ("industrial_resumption", 3_451, 3_500),
        ("foreign_trade_resumption", 1_990, 2_000),
    ):
        post(
            "/api/v1/service-statistics",
            {
                "kind": kind,
                "period_start": "2020-02-01",
                "period_end": "2020-06-30",
                "resumed": resumed,
                "required": required,
            },
            SUPERVISOR,
            status=201,
        )

    # Major projects, served as the bureau runs them: 200 projects, several chief service
    # officers each (614 in all, some of whom left during the period: they served in
    # it), 157 task forces (some push two projects), 168 projects with a contact leader,
    # problems coordinated and solved for 47 projects. Members who served only before
    # the period are not counted. Through the application's commands (the same the API
    # sends), to keep the test quick.
    app = client.app.state.services.app
    before, at = datetime(2020, 1, 6, 1, 0, tzinfo=UTC), datetime(2020, 4, 1, 1, 0, tzinfo=UTC)
    january = (datetime(2020, 1, 10, 1, 0, tzinfo=UTC), datetime(2020, 1, 20, 1, 0, tzinfo=UTC))
    clerk, supervisor = actor("clerk", "clerk-1"), actor("supervisor", "sup-1")
    classes = ["never_stopped", "resumed", "planning_to_resume", "newly_signed"]
    for i in range(200):
        code = credit_code()
        project = app.create(
            PROJECT,
            clerk,
            before,
            RegisterProject(
                name=f"重点项目{i}",
                investor=InvestorIn(name=f"投资企业{i}", credit_code=code),
                city="哈尔滨",
                investment_cny=Decimal(100_000_000 + i),
                sector="制造业",
                classification=Classification(classes[i % 4]),
            ),
        ).case

        def move(name: str, command: Any, when: datetime = at, pid: Any = project.id) -> None:
            nonlocal last_position
            done = app.move(pid, name, supervisor, when, command, case_type=PROJECT)
            last_position = max(last_position, done.position)

        if i == 199:  # served only before the period
            move("join-task-force", JoinTaskForce(task_force="旧专班"), january[0])
            move("join-leader", JoinLeader(leader="原联系领导"), january[0])
            move("join-officer", JoinOfficer(officer_id="officer-gone"), january[0])
            move("leave-task-force", LeaveTaskForce(task_force="旧专班"), january[1])
            move("leave-leader", LeaveLeader(leader="原联系领导"), january[1])
            move("leave-officer", LeaveOfficer(officer_id="officer-gone"), january[1])
        for k in range(4 if i < 14 else 3):  # 14 * 4 + 186 * 3 = 614
            move("join-officer", JoinOfficer(officer_id=f"officer-{i}-{k}"))
        move("join-task-force", JoinTaskForce(task_force=f"专班{i % 157}"))
        if i < 168:
            move("join-leader", JoinLeader(leader=f"省领导{i % 20}"))
        if i < 20:  # rotated in May: still served in the period
            move(
                "leave-officer",
                LeaveOfficer(officer_id=f"officer-{i}-0"),
                datetime(2020, 5, 6, 1, 0, tzinfo=UTC),
            )
        if i < 47:
            officer = actor("service_officer", f"officer-{i}-1")
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
    resumption = figures["resumption"]
    assert f"{resumption['industrial']['rate']:.1f}%" == "98.6%"
    assert f"{resumption['foreign_trade']['rate']:.1f}%" == "99.5%"
    projects = figures["projects"]
    assert projects["with_leader_contact"] == 168
    assert projects["projects_with_coordinated_problems"] == 47
    assert projects["projects_with_resolved_problems"] == 47
    assert projects["problems"]["coordinated"] == 47
    assert projects["task_forces"] == 157
    assert projects["chief_service_officers"] == 614
    assert projects["registered"] == 200
    assert projects["class_share"] == {c: 25.0 for c in classes}
    assert projects["resumption_rate"] == 50.0
    # January alone: only the members who served then.
    january_only = client.get(
        "/api/v1/dashboard?from=2020-01-01&to=2020-01-31", headers=headers
    ).json()["projects"]
    assert (
        january_only["with_leader_contact"],
        january_only["task_forces"],
        january_only["chief_service_officers"],
        january_only["projects_with_coordinated_problems"],
    ) == (1, 1, 1, 0)
