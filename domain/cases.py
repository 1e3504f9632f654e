"""What every case type declares, so the application, the API and the views treat
complaints, project problems, commitments and credit repairs alike.

A case type names its aggregate, who may create it and how, its moves (the body each
takes, the roles that may ever make it, and the decision that records the event), and
who may see a case. The Oversight application runs every command through the same
steps: role (403), visibility (404), expected version (412), the decision (409/422),
then one save.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from domain.calendar import WorkingCalendar
from domain.commands import Command
from domain.sla import SlaPolicy
from domain.values import Actor, Role


class CaseContext(Protocol):
    """What decisions may use besides the case: the calendar, the SLA policy, and other
    aggregates (a problem's project, for instance). Never the clock."""

    calendar: WorkingCalendar
    sla: SlaPolicy

    def load(self, case_id: UUID) -> Any: ...


Decide = Callable[[CaseContext, Any, Actor, datetime, Any], None]
Create = Callable[[CaseContext, Actor, datetime, Any], Any]
CanSee = Callable[[CaseContext, Actor, Any], bool]


@dataclass(frozen=True)
class Move:
    body: type[Command]
    roles: frozenset[Role]
    decide: Decide
    summary: str = ""


@dataclass(frozen=True)
class CaseType:
    name: str  # "complaint"
    plural: str  # the URL segment: "complaints"
    aggregate: type
    create_body: type[Command]
    create_roles: frozenset[Role]
    create: Create
    moves: Mapping[str, Move]
    can_see: CanSee
    read_roles: frozenset[Role] = frozenset(
        {Role.ENTERPRISE, Role.CLERK, Role.DEPARTMENT, Role.SUPERVISOR, Role.INSPECTOR}
    )
    # Whether this viewer must not see who lodged or applied (confidential reports).
    hides_identity: Callable[[Actor, Any], bool] = field(default=lambda actor, case: False)

    def move(self, name: str) -> Move:
        return self.moves[name]
