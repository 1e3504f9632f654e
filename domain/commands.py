"""Commands: what a user asks of a case, validated at the edge with msgspec.

The API decodes request bodies straight into these, so the constraints here are the
input rules users see in problem+json errors.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from domain.credit_code import InvalidCreditCode, validate_credit_code
from domain.values import Channel, Kind, Rating

ShortText = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
LongText = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2_000)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Phone = Annotated[str, msgspec.Meta(pattern=r"^\+?[0-9][0-9 -]{4,19}$")]
WorkingDays = Annotated[int, msgspec.Meta(ge=0, le=365)]
ExtensionDays = Annotated[int, msgspec.Meta(ge=1, le=365)]


class Command(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every command body."""


class ComplainantIn(msgspec.Struct, forbid_unknown_fields=True):
    name: ShortText
    credit_code: Annotated[str, msgspec.Meta(min_length=18, max_length=18)]
    phone: Phone | None = None

    def __post_init__(self) -> None:
        try:
            validate_credit_code(self.credit_code)
        except InvalidCreditCode as e:
            # msgspec reports this with the field's path ($.complainant.credit_code)
            raise ValueError(f"credit_code: {e}") from None


class LodgeComplaint(Command):
    kind: Kind
    channel: Channel
    category: ShortText
    title: ShortText
    description: LongText
    complainant: ComplainantIn
    respondent_department: Code | None = None
    confidential: bool = False


class Accept(Command):
    note: Reason | None = None
    urgent: bool = False


class Reject(Command):
    reason: Reason


class Transfer(Command):
    department: Code
    working_days: WorkingDays | None = None


class SendBack(Command):
    reason: Reason


class RequestExtension(Command):
    working_days: ExtensionDays
    reason: Reason


class DecideExtension(Command):
    approved: bool
    note: Reason | None = None


class Reply(Command):
    answer: LongText


class Review(Command):
    approved: bool
    note: Reason | None = None


class Rate(Command):
    rating: Rating
    comment: Reason | None = None


class Supervise(Command):
    note: Reason


class Withdraw(Command):
    reason: Reason


class Close(Command):
    note: Reason | None = None


class Remind(Command):
    """Raised by the deadline watcher; no token may send it."""


class Escalate(Command):
    """Raised by the deadline watcher; no token may send it."""


# The URL name of each move on a complaint and the body it takes.
COMPLAINT_MOVES: dict[str, type[Command]] = {
    "accept": Accept,
    "reject": Reject,
    "transfer": Transfer,
    "send-back": SendBack,
    "request-extension": RequestExtension,
    "decide-extension": DecideExtension,
    "reply": Reply,
    "review": Review,
    "rate": Rate,
    "supervise": Supervise,
    "withdraw": Withdraw,
    "close": Close,
    "remind": Remind,
    "escalate": Escalate,
}
