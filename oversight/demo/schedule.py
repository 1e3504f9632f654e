"""The demo's scheduler: every command of the data set is planned first, with its time,
then sent in the order of those times across all cases (so the event log reads like the
months it describes), each case's moves strictly later than its previous one.

`Timeline` counts working days from the start on the application's calendar; a `Walk`
is one case's clock; a `Context` is what every planner shares (the random source, the
calendar and SLA policy the domain will use, the plan, the enterprises, the horizon).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from domain import commands as cmd
from domain.application import Oversight
from domain.calendar import WorkingCalendar
from domain.cases import CaseType
from domain.sla import SlaPolicy
from domain.values import Actor
from oversight.demo.data.people import Enterprises

OPEN = time(9, 0)
LATEST = time(17, 0)  # a step that would fall later moves to the next working day

Body = cmd.Command | Callable[[], cmd.Command]


@dataclass(eq=False)
class Case:
    case_type: CaseType
    id: UUID | None = None
    state: Any = None


@dataclass(frozen=True)
class Step:
    at: datetime
    seq: int
    case: Case
    move: str | None  # None: the command that creates the case
    actor: Actor
    body: Body


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    last: dict[int, datetime] = field(default_factory=dict)  # per case: its latest step

    def _add(self, case: Case, move: str | None, actor: Actor, at: datetime, body: Body) -> None:
        previous = self.last.get(id(case))
        if previous is not None and at <= previous:
            raise ValueError(f"demo plan: {move} dated {at} is not after {previous}")
        self.last[id(case)] = at
        self.steps.append(Step(at, len(self.steps), case, move, actor, body))

    def create(self, case_type: CaseType, actor: Actor, at: datetime, body: Body) -> Case:
        case = Case(case_type)
        self._add(case, None, actor, at, body)
        return case

    def move(self, case: Case, move: str, actor: Actor, at: datetime, body: Body) -> None:
        self._add(case, move, actor, at, body)

    def run(self, app: Oversight) -> tuple[list[Case], datetime]:
        created: list[Case] = []
        ordered = sorted(self.steps, key=lambda s: (s.at, s.seq))
        for step in ordered:
            body = step.body() if callable(step.body) else step.body
            if step.move is None:
                result = app.create(step.case.case_type, step.actor, step.at, body)
                step.case.id = result.case.id
                created.append(step.case)
            else:
                assert step.case.id is not None
                result = app.move(
                    step.case.id,
                    step.move,
                    step.actor,
                    step.at,
                    body,
                    case_type=step.case.case_type,
                )
            step.case.state = result.case
        return created, ordered[-1].at


class Timeline:
    """Working days counted from the start, in the calendar's timezone."""

    def __init__(self, calendar: WorkingCalendar, start: datetime, rng: random.Random) -> None:
        self.calendar = calendar
        self.tz = calendar.timezone
        self.start = start.astimezone(self.tz)
        self.rng = rng

    def day(self, wd: int) -> date:
        return self.calendar.add_working_days(self.start.date(), wd)

    def at(self, wd: int, minute: int) -> datetime:
        moment = datetime.combine(self.day(wd), OPEN, tzinfo=self.tz) + timedelta(minutes=minute)
        return max(moment, self.start)

    def walk(self, wd: int, minute: int) -> Walk:
        return Walk(self, self.at(wd, minute))


class Walk:
    """One case's clock: every call returns a time strictly later than the previous one."""

    def __init__(self, timeline: Timeline, at: datetime) -> None:
        self.tl = timeline
        self.now = at

    def minutes(self, lo: int, hi: int) -> datetime:
        moment = self.now + timedelta(minutes=self.tl.rng.randint(lo, hi))
        local = moment.astimezone(self.tl.tz)
        if local.date() != self.now.astimezone(self.tl.tz).date() or local.time() > LATEST:
            return self.days(1, 0, 60)
        return self._set(moment)

    def days(self, n: int, lo: int = 0, hi: int = 150) -> datetime:
        """`n` (>= 1) working days later, in office hours."""
        day = self.tl.calendar.add_working_days(self.now.astimezone(self.tl.tz).date(), n)
        moment = datetime.combine(day, OPEN, tzinfo=self.tl.tz)
        return self._set(moment + timedelta(minutes=self.tl.rng.randint(lo, hi)))

    def after(self, moment: datetime, minutes: int = 1) -> datetime:
        """Just after `moment` (a deadline the watcher acts on)."""
        return self._set(moment + timedelta(minutes=minutes))

    def _set(self, moment: datetime) -> datetime:
        if moment <= self.now:
            moment = self.now + timedelta(minutes=1)
        self.now = moment
        return moment


def created_id(case: Case) -> UUID:
    """The id of a case the plan created (a later command's body may name it)."""
    if case.id is None:
        raise ValueError("demo plan: a case was used before it was created")
    return case.id


@dataclass
class Context:
    rng: random.Random
    calendar: WorkingCalendar
    sla: SlaPolicy
    tl: Timeline
    plan: Plan
    enterprises: Enterprises
    horizon: datetime  # the end of the data set: a deadline before it has been acted on
