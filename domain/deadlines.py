"""Recomputing deadlines when the calendar changes (issue 11 §1).

A deadline computed while its year had no official schedule is provisional. When the
administrator loads that year's schedule (`oversight calendar load FILE`), every open
deadline that counts days of that year is computed again from how it was first computed
(its :class:`~domain.calendar.DueBasis`), and each one that changes (its instant, or its
being provisional) is rewritten by one ``DeadlineRecomputed`` event per case step, made
by the system actor, naming the old and the new due and the calendar source. A deadline
already passed is never rewritten, and a closed case has no open deadline.

Each case type offers the move ``recompute-deadlines`` (the system actor only, like
reminders); its decision is made here and in the aggregate, with the time passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final, NamedTuple

from eventsourcing.domain import Aggregate

from domain.calendar import Deadline, DueBasis, WorkingCalendar
from domain.cases import Decide, Move, declare_move
from domain.commands import Command
from domain.errors import MoveNotAllowed
from domain.values import Role

__all__ = [
    "MOVE",
    "NOTHING_TO_RECOMPUTE",
    "ROLES",
    "OpenDeadline",
    "Recompute",
    "RecomputeDeadlines",
    "changes",
    "check_changes",
    "recompute_move",
]

MOVE: Final[str] = "recompute-deadlines"
ROLES: Final[frozenset[Role]] = frozenset({Role.SYSTEM})
SUMMARY: Final[str] = (
    "Recompute open deadlines on the calendar as it is now (the system only, after "
    "`oversight calendar load`; every token gets 403)"
)
NOTHING_TO_RECOMPUTE: Final[str] = (
    "no open deadline of this case changes on the calendar as it is now"
)


class RecomputeDeadlines(Command):
    """The body of the system's recompute move: nothing (the calendar says it all)."""


def recompute_move[A: Aggregate](decide: Decide[A, RecomputeDeadlines]) -> Move[A, Any]:
    """The recompute move of a case type whose decision is `decide`."""
    return declare_move(RecomputeDeadlines, ROLES, decide, SUMMARY)


class OpenDeadline(NamedTuple):
    """A step's open deadline as the case holds it."""

    step: str
    due: datetime
    provisional: bool
    basis: DueBasis | None


class Recompute(NamedTuple):
    """One step's deadline to rewrite."""

    step: str
    old_due: datetime
    new: Deadline
    source: str


def changes(
    calendar: WorkingCalendar, deadlines: Iterable[OpenDeadline], at: datetime, status: str
) -> list[Recompute]:
    """The steps whose deadline the calendar now puts elsewhere (or no longer, or newly,
    provisional); raises MoveNotAllowed when there is none. A deadline passed at `at`, or
    one whose basis is unknown (stored before bases were kept), is left as it is."""
    found = []
    for d in deadlines:
        if d.basis is None or d.due <= at:
            continue
        new = calendar.compute(d.basis)
        if new.at != d.due or new.provisional != d.provisional:
            year = new.at.astimezone(calendar.timezone).year
            found.append(Recompute(d.step, d.due, new, calendar.covered_by(year)))
    if not found:
        raise MoveNotAllowed(MOVE, status, NOTHING_TO_RECOMPUTE)
    return found


def check_changes(
    deadlines: Iterable[OpenDeadline], changes: Iterable[Recompute], at: datetime, status: str
) -> None:
    """Each change rewrites a deadline the case still has open, due as the case holds it
    and not yet passed at `at`; raises MoveNotAllowed otherwise (the aggregate's check
    before it records one `DeadlineRecomputed` per change)."""
    open_steps = {d.step: d.due for d in deadlines}
    for change in changes:
        if open_steps.get(change.step) != change.old_due or change.old_due <= at:
            raise MoveNotAllowed(MOVE, status, NOTHING_TO_RECOMPUTE)
