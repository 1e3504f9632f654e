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
from uuid import UUID

from domain import deadlines
from domain import project_commands as cmd
from domain.access import SEE_ALL
from domain.cases import CaseContext, CaseType, Move
from domain.errors import CaseNotFound, MoveNotAllowed
from domain.project import (
    PROBLEM_MOVE_ROLES,
    PROJECT_MOVE_ROLES,
    Investor,
    MemberKind,
    Project,
    ProjectProblem,
)
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


_PROJECT_DECISIONS = {
    "classify": classify,
    "assign-task-force": assign_task_force,
    "assign-officer": assign_officer,
    "assign-leader": assign_leader,
    "join-task-force": join_task_force,
    "leave-task-force": leave_task_force,
    "join-officer": join_officer,
    "leave-officer": leave_officer,
    "join-leader": join_leader,
    "leave-leader": leave_leader,
}

PROJECT = CaseType(
    name="project",
    plural="projects",
    aggregate=Project,
    create_body=cmd.RegisterProject,
    create_roles=PROJECT_MOVE_ROLES["register"],
    create=register,
    moves={
        name: Move(body=cmd.PROJECT_MOVES[name], roles=PROJECT_MOVE_ROLES[name], decide=decide)
        for name, decide in _PROJECT_DECISIONS.items()
    },
    can_see=can_see_project,
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
    project = ctx.load(case.project_id)
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


def remind(
    ctx: CaseContext, case: ProjectProblem, actor: Actor, at: datetime, c: cmd.Remind
) -> None:
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


_PROBLEM_DECISIONS = {
    "note": note,
    "escalate": escalate,
    "resolve": resolve,
    "declare-unresolvable": declare_unresolvable,
    "reopen": reopen,
    "remind": remind,
    "escalate-deadline": escalate_deadline,
}

PROBLEM = CaseType(
    name="problem",
    plural="problems",
    aggregate=ProjectProblem,
    create_body=cmd.RaiseProblem,
    create_roles=PROBLEM_MOVE_ROLES["raise"],
    create=raise_problem,
    moves={
        **{
            name: Move(body=cmd.PROBLEM_MOVES[name], roles=PROBLEM_MOVE_ROLES[name], decide=decide)
            for name, decide in _PROBLEM_DECISIONS.items()
        },
        deadlines.MOVE: Move(
            body=deadlines.RecomputeDeadlines,
            roles=deadlines.ROLES,
            decide=recompute_deadlines,
            summary=deadlines.SUMMARY,
        ),
    },
    can_see=can_see_problem,
    read_roles=READ_ROLES,
)
