"""Every project and credit figure on the dashboard, computed another way: from the
cases' histories (what the history endpoint serves), on random scenarios driven through
the application's commands, as tests/integration/test_dashboard_crosscheck.py does for
complaints."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from domain import commands as cmd
from domain import commitment_commands as cc
from domain import credit_repair_commands as rc
from domain import project_commands as pc
from domain.commitment_case import COMMITMENT
from domain.credit_repair import Severity
from domain.credit_repair_case import CREDIT_REPAIR
from domain.project import (
    MEMBER_MOVE,
    Classification,
    CoordinationRole,
    MemberKind,
    ProblemCategory,
)
from domain.project_case import PROBLEM, PROJECT
from oversight.database import asyncpg_dsn
from oversight.runtime import PROJECTIONS, build_application
from oversight.system_moves import SYSTEM
from projections.dashboard import credit_figures, day_bounds, project_figures
from projections.runner import ProjectionRunner, ensure_schema
from tests.conftest import actor
from tests.support import credit_code

pytestmark = pytest.mark.integration

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2024, 9, 2, 0, 0, tzinfo=UTC)
FIRST_DAY = date(2024, 9, 2)
CLERK = actor("clerk", "c")
SUPERVISOR = actor("supervisor", "s")
OTHER_SUPERVISOR = actor("supervisor", "s2")
CLASSES = ("never_stopped", "resumed", "planning_to_resume", "newly_signed")
TASK_FORCES = ("tf-a", "tf-b", "tf-c")
OFFICERS = ("o-a", "o-b", "o-c")
LEADERS = ("l-a", "l-b")
# The dashboard's views: the facts, and who served the projects (project_board).
VIEWS = [p for p in PROJECTIONS if p.name in ("case_facts", "project_board")]


def pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100 * part / whole, 2)


def end_of(day: date) -> datetime:
    """The first instant after the local day."""
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), TZ)


# --- scenarios ----------------------------------------------------------------------

# A step: (hours later, which move, a second pick among the options).
steps = st.lists(st.tuples(st.integers(1, 60), st.integers(0, 99), st.integers(0, 99)), max_size=12)
project_scripts = st.lists(
    st.tuples(st.integers(0, 24 * 20), st.sampled_from([None, *CLASSES]), steps),
    min_size=1,
    max_size=4,
)
commitment_scripts = st.lists(
    st.tuples(
        st.integers(0, 24 * 20),
        st.integers(-1, 5),  # due in that many days; -1: after the epidemic's end
        st.integers(1, 3),  # materials promised
        steps,
    ),
    max_size=4,
)
repair_scripts = st.lists(st.tuples(st.integers(0, 24 * 20), steps), max_size=4)
periods = {
    "first": st.integers(0, 15),
    "length": st.integers(0, 20),
    "as_of": st.none() | st.integers(0, 40),
    "batch": st.sampled_from([3, 1000]),
}


def play_project(app, script, project_ids: list, problem_ids: list) -> None:
    """Register a project and drive it and its problems; one clock for all of them."""
    offset, cls, moves = script
    at = START + timedelta(hours=offset)
    body = pc.RegisterProject(
        name="项目",
        investor=pc.InvestorIn(name="某公司", credit_code=credit_code()),
        city="哈尔滨",
        investment_cny=Decimal("1000000.00"),
        sector="manufacturing",
        classification=None if cls is None else Classification(cls),
    )
    project = app.create(PROJECT, CLERK, at, body).case
    project_ids.append(project.id)
    problems: list = []

    def serve(kind: MemberKind, pool: tuple[str, ...], pick: int):
        """A member joins or leaves, or (while at most one serves) one is assigned."""
        move_kind, field = MEMBER_MOVE[kind], {"officer": "officer_id"}.get(kind, kind.value)
        current = project.current(kind)
        name = pool[pick % len(pool)]
        if pick % 3 == 0 and len(current) <= 1:
            if current == [name]:
                name = pool[(pick + 1) % len(pool)]
            move = f"assign-{move_kind}"
        else:
            move = f"leave-{move_kind}" if name in current else f"join-{move_kind}"
        body = pc.PROJECT_MOVES[move](**{field: name})
        return app.move(project.id, move, SUPERVISOR, at, body, case_type=PROJECT).case

    for hours, choice, pick in moves:
        at += timedelta(hours=hours)
        kind = choice % 8
        if kind == 0:
            new = CLASSES[pick % 4]
            if new == project.classification:
                new = CLASSES[(pick + 1) % 4]
            body = pc.Classify(classification=Classification(new))
            project = app.move(project.id, "classify", CLERK, at, body, case_type=PROJECT).case
        elif kind == 1:
            project = serve(MemberKind.TASK_FORCE, TASK_FORCES, pick)
        elif kind == 2:
            project = serve(MemberKind.OFFICER, OFFICERS, pick)
        elif kind == 3:
            project = serve(MemberKind.LEADER, LEADERS, pick)
        elif kind == 4 or not problems:
            body = pc.RaiseProblem(
                category=ProblemCategory.LAND,
                description="缺地",
                project_id=project.id,
                working_days=None if pick % 4 == 0 else pick % 3,
            )
            problem = app.create(PROBLEM, CLERK, at, body).case
            problems.append(problem)
            problem_ids.append(problem.id)
        else:
            index = pick % len(problems)
            problem = problems[index]
            status = problem.status.value
            officer = project.officer_id
            options: list[tuple[str, Any, cmd.Command]] = []
            if status in ("open", "escalated"):
                if officer is not None:
                    note = pc.Note(role=CoordinationRole.COORDINATOR, text="协调")
                    options += [("note", actor("service_officer", officer), note)] * 2
                if status == "open" and project.leader is not None:
                    options += [("escalate", SUPERVISOR, pc.Escalate(reason="r"))] * 2
                options.append(("resolve", SUPERVISOR, pc.Resolve(solution="解决")))
                options.append(
                    ("declare-unresolvable", SUPERVISOR, pc.DeclareUnresolvable(reason="r"))
                )
                if at > problem.due_at and problem.reminded_due != problem.due_at:
                    options.append(("remind", SYSTEM, cmd.Remind()))  # counted nowhere
            else:
                options.append(("reopen", SUPERVISOR, pc.Reopen(reason="r")))
            move, who, body = options[(pick // 3) % len(options)]
            problems[index] = app.move(problem.id, move, who, at, body, case_type=PROBLEM).case


def play_commitment(app, script, ids: list) -> None:
    offset, due_days, n_materials, moves = script
    code = credit_code()
    ent = actor("enterprise", "e", code)
    at = START + timedelta(hours=offset)
    local_day = at.astimezone(TZ).date()
    due = (
        cc.DueIn(epidemic_end=True, grace_working_days=2)
        if due_days < 0
        else cc.DueIn(date=local_day + timedelta(days=due_days))
    )
    body = cc.Commit(
        matter="施工许可",
        enterprise=cc.EnterpriseIn(name="某公司", credit_code=code),
        statement="承诺",
        materials=[f"m{i}" for i in range(n_materials)],
        due=due,
    )
    case = app.create(COMMITMENT, ent if offset % 2 else CLERK, at, body).case
    ids.append(case.id)
    for hours, choice, pick in moves:
        at += timedelta(hours=hours)
        status = case.status.value
        options: list[tuple[str, Any, cmd.Command]] = []
        if case.waits_for_epidemic_end and status in ("committed", "granted"):
            ended_on = at.astimezone(TZ).date() - timedelta(days=pick % 3)
            options.append(("epidemic-ended", SUPERVISOR, cc.EpidemicEnded(ended_on=ended_on)))
        if status == "committed":
            options.append(("grant", CLERK, cc.Grant()))
        if status in ("granted", "overdue"):
            outstanding = case.outstanding
            part = outstanding[: 1 + pick % len(outstanding)]
            options += [("supply", ent, cc.Supply(materials=part))] * 2
            options.append(("exempt", SUPERVISOR, cc.Exempt(reason="疫情")))
        if status == "granted" and case.due_at is not None:
            options += [("mark-overdue", SYSTEM, cc.MarkOverdue())] * 2
        if status == "overdue":
            options += [("breach", SUPERVISOR, cc.Breach(reason="未补齐"))] * 2
        if status in ("granted", "overdue") or (status == "fulfilled" and pick % 3 == 0):
            options.append(("revoke", CLERK, cc.Revoke(reason="核查", finding="不符")))
        if not options:
            return
        move, who, body = options[choice % len(options)]
        if move == "mark-overdue":  # the watcher marks only once the due has passed
            at = max(at, case.due_at + timedelta(seconds=1 + 3600 * (pick % 3)))
        case = app.move(case.id, move, who, at, body, case_type=COMMITMENT).case


def play_repair(app, script, ids: list) -> None:
    offset, moves = script
    code = credit_code()
    ent = actor("enterprise", "e", code)
    at = START + timedelta(hours=offset)
    body = rc.ApplyForRepair(
        enterprise=rc.EnterpriseIn(name="某公司", credit_code=code),
        record_id="rec-1",
        penalty_authority="市场监管局",
        severity=Severity.GENERAL,
        proof="已整改",
        pledge_signed=True,
    )
    case = app.create(CREDIT_REPAIR, ent if offset % 2 else CLERK, at, body).case
    ids.append(case.id)
    for hours, choice, pick in moves:
        status = case.status.value
        passed = rc.RepairReview(passed=True)
        refused = rc.RepairReview(passed=False, reason="材料不全")
        forward, aside = {
            "applied": (
                ("initial-review", CLERK if pick % 2 else SUPERVISOR, passed),
                ("initial-review", CLERK, refused),
            ),
            "initially_reviewed": (
                ("re-review", OTHER_SUPERVISOR, passed),
                ("re-review", OTHER_SUPERVISOR, refused),
            ),
            "re_reviewed": (("submit", CLERK, rc.SubmitToCentre()), None),
            "submitted": (
                ("record-outcome", SUPERVISOR, rc.RecordOutcome(repaired=True)),
                ("record-outcome", CLERK, rc.RecordOutcome(repaired=False, reason="终审未通过")),
            ),
        }.get(status, (None, None))
        if forward is None:
            return
        deadline = case.current_deadline
        if choice % 10 == 9 and status != "submitted":
            move, who, body = "withdraw", ent, cmd.Withdraw(reason="不再申请")
        elif choice % 10 == 6 and deadline and deadline != (case.reminded_step, case.reminded_due):
            move, who, body = "remind", SYSTEM, cmd.Remind()  # counted nowhere
        elif choice % 10 >= 7 and aside is not None:
            move, who, body = aside
        else:
            move, who, body = forward
        # A review exactly at its due or before (on time), a second after it (late), or
        # hours later; the watcher reminds only once the due has passed.
        due = case.initial_review_due  # both reviews share it
        when = [due, due, at + (due - at) / 2, due + timedelta(seconds=1)]
        if move.endswith("review") and pick % 5 < 4 and when[pick % 5] >= at:
            at = when[pick % 5]
        elif move == "remind":
            at = max(at + timedelta(hours=hours), due + timedelta(minutes=1))
        else:
            at += timedelta(hours=hours)
        case = app.move(case.id, move, who, at, body, case_type=CREDIT_REPAIR).case


# --- the expected figures, folded from the histories ---------------------------------


def expected_projects(app, project_ids, problem_ids, start, end, status_day) -> dict:
    """Projects registered by `end`, their class at the end of `status_day`; the
    projects with a contact leader, the task forces and the officers that served at any
    time in [start, end) (joined before `end`, not left by `start`; an assignment is the
    previous one leaving and the new one joining); problems raised, coordinated (noted,
    escalated or resolved), escalated, resolved and declared unresolvable in [start,
    end), their status at the end of `status_day`; the projects with a problem
    coordinated, or resolved, in [start, end)."""
    cutoff = end_of(status_day)
    registered = 0
    classes: Counter = Counter()
    leaders = 0
    task_forces: set[str] = set()
    officers: set[str] = set()
    fields = {"TaskForce": "task_force", "Officer": "officer_id", "Leader": "leader"}
    for project_id in project_ids:
        case, events = app.history(PROJECT, project_id, SUPERVISOR)
        cls = None
        cls_at_status_day = None
        # (kind, member) -> when it joined, while it serves; and every interval served
        serving: dict[tuple[str, str], datetime] = {}
        served: list[tuple[str, str, datetime, datetime | None]] = []

        for e in events:
            name, at = type(e).__name__, e.timestamp
            noun = next((n for n in fields if name.startswith(n)), None)
            if name == "Registered":
                cls = e.classification
                registered += at < end
            elif name == "Reclassified":
                cls = e.classification
            elif noun and name.endswith("Assigned"):
                for key in [k for k in serving if k[0] == noun]:
                    served.append((*key, serving.pop(key), at))
                serving[(noun, getattr(e, fields[noun]))] = at
            elif noun and name.endswith("Joined"):
                serving[(noun, getattr(e, fields[noun]))] = at
            elif noun and name.endswith("Left"):
                key = (noun, getattr(e, fields[noun]))
                served.append((*key, serving.pop(key), at))
            if at < cutoff:
                cls_at_status_day = cls
        assert cls == case.classification  # the fold agrees with the aggregate
        served += [(*key, joined, None) for key, joined in serving.items()]
        in_period = [(n, m) for n, m, a, b in served if a < end and (b is None or b > start)]
        assert sorted(m for n, m in serving if n == "Officer") == sorted(
            case.current(MemberKind.OFFICER)
        )
        if cls_at_status_day is not None:
            classes[str(cls_at_status_day)] += 1
        leaders += any(n == "Leader" for n, _ in in_period)
        task_forces |= {m for n, m in in_period if n == "TaskForce"}
        officers |= {m for n, m in in_period if n == "Officer"}

    flow: Counter = Counter()
    coordinated: set[UUID] = set()
    statuses: Counter = Counter()
    projects_coordinated: set[UUID] = set()
    projects_resolved: set[UUID] = set()
    after = {
        "Raised": "open",
        "Escalated": "escalated",
        "Resolved": "resolved",
        "DeclaredUnresolvable": "unresolvable",
        "Reopened": "open",
    }
    for problem_id in problem_ids:
        case, events = app.history(PROBLEM, problem_id, SUPERVISOR)
        status = status_then = None
        for e in events:
            name, at = type(e).__name__, e.timestamp
            status = after.get(name, status)
            if at < cutoff:
                status_then = status
            if at >= end:
                continue
            if at < start:
                continue
            if name in ("Noted", "Escalated", "Resolved"):
                projects_coordinated.add(case.project_id)
                coordinated.add(problem_id)
            if name == "Resolved":
                projects_resolved.add(case.project_id)
            flow[name] += 1
        assert status == case.status.value
        if status_then:
            statuses[status_then] += 1

    classified = sum(classes.values())
    return {
        "registered": registered,
        "by_class": {c: classes[c] for c in CLASSES},
        "class_share": {c: pct(classes[c], classified) for c in CLASSES},
        "resumption_rate": pct(classes["resumed"] + classes["never_stopped"], classified),
        "with_leader_contact": leaders,
        "task_forces": len(task_forces),
        "chief_service_officers": len(officers),
        "problems": {
            "raised": flow["Raised"],
            "coordinated": len(coordinated),
            "escalated": flow["Escalated"],
            "resolved": flow["Resolved"],
            "unresolvable": flow["DeclaredUnresolvable"],
            "by_status": dict(+statuses),
        },
        "projects_with_coordinated_problems": len(projects_coordinated),
        "projects_with_resolved_problems": len(projects_resolved),
    }


def expected_credit(app, commitment_ids, repair_ids, start, end, status_day) -> dict:
    """Commitments' moves in [start, end) and status at the end of `status_day`. A credit
    repair's review counts once complete (the re-review, or an initial review that
    refused), within 1 working day when every review made was by its due (from
    `Applied`); outcomes are the national centre's."""
    cutoff = end_of(status_day)
    c: Counter = Counter()
    c_statuses: Counter = Counter()
    after = {
        "Committed": "committed",
        "Granted": "granted",
        "Overdue": "overdue",
        "Fulfilled": "fulfilled",
        "Breached": "breached",
        "Exempted": "exempted",
        "Revoked": "revoked",
    }
    for commitment_id in commitment_ids:
        case, events = app.history(COMMITMENT, commitment_id, SUPERVISOR)
        status = status_then = None
        for e in events:
            name, at = type(e).__name__, e.timestamp
            status = after.get(name, status)
            if at < cutoff:
                status_then = status
            if start <= at < end:
                c[name] += 1
        assert status == case.status.value
        if status_then:
            c_statuses[status_then] += 1

    r: Counter = Counter()
    r_statuses: Counter = Counter()
    for repair_id in repair_ids:
        case, events = app.history(CREDIT_REPAIR, repair_id, SUPERVISOR)
        status = status_then = None
        due = None
        all_on_time = True
        for e in events:
            name, at = type(e).__name__, e.timestamp
            inside = start <= at < end
            if name == "Applied":
                status, due = "applied", (e.initial_review_due, e.re_review_due)
                r["applications"] += inside
            elif name in ("InitiallyReviewed", "ReReviewed"):
                all_on_time = all_on_time and at <= due[name == "ReReviewed"]
                if name == "ReReviewed" or not e.passed:  # the review is complete
                    r["reviewed"] += inside
                    r["on_time"] += inside and all_on_time
                stage = "initially_reviewed" if name == "InitiallyReviewed" else "re_reviewed"
                status = stage if e.passed else "refused"
            elif name == "Submitted":
                status = "submitted"
            elif name == "OutcomeRecorded":
                status = "repaired" if e.repaired else "refused"
                r["outcomes"] += inside
                r["repaired"] += inside and e.repaired
            elif name == "Withdrawn":
                status = "withdrawn"
            if at < cutoff:
                status_then = status
        assert status == case.status.value
        if status_then:
            r_statuses[status_then] += 1

    settled = c["Fulfilled"] + c["Breached"] + c["Exempted"]
    return {
        "commitments": {
            "made": c["Committed"],
            "fulfilled": c["Fulfilled"],
            "breached": c["Breached"],
            "exempted": c["Exempted"],
            "revoked": c["Revoked"],
            "went_overdue": c["Overdue"],
            "fulfilled_share": pct(c["Fulfilled"], settled),
            "by_status": dict(+c_statuses),
        },
        "repairs": {
            "applications": r["applications"],
            "reviewed": r["reviewed"],
            "reviewed_within_1_working_day": r["on_time"],
            "review_rate": pct(r["on_time"], r["reviewed"]),
            "outcomes": r["outcomes"],
            "repaired": r["repaired"],
            "repaired_rate": pct(r["repaired"], r["outcomes"]),
            "by_status": dict(+r_statuses),
        },
    }


# --- the dashboard's figures ----------------------------------------------------------


def dashboard(url: str, figures: Callable, first: int, length: int, as_of, batch: int):
    """Catch the dashboard's views up and compute `figures` for the period, in a thread with an
    event loop of its own (pytest-asyncio owns this thread's loop)."""
    first_day = FIRST_DAY + timedelta(days=first)
    last_day = first_day + timedelta(days=length)
    as_of_day = None if as_of is None else FIRST_DAY + timedelta(days=as_of)

    async def run():
        pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=1, max_size=2)
        try:
            async with pool.acquire() as conn:
                await ensure_schema(conn, VIEWS)
            await ProjectionRunner(pool, VIEWS, batch_size=batch).catch_up()
            start, end, status_day = day_bounds(first_day, last_day, as_of_day, TZ)
            async with pool.acquire() as conn:
                found = await figures(conn, start=start, end=end, status_day=status_day)
            return start, end, status_day, found
        finally:
            await pool.close()

    with ThreadPoolExecutor(1) as executor:
        return executor.submit(asyncio.run, run()).result()


# The database keeps every example's cases, so a shrunk example would not fail alone:
# no shrinking (a failure reports the example as generated).
settings_for_db = settings(
    max_examples=10,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def test_project_figures_match_the_histories(fresh_database_url, settings: object) -> None:
    app = build_application(fresh_database_url, settings)
    project_ids: list = []
    problem_ids: list = []

    @settings_for_db
    @given(scripts=project_scripts, **periods)
    def check(scripts, first, length, as_of, batch) -> None:
        for script in scripts:
            play_project(app, script, project_ids, problem_ids)
        start, end, status_day, figures = dashboard(
            fresh_database_url, project_figures, first, length, as_of, batch
        )
        assert figures == expected_projects(app, project_ids, problem_ids, start, end, status_day)

    try:
        check()
    finally:
        app.close()


def test_credit_figures_match_the_histories(fresh_database_url, settings: object) -> None:
    app = build_application(fresh_database_url, settings)
    commitment_ids: list = []
    repair_ids: list = []

    @settings_for_db
    @given(commitments=commitment_scripts, repairs=repair_scripts, **periods)
    def check(commitments, repairs, first, length, as_of, batch) -> None:
        for script in commitments:
            play_commitment(app, script, commitment_ids)
        for script in repairs:
            play_repair(app, script, repair_ids)
        start, end, status_day, figures = dashboard(
            fresh_database_url, credit_figures, first, length, as_of, batch
        )
        assert figures == expected_credit(app, commitment_ids, repair_ids, start, end, status_day)

    try:
        check()
    finally:
        app.close()
