"""The public course (issue 11 §4), as pure functions of the events and the viewer's role.

Given the events a case really records (made by the aggregates themselves), when an
enterprise's view is computed, then it holds exactly the public steps, with their shown
fields and no staff ids; a bureau role sees every event as stored. Invariants: a hidden
event changes nothing the enterprise reads, and the case at a hidden version is the case
at the public version before it. Every event type and attribute of every case type an
enterprise may read is classified in its table.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from eventsourcing.domain import Aggregate

from domain.calendar import Deadline
from domain.commitment import Commitment, Enterprise
from domain.complaint import Complaint
from domain.credit_repair import CreditRepair, Severity
from domain.credit_repair import Enterprise as RepairEnterprise
from domain.deadlines import Recompute
from domain.project import (
    CoordinationRole,
    Investor,
    ProblemCategory,
    Project,
    ProjectProblem,
)
from domain.public_course import (
    course_events,
    course_for,
    public_case,
    public_states,
    public_version,
    visible_events,
)
from domain.registry import ALL_CASE_TYPES
from domain.timeline import state_of
from domain.values import Actor, Channel, Complainant, Kind, Rating, Role

# Every case type by its aggregate, and the public-course tables they hold.
TYPES = {t.aggregate: t for t in ALL_CASE_TYPES}
COURSES = {t.aggregate: t.public_course for t in ALL_CASE_TYPES if t.public_course is not None}

CST = timezone(timedelta(hours=8))
T0 = datetime(2024, 11, 4, 9, 0, tzinfo=CST)
CODE = "91230100MA1BCDEF0X"
ENTERPRISE = Actor(id="ent-own", role=Role.ENTERPRISE, org=CODE)
CLERK = Actor(id="clerk-secret", role=Role.CLERK)
SUPERVISOR = Actor(id="sup-secret", role=Role.SUPERVISOR)
SYSTEM = Actor(id="deadline-watcher", role=Role.SYSTEM)
DEPT_A = Actor(id="dep-a-secret", role=Role.DEPARTMENT, org="dept-a")
DEPT_B = Actor(id="dep-b-secret", role=Role.DEPARTMENT, org="dept-b")
OFFICER = Actor(id="officer-secret", role=Role.SERVICE_OFFICER)
STAFF_IDS = ("clerk-secret", "sup-secret", "deadline-watcher", "dep-a-secret", "dep-b-secret")
INTERNAL_TEXT = ("内部备注", "不属本部门", "督办通知", "需要核查", "答复草稿", "请重办", "同意")


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def dump(value: Any) -> str:
    return json.dumps(msgspec.to_builtins(value), ensure_ascii=False, default=str)


def complaint_events() -> list[Any]:
    """A complaint with every kind of internal step between the public ones."""
    case = Complaint(
        actor=ENTERPRISE,
        timestamp=T0,
        kind=Kind.COMPLAINT,
        channel=Channel.WEB,
        category="approval",
        title="审批超时",
        description="施工许可超时",
        complainant=Complainant(name="某公司", credit_code=CODE),
        respondent_department=None,
        confidential=False,
        acceptance_due=h(24),
    )
    case.accept(CLERK, h(1), note="内部备注", urgent=False)  # 2
    case.transfer(CLERK, h(2), department="dept-a", working_days=1, due=h(30))  # 3
    case.send_back(DEPT_A, h(3), reason="不属本部门")  # 4
    case.transfer(SUPERVISOR, h(4), department="dept-b", working_days=1, due=h(32))  # 5
    case.supervise(SUPERVISOR, h(5), note="督办通知")  # 6
    case.request_extension(DEPT_B, h(6), working_days=2, reason="需要核查")  # 7
    case.decide_extension(SUPERVISOR, h(7), approved=True, note="同意", due=h(80))  # 8
    moved = Deadline(h(85), False)
    case.recompute_deadlines(SYSTEM, h(60), [Recompute("handling", h(80), moved, "file:x")])  # 9
    case.remind(SYSTEM, h(90), escalate_after=h(200))  # 10
    case.escalate(SYSTEM, h(201))  # 11
    case.reply_to(DEPT_B, h(203), answer="答复草稿")  # 12
    case.review(SUPERVISOR, h(204), approved=False, note="请重办", redo_due=h(300))  # 13
    case.reply_to(DEPT_B, h(205), answer="最终答复")  # 14
    case.review(SUPERVISOR, h(206), approved=True, note="同意", redo_due=h(300))  # 15
    case.rate(ENTERPRISE, h(207), rating=Rating.SATISFIED, comment="满意", redo_due=h(300))  # 16
    return list(case.collect_events())


PUBLIC = [
    (1, "Lodged"),
    (2, "Accepted"),
    (3, "Transferred"),
    (5, "Transferred"),
    (8, "ExtensionDecided"),
    (14, "Replied"),
    (15, "Reviewed"),
    (16, "Rated"),
]


# --- Given/When/Then -------------------------------------------------------------------


def test_an_enterprise_sees_the_public_course_of_a_complaint() -> None:
    # Given a complaint with internal notes, a send-back, a supervision notice, an
    # extension request, a reminder, an escalation, a recompute and a redone reply,
    events = complaint_events()
    assert len(events) == 16
    # when the enterprise's course is computed,
    shown = visible_events(TYPES[Complaint], events, Role.ENTERPRISE)
    # then it holds the public steps only, with their real version numbers,
    assert [(e.version, e.type) for e in shown] == PUBLIC
    # the fields given to it (no note, no draft), the final reply's text,
    data = {e.version: e.data for e in shown}
    assert data[2]["urgent"] is False
    assert "note" not in data[2]
    assert (data[3]["department"], data[3]["due"]) == ("dept-a", h(30))
    assert (data[8]["approved"], data[8]["due"]) == (True, h(80))
    assert "note" not in data[8]
    assert data[14] == {"answer": "最终答复"}
    assert data[15]["approved"] is True
    assert "note" not in data[15]
    assert data[16]["rating"] == Rating.SATISFIED
    # and staff by role (a department by its code), its own user by id.
    actors = [msgspec.to_builtins(e.actor) for e in shown]
    assert actors[0] == {"role": "enterprise", "org": CODE, "id": "ent-own"}
    assert actors[1] == {"role": "clerk", "org": None, "id": None}
    assert actors[5] == {"role": "department", "org": "dept-b", "id": None}
    text = dump([(e.actor, e.data) for e in shown])
    for secret in (*STAFF_IDS, *INTERNAL_TEXT, "dept-a-secret"):
        assert secret not in text, secret


def test_bureau_roles_see_every_event_as_stored() -> None:
    events = complaint_events()
    for role in (Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR, Role.DEPARTMENT):
        assert course_for(TYPES[Complaint], role) is None
        shown = visible_events(TYPES[Complaint], events, role)
        assert [e.version for e in shown] == list(range(1, 17))
        assert [e.actor for e in shown] == [e.actor for e in events]
        assert (shown[1].data["note"], shown[1].data["urgent"]) == ("内部备注", False)
        assert shown[11].data["answer"] == "答复草稿"


def test_the_case_at_a_hidden_version_is_the_case_at_the_public_one_before() -> None:
    events = complaint_events()
    course = COURSES[Complaint]
    public = [v for v, _ in PUBLIC]
    for version in range(1, 17):
        expected = max(v for v in public if v <= version)
        assert public_version(course, events, version) == expected
        case = public_case(course, events, version)
        assert case.version == expected
        assert state_of(case) == state_of(public_case(course, events, expected))
    # While the draft is with the review, and after it was sent back: no reply, still
    # with dept-b as of the approved extension; then the final reply.
    at_draft = public_case(course, events, 12)
    assert (at_draft.version, at_draft.status, at_draft.reply) == (8, "transferred", None)
    assert at_draft.department == "dept-b"
    final = public_case(course, events)
    assert (final.version, final.status, final.reply) == (16, "closed", "最终答复")
    # Counts and notes of internal steps are not in it; the redo was the review's.
    assert (final.redo_count, final.supervision_count, final.reminders) == (0, None, None)
    assert (final.last_reason, final.departments, final.escalated_due) == (None, None, None)
    assert final.lodged_by.id == "ent-own"
    # The aggregate itself is untouched.
    last: Any = None
    for event in events:
        last = event.mutate(last)
    assert (last.redo_count, last.supervision_count, last.reminders) == (1, 1, 1)


def test_a_hidden_event_changes_nothing_the_enterprise_reads() -> None:
    events = complaint_events()
    course = COURSES[Complaint]
    for n in range(2, len(events) + 1):
        if course.is_public(events, n - 1):
            continue
        before, after = events[: n - 1], events[:n]
        # (a reply's publicness depends on a later review: compare what both prefixes show)
        assert [e.version for e in course_events(course, after)] == [
            e.version for e in course_events(course, before)
        ], n
        assert state_of(public_case(course, after)) == state_of(public_case(course, before))


def test_a_reply_waiting_for_review_is_hidden_until_approved() -> None:
    events = complaint_events()
    course = COURSES[Complaint]
    # Up to the final reply (14), not yet reviewed: no reply at all.
    assert [e.version for e in course_events(course, events[:14])] == [1, 2, 3, 5, 8]
    # Approved (15): it shows at its own version.
    assert [e.version for e in course_events(course, events[:15])][-2:] == [14, 15]


def test_the_timeline_diffs_only_what_the_enterprise_sees() -> None:
    events = complaint_events()
    entries = list(public_states(COURSES[Complaint], events))
    assert [e.version for e, _, _ in entries] == [v for v, _ in PUBLIC]
    seen = {name for _, _, after in entries for name in after}
    assert not seen & COURSES[Complaint].hidden_state
    assert {"status", "department", "reply", "redo_count"} <= seen
    # The second transfer: dept-a to dept-b; the send-back in between shows as nothing.
    _, before, after = entries[3]
    assert (before["department"], after["department"]) == ("dept-a", "dept-b")
    assert before["status"] == after["status"] == "transferred"
    # The recompute's new due shows at the next public step (the reply clears it).
    text = dump([after for _, _, after in entries])
    for secret in (*STAFF_IDS, *INTERNAL_TEXT):
        assert secret not in text, secret


def test_other_case_types() -> None:
    # A problem: notes and deadline steps hidden; the escalation shows to whom, not why.
    problem = ProjectProblem(
        actor=ENTERPRISE,
        timestamp=T0,
        project_id=Project.create_id(),
        investor_credit_code=CODE,
        category=ProblemCategory.LAND,
        description="用地",
        working_days=1,
        due=h(24),
    )
    problem.note(OFFICER, h(1), role=CoordinationRole.COORDINATOR, text="内部备注")
    problem.remind(SYSTEM, h(30), escalate_after=h(100))
    problem.escalate(OFFICER, h(31), reason="需要核查", leader="副省长 王某")
    problem.escalate_deadline(SYSTEM, h(101))
    problem.resolve(OFFICER, h(102), solution="已解决")
    events = list(problem.collect_events())
    shown = visible_events(TYPES[ProjectProblem], events, Role.ENTERPRISE)
    assert [(e.version, e.type) for e in shown] == [
        (1, "Raised"),
        (4, "Escalated"),
        (6, "Resolved"),
    ]
    assert shown[1].data == {"leader": "副省长 王某"}
    case = public_case(COURSES[ProjectProblem], events)
    assert (case.notes, case.reminders, case.status) == ([], None, "resolved")
    assert "officer-secret" not in dump([(e.actor, e.data) for e in shown])

    # A credit repair: reminders hidden, reviewers by role, the submission's note hidden.
    repair = CreditRepair.apply_for(
        ENTERPRISE,
        T0,
        enterprise=RepairEnterprise(name="某公司", credit_code=CODE),
        record_id="r-1",
        penalty_authority="市场监管局",
        severity=Severity.GENERAL,
        proof="已整改",
        pledge_signed=True,
        review_due=h(8),
    )
    repair.remind(SYSTEM, h(9), escalate_after=h(50))
    repair.initial_review(CLERK, h(10), passed=True, reason=None)
    repair.re_review(SUPERVISOR, h(11), passed=True, reason=None)
    repair.submit(CLERK, h(12), note="内部备注")
    events = list(repair.collect_events())
    shown = visible_events(TYPES[CreditRepair], events, Role.ENTERPRISE)
    assert [e.type for e in shown] == ["Applied", "InitiallyReviewed", "ReReviewed", "Submitted"]
    assert shown[-1].data == {}
    case = public_case(COURSES[CreditRepair], events)
    assert (case.initial_reviewed_by.id, case.initial_reviewed_by.role) == (None, Role.CLERK)
    assert (case.last_reason, case.reminders) == (None, None)

    # A commitment: the grant's note hidden, the clerk by role.
    commitment = Commitment(
        actor=ENTERPRISE,
        timestamp=T0,
        matter="施工许可",
        enterprise=Enterprise(name="某公司", credit_code=CODE),
        statement="承诺",
        materials=["a"],
        due_date=None,
        epidemic_contingent=False,
        grace_working_days=None,
        due_at=h(100),
    )
    commitment.grant(CLERK, h(1), note="内部备注")
    events = list(commitment.collect_events())
    shown = visible_events(TYPES[Commitment], events, Role.ENTERPRISE)
    assert [(e.type, e.data) for e in shown][1] == ("Granted", {})
    assert public_case(COURSES[Commitment], events).last_note is None

    # A project: its officers serve, unnamed.
    project = Project(
        actor=CLERK,
        timestamp=T0,
        name="项目",
        investor=Investor(name="某公司", credit_code=CODE),
        city="哈尔滨市",
        investment_cny=Decimal(1),
        sector="制造",
        classification=None,
    )
    project.assign_officer(SUPERVISOR, h(1), officer_id="officer-secret", note="内部备注")
    events = list(project.collect_events())
    shown = visible_events(TYPES[Project], events, Role.ENTERPRISE)
    assert [(e.type, e.data) for e in shown] == [
        ("Registered", shown[0].data),
        ("OfficerAssigned", {}),
    ]
    text = dump(state_of(public_case(COURSES[Project], events)))
    assert "officer-secret" not in text and "内部备注" not in text and "clerk-secret" not in text


# --- every event type and attribute is classified ----------------------------------------


def event_types(aggregate: type) -> set[str]:
    """The aggregate's event classes (not its base `Event`, nor the library's default
    `Created` when the aggregate's creation has a name of its own)."""
    found = {
        name: value
        for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, Aggregate.Event) and name != "Event"
    }
    created = [n for n, v in found.items() if issubclass(v, Aggregate.Created)]
    if len(created) > 1:
        found.pop("Created", None)
    return set(found)


def attributes(aggregate: type) -> set[str]:
    return set(aggregate.__annotations__)


@pytest.mark.parametrize("aggregate", list(COURSES), ids=lambda a: a.__name__)
def test_every_event_type_and_attribute_is_classified(aggregate: type) -> None:
    course = COURSES[aggregate]
    types = event_types(aggregate)
    assert types, aggregate
    assert not set(course.events) & course.internal
    unclassified = types - set(course.events) - course.internal
    assert not unclassified, f"{aggregate.__name__}: decide public or internal: {unclassified}"
    derived = set(course.derived([]) if course.derived else ())
    named = course.state | set(course.shown_as) | derived | course.hidden_state
    assert not (course.state | set(course.shown_as) | derived) & course.hidden_state
    unnamed = attributes(aggregate) - named
    assert not unnamed, f"{aggregate.__name__}: decide shown or hidden: {unnamed}"


def test_the_creation_of_every_case_is_public_and_every_readable_type_has_a_table() -> None:
    for case_type in ALL_CASE_TYPES:
        if Role.ENTERPRISE not in case_type.read_roles:
            continue
        course = case_type.public_course
        assert course is not None, case_type.name
        created = [
            name
            for name in event_types(case_type.aggregate)
            if issubclass(getattr(case_type.aggregate, name), Aggregate.Created)
        ]
        assert created, case_type.name
        for name in created:
            assert name in course.events and course.events[name].when is None, (case_type, name)
