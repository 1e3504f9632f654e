"""Issue 11 §4: what an enterprise sees of its case.

The enterprise's history, timeline, replay (server-sent events), the case now, at
`?version=N` and `?as_of=T` show the public course only: lodged, accepted, transferred
(to which department), the extension granted (the new due), the reply the review
approved, the approval, its rating. Internal notes, the draft reply the review sent
back, the supervision notice, the reminder (催办) and the escalation the deadline
watcher raises, the send-back between departments, and staff user ids are not in any
of them. A supervisor and an inspector see every event. Versions keep their numbers;
a version the enterprise may not see reads as the public version before it.

Dates: November 2024 has no holiday. Clock instants are given in Beijing time.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from oversight.complaint_watcher import remind_and_escalate_complaints
from oversight.runtime import create_app
from oversight.settings import Settings
from tests.conftest import JWT_SECRET, bearer
from tests.http.support import (
    API,
    CST,
    check_problem,
    clerk,
    cst,
    department,
    enterprise,
    inspector,
    list_cases,
    lodge,
    move,
    supervisor,
)
from tests.support import Clock, credit_code

pytestmark = pytest.mark.http

PROBLEMS = "/api/v1/problems"
PROJECTS = "/api/v1/projects"


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=CST)


@pytest.fixture
def own_client(fresh_database_url: str, settings: Settings, clock: Clock) -> Iterator[TestClient]:
    """A client on an empty database whose deadline watchers never run by themselves:
    the test runs a pass when it means to (and no other test's case is reminded)."""
    mine = Settings.from_env(
        {
            "OVERSIGHT_VAR_DIR": str(settings.var_dir),
            "OVERSIGHT_JWT_SECRET": JWT_SECRET,
            "OVERSIGHT_PROJECTION_POLL": "0.2",
            "OVERSIGHT_MIN_POSITION_WAIT": "5",
            "OVERSIGHT_LEDGER_HEADS_LOG": "off",
            "OVERSIGHT_WATCH_SECONDS": "0",
            "OVERSIGHT_DEPARTMENTS": "free",  # made-up department codes
        }
    )
    app = create_app(mine, database_url=fresh_database_url, jwt_secret=JWT_SECRET, clock=clock)
    with TestClient(app) as test_client:
        yield test_client


def watcher_pass(client: TestClient, position: int) -> int:
    """One pass of the complaints' deadline watcher, once the views reached `position`."""
    list_cases(client, supervisor(), position)
    services = client.app.state.services
    return client.blocking_portal.call(
        remind_and_escalate_complaints, services.app, services.pool, services.now
    )


def sse(text: str) -> list[dict[str, Any]]:
    messages = []
    for block in text.replace("\r\n", "\n").strip().split("\n\n"):
        message: dict[str, Any] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(": ")
            message[name] = value
        messages.append(message)
    return messages


class Case:
    """A complaint that went through every kind of internal step (see `given_a_case`)."""

    def __init__(self) -> None:
        self.marker = uuid.uuid4().hex[:8]
        self.code = credit_code()
        self.ent = enterprise(self.code, "ent-own")
        self.dept_a = "dept-a-" + self.marker
        self.dept_b = "dept-b-" + self.marker
        self.id = ""
        self.times: dict[int, datetime] = {}
        self.handling_due = datetime.min

    def text(self, what: str) -> str:
        return f"{what}-{self.marker}"

    @property
    def secrets(self) -> list[str]:
        """What the enterprise must never read: staff ids, notes, the draft, reasons of
        internal steps."""
        return [
            "clerk-secret",
            "sup-secret",
            "dep-a-secret",
            "dep-b-secret",
            "deadline-watcher",
            *(
                self.text(w)
                for w in ("内部备注", "不属本部门", "督办", "需核查", "同意延期", "答复草稿")
            ),
            *(self.text(w) for w in ("请重办", "审核通过")),
        ]


STAFF = {
    "clerk": clerk("clerk-secret"),
    "sup": supervisor("sup-secret"),
}

# The versions of `given_a_case`, and those an enterprise sees.
ALL_TYPES = [
    "Lodged",
    "Accepted",
    "Transferred",
    "SentBack",
    "Transferred",
    "Supervised",
    "ExtensionRequested",
    "ExtensionDecided",
    "Reminded",
    "Escalated",
    "Replied",
    "Reviewed",
    "Replied",
    "Reviewed",
]
PUBLIC = [
    (1, "Lodged"),
    (2, "Accepted"),
    (3, "Transferred"),
    (5, "Transferred"),
    (8, "ExtensionDecided"),
    (13, "Replied"),
    (14, "Reviewed"),
]


def step(client: TestClient, clock: Clock, case: Case, when: datetime, *args: Any) -> Any:
    clock.set(when)
    body = move(client, case.id, *args)
    case.times[body["version"]] = when
    return body


def given_a_case(client: TestClient, clock: Clock, case: Case) -> dict[str, Any]:
    """Lodged Monday 11-04 09:00; accepted with an internal note; transferred to A, which
    sends it back; transferred to B; a supervision notice; B asks for a working day more,
    granted; overdue, so the watcher reminds (Friday) and escalates (a week later); B's
    draft reply is sent back by the review, its second reply approved."""
    dep_a = department(case.dept_a, "dep-a-secret")
    dep_b = department(case.dept_b, "dep-b-secret")
    clock.set(local(11, 4, 9))
    case.id = lodge(client, case.code, headers=case.ent)["id"]
    case.times[1] = clock()
    step(
        client,
        clock,
        case,
        local(11, 4, 9, 10),
        "accept",
        STAFF["clerk"],
        {"note": case.text("内部备注")},
    )
    a = {"department": case.dept_a, "working_days": 1}
    step(client, clock, case, local(11, 4, 9, 20), "transfer", STAFF["clerk"], a)
    step(
        client,
        clock,
        case,
        local(11, 4, 9, 30),
        "send-back",
        dep_a,
        {"reason": case.text("不属本部门")},
    )
    b = {"department": case.dept_b, "working_days": 1}
    step(client, clock, case, local(11, 4, 9, 40), "transfer", STAFF["sup"], b)
    step(
        client,
        clock,
        case,
        local(11, 4, 9, 50),
        "supervise",
        STAFF["sup"],
        {"note": case.text("督办")},
    )
    ask = {"working_days": 1, "reason": case.text("需核查")}
    step(client, clock, case, local(11, 4, 10), "request-extension", dep_b, ask)
    grant = {"approved": True, "note": case.text("同意延期")}
    last = step(client, clock, case, local(11, 4, 10, 10), "decide-extension", STAFF["sup"], grant)
    case.handling_due = cst(
        get(client, f"{API}/{case.id}", supervisor()).json()["deadlines"]["handling_due"]
    )
    assert case.handling_due < local(11, 8, 10)
    # Overdue: Friday the watcher reminds, and 5 working days later escalates.
    clock.set(local(11, 8, 10))
    assert watcher_pass(client, last["position"]) == 1
    case.times[9] = clock()
    clock.set(local(11, 18, 10))
    assert watcher_pass(client, client.app.state.services.app.recorder.max_notification_id()) == 1
    case.times[10] = clock()
    step(
        client,
        clock,
        case,
        local(11, 18, 10, 10),
        "reply",
        dep_b,
        {"answer": case.text("答复草稿")},
    )
    redo = {"approved": False, "note": case.text("请重办")}
    step(client, clock, case, local(11, 18, 10, 20), "review", STAFF["sup"], redo)
    step(
        client,
        clock,
        case,
        local(11, 18, 10, 30),
        "reply",
        dep_b,
        {"answer": case.text("最终答复")},
    )
    ok = {"approved": True, "note": case.text("审核通过")}
    return step(client, clock, case, local(11, 18, 10, 40), "review", STAFF["sup"], ok)


def get(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> Any:
    r = client.get(path, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r


def assert_no_secret(case: Case, text: str) -> None:
    for secret in case.secrets:
        assert secret not in text, secret


def test_an_enterprise_sees_the_public_course_only(own_client: TestClient, clock: Clock) -> None:
    client = own_client
    case = Case()
    # Given a complaint with an internal note, a send-back, a supervision notice, a
    # reminder and an escalation by the watcher, and a redone reply,
    given_a_case(client, clock, case)
    full = get(client, f"{API}/{case.id}/history", supervisor()).json()["events"]
    assert [e["type"] for e in full] == ALL_TYPES
    assert full[8]["actor"]["role"] == full[9]["actor"]["role"] == "system"

    # When the enterprise reads its history,
    r = get(client, f"{API}/{case.id}/history", case.ent)
    # then it holds the public course, with the real version numbers,
    body = r.json()
    assert [(e["version"], e["type"]) for e in body["events"]] == PUBLIC
    assert (body["version"], r.headers["etag"]) == (14, '"14"')
    assert [cst(e["at"]) for e in body["events"]] == [case.times[v] for v, _ in PUBLIC]
    # staff by role, a department by its code, its own user by id,
    actors = [e["actor"] for e in body["events"]]
    assert actors == [
        {"id": "ent-own", "role": "enterprise", "org": case.code},
        {"id": None, "role": "clerk", "org": None},
        {"id": None, "role": "clerk", "org": None},
        {"id": None, "role": "supervisor", "org": None},
        {"id": None, "role": "supervisor", "org": None},
        {"id": None, "role": "department", "org": case.dept_b},
        {"id": None, "role": "supervisor", "org": None},
    ]
    # the transfers to which department, the new due, the final reply, the approval,
    data = {e["version"]: e["data"] for e in body["events"]}
    assert (data[3]["department"], data[5]["department"]) == (case.dept_a, case.dept_b)
    assert data[8]["approved"] is True
    assert cst(data[8]["due"]) == case.handling_due
    assert data[13] == {"answer": case.text("最终答复")}
    assert data[14]["approved"] is True
    # and nothing internal.
    assert_no_secret(case, r.text)

    # Its timeline: the same versions, changes only of what it may see.
    r = get(client, f"{API}/{case.id}/timeline", case.ent)
    timeline = r.json()
    assert [(e["version"], e["type"]) for e in timeline["entries"]] == PUBLIC
    assert (timeline["version"], r.headers["etag"]) == (14, '"14"')
    assert [e["actor"] for e in timeline["entries"]] == actors
    fields = {c["field"] for e in timeline["entries"] for c in e["changes"]}
    assert {"status", "department", "handling_due", "reply"} <= fields
    internal = {"departments", "last_reason", "supervision_count", "reminders", "escalated_due"}
    assert not fields & internal
    second_transfer = {c["field"]: c for c in timeline["entries"][3]["changes"]}
    assert (second_transfer["department"]["before"], second_transfer["department"]["after"]) == (
        case.dept_a,
        case.dept_b,
    )
    assert "status" not in second_transfer  # transferred before and after: no send-back
    assert_no_secret(case, r.text)

    # Its replay: the same entries as server-sent events, then the end at version 14.
    r = get(client, f"{API}/{case.id}/replay", case.ent)
    messages = sse(r.text)
    assert [m["event"] for m in messages] == ["version"] * len(PUBLIC) + ["end"]
    assert [m["id"] for m in messages[:-1]] == [str(v) for v, _ in PUBLIC]
    assert [json.loads(m["data"]) for m in messages[:-1]] == timeline["entries"]
    assert json.loads(messages[-1]["data"]) == {"id": case.id, "version": 14}
    assert_no_secret(case, r.text)

    # The case now, and at every version: a hidden one reads as the public one before.
    r = get(client, f"{API}/{case.id}", case.ent)
    now = r.json()
    assert (now["version"], r.headers["etag"], now["status"]) == (14, '"14"', "awaiting_rating")
    assert (now["reply"], now["department"]) == (case.text("最终答复"), case.dept_b)
    assert (now["redo_count"], now["supervision_count"], now["extension_requested"]) == (
        0,
        None,
        None,
    )
    assert now["lodged_by"] == {"id": "ent-own", "role": "enterprise", "org": case.code}
    assert_no_secret(case, r.text)
    public = [v for v, _ in PUBLIC]
    for version in range(1, 15):
        r = get(client, f"{API}/{case.id}", case.ent, version=version)
        shown = max(v for v in public if v <= version)
        assert (r.json()["version"], r.headers["etag"]) == (shown, f'"{shown}"'), version
        assert_no_secret(case, r.text)
    at_draft = get(client, f"{API}/{case.id}", case.ent, version=11).json()
    assert (at_draft["status"], at_draft["department"], at_draft["reply"]) == (
        "transferred",
        case.dept_b,
        None,
    )
    assert cst(at_draft["deadlines"]["handling_due"]) == case.handling_due
    after_send_back = get(client, f"{API}/{case.id}", case.ent, version=4).json()
    assert (after_send_back["status"], after_send_back["department"]) == (
        "transferred",
        case.dept_a,
    )
    # ... and as of an instant: the draft's time reads as the granted extension.
    draft_at = case.times[11].isoformat()
    assert get(client, f"{API}/{case.id}", case.ent, as_of=draft_at).json()["version"] == 8
    check_problem(client.get(f"{API}/{case.id}", params={"version": 15}, headers=case.ent), 404)

    # A supervisor and an inspector see every event, with its actor and notes.
    for headers in (supervisor(), inspector()):
        r = get(client, f"{API}/{case.id}/history", headers)
        events = r.json()["events"]
        assert [e["type"] for e in events] == ALL_TYPES
        assert events[1]["actor"]["id"] == "clerk-secret"
        assert events[1]["data"]["note"] == case.text("内部备注")
        assert events[10]["data"]["answer"] == case.text("答复草稿")
        timeline = get(client, f"{API}/{case.id}/timeline", headers).json()
        assert [e["version"] for e in timeline["entries"]] == list(range(1, 15))
        replay = sse(get(client, f"{API}/{case.id}/replay", headers).text)
        assert [m.get("id") for m in replay[:-1]] == [str(v) for v in range(1, 15)]
        at_draft = get(client, f"{API}/{case.id}", headers, version=11).json()
        assert (at_draft["version"], at_draft["status"]) == (11, "replied")
        assert at_draft["reply"] == case.text("答复草稿")

    # The enterprise rates: its answer and the history go on from there.
    clock.set(local(11, 18, 11))
    rated = move(client, case.id, "rate", case.ent, {"rating": "satisfied"}, status="closed")
    assert rated["version"] == 15
    assert_no_secret(case, json.dumps(rated, ensure_ascii=False))
    events = get(client, f"{API}/{case.id}/history", case.ent).json()["events"]
    assert [e["version"] for e in events] == [*public, 15]


def enterprise_view(client: TestClient, case: Case) -> list[str]:
    """Everything the enterprise reads of the case, as text."""
    paths = [f"{API}/{case.id}", f"{API}/{case.id}/history", f"{API}/{case.id}/timeline"]
    texts = []
    for path in paths:
        r = get(client, path, case.ent)
        texts += [r.text, r.headers["etag"]]
    texts.append(get(client, f"{API}/{case.id}/replay", case.ent).text)
    return texts


def test_a_hidden_step_changes_nothing_the_enterprise_reads(
    own_client: TestClient, clock: Clock
) -> None:
    client = own_client
    case = Case()
    dep = department(case.dept_a, "dep-a-secret")
    clock.set(local(11, 4, 9))
    case.id = lodge(client, case.code, headers=case.ent)["id"]
    clock.set(local(11, 4, 9, 10))
    move(client, case.id, "accept", STAFF["clerk"])
    clock.set(local(11, 4, 9, 20))
    last = move(client, case.id, "transfer", STAFF["clerk"], {"department": case.dept_a})
    seen = enterprise_view(client, case)
    # When a supervision notice, an extension request, a draft reply, its redo and a
    # reminder by the watcher happen,
    hidden = [
        ("supervise", STAFF["sup"], {"note": case.text("督办")}),
        ("request-extension", dep, {"working_days": 1, "reason": case.text("需核查")}),
        ("reply", dep, {"answer": case.text("答复草稿")}),
        ("review", STAFF["sup"], {"approved": False, "note": case.text("请重办")}),
    ]
    for minute, (name, headers, body) in enumerate(hidden, start=30):
        clock.set(local(11, 4, 9, minute))
        last = move(client, case.id, name, headers, body)
        # then the enterprise reads exactly what it read before, ETags included.
        assert enterprise_view(client, case) == seen, name
    clock.set(local(11, 25, 10))  # long past the redo's due
    assert watcher_pass(client, last["position"]) == 1
    assert enterprise_view(client, case) == seen
    assert get(client, f"{API}/{case.id}", supervisor()).json()["version"] == 8


def test_if_match_names_the_version_the_enterprise_read(
    own_client: TestClient, clock: Clock
) -> None:
    client = own_client
    case = Case()
    clock.set(local(11, 4, 9))
    case.id = lodge(client, case.code, headers=case.ent)["id"]
    move(client, case.id, "accept", STAFF["clerk"])
    move(client, case.id, "supervise", STAFF["sup"], {"note": case.text("督办")})  # hidden: 3
    r = get(client, f"{API}/{case.id}", case.ent)
    assert r.headers["etag"] == '"2"'

    def snapshot() -> tuple[Any, ...]:
        r = client.get(f"{API}/{case.id}", headers=supervisor())
        h = client.get(f"{API}/{case.id}/history", headers=supervisor())
        return r.json()["version"], r.json()["status"], r.headers["etag"], h.text

    before = snapshot()
    # The real version (which it cannot know) is stale to it: 412, naming its version;
    # nothing is stored.
    for stale in ('"3"', '"1"'):
        r = client.post(
            f"{API}/{case.id}/withdraw",
            json={"reason": "已解决"},
            headers={**case.ent, "If-Match": stale},
        )
        problem = check_problem(r, 412)
        assert problem["detail"].endswith("the case is at version 2"), problem
        assert snapshot() == before
    # The version it read goes through.
    r = client.post(
        f"{API}/{case.id}/withdraw",
        json={"reason": "已解决"},
        headers={**case.ent, "If-Match": '"2"'},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["version"], r.headers["etag"]) == ("withdrawn", 4, '"4"')
    assert case.text("督办") not in r.text
    # Bureau roles keep the case's own versions.
    before = snapshot()
    r = client.post(f"{API}/{case.id}/close", json={}, headers={**supervisor(), "If-Match": '"2"'})
    assert check_problem(r, 412)["detail"].endswith("the case is at version 4")
    assert snapshot() == before


def test_a_problem_shows_its_public_course(own_client: TestClient, clock: Clock) -> None:
    client = own_client
    code = credit_code()
    ent = enterprise(code, "ent-own")
    officer_id = "officer-" + uuid.uuid4().hex[:8]
    off = bearer("service_officer", officer_id)
    clock.set(local(11, 4, 9))
    r = client.post(
        PROJECTS,
        json={
            "name": "项目",
            "investor": {"name": "某公司", "credit_code": code},
            "city": "哈尔滨市",
            "investment_cny": 100,
            "sector": "制造",
        },
        headers=clerk("clerk-secret"),
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    for name, body in (
        ("assign-officer", {"officer_id": officer_id, "note": "内部备注"}),
        ("assign-leader", {"leader": "副省长 王某"}),
    ):
        r = client.post(f"{PROJECTS}/{pid}/{name}", json=body, headers=supervisor("sup-secret"))
        assert r.status_code == 200, r.text
    r = client.post(
        f"{PROJECTS}/{pid}/problems", json={"category": "land", "description": "用地"}, headers=ent
    )
    assert r.status_code == 201, r.text
    bid = r.json()["id"]
    for name, body in (
        ("note", {"role": "coordinator", "text": "协调备注"}),
        ("escalate", {"reason": "升级原因"}),
        ("note", {"role": "liaison", "text": "联络备注"}),
        ("resolve", {"solution": "已办结"}),
    ):
        clock.advance(minutes=10)
        r = client.post(f"{PROBLEMS}/{bid}/{name}", json=body, headers=off)
        assert r.status_code == 200, r.text
    secrets = (
        "协调备注",
        "升级原因",
        "联络备注",
        officer_id,
        "sup-secret",
        "clerk-secret",
        "内部备注",
    )

    history = get(client, f"{PROBLEMS}/{bid}/history", ent)
    assert [(e["version"], e["type"]) for e in history.json()["events"]] == [
        (1, "Raised"),
        (3, "Escalated"),
        (5, "Resolved"),
    ]
    timeline = get(client, f"{PROBLEMS}/{bid}/timeline", ent)
    assert [e["version"] for e in timeline.json()["entries"]] == [1, 3, 5]
    at_note = get(client, f"{PROBLEMS}/{bid}", ent, version=4)
    assert (at_note.json()["version"], at_note.json()["status"]) == (3, "escalated")
    assert at_note.json()["notes"] == []
    project = get(client, f"{PROJECTS}/{pid}", ent)
    project_history = get(client, f"{PROJECTS}/{pid}/history", ent)
    for r in (history, timeline, at_note, project, project_history):
        for secret in secrets:
            assert secret not in r.text, (secret, r.url)
    full = get(client, f"{PROBLEMS}/{bid}/history", inspector()).json()["events"]
    assert [e["type"] for e in full] == ["Raised", "Noted", "Escalated", "Noted", "Resolved"]
    assert full[1]["actor"]["id"] == officer_id
