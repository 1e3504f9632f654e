"""Value objects shared by every case type: who acted, and the vocabularies."""

from __future__ import annotations

from enum import StrEnum

import msgspec


class Role(StrEnum):
    ENTERPRISE = "enterprise"
    CLERK = "clerk"
    DEPARTMENT = "department"
    SUPERVISOR = "supervisor"
    INSPECTOR = "inspector"
    ADMIN = "admin"
    SERVICE_OFFICER = "service_officer"  # 首席服务员: serves major projects
    SYSTEM = "system"  # the deadline watchers; never in a token


class Actor(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Who made a move: the user id, their role and, for enterprises and departments,
    the organisation they act for (credit code or department code)."""

    id: str
    role: Role
    org: str | None = None


# Who the deadline watchers act as (their reminders, escalations and overdue marks):
# named in the audit trail like any user, never in a token.
SYSTEM = Actor(id="deadline-watcher", role=Role.SYSTEM)


class Kind(StrEnum):
    APPEAL = "appeal"
    COMPLAINT = "complaint"
    REPORT = "report"


class Channel(StrEnum):
    WEB = "web"
    APP = "app"
    HOTLINE = "hotline"
    WINDOW = "window"
    LETTER = "letter"
    EMAIL = "email"


class Rating(StrEnum):
    """The national five-level good/bad review scale (好差评)."""

    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    UNSATISFIED = "unsatisfied"
    VERY_UNSATISFIED = "very_unsatisfied"

    @property
    def is_satisfied(self) -> bool:
        return self in SATISFIED_RATINGS


SATISFIED_RATINGS = frozenset({Rating.VERY_SATISFIED, Rating.SATISFIED, Rating.BASICALLY_SATISFIED})


class Complainant(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The enterprise behind a complaint. Personal data: never logged, masked for the
    department when the case is confidential."""

    name: str
    credit_code: str
    phone: str | None = None
