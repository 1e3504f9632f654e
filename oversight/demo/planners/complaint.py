"""Complaints: lodged, then moved along their path with the deadlines the domain will
compute, as if the deadline watcher had been running."""

from __future__ import annotations

from datetime import datetime

from domain import commands as cmd
from domain.complaint_case import COMPLAINT
from domain.reminders import ESCALATE_AFTER_WORKING_DAYS
from domain.values import SYSTEM, Channel, Rating
from oversight.demo.data.complaints import (
    COMPLAINTS,
    EXTENSION_REASONS,
    REDO_ANSWER,
    REDO_NOTES,
    SATISFIED_COMMENTS,
    SEND_BACK_DEFAULT,
    SUPERVISION_NOTES,
    UNSATISFIED_COMMENTS,
    ComplaintSpec,
)
from oversight.demo.data.people import (
    CLERKS,
    DEPARTMENTS,
    SUPERVISORS,
    Enterprise,
    department_actor,
)
from oversight.demo.schedule import Context


def plan_complaints(ctx: Context) -> None:
    for spec in COMPLAINTS:
        unknown = {spec.department, spec.then or spec.department} - DEPARTMENTS.keys()
        if unknown:
            raise ValueError(f"demo plan: unknown department {unknown}")
        _plan_complaint(ctx, spec, ctx.enterprises.any(spec.city), ctx.rng.randint(*spec.window))


def _plan_complaint(
    ctx: Context, spec: ComplaintSpec, enterprise: Enterprise, lodge_wd: int
) -> None:
    """Lodge one complaint and make the moves its path names, with the deadlines the
    domain will compute. Tokens: accept, accept! (urgent), reject, transfer, transfer2
    (after a send-back, to `then`), send-back, ext+ / ext- / ext? (an extension approved,
    refused, pending), supervise, reply, review+ / review-, rate+ / rate-, close, remind
    and escalate (the deadline watcher), withdraw."""
    rng, cal, sla = ctx.rng, ctx.calendar, ctx.sla
    steps = spec.path.split()
    urgent_path = "accept!" in steps
    walk = ctx.tl.walk(lodge_wd, rng.randint(0, 45 if urgent_path else 240))
    by_enterprise = spec.channel in (Channel.WEB, Channel.APP, Channel.EMAIL)
    clerk = rng.choice(CLERKS)
    supervisor = rng.choice(SUPERVISORS)
    at = walk.now
    case = ctx.plan.create(
        COMPLAINT,
        enterprise.actor if by_enterprise else clerk,
        at,
        cmd.LodgeComplaint(
            kind=spec.kind,
            channel=spec.channel,
            category=spec.category,
            title=spec.title,
            description=spec.description,
            complainant=cmd.ComplainantIn(
                name=enterprise.name, credit_code=enterprise.credit_code, phone=enterprise.phone
            ),
            respondent_department=spec.respondent,
            confidential=spec.confidential,
        ),
    )
    due: datetime | None = cal.due_at(at, sla.acceptance_working_days)
    urgent = False
    department: str | None = None
    overdue = False  # the current deadline passed (a reminder was sent)
    escalate_after: datetime | None = None
    replies = 0
    days = 0

    def handling() -> int:
        return sla.handling_days(spec.kind, urgent=urgent)

    for step in steps:
        match step:
            case "accept" | "accept!":
                urgent = step == "accept!"
                note = "急事快办：涉及企业复工，当日办结。" if urgent else None
                ctx.plan.move(
                    case,
                    "accept",
                    clerk,
                    walk.minutes(15, 60 if urgent else 120),
                    cmd.Accept(note=note, urgent=urgent),
                )
                due, overdue, escalate_after = None, False, None
            case "reject":
                ctx.plan.move(
                    case, "reject", clerk, walk.minutes(30, 180), cmd.Reject(reason=spec.note or "")
                )
                due = None
            case "transfer" | "transfer2":
                department = spec.department if step == "transfer" else spec.then
                assert department is not None
                at = walk.minutes(10, 40 if urgent else 90)
                days = handling()
                ctx.plan.move(case, "transfer", clerk, at, cmd.Transfer(department=department))
                due, overdue, escalate_after = cal.due_at(at, days), False, None
            case "send-back":
                assert department is not None
                ctx.plan.move(
                    case,
                    "send-back",
                    department_actor(department),
                    walk.days(1),
                    cmd.SendBack(reason=spec.note or SEND_BACK_DEFAULT),
                )
                due, overdue, escalate_after = None, False, None
            case "ext+" | "ext-" | "ext?":
                assert department is not None and due is not None
                extra = rng.choice((5, 10))
                ctx.plan.move(
                    case,
                    "request-extension",
                    department_actor(department),
                    walk.days(1),
                    cmd.RequestExtension(working_days=extra, reason=rng.choice(EXTENSION_REASONS)),
                )
                if step != "ext?":
                    approved = step == "ext+"
                    note = (
                        "同意延期，请在延长期限内办结并答复企业。"
                        if approved
                        else "事关企业复工复产，不同意延期，请按期办结。"
                    )
                    ctx.plan.move(
                        case,
                        "decide-extension",
                        supervisor,
                        walk.minutes(60, 180),
                        cmd.DecideExtension(approved=approved, note=note),
                    )
                    if approved:
                        due = cal.due_at(due, extra)
            case "supervise":
                ctx.plan.move(
                    case,
                    "supervise",
                    supervisor,
                    walk.days(1),
                    cmd.Supervise(note=rng.choice(SUPERVISION_NOTES)),
                )
            case "reply":
                assert department is not None and due is not None
                if overdue:
                    at = walk.days(rng.randint(1, 2))
                elif days == 0:
                    at = walk.minutes(60, 120)
                else:
                    at = walk.days(rng.randint(1, min(3, days)))
                if not overdue and at > due:
                    raise ValueError(f"demo plan: reply to {spec.title!r} after its deadline")
                answer = spec.answer if replies == 0 else REDO_ANSWER.format(answer=spec.answer)
                replies += 1
                handler = department_actor(department)
                ctx.plan.move(case, "reply", handler, at, cmd.Reply(answer=answer))
                due, overdue, escalate_after = None, False, None
            case "review+" | "review-":
                approved = step == "review+"
                at = walk.minutes(60, 300)
                ctx.plan.move(
                    case,
                    "review",
                    supervisor,
                    at,
                    cmd.Review(
                        approved=approved, note=None if approved else rng.choice(REDO_NOTES)
                    ),
                )
                if not approved:
                    days = handling()
                    due, overdue, escalate_after = cal.due_at(at, days), False, None
            case "rate+" | "rate-":
                satisfied = step == "rate+"
                at = walk.days(rng.randint(1, 3))
                if satisfied:
                    rating = rng.choice(
                        (Rating.VERY_SATISFIED, Rating.SATISFIED, Rating.BASICALLY_SATISFIED)
                    )
                    comment = rng.choice(SATISFIED_COMMENTS)
                else:
                    rating = rng.choice((Rating.UNSATISFIED, Rating.VERY_UNSATISFIED))
                    comment = rng.choice(UNSATISFIED_COMMENTS)
                ctx.plan.move(
                    case, "rate", enterprise.actor, at, cmd.Rate(rating=rating, comment=comment)
                )
                if not satisfied:
                    days = handling()
                    due, overdue, escalate_after = cal.due_at(at, days), False, None
            case "close":
                ctx.plan.move(
                    case,
                    "close",
                    supervisor,
                    walk.days(5),
                    cmd.Close(note="回访期满企业未评价，按规定办结。"),
                )
            case "remind":
                assert due is not None
                at = walk.after(due)
                ctx.plan.move(case, "remind", SYSTEM, at, cmd.Remind())
                overdue = True
                escalate_after = cal.due_at(at, ESCALATE_AFTER_WORKING_DAYS)
            case "escalate":
                assert escalate_after is not None
                ctx.plan.move(case, "escalate", SYSTEM, walk.after(escalate_after), cmd.Escalate())
                escalate_after = None
            case "withdraw":
                ctx.plan.move(
                    case,
                    "withdraw",
                    enterprise.actor,
                    walk.days(rng.randint(1, 2)),
                    cmd.Withdraw(reason=spec.note or "问题已解决，撤回。"),
                )
                due = None
            case _:
                raise ValueError(f"demo plan: unknown complaint step {step!r}")
    # As if the deadline watcher had been running: a deadline passed before the end of
    # the data set was reminded, and a reminder's grace that ran out was escalated.
    if due is not None and not overdue and due < ctx.horizon:
        raise ValueError(f"demo plan: {spec.title!r} is overdue but was not reminded")
    if due is not None and escalate_after is not None and escalate_after < ctx.horizon:
        raise ValueError(f"demo plan: {spec.title!r} should have been escalated")
