"""Commands on projects and their problems: the request bodies, validated at the edge.

Checks msgspec cannot express as `Meta` (a positive amount of yuan) raise ValueError
from `check()` (see `Body` in domain/commands.py) with the field's name first, so the
422 names the field.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from domain.commands import (
    Command,
    LongText,
    OrganisationIn,
    Reason,
    Remind,
    ShortText,
    WorkingDays,
)
from domain.project import Classification, CoordinationRole, ProblemCategory

# 10^15 yuan is far above any project; the bound keeps Decimal arithmetic exact.
MAX_INVESTMENT_CNY = Decimal(10) ** 15
FEN = Decimal("0.01")


class InvestorIn(OrganisationIn):
    pass


def investment_in_yuan(amount: Decimal) -> Decimal:
    """The amount to two decimal places (fen); ValueError naming the rule otherwise."""
    if not amount.is_finite() or amount <= 0:
        raise ValueError("investment_cny: must be a positive amount of yuan")
    if amount >= MAX_INVESTMENT_CNY:
        raise ValueError(f"investment_cny: must be less than {MAX_INVESTMENT_CNY:,} yuan")
    if amount != amount.quantize(FEN):
        raise ValueError("investment_cny: at most two decimal places (fen)")
    return amount.quantize(FEN)


class RegisterProject(Command):
    name: ShortText
    investor: InvestorIn
    city: ShortText
    investment_cny: Decimal  # a JSON number or a decimal string, in yuan
    sector: ShortText
    classification: Classification | None = None

    def check(self) -> None:
        self.investment_cny = investment_in_yuan(self.investment_cny)


class Classify(Command):
    classification: Classification
    note: Reason | None = None


# Who serves a project: the same body joins a member, makes it leave, or (assign, the
# one-of-each move kept from before members joined and left) replaces the only one.


class TaskForceMember(Command):
    task_force: ShortText  # the task force's name (项目推进专班)
    note: Reason | None = None


class OfficerMember(Command):
    officer_id: ShortText  # the service officer's user id (the `sub` of its token)
    note: Reason | None = None


class LeaderMember(Command):
    leader: ShortText  # the contact leader's name and office
    note: Reason | None = None


class AssignTaskForce(TaskForceMember):
    pass


class JoinTaskForce(TaskForceMember):
    pass


class LeaveTaskForce(TaskForceMember):
    pass


class AssignOfficer(OfficerMember):
    pass


class JoinOfficer(OfficerMember):
    pass


class LeaveOfficer(OfficerMember):
    pass


class AssignLeader(LeaderMember):
    pass


class JoinLeader(LeaderMember):
    pass


class LeaveLeader(LeaderMember):
    pass


PROJECT_MOVES: dict[str, type[Command]] = {
    "classify": Classify,
    "assign-task-force": AssignTaskForce,
    "assign-officer": AssignOfficer,
    "assign-leader": AssignLeader,
    "join-task-force": JoinTaskForce,
    "leave-task-force": LeaveTaskForce,
    "join-officer": JoinOfficer,
    "leave-officer": LeaveOfficer,
    "join-leader": JoinLeader,
    "leave-leader": LeaveLeader,
}


class RaiseProblemIn(Command):
    """The body of POST /projects/{id}/problems (the project comes from the path)."""

    category: ProblemCategory
    description: LongText
    working_days: WorkingDays | None = None


class RaiseProblem(RaiseProblemIn, kw_only=True):
    project_id: UUID


class Note(Command):
    role: CoordinationRole
    text: LongText


class Escalate(Command):
    reason: Reason
    # One of the project's contact leaders; by default the one that joined last.
    leader: ShortText | None = None


class Resolve(Command):
    solution: LongText


class DeclareUnresolvable(Command):
    reason: Reason


class Reopen(Command):
    reason: Reason
    working_days: WorkingDays | None = None


class EscalateDeadline(Command):
    """Raised by the deadline watcher; no token may send it."""


PROBLEM_MOVES: dict[str, type[Command]] = {
    "note": Note,
    "escalate": Escalate,
    "resolve": Resolve,
    "declare-unresolvable": DeclareUnresolvable,
    "reopen": Reopen,
    "remind": Remind,
    "escalate-deadline": EscalateDeadline,
}
