"""Commitment commands: the request bodies of /api/v1/commitments, validated by msgspec.

A rule that spans several fields is checked in `check()` (see `Body` in
domain/commands.py, which also checks every text field) and raised as
`ValueError("<field>: <rule>")`, which the API reports as a 422 naming that field
(nested ones by their path, e.g. `due.date`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from domain.commands import (
    Body,
    Command,
    LongText,
    OrganisationIn,
    Reason,
    ShortText,
    WorkingDays,
)

MaterialNames = Annotated[list[ShortText], msgspec.Meta(min_length=1, max_length=50)]


def _check_unique(materials: list[str]) -> None:
    repeated = sorted({m for m in materials if materials.count(m) > 1})
    if repeated:
        raise ValueError(f"materials: each material may be named once (repeated: {repeated})")


class EnterpriseIn(OrganisationIn):
    pass


class DueIn(Body):
    """When the materials are due: `{"date": "YYYY-MM-DD"}`, or
    `{"epidemic_end": true, "grace_working_days": N}` (N working days after the day the
    epidemic response ends). Exactly one of the two forms."""

    date: dt.date | None = None
    epidemic_end: bool = False
    grace_working_days: WorkingDays | None = None

    def check(self) -> None:
        if self.epidemic_end:
            if self.date is not None:
                raise ValueError("date: give a date or epidemic_end, not both")
            if self.grace_working_days is None:
                raise ValueError("grace_working_days: required with epidemic_end")
        else:
            if self.date is None:
                raise ValueError("date: required unless epidemic_end is true")
            if self.grace_working_days is not None:
                raise ValueError("grace_working_days: only with epidemic_end")


class Commit(Command):
    matter: ShortText
    enterprise: EnterpriseIn
    statement: LongText
    materials: MaterialNames
    due: DueIn

    def check(self) -> None:
        _check_unique(self.materials)


class Grant(Command):
    note: Reason | None = None


class Supply(Command):
    materials: MaterialNames

    def check(self) -> None:
        _check_unique(self.materials)


class EpidemicEnded(Command):
    ended_on: dt.date


class MarkOverdue(Command):
    """The deadline watcher's move; it takes nothing."""


class Breach(Command):
    reason: Reason


class Exempt(Command):
    reason: Reason


class Revoke(Command):
    reason: Reason
    finding: LongText


# The URL name of each move on a commitment and the body it takes.
COMMITMENT_MOVES: dict[str, type[Command]] = {
    "grant": Grant,
    "supply": Supply,
    "epidemic-ended": EpidemicEnded,
    "mark-overdue": MarkOverdue,
    "breach": Breach,
    "exempt": Exempt,
    "revoke": Revoke,
}
