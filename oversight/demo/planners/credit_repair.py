"""Credit-repair applications (信用修复): applied for, reviewed twice within a working
day, submitted to the national centre and repaired (or stopped along the way)."""

from __future__ import annotations

from domain import commands as cmd
from domain import credit_repair_commands as rc
from domain.credit_repair_case import CREDIT_REPAIR
from oversight.demo.data.credit_repairs import PENALTIES, REPAIR_OUTCOMES
from oversight.demo.data.people import CLERKS, SUPERVISORS, Enterprise
from oversight.demo.data.period import LAST_CASE_DAY
from oversight.demo.schedule import Context


def plan_credit_repairs(ctx: Context) -> None:
    outcomes = list(REPAIR_OUTCOMES)
    ctx.rng.shuffle(outcomes)
    # Pending ones at the end of the period, the others spread over it.
    outcomes.sort(key=lambda o: o in ("submitted", "applied"))
    for i, outcome in enumerate(outcomes):
        if outcome == "applied":
            wd = LAST_CASE_DAY
        elif outcome == "submitted":
            wd = LAST_CASE_DAY - 1
        else:
            wd = 2 + i * (LAST_CASE_DAY - 12) // len(outcomes)
        _plan_credit_repair(ctx, ctx.enterprises.new(), outcome, wd, ctx.rng.randint(100, 2999))


def _plan_credit_repair(
    ctx: Context, enterprise: Enterprise, outcome: str, apply_wd: int, serial: int
) -> None:
    rng, plan = ctx.rng, ctx.plan
    clerk = rng.choice(CLERKS)
    reviewer = rng.choice(SUPERVISORS)
    city = enterprise.city
    penalty = rng.choice(PENALTIES[:-1] if outcome != "refused-centre" else PENALTIES[-1:])
    year = rng.choice((2018, 2019, 2019))
    walk = ctx.tl.walk(apply_wd, rng.randint(0, 300))
    by_clerk = rng.random() < 0.2
    case = plan.create(
        CREDIT_REPAIR,
        clerk if by_clerk else enterprise.actor,
        walk.now,
        rc.ApplyForRepair(
            enterprise=rc.EnterpriseIn(name=enterprise.name, credit_code=enterprise.credit_code),
            record_id=f"{city.abbr}{penalty.abbr}罚〔{year}〕{serial}号",
            penalty_authority=penalty.authority.format(city=city.name),
            severity=penalty.severity,
            proof=penalty.proof,
            pledge_signed=True,
        ),
    )
    if outcome == "applied":
        return
    if outcome == "refused-initial":
        reason = "未提供行政处罚决定履行完毕的证明材料（罚款缴纳凭证），请补充后重新申请。"
        plan.move(
            case,
            "initial-review",
            clerk,
            walk.minutes(60, 180),
            rc.RepairReview(passed=False, reason=reason),
        )
        return
    plan.move(case, "initial-review", clerk, walk.minutes(60, 180), rc.RepairReview(passed=True))
    if outcome == "withdrawn":
        plan.move(
            case,
            "withdraw",
            enterprise.actor,
            walk.minutes(30, 120),
            cmd.Withdraw(reason="处罚决定正在行政复议中，待复议结束后再申请修复。"),
        )
        return
    plan.move(case, "re-review", reviewer, walk.minutes(30, 120), rc.RepairReview(passed=True))
    plan.move(
        case,
        "submit",
        clerk,
        walk.minutes(10, 30),
        rc.SubmitToCentre(note="已在1个工作日内完成初审和复审，提交国家信用信息中心终审。"),
    )
    if outcome == "submitted":
        return
    repaired = outcome == "repaired"
    refusal = None if repaired else "严重失信行为的最短公示期未满，国家信用信息中心终审不予修复。"
    plan.move(
        case,
        "record-outcome",
        clerk,
        walk.days(rng.randint(2, 5)),
        rc.RecordOutcome(repaired=repaired, reason=refusal),
    )
