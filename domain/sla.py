"""The service-level policy: how many working days each step of a case may take.

The shipped policy is ``domain/data/sla.json``; an installation may point
:func:`load_sla_policy` at its own file of the same shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from pathlib import Path
from typing import Annotated, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import structlog

from domain.calendar import WorkingCalendar

__all__ = [
    "CASE_KINDS",
    "SHIPPED_SLA_FILE",
    "SlaPolicy",
    "SlaPolicyError",
    "calendar_for",
    "load_sla_policy",
]

log = structlog.get_logger(__name__)

SHIPPED_SLA_FILE: Final[Path] = Path(__file__).resolve().parent / "data" / "sla.json"

#: appeal for help (诉求), complaint (投诉), report of wrongdoing (举报)
CASE_KINDS: Final[tuple[str, ...]] = ("appeal", "complaint", "report")

Days = Annotated[int, msgspec.Meta(ge=0)]
ClockTime = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class SlaPolicyError(ValueError):
    """The SLA policy file is unreadable or invalid; the message names file and field."""


def _default_handling() -> dict[str, int]:
    return {"appeal": 5, "complaint": 10, "report": 15}


class SlaPolicy(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Deadlines in working days; see :meth:`domain.calendar.WorkingCalendar.due_at`."""

    #: accepting or rejecting a lodged case, from the lodging (issue 11 §2)
    acceptance_working_days: Days = 1
    #: ... when it was lodged urgent (急事): by the end of the same working day
    urgent_acceptance_working_days: Days = 0
    #: transferring an accepted case to a department, from the acceptance (or from a
    #: department's send-back)
    transfer_working_days: Days = 1
    #: ... for an urgent case
    urgent_transfer_working_days: Days = 0
    #: the supervisor's review of a department's reply, from the reply
    review_working_days: Days = 2
    #: the enterprise's rating window, from the approving review; when it passes without
    #: a rating, the system closes the case as not rated
    rating_window_working_days: Days = 5
    handling_working_days: dict[str, Days] = msgspec.field(default_factory=_default_handling)
    #: 急事快办: an urgent case is due by the end of the same working day.
    urgent_handling_working_days: Days = 0
    max_extension_working_days: Days = 10
    #: a major project's problem (项目问题) is due this many working days after it is raised
    problem_working_days: Days = 10
    #: credit repair (信用修复): initial review and re-review, each from the application
    repair_review_working_days: Days = 1
    timezone: str = "Asia/Shanghai"
    #: local end of office hours, "HH:MM" (24-hour clock)
    office_close: ClockTime = "17:30"

    def __post_init__(self) -> None:
        missing = [kind for kind in CASE_KINDS if kind not in self.handling_working_days]
        if missing:
            raise ValueError(f"handling_working_days is missing kind(s): {', '.join(missing)}")
        unknown = sorted(set(self.handling_working_days) - set(CASE_KINDS))
        if unknown:
            raise ValueError(
                f"handling_working_days has unknown kind(s): {', '.join(unknown)} "
                f"(known: {', '.join(CASE_KINDS)})"
            )
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {self.timezone!r}") from exc

    @property
    def office_close_time(self) -> time:
        return time.fromisoformat(self.office_close)

    def acceptance_days(self, *, urgent: bool) -> int:
        """Working days to accept or reject a case lodged (urgent or not)."""
        return self.urgent_acceptance_working_days if urgent else self.acceptance_working_days

    def transfer_days(self, *, urgent: bool) -> int:
        """Working days to transfer an accepted case to a department."""
        return self.urgent_transfer_working_days if urgent else self.transfer_working_days

    def handling_days(self, kind: str, *, urgent: bool) -> int:
        """Working days a handling department has for a case of ``kind``."""
        if kind not in self.handling_working_days:
            raise ValueError(f"unknown case kind {kind!r} (known: {', '.join(CASE_KINDS)})")
        if urgent:
            return self.urgent_handling_working_days
        return self.handling_working_days[kind]


def load_sla_policy(path: Path | None = None) -> SlaPolicy:
    """Read the policy from ``path``, or the shipped ``domain/data/sla.json`` when None."""
    source = SHIPPED_SLA_FILE if path is None else path
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise SlaPolicyError(f"{source}: cannot read SLA policy: {exc.strerror}") from exc
    try:
        policy = msgspec.json.decode(raw, type=SlaPolicy)
    except msgspec.ValidationError as exc:
        raise SlaPolicyError(f"{source}: invalid SLA policy: {exc}{_kind_hint(raw)}") from exc
    except msgspec.DecodeError as exc:
        raise SlaPolicyError(f"{source}: not valid JSON: {exc}") from exc
    log.debug("sla_policy_loaded", path=str(source))
    return policy


def _kind_hint(raw: bytes) -> str:
    """Name the offending kinds when a per-kind number is invalid (msgspec says ``[...]``)."""
    try:
        document = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return ""
    per_kind = document.get("handling_working_days") if isinstance(document, dict) else None
    if not isinstance(per_kind, dict):
        return ""
    bad = [
        f"{kind}={value!r}"
        for kind, value in per_kind.items()
        if isinstance(value, bool) or not isinstance(value, int) or value < 0
    ]
    return f" (handling_working_days: {', '.join(bad)})" if bad else ""


def calendar_for(policy: SlaPolicy, override_dirs: Sequence[Path] = ()) -> WorkingCalendar:
    """A working calendar in the policy's timezone and office hours."""
    return WorkingCalendar(
        override_dirs, timezone=policy.timezone, office_close=policy.office_close_time
    )
