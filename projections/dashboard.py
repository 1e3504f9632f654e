"""The supervisor dashboard's figures, computed from `case_facts` (see there).

A period is a range of local days [first, last]; `as_of` (a local day) cuts off every
event after the end of that day, so the figures are those that could have been
printed then.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import asyncpg

from domain.service_statistics import ALL_FIGURES, PROVINCE, StatisticsKind
from projections.identity import department_names

OPEN_COMPLAINT = ("lodged", "accepted", "transferred", "replied", "awaiting_rating")
SATISFIED = ("very_satisfied", "satisfied", "basically_satisfied")
RATINGS = (*SATISFIED, "unsatisfied", "very_unsatisfied")


def percent(part: int, whole: int) -> float | None:
    """A share as a percentage rounded to two decimals (None when there is nothing)."""
    return None if whole == 0 else round(100 * part / whole, 2)


def day_bounds(
    first: date, last: date, as_of: date | None, tz: ZoneInfo
) -> tuple[datetime, datetime, date]:
    """[start, end) instants of the period, capped at the end of `as_of`; and the day
    whose end the status counts are taken at."""
    cut = last if as_of is None else min(last, as_of)
    start = datetime.combine(first, time.min, tzinfo=tz)
    end = datetime.combine(cut + timedelta(days=1), time.min, tzinfo=tz)
    return start, end, cut


async def complaint_figures(
    conn: asyncpg.Connection, *, start: datetime, end: datetime, status_day: date
) -> dict[str, Any]:
    period = (start, end)
    by_status = await _status_counts(conn, "Complaint", status_day)

    async def grouped(column: str, event: str) -> dict[str, int]:
        rows = await conn.fetch(
            f"SELECT {column} AS k, count(*) AS n FROM views.case_facts "
            "WHERE case_type = 'Complaint' AND type = $1 AND at >= $2 AND at < $3 "
            f"GROUP BY {column} ORDER BY {column}",
            event,
            *period,
        )
        return {r["k"]: r["n"] for r in rows}

    row = await conn.fetchrow(
        """
        SELECT
          count(*) FILTER (WHERE type = 'Lodged') AS lodged,
          count(*) FILTER (WHERE status_to = 'closed') AS closed,
          count(*) FILTER (WHERE status_to = 'rejected') AS rejected,
          count(*) FILTER (WHERE status_to = 'withdrawn') AS withdrawn,
          count(*) FILTER (WHERE type = 'Accepted') AS accepted,
          count(*) FILTER (WHERE type = 'Accepted' AND on_time) AS accepted_on_time,
          count(*) FILTER (WHERE type = 'Replied') AS replied,
          count(*) FILTER (WHERE type = 'Replied' AND on_time) AS replied_on_time,
          avg(working_days) FILTER (WHERE type = 'Replied') AS handling_days,
          count(*) FILTER (WHERE status_to = 'transferred' AND type IN ('Reviewed', 'Rated'))
            AS redone,
          count(*) FILTER (WHERE type = 'Supervised') AS supervised,
          count(*) FILTER (WHERE type = 'Reminded') AS reminded,
          count(*) FILTER (WHERE type = 'Escalated') AS escalated
        FROM views.case_facts
        WHERE case_type = 'Complaint' AND at >= $1 AND at < $2
        """,
        *period,
    )
    ratings = await grouped("rating", "Rated")
    rated = sum(ratings.values())
    satisfied = sum(ratings.get(r, 0) for r in SATISFIED)
    by_department = await grouped("department", "Transferred")
    return {
        "by_status": by_status,
        "by_kind": await grouped("kind", "Lodged"),
        "by_category": await grouped("category", "Lodged"),
        "by_channel": await grouped("channel", "Lodged"),
        "by_department": by_department,
        "lodged": row["lodged"],
        "closed": row["closed"],
        "rejected": row["rejected"],
        "withdrawn": row["withdrawn"],
        "open": sum(by_status.get(s, 0) for s in OPEN_COMPLAINT),
        "acceptance": {
            "accepted": row["accepted"],
            "within_1_working_day": row["accepted_on_time"],
            "rate": percent(row["accepted_on_time"], row["accepted"]),
        },
        "replies": {
            "replied": row["replied"],
            "on_time": row["replied_on_time"],
            "rate": percent(row["replied_on_time"], row["replied"]),
            "average_handling_working_days": None
            if row["handling_days"] is None
            else round(row["handling_days"], 2),
        },
        "satisfaction": {
            "distribution": {r: ratings.get(r, 0) for r in RATINGS},
            "rated": rated,
            "satisfied_share": percent(satisfied, rated),
        },
        "redone": row["redone"],
        "supervision_notices": row["supervised"],
        "reminders": row["reminded"],
        "escalations": row["escalated"],
        # Issue 15: each department's registered name (absent: not registered).
        "department_names": await department_names(conn, list(by_department)),
    }


async def department_ranking(
    conn: asyncpg.Connection, *, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Departments by on-time reply rate, then satisfaction, then volume, for a period."""
    rows = await conn.fetch(
        """
        SELECT department,
          count(*) FILTER (WHERE type = 'Transferred') AS received,
          count(*) FILTER (WHERE type = 'Replied') AS replied,
          count(*) FILTER (WHERE type = 'Replied' AND on_time) AS on_time,
          avg(working_days) FILTER (WHERE type = 'Replied') AS handling_days,
          count(*) FILTER (WHERE type = 'Rated') AS rated,
          count(*) FILTER (WHERE type = 'Rated' AND rating = ANY($3::text[])) AS satisfied,
          count(*) FILTER (WHERE type IN ('Reviewed', 'Rated') AND status_to = 'transferred')
            AS redone
        FROM views.case_facts
        WHERE case_type = 'Complaint' AND department IS NOT NULL AND at >= $1 AND at < $2
        GROUP BY department
        """,
        start,
        end,
        list(SATISFIED),
    )
    ranking = [
        {
            "department": r["department"],
            "received": r["received"],
            "replied": r["replied"],
            "on_time_rate": percent(r["on_time"], r["replied"]),
            "average_handling_working_days": None
            if r["handling_days"] is None
            else round(r["handling_days"], 2),
            "rated": r["rated"],
            "satisfied_share": percent(r["satisfied"], r["rated"]),
            "redone": r["redone"],
        }
        for r in rows
    ]
    ranking.sort(
        key=lambda d: (
            -(d["on_time_rate"] if d["on_time_rate"] is not None else -1),
            -(d["satisfied_share"] if d["satisfied_share"] is not None else -1),
            -d["received"],
            d["department"],
        )
    )
    names = await department_names(conn, [d["department"] for d in ranking])
    for place, row in enumerate(ranking, start=1):
        row["rank"] = place
        row["department_name"] = names.get(row["department"])  # issue 15; None: unregistered
    return ranking


class _Record(NamedTuple):
    kind: str
    start: date
    end: date
    first_position: int  # when the record was first stored
    figures: dict[str, int | None]

    @property
    def interval(self) -> str:
        """ISO 8601 interval of days: `2020-02-01/2020-06-30`."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def overlaps(self, other: _Record) -> bool:
        return self.start <= other.end and other.start <= self.end


async def _statistics(
    conn: asyncpg.Connection,
    *,
    kinds: list[str],
    scope: str,
    first: date,
    last: date,
    recorded_before: datetime,
) -> list[_Record]:
    """Every record of these kinds and scope whose reporting period meets [first, last],
    at its latest figures recorded at or before `recorded_before`."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT ON (statistics_id) kind, period_start, period_end,
               online, offline, resumed, required,
               min(position) OVER (PARTITION BY statistics_id) AS first_position
        FROM views.service_statistics_facts
        WHERE kind = ANY($1::text[]) AND scope = $2
          AND period_end >= $3 AND period_start <= $4 AND at <= $5
        ORDER BY statistics_id, at DESC, position DESC
        """,
        kinds,
        scope,
        first,
        last,
        recorded_before,
    )
    return [
        _Record(
            r["kind"],
            r["period_start"],
            r["period_end"],
            r["first_position"],
            {name: r[name] for name in ALL_FIGURES},
        )
        for r in rows
    ]


def _split(records: list[_Record], first: date, last: date) -> tuple[list[_Record], list[_Record]]:
    """(records whose period lies inside [first, last], those that cut through it)."""
    inside = [r for r in records if first <= r.start and r.end <= last]
    cut = [r for r in records if not (first <= r.start and r.end <= last)]
    return inside, sorted(cut, key=lambda r: (r.start, r.end))


async def service_figures(
    conn: asyncpg.Connection,
    *,
    first: date,
    last: date,
    recorded_before: datetime,
    scope: str = PROVINCE,
) -> dict[str, Any]:
    """Government service items of one scope in the reporting periods inside [first,
    last], each record at its latest figure recorded at or before `recorded_before`.

    No item is counted twice: of records whose periods overlap (a month inside a
    recorded quarter; two records of one period stored before that was refused), the
    longest period counts, then the first recorded. `periods` names the periods
    counted, `overlapping` those left out for that, `partly_outside` those that cut
    through [first, last] and so are not counted at all (a period's items cannot be
    split by day)."""
    records = await _statistics(
        conn,
        kinds=[StatisticsKind.SERVICE_ITEMS.value],
        scope=scope,
        first=first,
        last=last,
        recorded_before=recorded_before,
    )
    inside, cut = _split(records, first, last)
    counted: list[_Record] = []
    overlapping: list[_Record] = []
    for record in sorted(inside, key=lambda r: (r.start - r.end, r.start, r.first_position)):
        (overlapping if any(record.overlaps(c) for c in counted) else counted).append(record)
    online = sum(r.figures["online"] or 0 for r in counted)
    offline = sum(r.figures["offline"] or 0 for r in counted)
    total = online + offline
    return {
        "scope": scope,
        "periods": [r.interval for r in sorted(counted, key=lambda r: r.start)],
        "overlapping": [r.interval for r in sorted(overlapping, key=lambda r: (r.start, r.end))],
        "partly_outside": [r.interval for r in cut],
        "items": total,
        "online": online,
        "offline": offline,
        "online_share": percent(online, total),
        "offline_share": percent(offline, total),
    }


# The dashboard's names for the resumption kinds.
RESUMPTION_SECTIONS = {
    StatisticsKind.INDUSTRIAL_RESUMPTION.value: "industrial",
    StatisticsKind.FOREIGN_TRADE_RESUMPTION.value: "foreign_trade",
}


async def resumption_figures(
    conn: asyncpg.Connection,
    *,
    first: date,
    last: date,
    recorded_before: datetime,
    scope: str = PROVINCE,
) -> dict[str, Any]:
    """The resumption rates of one scope: for each kind, the record of the latest
    reporting period inside [first, last] (a rate is a state, not a flow: periods are
    never summed); of periods ending the same day the shorter (more recent) one, then
    the first recorded. `partly_outside` names the periods that cut through the range."""
    records = await _statistics(
        conn,
        kinds=list(RESUMPTION_SECTIONS),
        scope=scope,
        first=first,
        last=last,
        recorded_before=recorded_before,
    )
    inside, cut = _split(records, first, last)
    figures: dict[str, Any] = {"scope": scope}
    for kind, section in RESUMPTION_SECTIONS.items():
        mine = [r for r in inside if r.kind == kind]
        latest = min(mine, key=lambda r: (-r.end.toordinal(), -r.start.toordinal(),
                                          r.first_position), default=None)  # fmt: skip
        resumed = latest.figures["resumed"] if latest else None
        required = latest.figures["required"] if latest else None
        figures[section] = {
            "period": latest.interval if latest else None,
            "resumed": resumed,
            "required": required,
            "rate": None if latest is None else percent(resumed or 0, required or 0),
            "partly_outside": [r.interval for r in cut if r.kind == kind],
        }
    return figures


async def _status_counts(conn: asyncpg.Connection, case_type: str, day: date) -> dict[str, int]:
    return {
        r["status"]: r["n"]
        for r in await conn.fetch(
            "SELECT status, sum(net)::bigint AS n FROM views.status_by_day "
            "WHERE case_type = $1 AND day <= $2 GROUP BY status HAVING sum(net) <> 0",
            case_type,
            day,
        )
    }


async def credit_figures(
    conn: asyncpg.Connection, *, start: datetime, end: datetime, status_day: date
) -> dict[str, Any]:
    """Commitments' outcomes and credit repairs' review times and outcomes."""
    c = await conn.fetchrow(
        """
        SELECT count(*) FILTER (WHERE type = 'Committed') AS made,
               count(*) FILTER (WHERE status_to = 'fulfilled') AS fulfilled,
               count(*) FILTER (WHERE status_to = 'breached') AS breached,
               count(*) FILTER (WHERE status_to = 'exempted') AS exempted,
               count(*) FILTER (WHERE status_to = 'revoked') AS revoked,
               count(*) FILTER (WHERE status_to = 'overdue') AS went_overdue
        FROM views.case_facts
        WHERE case_type = 'Commitment' AND at >= $1 AND at < $2
        """,
        start,
        end,
    )
    r = await conn.fetchrow(
        """
        SELECT count(*) FILTER (WHERE type = 'Applied') AS applications,
               count(*) FILTER (WHERE on_time IS NOT NULL) AS reviewed,
               count(*) FILTER (WHERE on_time) AS reviewed_on_time,
               count(*) FILTER (WHERE type = 'OutcomeRecorded') AS outcomes,
               count(*) FILTER (WHERE type = 'OutcomeRecorded' AND status_to = 'repaired')
                 AS repaired
        FROM views.case_facts
        WHERE case_type = 'CreditRepair' AND at >= $1 AND at < $2
        """,
        start,
        end,
    )
    settled = c["fulfilled"] + c["breached"] + c["exempted"]
    return {
        "commitments": {
            "made": c["made"],
            "fulfilled": c["fulfilled"],
            "breached": c["breached"],
            "exempted": c["exempted"],
            "revoked": c["revoked"],
            "went_overdue": c["went_overdue"],
            "fulfilled_share": percent(c["fulfilled"], settled),
            "by_status": await _status_counts(conn, "Commitment", status_day),
        },
        "repairs": {
            "applications": r["applications"],
            "reviewed": r["reviewed"],
            "reviewed_within_1_working_day": r["reviewed_on_time"],
            "review_rate": percent(r["reviewed_on_time"], r["reviewed"]),
            "outcomes": r["outcomes"],
            "repaired": r["repaired"],
            "repaired_rate": percent(r["repaired"], r["outcomes"]),
            "by_status": await _status_counts(conn, "CreditRepair", status_day),
        },
    }


CLASSES = ("never_stopped", "resumed", "planning_to_resume", "newly_signed")


async def project_figures(
    conn: asyncpg.Connection, *, start: datetime, end: datetime, status_day: date
) -> dict[str, Any]:
    """Projects by class as they stood at the end; over the period: the projects with a
    contact leader, the task forces and the chief service officers that served (any
    time in [start, end): joined before the end, not left before the start), and the
    problems raised, coordinated, escalated and ended, and the projects they were for."""
    by_class = await _status_counts(conn, "Project", status_day)
    classified = sum(by_class.get(c, 0) for c in CLASSES)
    served = await conn.fetchrow(
        """
        SELECT
          count(DISTINCT project_id) FILTER (WHERE kind = 'leader') AS with_leader,
          count(DISTINCT member) FILTER (WHERE kind = 'task_force') AS task_forces,
          count(DISTINCT member) FILTER (WHERE kind = 'officer') AS officers
        FROM views.project_members
        WHERE joined_at < $2 AND (left_at IS NULL OR left_at > $1)
        """,
        start,
        end,
    )
    registered = await conn.fetchval(
        "SELECT count(*) FROM views.case_facts "
        "WHERE case_type = 'Project' AND type = 'Registered' AND at < $1",
        end,
    )
    flow = await conn.fetchrow(
        """
        SELECT count(*) FILTER (WHERE type = 'Raised') AS raised,
               count(DISTINCT case_id) FILTER (WHERE type IN ('Noted', 'Escalated', 'Resolved'))
                 AS coordinated,
               count(*) FILTER (WHERE type = 'Escalated') AS escalated,
               count(*) FILTER (WHERE type = 'Resolved') AS resolved,
               count(*) FILTER (WHERE type = 'DeclaredUnresolvable') AS unresolvable
        FROM views.case_facts
        WHERE case_type = 'ProjectProblem' AND at >= $1 AND at < $2
        """,
        start,
        end,
    )
    projects_served = await conn.fetchrow(
        """
        SELECT count(DISTINCT subject) FILTER (WHERE type IN ('Noted', 'Escalated', 'Resolved'))
                 AS coordinated,
               count(DISTINCT subject) FILTER (WHERE type = 'Resolved') AS resolved
        FROM views.case_facts
        WHERE case_type = 'ProjectProblem' AND at >= $1 AND at < $2
        """,
        start,
        end,
    )
    return {
        "registered": registered,
        "by_class": {c: by_class.get(c, 0) for c in CLASSES},
        "class_share": {c: percent(by_class.get(c, 0), classified) for c in CLASSES},
        "resumption_rate": percent(
            by_class.get("resumed", 0) + by_class.get("never_stopped", 0), classified
        ),
        "with_leader_contact": served["with_leader"],
        "task_forces": served["task_forces"],
        "chief_service_officers": served["officers"],
        "problems": {
            "raised": flow["raised"],
            "coordinated": flow["coordinated"],
            "escalated": flow["escalated"],
            "resolved": flow["resolved"],
            "unresolvable": flow["unresolvable"],
            "by_status": await _status_counts(conn, "ProjectProblem", status_day),
        },
        "projects_with_coordinated_problems": projects_served["coordinated"],
        "projects_with_resolved_problems": projects_served["resolved"],
    }
