"""The whole data set: every planner in a fixed order on one plan, then the plan sent to
the application through its public commands, and a summary of what was loaded."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from uuid import UUID

import msgspec

from domain.application import Oversight
from domain.calendar import WorkingCalendar
from domain.project_case import PROJECT
from domain.registry import ALL_CASE_TYPES
from domain.service_statistics import SERVICE_STATISTICS
from domain.sla import SlaPolicy
from oversight.demo.data.people import Enterprises
from oversight.demo.data.period import STATISTICS_DAY
from oversight.demo.planners.commitment import plan_commitments
from oversight.demo.planners.complaint import plan_complaints
from oversight.demo.planners.credit_repair import plan_credit_repairs
from oversight.demo.planners.project import plan_projects
from oversight.demo.planners.service_statistics import plan_service_statistics
from oversight.demo.schedule import Case, Context, Plan, Timeline, created_id
from oversight.identity_cli import load_demo_organisation


class DemoSummary(msgspec.Struct, frozen=True, kw_only=True):
    """What was loaded: cases per case type, and how many are in each status (projects:
    in each classification)."""

    seed: int
    start: datetime
    end: datetime  # the time of the last command
    events: int
    cases: dict[str, int]
    statuses: dict[str, dict[str, int]]
    case_ids: dict[str, list[UUID]]  # in the order they were created

    def format(self) -> str:
        lines = [
            f"demo data loaded (seed {self.seed}): {sum(self.cases.values())} cases, "
            f"{self.events} events, {self.start.isoformat()} .. {self.end.isoformat()}"
        ]
        width = max(len(name) for name in self.cases)
        for name, n in self.cases.items():
            detail = ", ".join(f"{s} {c}" for s, c in self.statuses[name].items())
            lines.append(f"  {name:<{width}}  {n:>3}  {detail}")
        return "\n".join(lines)


def build_plan(
    calendar: WorkingCalendar, sla: SlaPolicy, start: datetime, seed: int
) -> tuple[Plan, datetime]:
    """Every command of the data set with its time (nothing is sent yet), and the time
    the statistics are recorded (the end of the period)."""
    rng = random.Random(seed)  # noqa: S311  (demo data, not security)
    tl = Timeline(calendar, start, rng)
    stats_at = tl.at(STATISTICS_DAY, 60)
    ctx = Context(rng, calendar, sla, tl, Plan(), Enterprises(rng), stats_at)
    # The order matters: the planners draw from one random source.
    plan_projects(ctx)
    plan_complaints(ctx)
    plan_commitments(ctx)
    plan_credit_repairs(ctx)
    late = [s for s in ctx.plan.steps if s.at >= stats_at]
    if late:
        raise ValueError(f"demo plan: {late[0].move} at {late[0].at} is after the period")
    return ctx.plan, stats_at


def load_demo(app: Oversight, *, start: datetime, seed: int = 2020) -> DemoSummary:
    """Load the demo data set into `app` through its public commands, every command dated
    from `start` (see oversight/demo/__init__.py), and say what was loaded."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    before = app.recorder.max_notification_id() or 0
    # Issue 15: the departments its transfers name (and categories), the day before.
    load_demo_organisation(app, start - timedelta(days=1))
    plan, stats_at = build_plan(app.calendar, app.sla, start, seed)
    local_start = start.astimezone(app.calendar.timezone)
    stats = plan_service_statistics(plan, local_start, stats_at)
    created, end = plan.run(app)
    assert stats.state is not None
    after = app.recorder.max_notification_id() or 0

    cases: dict[str, int] = {}
    statuses: dict[str, dict[str, int]] = {}
    case_ids: dict[str, list[UUID]] = {}
    for case_type in ALL_CASE_TYPES:
        mine = [case for case in created if case.case_type is case_type]
        if mine:
            cases[case_type.name] = len(mine)
            statuses[case_type.name] = dict(sorted(Counter(map(_status, mine)).items()))
            case_ids[case_type.name] = [created_id(case) for case in mine]
    return DemoSummary(
        seed=seed,
        start=local_start,
        end=end,
        events=after - before,
        cases=cases,
        statuses=statuses,
        case_ids=case_ids,
    )


def _status(case: Case) -> str:
    state = case.state
    if case.case_type is PROJECT:
        return str(state.classification)
    if case.case_type is SERVICE_STATISTICS:
        return "recorded"
    return str(state.status)
