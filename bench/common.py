"""Shared pieces: the bench database, timing, rows of results, data generation."""

from __future__ import annotations

import os
import platform
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from domain import commands as cmd
from domain.application import Oversight
from domain.complaint import Complaint
from domain.credit_code import check_character
from domain.values import Actor, Channel, Complainant, Kind, Role
from oversight.runtime import build_application
from oversight.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CLERK = Actor(id="bench-clerk", role=Role.CLERK)
SUPERVISOR = Actor(id="bench-supervisor", role=Role.SUPERVISOR)
START = datetime(2024, 3, 4, 1, 0, tzinfo=UTC)
CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass
class Row:
    name: str
    value: float
    unit: str
    baseline: float | None
    ratio: float | None
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def ratio(value: float, baseline: float | None) -> float | None:
    return None if not baseline else round(value / baseline, 3)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


@contextmanager
def timer() -> Iterator[list[float]]:
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from oversight.database import start_embedded

    return start_embedded(ROOT / "var" / "bench")


def fresh_database(server: str, label: str) -> str:
    """A new, empty database for one benchmark (dropped at the next run's start)."""
    name = f"oversight_bench_{label}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        for (old,) in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"oversight_bench_{label}_%",)
        ).fetchall():
            conn.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path="/" + name))


# Every process the harness starts: one var/bench serves many bench databases, so a
# published heads log there would mix their heads (verify would then fail).
# No rate limits (the load comes from one address) and no statement timeout (bulk loads).
PROCESS_ENV = {
    "OVERSIGHT_LOG_FORMAT": "json",
    "OVERSIGHT_LEDGER_HEADS_LOG": "off",
    "OVERSIGHT_RATE_LIMITS": "off",
    "OVERSIGHT_DB_STATEMENT_TIMEOUT": "0",
    "OVERSIGHT_DEPARTMENTS": "free",  # the generated cases name made-up departments
}


def bench_settings() -> Settings:
    return Settings.from_env(
        {
            "OVERSIGHT_VAR_DIR": str(ROOT / "var" / "bench"),
            "OVERSIGHT_JWT_SECRET": "bench-secret-" + "x" * 32,
            **PROCESS_ENV,
        }
    )


def application(url: str) -> Oversight:
    return build_application(url, bench_settings())


def credit_code(rng: random.Random) -> str:
    first17 = "91" + "".join(rng.choice("0123456789") for _ in range(6))
    first17 += "".join(rng.choice(CHARS) for _ in range(9))
    return first17 + check_character(first17)


def lodge_command(rng: random.Random) -> cmd.LodgeComplaint:
    code = credit_code(rng)
    return cmd.LodgeComplaint(
        kind=rng.choice(list(Kind)),
        channel=rng.choice(list(Channel)),
        category=rng.choice(["approval", "land", "financing", "labour"]),
        title="施工许可审批超时",
        description="企业反映施工许可申请超过承诺时限未办结，请求督办。" * 2,
        complainant=cmd.ComplainantIn(name="黑龙江某建设有限公司", credit_code=code),
    )


def generate_events(
    app: Oversight, n_events: int, *, seed: int = 7, per_save: int = 200, start: datetime = START
) -> int:
    """Store about `n_events` events through the domain: complaints lodged, accepted,
    transferred, replied, reviewed and rated, many cases per save (one transaction),
    lodged from `start` on (one every 45 s on average: 1M events span about 130 days)."""
    rng = random.Random(seed)
    written = 0
    at = start
    pending: list[Complaint] = []
    while written < n_events:
        at += timedelta(seconds=rng.randrange(1, 90))
        c = lodge_command(rng)
        case = Complaint(
            actor=Actor(id="bench-ent", role=Role.ENTERPRISE, org=c.complainant.credit_code),
            timestamp=at,
            kind=c.kind,
            channel=c.channel,
            category=c.category,
            title=c.title,
            description=c.description,
            complainant=Complainant(name=c.complainant.name, credit_code=c.complainant.credit_code),
            respondent_department=None,
            confidential=False,
            acceptance_due=app.calendar.due_at(at, 1),
        )
        steps = rng.randrange(0, 7)
        t = at
        if steps >= 1:
            t += timedelta(hours=rng.randrange(1, 30))
            case.accept(CLERK, t, note=None, urgent=False)
        if steps >= 2:
            t += timedelta(hours=1)
            case.transfer(
                CLERK, t, department=f"dept-{rng.randrange(40)}", working_days=10,
                due=app.calendar.due_at(t, 10),
            )  # fmt: skip
        if steps >= 3:
            t += timedelta(hours=rng.randrange(2, 300))
            case.reply_to(
                Actor(id="d", role=Role.DEPARTMENT, org=case.department), t, answer="已办理"
            )
        if steps >= 4:
            t += timedelta(hours=2)
            case.review(SUPERVISOR, t, approved=True, note=None, redo_due=t)
        if steps >= 5:
            t += timedelta(hours=5)
            rating = rng.choice(
                ["very_satisfied", "satisfied", "basically_satisfied", "unsatisfied"]
            )
            from domain.values import Rating

            case.rate(
                Actor(id="bench-ent", role=Role.ENTERPRISE, org=case.complainant.credit_code),
                t,
                rating=Rating(rating),
                comment=None,
                redo_due=app.calendar.due_at(t, 10),
            )
        written += len(case.pending_events)
        pending.append(case)
        if len(pending) >= per_save:
            app.save(*pending)
            pending.clear()
    if pending:
        app.save(*pending)
    return written


def machine() -> dict[str, object]:
    with psycopg.connect(server_url()) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "postgresql": pg,
        "platform": platform.platform(),
    }
