"""Credit-repair commands: the request bodies of /api/v1/credit-repairs, validated at the
edge with msgspec (see domain/commands.py for the shared text types)."""

from __future__ import annotations

from domain.commands import (
    Command,
    Escalate,
    LongText,
    OrganisationIn,
    Reason,
    Remind,
    ShortText,
    Withdraw,
)
from domain.credit_repair import Severity


class EnterpriseIn(OrganisationIn):
    pass


class ApplyForRepair(Command):
    enterprise: EnterpriseIn
    record_id: ShortText
    penalty_authority: ShortText
    severity: Severity
    proof: LongText
    # Must be true (checked by the domain, so the 422 names `pledge_signed`).
    pledge_signed: bool


class RepairReview(Command):
    """Initial review and re-review: pass, or refuse with a reason."""

    passed: bool
    reason: Reason | None = None


class SubmitToCentre(Command):
    note: Reason | None = None


class RecordOutcome(Command):
    repaired: bool
    reason: Reason | None = None


# The URL name of each move on a credit repair and the body it takes.
CREDIT_REPAIR_MOVES: dict[str, type[Command]] = {
    "initial-review": RepairReview,
    "re-review": RepairReview,
    "submit": SubmitToCentre,
    "record-outcome": RecordOutcome,
    "withdraw": Withdraw,
    "remind": Remind,
    "escalate": Escalate,
}
