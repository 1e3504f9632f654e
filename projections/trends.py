"""Figures of the dashboard page (issue 17) that the API's dashboard sums over the whole
period: the same facts (`case_facts`, see projections/dashboard.py) week by week, and
the departments' overdue work.

- `weekly`: per local week (Monday to Sunday in the bureau's time zone, cut to the
  period), complaints replied and replied on time, rated and rated satisfied; the rates
  with `percent`, so a week's figures are computed exactly as the period's are, and the
  weeks add up to the period's counts (tests/integration/test_page_figures.py).
- `late_replies_by_department`: replies given after their deadline in the period, by
  the department that gave them (from the facts: as of any day).
- `overdue_by_department`: open complaints whose handling deadline has passed at `now`,
  by the department they are with (from the summary view: the present only).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from projections.dashboard import SATISFIED, percent


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def weeks(first: date, last: date) -> list[date]:
    """The Mondays of the weeks that meet [first, last], in order."""
    if last < first:
        return []
    monday, end = week_start(first), week_start(last)
    return [monday + timedelta(weeks=i) for i in range((end - monday).days // 7 + 1)]


async def weekly(
    conn: asyncpg.Connection, *, start: datetime, end: datetime, tz: ZoneInfo, first: date
) -> list[dict[str, Any]]:
    """One row per week of [start, end) (every week, with zeros where nothing happened):
    {week (its Monday), replied, on_time, on_time_rate, rated, satisfied,
    satisfied_share}; rates None when there is nothing to divide by. `first` is the
    period's first local day (its week is the first row)."""
    rows = await conn.fetch(
        """
        SELECT (date_trunc('week', at AT TIME ZONE $3))::date AS week,
               count(*) FILTER (WHERE type = 'Replied') AS replied,
               count(*) FILTER (WHERE type = 'Replied' AND on_time) AS on_time,
               count(*) FILTER (WHERE type = 'Rated') AS rated,
               count(*) FILTER (WHERE type = 'Rated' AND rating = ANY($4::text[])) AS satisfied
        FROM views.case_facts
        WHERE case_type = 'Complaint' AND at >= $1 AND at < $2 AND type IN ('Replied', 'Rated')
        GROUP BY 1
        """,
        start,
        end,
        str(tz),
        list(SATISFIED),
    )
    found = {r["week"]: r for r in rows}
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    out = []
    for monday in weeks(first, last):
        r = found.get(monday)
        replied, on_time = (r["replied"], r["on_time"]) if r else (0, 0)
        rated, satisfied = (r["rated"], r["satisfied"]) if r else (0, 0)
        out.append(
            {
                "week": monday,
                "replied": replied,
                "on_time": on_time,
                "on_time_rate": percent(on_time, replied),
                "rated": rated,
                "satisfied": satisfied,
                "satisfied_share": percent(satisfied, rated),
            }
        )
    return out


async def late_replies_by_department(
    conn: asyncpg.Connection, *, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """[{department, late, replied}] of replies in [start, end), most late first (then
    by department); departments with no late reply are left out."""
    rows = await conn.fetch(
        """
        SELECT department,
               count(*) FILTER (WHERE NOT on_time) AS late,
               count(*) AS replied
        FROM views.case_facts
        WHERE case_type = 'Complaint' AND at >= $1 AND at < $2 AND type = 'Replied'
          AND department IS NOT NULL
        GROUP BY department
        HAVING count(*) FILTER (WHERE NOT on_time) > 0
        ORDER BY late DESC, department
        """,
        start,
        end,
    )
    return [dict(r) for r in rows]


async def overdue_by_department(conn: asyncpg.Connection, *, now: datetime) -> list[dict[str, Any]]:
    """[{department, overdue}]: open complaints waiting for their department's reply past
    its deadline at `now`, most first (then by department)."""
    rows = await conn.fetch(
        """
        SELECT department, count(*) AS overdue
        FROM views.complaint_summary
        WHERE due_step = 'handling' AND due_at < $1 AND department IS NOT NULL
        GROUP BY department
        ORDER BY overdue DESC, department
        """,
        now,
    )
    return [dict(r) for r in rows]
