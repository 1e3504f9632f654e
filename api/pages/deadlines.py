"""A deadline as a person reads it: when (Beijing time) and how many working days are
left, or by how many it is overdue, counted on the working-day calendar
(domain/calendar.py), never in calendar days.

- Before the deadline: the working days after today up to and including the deadline's
  day. "还剩 3 个工作日" on a Wednesday for a deadline at the close of next Monday;
  "今天到期" when the deadline is at the end of today.
- After it: the working days after the deadline's day up to and including today.
  "已超期 2 个工作日" on a Wednesday for a deadline at the close of Monday; "今天已超期"
  when it passed earlier today.
- Due soon: at most one working day left (the deadline falls by the end of the next
  working day), as the warnings list (projections/warnings.py) classes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from domain.calendar import WorkingCalendar

ON_TIME, DUE_SOON, OVERDUE = "on_time", "due_soon", "overdue"


@dataclass(frozen=True)
class DeadlineState:
    due: datetime  # in Beijing time
    state: str  # ON_TIME, DUE_SOON or OVERDUE
    working_days: int  # left (on time, due soon) or overdue by
    provisional: bool  # counted days of a year with no official holiday schedule


def working_days_after(calendar: WorkingCalendar, first: date, last: date) -> int:
    """The working days d with first < d <= last (0 when last <= first)."""
    if last <= first:
        return 0
    tz = calendar.timezone
    start = datetime.combine(first + timedelta(days=1), time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    # Whole local days: the calendar's count is a whole number (one prefix-sum lookup).
    return round(calendar.working_days_between(start, end))


def deadline_state(
    calendar: WorkingCalendar, due: datetime, now: datetime, *, provisional: bool = False
) -> DeadlineState:
    tz = calendar.timezone
    local_due, local_now = due.astimezone(tz), now.astimezone(tz)
    if local_now <= local_due:
        left = working_days_after(calendar, local_now.date(), local_due.date())
        return DeadlineState(local_due, DUE_SOON if left <= 1 else ON_TIME, left, provisional)
    late = working_days_after(calendar, local_due.date(), local_now.date())
    return DeadlineState(local_due, OVERDUE, late, provisional)
