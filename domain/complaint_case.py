"""The complaint as a case type: how it is lodged, its moves and who sees it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain import commands as cmd
from domain import deadlines
from domain.access import SEE_ALL
from domain.calendar import Deadline
from domain.cases import CaseContext, CaseType, Decide, Move, declare_move
from domain.complaint import MOVE_ROLES, Complaint, StepDue
from domain.errors import Forbidden, RuleViolated
from domain.organisation import directory_of, require_active_department
from domain.public_course import COMPLAINT_COURSE
from domain.reminders import ESCALATE_AFTER_WORKING_DAYS
from domain.values import Actor, Complainant, Role


def lodge(ctx: CaseContext, actor: Actor, at: datetime, c: cmd.LodgeComplaint) -> Complaint:
    if actor.role is Role.ENTERPRISE and actor.org != c.complainant.credit_code:
        raise Forbidden("an enterprise may lodge complaints only for itself")
    acceptance_days = ctx.sla.acceptance_days(urgent=c.urgent)
    acceptance = ctx.calendar.deadline(at, acceptance_days)
    return Complaint(
        actor=actor,
        timestamp=at,
        kind=c.kind,
        channel=c.channel,
        category=c.category,
        title=c.title,
        description=c.description,
        complainant=Complainant(
            name=c.complainant.name,
            credit_code=c.complainant.credit_code,
            phone=c.complainant.phone,
        ),
        respondent_department=c.respondent_department,
        confidential=c.confidential,
        acceptance_due=acceptance.at,
        acceptance_due_provisional=acceptance.provisional,
        acceptance_working_days=acceptance_days,
        urgent=c.urgent,
    )


def can_see(ctx: CaseContext, actor: Actor, case: Complaint) -> bool:
    if actor.role in SEE_ALL:
        return True
    if actor.role is Role.ENTERPRISE:
        return actor.org is not None and actor.org == case.complainant.credit_code
    if actor.role is Role.DEPARTMENT:
        return actor.org is not None and actor.org in case.departments
    return False


def hides_identity(actor: Actor, case: Complaint) -> bool:
    """A confidential case never shows who lodged it to a department."""
    return case.confidential and actor.role is Role.DEPARTMENT


def _handling_days(ctx: CaseContext, case: Complaint) -> int:
    return ctx.sla.handling_days(case.kind, urgent=case.urgent)


def _redo(ctx: CaseContext, case: Complaint, at: datetime) -> tuple[int, Deadline]:
    days = _handling_days(ctx, case)
    return days, ctx.calendar.deadline(at, days)


def step_due(ctx: CaseContext, at: datetime, working_days: int) -> StepDue:
    """A step's deadline `working_days` after `at`, on the calendar as it is now."""
    due = ctx.calendar.deadline(at, working_days)
    return StepDue(due.at, due.provisional, working_days)


def accept(ctx: CaseContext, case: Complaint, actor: Actor, at: datetime, c: cmd.Accept) -> None:
    # Not given: the urgency the case was lodged with (an accepting clerk may change it).
    urgent = case.urgent if c.urgent is None else c.urgent
    transfer_due = step_due(ctx, at, ctx.sla.transfer_days(urgent=urgent))
    case.accept(actor, at, note=c.note, urgent=urgent, transfer_due=transfer_due)


def reject(ctx: CaseContext, case: Complaint, actor: Actor, at: datetime, c: cmd.Reject) -> None:
    case.reject(actor, at, reason=c.reason)


def transfer(
    ctx: CaseContext, case: Complaint, actor: Actor, at: datetime, c: cmd.Transfer
) -> None:
    # Issue 15: to a registered department active that day (422 otherwise), when the
    # context names the departments (domain/organisation.py).
    day = at.astimezone(ctx.calendar.timezone).date()
    require_active_department(directory_of(ctx), c.department, day)
    days = _handling_days(ctx, case) if c.working_days is None else c.working_days
    due = ctx.calendar.deadline(at, days)
    case.transfer(
        actor,
        at,
        department=c.department,
        working_days=days,
        due=due.at,
        due_provisional=due.provisional,
    )


def send_back(
    ctx: CaseContext, case: Complaint, actor: Actor, at: datetime, c: cmd.SendBack
) -> None:
    transfer_due = step_due(ctx, at, ctx.sla.transfer_days(urgent=case.urgent))
    case.send_back(actor, at, reason=c.reason, transfer_due=transfer_due)


def request_extension(
    ctx: CaseContext, case: Complaint, actor: Actor, at: datetime, c: cmd.RequestExtension
) -> None:
    if c.working_days > ctx.sla.max_extension_working_days:
        raise RuleViolated(
            "working_days", f"at most {ctx.sla.max_extension_working_days} working days"
        )
    case.request_extension(actor, at, working_days=c.working_days, reason=c.reason)


def decide_extension(
    ctx: CaseContext, case: Complaint, actor: Actor, at: datetime, c: cmd.DecideExtension
) -> None:
    due = None
    if case.extension_requested is not None and case.handling_due is not None:
        moved = ctx.calendar.deadline(case.handling_due, case.extension_requested)
        due = Deadline(moved.at, moved.provisional or case.handling_due_provisional)
    case.decide_extension(
        actor,
        at,
        approved=c.approved,
        note=c.note,
        due=due.at if due else at,
        due_provisional=due.provisional if due else False,
    )


def reply(ctx: CaseContext, case: Complaint, actor: Actor, at: datetime, c: cmd.Reply) -> None:
    case.reply_to(
        actor, at, answer=c.answer, review_due=step_due(ctx, at, ctx.sla.review_working_days)
    )


def review(ctx: CaseContext, case: Complaint, actor: Actor, at: datetime, c: cmd.Review) -> None:
    days, due = _redo(ctx, case, at)
    case.review(
        actor,
        at,
        approved=c.approved,
        note=c.note,
        redo_due=due.at,
        redo_provisional=due.provisional,
        redo_working_days=days,
        rating_due=step_due(ctx, at, ctx.sla.rating_window_working_days),
    )


def rate(ctx: CaseContext, case: Complaint, actor: Actor, at: datetime, c: cmd.Rate) -> None:
    days, due = _redo(ctx, case, at)
    case.rate(
        actor,
        at,
        rating=c.rating,
        comment=c.comment,
        redo_due=due.at,
        redo_provisional=due.provisional,
        redo_working_days=days,
    )


def record_rating(
    ctx: CaseContext, case: Complaint, actor: Actor, at: datetime, c: cmd.RecordRating
) -> None:
    days, due = _redo(ctx, case, at)
    case.record_rating(
        actor,
        at,
        rating=c.rating,
        comment=c.comment,
        call_reference=c.call_reference,
        called_at=c.called_at,
        redo_due=due.at,
        redo_provisional=due.provisional,
        redo_working_days=days,
    )


def close_unrated(
    ctx: CaseContext, case: Complaint, actor: Actor, at: datetime, c: cmd.CloseUnrated
) -> None:
    case.close_unrated(actor, at)


def supervise(
    ctx: CaseContext, case: Complaint, actor: Actor, at: datetime, c: cmd.Supervise
) -> None:
    case.supervise(actor, at, note=c.note)


def withdraw(
    ctx: CaseContext, case: Complaint, actor: Actor, at: datetime, c: cmd.Withdraw
) -> None:
    case.withdraw(actor, at, reason=c.reason)


def close(ctx: CaseContext, case: Complaint, actor: Actor, at: datetime, c: cmd.Close) -> None:
    case.close(actor, at, note=c.note)


def remind(ctx: CaseContext, case: Complaint, actor: Actor, at: datetime, c: cmd.Remind) -> None:
    case.remind(
        actor,
        at,
        escalate_after=ctx.calendar.due_at(at, ESCALATE_AFTER_WORKING_DAYS),
        note=c.note,
    )


def escalate(
    ctx: CaseContext, case: Complaint, actor: Actor, at: datetime, c: cmd.Escalate
) -> None:
    case.escalate(actor, at)


def recompute_deadlines(
    ctx: CaseContext,
    case: Complaint,
    actor: Actor,
    at: datetime,
    c: deadlines.RecomputeDeadlines,
) -> None:
    case.recompute_deadlines(
        actor, at, deadlines.changes(ctx.calendar, case.open_deadlines(), at, case.status)
    )


_SUMMARIES = {
    "record-rating": "Record the rating an enterprise gave by phone (a clerk, naming the call)",
    "remind": "Remind (催办): a supervisor by hand, with a note; the deadline watcher when a "
    "deadline has passed",
    "escalate": "Escalate a reminded overdue step: the deadline watcher only (403 for tokens)",
    "close-unrated": "Close a case whose rating window passed unrated: the deadline watcher "
    "only (403 for tokens)",
}


def _move[C: cmd.Command](
    name: str, body: type[C], decide: Decide[Complaint, C]
) -> tuple[str, Move[Complaint, Any]]:
    return name, declare_move(body, MOVE_ROLES[name], decide, _SUMMARIES.get(name, ""))


COMPLAINT = CaseType(
    name="complaint",
    plural="complaints",
    aggregate=Complaint,
    create_body=cmd.LodgeComplaint,
    create_roles=MOVE_ROLES["lodge"],
    create=lodge,
    # Each move's URL name, its body (the same as cmd.COMPLAINT_MOVES) and its decision.
    moves=dict(
        [
            _move("accept", cmd.Accept, accept),
            _move("reject", cmd.Reject, reject),
            _move("transfer", cmd.Transfer, transfer),
            _move("send-back", cmd.SendBack, send_back),
            _move("request-extension", cmd.RequestExtension, request_extension),
            _move("decide-extension", cmd.DecideExtension, decide_extension),
            _move("reply", cmd.Reply, reply),
            _move("review", cmd.Review, review),
            _move("rate", cmd.Rate, rate),
            _move("supervise", cmd.Supervise, supervise),
            _move("withdraw", cmd.Withdraw, withdraw),
            _move("close", cmd.Close, close),
            _move("record-rating", cmd.RecordRating, record_rating),
            _move("remind", cmd.Remind, remind),
            _move("escalate", cmd.Escalate, escalate),
            _move("close-unrated", cmd.CloseUnrated, close_unrated),
            (deadlines.MOVE, deadlines.recompute_move(recompute_deadlines)),
        ]
    ),
    can_see=can_see,
    hides_identity=hides_identity,
    public_course=COMPLAINT_COURSE,
)
