"""The credit repair as a case type: how an application is made, its moves, who sees it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain import commands as cmd
from domain import credit_repair_commands as rc
from domain import deadlines
from domain.access import SEE_ALL
from domain.cases import CaseContext, CaseType, Decide, Move, declare_move
from domain.credit_repair import MOVE_ROLES, CreditRepair, Enterprise
from domain.errors import Forbidden
from domain.public_course import CREDIT_REPAIR_COURSE
from domain.reminders import ESCALATE_AFTER_WORKING_DAYS
from domain.values import Actor, Role


def apply(ctx: CaseContext, actor: Actor, at: datetime, c: rc.ApplyForRepair) -> CreditRepair:
    if actor.role is Role.ENTERPRISE and actor.org != c.enterprise.credit_code:
        raise Forbidden("an enterprise may apply for credit repair only for itself")
    due = ctx.calendar.deadline(at, ctx.sla.repair_review_working_days)
    return CreditRepair.apply_for(
        actor,
        at,
        enterprise=Enterprise(name=c.enterprise.name, credit_code=c.enterprise.credit_code),
        record_id=c.record_id,
        penalty_authority=c.penalty_authority,
        severity=c.severity,
        proof=c.proof,
        pledge_signed=c.pledge_signed,
        # Both reviews are due within 1 working day of the application (issue 3).
        review_due=due.at,
        review_due_provisional=due.provisional,
        review_working_days=ctx.sla.repair_review_working_days,
    )


def can_see(ctx: CaseContext, actor: Actor, case: CreditRepair) -> bool:
    if actor.role in SEE_ALL:
        return True
    if actor.role is Role.ENTERPRISE:
        return actor.org is not None and actor.org == case.enterprise.credit_code
    return False


def initial_review(
    ctx: CaseContext, case: CreditRepair, actor: Actor, at: datetime, c: rc.RepairReview
) -> None:
    case.initial_review(actor, at, passed=c.passed, reason=c.reason)


def re_review(
    ctx: CaseContext, case: CreditRepair, actor: Actor, at: datetime, c: rc.RepairReview
) -> None:
    case.re_review(actor, at, passed=c.passed, reason=c.reason)


def submit(
    ctx: CaseContext, case: CreditRepair, actor: Actor, at: datetime, c: rc.SubmitToCentre
) -> None:
    case.submit(actor, at, note=c.note)


def record_outcome(
    ctx: CaseContext, case: CreditRepair, actor: Actor, at: datetime, c: rc.RecordOutcome
) -> None:
    case.record_outcome(actor, at, repaired=c.repaired, reason=c.reason)


def withdraw(
    ctx: CaseContext, case: CreditRepair, actor: Actor, at: datetime, c: cmd.Withdraw
) -> None:
    case.withdraw(actor, at, reason=c.reason)


def remind(ctx: CaseContext, case: CreditRepair, actor: Actor, at: datetime, c: cmd.Remind) -> None:
    case.remind(
        actor,
        at,
        escalate_after=ctx.calendar.due_at(at, ESCALATE_AFTER_WORKING_DAYS),
        note=c.note,
    )


def escalate(
    ctx: CaseContext, case: CreditRepair, actor: Actor, at: datetime, c: cmd.Escalate
) -> None:
    case.escalate(actor, at)


_SUMMARIES = {
    "initial-review": "Initial review (初审) of a credit repair: pass, or refuse with a reason",
    "re-review": "Re-review (复审) of a credit repair, by another supervisor",
    "submit": "Submit a credit repair to the national credit information centre",
    "record-outcome": "Record the national centre's final review (终审) of a credit repair",
    "withdraw": "Withdraw a credit repair application (the applying enterprise)",
    "remind": "Remind (催办) a pending review: a supervisor by hand, with a note; the deadline "
    "watcher once its due has passed",
    "escalate": "Escalate a reminded overdue review: the deadline watcher only (403 for tokens)",
}


def recompute_deadlines(
    ctx: CaseContext,
    case: CreditRepair,
    actor: Actor,
    at: datetime,
    c: deadlines.RecomputeDeadlines,
) -> None:
    case.recompute_deadlines(
        actor, at, deadlines.changes(ctx.calendar, case.open_deadlines(), at, case.status)
    )


def _move[C: cmd.Command](
    name: str, body: type[C], decide: Decide[CreditRepair, C]
) -> tuple[str, Move[CreditRepair, Any]]:
    return name, declare_move(body, MOVE_ROLES[name], decide, _SUMMARIES[name])


CREDIT_REPAIR = CaseType(
    name="credit_repair",
    plural="credit-repairs",
    aggregate=CreditRepair,
    create_body=rc.ApplyForRepair,
    create_roles=MOVE_ROLES["apply"],
    create=apply,
    # Each move's URL name, its body (the same as rc.CREDIT_REPAIR_MOVES) and its decision.
    moves=dict(
        [
            _move("initial-review", rc.RepairReview, initial_review),
            _move("re-review", rc.RepairReview, re_review),
            _move("submit", rc.SubmitToCentre, submit),
            _move("record-outcome", rc.RecordOutcome, record_outcome),
            _move("withdraw", cmd.Withdraw, withdraw),
            _move("remind", cmd.Remind, remind),
            _move("escalate", cmd.Escalate, escalate),
            (deadlines.MOVE, deadlines.recompute_move(recompute_deadlines)),
        ]
    ),
    can_see=can_see,
    public_course=CREDIT_REPAIR_COURSE,
    # Departments have no part in credit repair: 403 on every read, like administrators.
    read_roles=frozenset({Role.ENTERPRISE, Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR}),
)
