"""What every case type declares, so the application, the API and the views treat
complaints, project problems, commitments and credit repairs alike.

A case type names its aggregate, who may create it and how, its moves (the body each
takes, the roles that may ever make it, and the decision that records the event), and
who may see a case. The Oversight application runs every command through the same
steps: role (403), visibility (404), expected version (412), the decision (409/422),
then one save.

The types are generic so that a type checker follows a command from the API to the
aggregate: `CaseType[Complaint, LodgeComplaint]` creates a `Complaint` from a
`LodgeComplaint`, and `Move[Complaint, Accept]` pairs the body the API decodes with the
decision that takes it (a decision written for another body or another aggregate is a
type error where the move is declared). A case type's moves have different bodies, so
its table holds `Move[A, Any]`: the body of a move found by name at run time is
only known to be the one its entry declares.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.calendar import WorkingCalendar
from domain.commands import Command
from domain.errors import CaseNotFound
from domain.public_course import PublicCourse
from domain.sla import SlaPolicy
from domain.values import Actor, Role


class CaseContext(Protocol):
    """What decisions may use besides the case: the calendar, the SLA policy, and other
    aggregates (a problem's project, for instance). Never the clock."""

    calendar: WorkingCalendar
    sla: SlaPolicy

    def load(self, case_id: UUID) -> Aggregate: ...


def load_as[A: Aggregate](ctx: CaseContext, kind: type[A], case_id: UUID) -> A:
    """Another case that can only be a `kind` (a problem's project): CaseNotFound when
    there is none, or when it is something else."""
    case = ctx.load(case_id)
    if not isinstance(case, kind):
        raise CaseNotFound(f"no {kind.__name__} {case_id}")
    return case


# The decision of a move: it checks the rules and records the move's events on the case.
type Decide[A: Aggregate, C: Command] = Callable[[CaseContext, A, Actor, datetime, C], None]
# The decision that creates a case (its first event pending) from the create body.
type Create[A: Aggregate, C: Command] = Callable[[CaseContext, Actor, datetime, C], A]
type CanSee[A: Aggregate] = Callable[[CaseContext, Actor, A], bool]


@dataclass(frozen=True)
class Move[A: Aggregate, C: Command]:
    """A move on an `A`: the body `C` it takes, the roles that may ever make it, and the
    decision. Declare one with `declare_move`."""

    body: type[C]
    roles: frozenset[Role]
    decide: Decide[A, C]
    summary: str = ""


def declare_move[A: Aggregate, C: Command](
    body: type[C], roles: frozenset[Role], decide: Decide[A, C], summary: str = ""
) -> Move[A, Any]:
    """A move for a case type's table: `decide` must take `body`, or the type checker says
    so. (`Move(...)` written where a `Move[A, Any]` is expected would take its body type
    from that `Any` and check nothing; here `C` comes from the arguments alone.)"""
    return Move(body=body, roles=roles, decide=decide, summary=summary)


def _never_hidden(actor: Actor, case: Aggregate) -> bool:
    return False


@dataclass(frozen=True)
class CaseType[A: Aggregate, C: Command]:
    """A case type whose aggregate is `A` and whose create body is `C`."""

    name: str  # "complaint"
    plural: str  # the URL segment: "complaints"
    aggregate: type[A]
    create_body: type[C]
    create_roles: frozenset[Role]
    create: Create[A, C]
    moves: Mapping[str, Move[A, Any]]
    can_see: CanSee[A]
    read_roles: frozenset[Role] = frozenset(
        {Role.ENTERPRISE, Role.CLERK, Role.DEPARTMENT, Role.SUPERVISOR, Role.INSPECTOR}
    )
    # Whether this viewer must not see who lodged or applied (confidential reports).
    hides_identity: Callable[[Actor, A], bool] = _never_hidden
    # What an enterprise (domain/access.py PUBLIC_COURSE_ONLY) sees of a case: its table
    # in domain/public_course.py; None for a type no enterprise reads or creates.
    public_course: PublicCourse | None = None

    def move(self, name: str) -> Move[A, Any]:
        return self.moves[name]


# Any case type, where the aggregate and the body are only known at run time (the
# registry, the views, the routes built in a loop).
type AnyCaseType = CaseType[Any, Any]
