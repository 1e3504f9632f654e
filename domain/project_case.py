"""Projects and their problems as case types: how they are created, their moves, and who
sees them.

Who sees a project: clerks, supervisors, inspectors and the system (the deadline watcher,
which reminds and escalates overdue problems) all; an enterprise the projects it invests
in; a service officer the projects it currently serves (one of their officers now). A
problem is seen by whoever sees its project, checked against the project as it is now:
a service officer that leaves (or is replaced) loses the project's problems at once.
Departments see neither.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain import deadlines
from domain import project_commands as cmd
from domain.access import SEE_ALL
from domain.cases import CaseContext, CaseType, Decide, Move, declare_move, load_as
from domain.commands import Command, Remind
from domain.errors import CaseNotFound, MoveNotAllowed
from domain.project import (
    PROBLEM_MOVE_ROLES,
    PROJECT_MOVE_ROLES,
    Investor,
    MemberKind,
    Project,
    ProjectProblem,
)
from domain.public_course import PROBLEM_COURSE, PROJECT_COURSE
from domain.reminders import ESCALATE_AFTER_WORKING_DAYS
from domain.values import Actor, Role

READ_ROLES = frozenset(
    {Role.ENTERPRISE, Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR, Role.SERVICE_OFFICER}
)


# --- projects ------------------------------------------------------------------------


def register(ctx: CaseContext, actor: Actor, at: datetime, c: cmd.RegisterProject) -> Project:
    return Project(
        actor=actor,
        timestamp=at,
        name=c.name,
        investor=Investor(name=c.investor.name, credit_code=c.investor.credit_code),
        city=c.city,
        investment_cny=c.investment_cny,
        sector=c.sector,
        classification=c.classification,
    )


def can_see_project(ctx: CaseContext, actor: Actor, project: Project) -> bool:
    if actor.role in SEE_ALL:
        return True
    if actor.role is Role.ENTERPRISE:
        return actor.org is not None and actor.org == project.investor.credit_code
    if actor.role is Role.SERVICE_OFFICER:
        return actor.id in project.current(MemberKind.OFFICER)
    return False


def classify(ctx: CaseContext, case: Project, actor: Actor, at: datetime, c: cmd.Classify) -> None:
    case.classify(actor, at, classification=c.classification, note=c.note)


def assign_task_force(
    ctx: CaseContext, case: Project, actor: Actor, at: datetime, c: cmd.AssignTaskForce
) -> None:
    case.assign_task_force(actor, at, task_force=c.task_force, note=c.note)


def assign_officer(
    ctx: CaseContext, case: Project, actor: Actor, at: datetime, c: cmd.AssignOfficer
) -> None:
    case.assign_officer(actor, at, officer_id=c.officer_id, note=c.note)


def assign_leader(
    ctx: CaseContext, case: Project, actor: Actor, at: datetime, c: cmd.AssignLeader
) -> None:
    case.assign_leader(actor, at, leader=c.leader, note=c.note)


def join_task_force(
    ctx: CaseContext, case: Project, actor: Actor, at: datetime, c: cmd.JoinTaskForce
) -> None:
    case.join_task_force(actor, at, task_force=c.task_force, note=c.note)


def leave_task_force(
    ctx: CaseContext, case: Project, actor: Actor, at: datetime, c: cmd.LeaveTaskForce
) -> None:
    case.leave_task_force(actor, at, task_force=c.task_force, note=c.note)


def join_officer(
    ctx: CaseContext, case: Project, actor: Actor, at: datetime, c: cmd.JoinOfficer
) -> None:
    case.join_officer(actor, at, officer_id=c.officer_id, note=c.note)


def leave_officer(
    ctx: CaseContext, case: Project, actor: Actor, at: datetime, c: cmd.LeaveOfficer
) -> None:
    case.leave_officer(actor, at, officer_id=c.officer_id, note=c.note)


def join_leader(
    ctx: CaseContext, case: Project, actor: Actor, at: datetime, c: cmd.JoinLeader
) -> None:
    case.join_leader(actor, at, leader=c.leader, note=c.note)


def leave_leader(
    ctx: CaseContext, case: Project, actor: Actor, at: datetime, c: cmd.LeaveLeader
) -> None:
    case.leave_leader(actor, at, leader=c.leader, note=c.note)


def _project_move[C: Command](
    name: str, body: type[C], decide: Decide[Project, C]
) -> tuple[str, Move[Project, Any]]:
    return name, declare_move(body, PROJECT_MOVE_ROLES[name], decide)


PROJECT = CaseType(
    name="project",
    plural="projects",
    aggregate=Project,
    create_body=cmd.RegisterProject,
    create_roles=PROJECT_MOVE_ROLES["register"],
    create=register,
    # Each move's URL name, its body (the same as cmd.PROJECT_MOVES) and its decision.
    moves=dict(
        [
            _project_move("classify", cmd.Classify, classify),
            _project_move("assign-task-force", cmd.AssignTaskForce, assign_task_force),
            _project_move("assign-officer", cmd.AssignOfficer, assign_officer),
            _project_move("assign-leader", cmd.AssignLeader, assign_leader),
            _project_move("join-task-force", cmd.JoinTaskForce, join_task_force),
            _project_move("leave-task-force", cmd.LeaveTaskForce, leave_task_force),
            _project_move("join-officer", cmd.JoinOfficer, join_officer),
            _project_move("leave-officer", cmd.LeaveOfficer, leave_officer),
            _project_move("join-leader", cmd.JoinLeader, join_leader),
            _project_move("leave-leader", cmd.LeaveLeader, leave_leader),
        ]
    ),
    can_see=can_see_project,
    public_course=PROJECT_COURSE,
    read_roles=READ_ROLES,
)


# --- problems ------------------------------------------------------------------------


def visible_project(ctx: CaseContext, actor: Actor, project_id: UUID) -> Project:
    """The project as it is now, or CaseNotFound when there is none this actor may see."""
    try:
        project = ctx.load(project_id)
    except CaseNotFound:
        project = None
    if not isinstance(project, Project) or not can_see_project(ctx, actor, project):
        raise CaseNotFound(f"no project {project_id}")
    return project


def raise_problem(
    ctx: CaseContext, actor: Actor, at: datetime, c: cmd.RaiseProblem
) -> ProjectProblem:
    """By the investing enterprise, the project's current service officer or a clerk: for
    anyone else the project does not exist (404)."""
    project = visible_project(ctx, actor, c.project_id)
    days = ctx.sla.problem_working_days if c.working_days is None else c.working_days
    due = ctx.calendar.deadline(at, days)
    return ProjectProblem(
        actor=actor,
        timestamp=at,
        project_id=project.id,
        investor_credit_code=project.investor.credit_code,
        category=c.category,
        description=c.description,
        working_days=days,
        due=due.at,
        due_provisional=due.provisional,
    )


def can_see_problem(ctx: CaseContext, actor: Actor, problem: ProjectProblem) -> bool:
    if actor.role in SEE_ALL:
        return True
    if actor.role is Role.ENTERPRISE:
        # The copy of the investor's credit code is exact: a project's investor never changes.
        return actor.org is not None and actor.org == problem.investor_credit_code
    if actor.role is Role.SERVICE_OFFICER:
        try:
            visible_project(ctx, actor, problem.project_id)
        except CaseNotFound:
            return False
        return True
    return False


def note(ctx: CaseContext, case: ProjectProblem, actor: Actor, at: datetime, c: cmd.Note) -> None:
    case.note(actor, at, role=c.role, text=c.text)


def escalate(
    ctx: CaseContext, case: ProjectProblem, actor: Actor, at: datetime, c: cmd.Escalate
) -> None:
    """To the contact leader named, or to the one that joined the project last."""
    project = load_as(ctx, Project, case.project_id)
    if c.leader is not None and c.leader not in project.current(MemberKind.LEADER):
        raise MoveNotAllowed(
            "escalate", case.status, f"{c.leader} is not a contact leader of the project"
        )
    case.escalate(actor, at, reason=c.reason, leader=c.leader or project.leader)


def resolve(
    ctx: CaseContext, case: ProjectProblem, actor: Actor, at: datetime, c: cmd.Resolve
) -> None:
    case.resolve(actor, at, solution=c.solution)


def declare_unresolvable(
    ctx: CaseContext, case: ProjectProblem, actor: Actor, at: datetime, c: cmd.DeclareUnresolvable
) -> None:
    case.declare_unresolvable(actor, at, reason=c.reason)


def reopen(
    ctx: CaseContext, case: ProjectProblem, actor: Actor, at: datetime, c: cmd.Reopen
) -> None:
    days = ctx.sla.problem_working_days if c.working_days is None else c.working_days
    due = ctx.calendar.deadline(at, days)
    case.reopen(
        actor,
        at,
        reason=c.reason,
        working_days=days,
        due=due.at,
        due_provisional=due.provisional,
    )


def remind(ctx: CaseContext, case: ProjectProblem, actor: Actor, at: datetime, c: Remind) -> None:
    case.remind(
        actor,
        at,
        escalate_after=ctx.calendar.due_at(at, ESCALATE_AFTER_WORKING_DAYS),
        note=c.note,
    )


def escalate_deadline(
    ctx: CaseContext, case: ProjectProblem, actor: Actor, at: datetime, c: cmd.EscalateDeadline
) -> None:
    case.escalate_deadline(actor, at)


def recompute_deadlines(
    ctx: CaseContext,
    case: ProjectProblem,
    actor: Actor,
    at: datetime,
    c: deadlines.RecomputeDeadlines,
) -> None:
    case.recompute_deadlines(
        actor, at, deadlines.changes(ctx.calendar, case.open_deadlines(), at, case.status)
    )


def _problem_move[C: Command](
    name: str, body: type[C], decide: Decide[ProjectProblem, C]
) -> tuple[str, Move[ProjectProblem, Any]]:
    return name, declare_move(body, PROBLEM_MOVE_ROLES[name], decide)


PROBLEM = CaseType(
    name="problem",
    plural="problems",
    aggregate=ProjectProblem,
    create_body=cmd.RaiseProblem,
    create_roles=PROBLEM_MOVE_ROLES["raise"],
    create=raise_problem,
    # Each move's URL name, its body (the same as cmd.PROBLEM_MOVES) and its decision.
    moves=dict(
        [
            _problem_move("note", cmd.Note, note),
            _problem_move("escalate", cmd.Escalate, escalate),
            _problem_move("resolve", cmd.Resolve, resolve),
            _problem_move("declare-unresolvable", cmd.DeclareUnresolvable, declare_unresolvable),
            _problem_move("reopen", cmd.Reopen, reopen),
            _problem_move("remind", Remind, remind),
            _problem_move("escalate-deadline", cmd.EscalateDeadline, escalate_deadline),
            (deadlines.MOVE, deadlines.recompute_move(recompute_deadlines)),
        ]
    ),
    can_see=can_see_problem,
    public_course=PROBLEM_COURSE,
    read_roles=READ_ROLES,
)
