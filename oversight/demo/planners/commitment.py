"""Credit commitments (承诺即开工): committed, granted, then supplied, marked overdue,
breached, exempted or revoked along their path."""

from __future__ import annotations

from datetime import timedelta

from domain import commitment_commands as cc
from domain.commitment_case import COMMITMENT, date_due_at
from domain.values import SYSTEM
from oversight.demo.data.commitments import COMMITMENTS, STATEMENT, CommitmentSpec
from oversight.demo.data.people import CLERKS, SUPERVISORS, Enterprise
from oversight.demo.schedule import Context


def plan_commitments(ctx: Context) -> None:
    for commitment in COMMITMENTS:
        _plan_commitment(ctx, commitment, ctx.enterprises.any())


def _plan_commitment(ctx: Context, spec: CommitmentSpec, enterprise: Enterprise) -> None:
    rng, plan, cal = ctx.rng, ctx.plan, ctx.calendar
    clerk = rng.choice(CLERKS)
    supervisor = rng.choice(SUPERVISORS)
    by_clerk = rng.random() < 0.25  # at a service window, on the enterprise's behalf
    committer = clerk if by_clerk else enterprise.actor
    walk = ctx.tl.walk(rng.randint(*spec.window), rng.randint(0, 240))
    kind, amount = spec.due
    epidemic = kind == "epidemic"
    due_date = None if epidemic else walk.now.astimezone(ctx.tl.tz).date() + timedelta(amount)
    due_at = None if due_date is None else date_due_at(cal, due_date)
    case = plan.create(
        COMMITMENT,
        committer,
        walk.now,
        cc.Commit(
            matter=spec.matter,
            enterprise=cc.EnterpriseIn(name=enterprise.name, credit_code=enterprise.credit_code),
            statement=STATEMENT.format(matter=spec.matter),
            materials=list(spec.materials),
            due=cc.DueIn(date=due_date)
            if not epidemic
            else cc.DueIn(epidemic_end=True, grace_working_days=amount),
        ),
    )
    overdue = granted = settled = False
    supplied: list[str] = []
    for step in spec.path.split():
        name, _, arg = step.partition(":")
        match name:
            case "grant":
                plan.move(
                    case,
                    "grant",
                    clerk,
                    walk.minutes(20, 90),
                    cc.Grant(note="承诺即开工：企业书面承诺符合审批条件，直接作出审批决定。"),
                )
                granted = True
            case "supply":
                at = walk.days(rng.randint(2, 6))
                if not overdue and due_at is not None and at > due_at:
                    raise ValueError(f"demo plan: {spec.matter} supplied after its due")
                materials = [spec.materials[int(i)] for i in arg.split("+")]
                plan.move(case, "supply", committer, at, cc.Supply(materials=materials))
                supplied += materials
                settled = len(supplied) == len(spec.materials)
            case "overdue":
                assert due_at is not None
                plan.move(case, "mark-overdue", SYSTEM, walk.after(due_at), cc.MarkOverdue())
                overdue = True
            case "breach":
                plan.move(
                    case,
                    "breach",
                    supervisor,
                    walk.days(rng.randint(3, 6)),
                    cc.Breach(reason=spec.reason),
                )
                settled = True
            case "exempt":
                plan.move(
                    case,
                    "exempt",
                    supervisor,
                    walk.days(rng.randint(2, 5)),
                    cc.Exempt(reason=spec.reason),
                )
                settled = True
            case "revoke":
                plan.move(
                    case,
                    "revoke",
                    supervisor,
                    walk.days(rng.randint(5, 15)),
                    cc.Revoke(reason=spec.reason, finding=spec.finding),
                )
                settled = True
            case _:
                raise ValueError(f"demo plan: unknown commitment step {step!r}")
    # As if the deadline watcher had been running (see _plan_complaint).
    if granted and not settled and not overdue and due_at is not None and due_at < ctx.horizon:
        raise ValueError(f"demo plan: {spec.matter} is overdue but was not marked")
