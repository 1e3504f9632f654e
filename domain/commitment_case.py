"""The credit commitment as a case type: how it is made, its moves and who sees it."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from domain import commitment_commands as cmd
from domain import deadlines
from domain.access import SEE_ALL
from domain.calendar import Deadline, DueBasis, WorkingCalendar
from domain.cases import CaseContext, CaseType, Decide, Move, declare_move
from domain.commands import Command
from domain.commitment import MOVE_ROLES, Commitment, Enterprise, Status
from domain.errors import Forbidden, RuleViolated
from domain.public_course import COMMITMENT_COURSE
from domain.values import Actor, Role


def local_date(calendar: WorkingCalendar, at: datetime) -> date:
    return at.astimezone(calendar.timezone).date()


def _basis(calendar: WorkingCalendar, day: date, working_days: int) -> DueBasis:
    start = datetime.combine(day, time.min, tzinfo=calendar.timezone)
    return DueBasis(start=start, steps=(working_days,))


def date_deadline(calendar: WorkingCalendar, day: date) -> Deadline:
    """End of office hours on `day`; on a day off, on the next working day (a period
    whose last day is a holiday ends on the first working day after it)."""
    return calendar.compute(_basis(calendar, day, 0))


def date_due_at(calendar: WorkingCalendar, day: date) -> datetime:
    return date_deadline(calendar, day).at


def epidemic_deadline(
    calendar: WorkingCalendar, ended_on: date, grace_working_days: int
) -> Deadline:
    """End of office hours on the `grace`-th working day after the epidemic response
    ended (0: that day, or the next working day if it was a day off)."""
    return calendar.compute(_basis(calendar, ended_on, grace_working_days))


def epidemic_due_at(calendar: WorkingCalendar, ended_on: date, grace_working_days: int) -> datetime:
    return epidemic_deadline(calendar, ended_on, grace_working_days).at


def open_deadlines(calendar: WorkingCalendar, case: Commitment) -> list[deadlines.OpenDeadline]:
    """The materials' due while not yet overdue, and how it was computed (from the date
    promised, or from the end of the epidemic response and the grace)."""
    if case.status not in (Status.COMMITTED, Status.GRANTED) or case.due_at is None:
        return []
    if case.due_date is not None:
        basis = _basis(calendar, case.due_date, 0)
    elif case.epidemic_ended_on is not None:
        basis = _basis(calendar, case.epidemic_ended_on, case.grace_working_days or 0)
    else:
        return []
    return [deadlines.OpenDeadline("materials", case.due_at, case.due_provisional, basis)]


def check_ended_on(calendar: WorkingCalendar, at: datetime, ended_on: date) -> None:
    if ended_on > local_date(calendar, at):
        raise RuleViolated("ended_on", "the end of the epidemic response cannot be in the future")


def commit(ctx: CaseContext, actor: Actor, at: datetime, c: cmd.Commit) -> Commitment:
    if actor.role is Role.ENTERPRISE and actor.org != c.enterprise.credit_code:
        raise Forbidden("an enterprise may make commitments only for itself")
    due = None
    if c.due.date is not None:
        if c.due.date < local_date(ctx.calendar, at):
            raise RuleViolated("due.date", "must not be before the day of the commitment")
        due = date_deadline(ctx.calendar, c.due.date)
    return Commitment(
        actor=actor,
        timestamp=at,
        matter=c.matter,
        enterprise=Enterprise(name=c.enterprise.name, credit_code=c.enterprise.credit_code),
        statement=c.statement,
        materials=list(c.materials),
        due_date=c.due.date,
        epidemic_contingent=c.due.epidemic_end,
        grace_working_days=c.due.grace_working_days,
        due_at=due.at if due else None,
        due_provisional=due.provisional if due else False,
    )


def can_see(ctx: CaseContext, actor: Actor, case: Commitment) -> bool:
    # The system actor (the deadline watcher) must reach every case it marks.
    if actor.role in SEE_ALL or actor.role is Role.SYSTEM:
        return True
    if actor.role is Role.ENTERPRISE:
        return actor.org is not None and actor.org == case.enterprise.credit_code
    return False


def grant(ctx: CaseContext, case: Commitment, actor: Actor, at: datetime, c: cmd.Grant) -> None:
    case.grant(actor, at, note=c.note)


def supply(ctx: CaseContext, case: Commitment, actor: Actor, at: datetime, c: cmd.Supply) -> None:
    case.supply(actor, at, materials=list(c.materials))


def epidemic_ended(
    ctx: CaseContext, case: Commitment, actor: Actor, at: datetime, c: cmd.EpidemicEnded
) -> None:
    check_ended_on(ctx.calendar, at, c.ended_on)
    grace = case.grace_working_days or 0
    due = epidemic_deadline(ctx.calendar, c.ended_on, grace)
    case.record_epidemic_end(
        actor, at, ended_on=c.ended_on, due=due.at, due_provisional=due.provisional
    )


def mark_overdue(
    ctx: CaseContext, case: Commitment, actor: Actor, at: datetime, c: cmd.MarkOverdue
) -> None:
    case.mark_overdue(actor, at)


def breach(ctx: CaseContext, case: Commitment, actor: Actor, at: datetime, c: cmd.Breach) -> None:
    case.breach(actor, at, reason=c.reason)


def exempt(ctx: CaseContext, case: Commitment, actor: Actor, at: datetime, c: cmd.Exempt) -> None:
    case.exempt(actor, at, reason=c.reason)


def revoke(ctx: CaseContext, case: Commitment, actor: Actor, at: datetime, c: cmd.Revoke) -> None:
    case.revoke(actor, at, reason=c.reason, finding=c.finding)


def recompute_deadlines(
    ctx: CaseContext,
    case: Commitment,
    actor: Actor,
    at: datetime,
    c: deadlines.RecomputeDeadlines,
) -> None:
    found = open_deadlines(ctx.calendar, case)
    case.recompute_deadlines(actor, at, deadlines.changes(ctx.calendar, found, at, case.status))


_SUMMARIES = {
    "grant": "Grant the approval at once (承诺即开工)",
    "supply": "Record materials supplied; the last one fulfils the commitment",
    "epidemic-ended": "Record the end of the epidemic response: sets the due",
    "mark-overdue": "Mark overdue (the deadline watcher only; 403 to every token)",
    "breach": "Record a breach (失信): goes on the credit record",
    "exempt": "Exempt: the epidemic prevented it, not recorded as dishonesty",
    "revoke": "Revoke the approval after a check found it non-compliant",
}


def _move[C: Command](
    name: str, body: type[C], decide: Decide[Commitment, C]
) -> tuple[str, Move[Commitment, Any]]:
    return name, declare_move(body, MOVE_ROLES[name], decide, _SUMMARIES[name])


COMMITMENT = CaseType(
    name="commitment",
    plural="commitments",
    aggregate=Commitment,
    create_body=cmd.Commit,
    create_roles=MOVE_ROLES["commit"],
    create=commit,
    # Each move's URL name, its body (the same as cmd.COMMITMENT_MOVES) and its decision.
    moves=dict(
        [
            _move("grant", cmd.Grant, grant),
            _move("supply", cmd.Supply, supply),
            _move("epidemic-ended", cmd.EpidemicEnded, epidemic_ended),
            _move("mark-overdue", cmd.MarkOverdue, mark_overdue),
            _move("breach", cmd.Breach, breach),
            _move("exempt", cmd.Exempt, exempt),
            _move("revoke", cmd.Revoke, revoke),
            (deadlines.MOVE, deadlines.recompute_move(recompute_deadlines)),
        ]
    ),
    can_see=can_see,
    public_course=COMMITMENT_COURSE,
    read_roles=frozenset({Role.ENTERPRISE, Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR}),
)
