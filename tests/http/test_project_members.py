"""Who serves a project, through the API (issue 11 §6): task forces, chief service
officers and contact leaders join and leave (supervisors only); the project's body lists
every membership with its dates, the board the ones serving now; every current officer
sees the project and one that left does not; a problem escalates to a leader named."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.conftest import bearer
from tests.http.support import check_problem, clerk, enterprise, new_id, supervisor
from tests.support import credit_code

PROJECTS = "/api/v1/projects"
PROBLEMS = "/api/v1/problems"


def officer(sub: str) -> dict[str, str]:
    return bearer("service_officer", sub)


def register(client: Any, code: str) -> str:
    body = {
        "name": "哈尔滨新区智能装备产业园项目",
        "investor": {"name": "哈尔滨某某装备制造有限公司", "credit_code": code},
        "city": "哈尔滨",
        "investment_cny": "3500000000",
        "sector": "装备制造",
        "classification": "planning_to_resume",
    }
    r = client.post(PROJECTS, json=body, headers=clerk())
    assert r.status_code == 201, r.text
    return r.json()["id"]


def move(client: Any, pid: str, name: str, body: dict, headers: Any = None) -> dict:
    r = client.post(f"{PROJECTS}/{pid}/{name}", json=body, headers=headers or supervisor())
    assert r.status_code == 200, r.text
    return r.json()


def read(client: Any, pid: str, headers: Any = None) -> Any:
    return client.get(f"{PROJECTS}/{pid}", headers=headers or supervisor())


def board(client: Any, headers: Any, position: int) -> dict[str, dict]:
    r = client.get(
        PROJECTS, params={"limit": 200}, headers={**headers, "X-Min-Position": str(position)}
    )
    assert r.status_code == 200, r.text
    return {item["id"]: item for item in r.json()["items"]}


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_members_join_and_leave_and_the_project_lists_them_with_dates(client, clock):
    code = credit_code()
    a, b = new_id("officer"), new_id("officer")
    pid = register(client, code)
    joined_a = clock.advance(minutes=5)
    move(client, pid, "join-officer", {"officer_id": a, "note": "首席服务员"})
    joined_b = clock.advance(minutes=5)
    move(client, pid, "join-officer", {"officer_id": b})
    clock.advance(minutes=5)
    move(client, pid, "join-task-force", {"task_force": "哈尔滨市装备制造项目推进专班"})
    move(client, pid, "join-task-force", {"task_force": "省招商引资项目推进专班"})
    move(client, pid, "join-leader", {"leader": "哈尔滨市人民政府副市长"})
    left_a = clock.advance(days=20)
    last = move(client, pid, "leave-officer", {"officer_id": a, "note": "工作调整"})
    assert last["version"] == 7

    project = read(client, pid).json()
    assert [(m["member"], instant(m["joined_at"]), m["left_at"]) for m in project["officers"]] == [
        (a, joined_a, project["officers"][0]["left_at"]),
        (b, joined_b, None),
    ]
    assert instant(project["officers"][0]["left_at"]) == left_a
    assert [m["member"] for m in project["task_forces"]] == [
        "哈尔滨市装备制造项目推进专班",
        "省招商引资项目推进专班",
    ]
    assert all(m["left_at"] is None for m in project["task_forces"] + project["leaders"])
    # The single fields: the one that joined last, of those serving now.
    assert (project["officer_id"], project["task_force"], project["leader"]) == (
        b,
        "省招商引资项目推进专班",
        "哈尔滨市人民政府副市长",
    )
    history = client.get(f"{PROJECTS}/{pid}/history", headers=supervisor()).json()["events"]
    assert [e["type"] for e in history] == [
        "Registered",
        "OfficerJoined",
        "OfficerJoined",
        "TaskForceJoined",
        "TaskForceJoined",
        "LeaderJoined",
        "OfficerLeft",
    ]
    assert history[-1]["data"] == {"officer_id": a, "note": "工作调整"}
    # As it stood before the officer left.
    before = client.get(f"{PROJECTS}/{pid}", params={"version": 6}, headers=supervisor()).json()
    assert [m["left_at"] for m in before["officers"]] == [None, None]

    row = board(client, supervisor(), last["position"])[pid]
    assert (row["officers"], row["task_forces"], row["leaders"]) == (
        [b],
        ["哈尔滨市装备制造项目推进专班", "省招商引资项目推进专班"],
        ["哈尔滨市人民政府副市长"],
    )
    assert (row["officer_id"], row["task_force"]) == (b, "省招商引资项目推进专班")


def test_refused_member_moves_change_nothing(client, clock):
    pid = register(client, credit_code())
    a, b = new_id("officer"), new_id("officer")
    move(client, pid, "join-officer", {"officer_id": a})
    move(client, pid, "join-officer", {"officer_id": b})
    clock.advance(minutes=5)
    before = (
        read(client, pid).json(),
        client.get(f"{PROJECTS}/{pid}/history", headers=supervisor()).json(),
    )

    def post(name: str, body: Any, headers: Any = None) -> Any:
        return client.post(f"{PROJECTS}/{pid}/{name}", json=body, headers=headers or supervisor())

    refused = [
        (post("join-officer", {"officer_id": a}), 409, f"{a} already serves the project"),
        (post("leave-officer", {"officer_id": "officer-nobody"}), 409, "does not serve"),
        (post("leave-leader", {"leader": "无此领导"}), 409, "does not serve"),
        (
            post("assign-officer", {"officer_id": "officer-c"}),
            409,
            "join-officer and leave-officer",
        ),
    ]
    for r, status, why in refused:
        assert why in check_problem(r, status)["detail"]
    for headers in (clerk(), officer(a), enterprise(credit_code())):
        check_problem(post("join-task-force", {"task_force": "专班"}, headers), 403)
    check_problem(post("join-task-force", {}), 422, "task_force")
    check_problem(post("leave-officer", {"officer_id": ""}), 422, "officer_id")
    check_problem(post("join-leader", {"leader": "某", "extra": 1}), 422, "extra")
    check_problem(
        client.post(
            f"{PROJECTS}/{pid}/leave-officer",
            json={"officer_id": a},
            headers={**supervisor(), "If-Match": '"2"'},
        ),
        412,
    )
    after = (
        read(client, pid).json(),
        client.get(f"{PROJECTS}/{pid}/history", headers=supervisor()).json(),
    )
    assert after == before


def test_every_current_officer_sees_the_project_and_one_that_left_does_not(client, clock):
    code = credit_code()
    a, b = new_id("officer"), new_id("officer")
    pid = register(client, code)
    move(client, pid, "join-officer", {"officer_id": a})
    last = move(client, pid, "join-officer", {"officer_id": b})
    for sub in (a, b):
        assert read(client, pid, officer(sub)).status_code == 200
        assert list(board(client, officer(sub), last["position"])) == [pid]
    clock.advance(minutes=5)
    r = client.post(
        f"{PROJECTS}/{pid}/problems",
        json={"category": "labour", "description": "用工缺口"},
        headers=officer(a),
    )
    assert r.status_code == 201, r.text
    bid = r.json()["id"]
    clock.advance(minutes=5)
    last = move(client, pid, "leave-officer", {"officer_id": a})
    check_problem(read(client, pid, officer(a)), 404)
    check_problem(client.get(f"{PROBLEMS}/{bid}", headers=officer(a)), 404)
    assert board(client, officer(a), last["position"]) == {}
    assert client.get(f"{PROBLEMS}/{bid}", headers=officer(b)).status_code == 200
    assert list(board(client, officer(b), last["position"])) == [pid]


def test_a_problem_escalates_to_the_leader_named_or_the_latest(client, clock):
    pid = register(client, credit_code())
    move(client, pid, "join-leader", {"leader": "副省长 王某"})
    move(client, pid, "join-leader", {"leader": "副市长 李某"})

    def raised() -> str:
        clock.advance(minutes=1)
        r = client.post(
            f"{PROJECTS}/{pid}/problems",
            json={"category": "land", "description": "用地"},
            headers=clerk(),
        )
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def escalate(bid: str, body: dict) -> Any:
        clock.advance(minutes=1)
        return client.post(f"{PROBLEMS}/{bid}/escalate", json=body, headers=supervisor())

    latest = escalate(raised(), {"reason": "需协调"})
    assert latest.json()["escalated_to"] == "副市长 李某"
    named = escalate(raised(), {"reason": "需协调", "leader": "副省长 王某"})
    assert named.json()["escalated_to"] == "副省长 王某"
    stranger = raised()
    r = escalate(stranger, {"reason": "需协调", "leader": "某局长"})
    assert "某局长 is not a contact leader" in check_problem(r, 409)["detail"]
    assert client.get(f"{PROBLEMS}/{stranger}", headers=supervisor()).json()["status"] == "open"
