"""Commands: what a user asks of a case, validated at the edge with msgspec.

The API decodes request bodies straight into these, so the constraints here are the
input rules users see in problem+json errors.

Every body struct derives from `Body`, which checks every text field of the body (and of
the nested bodies, which derive from it too) once: no C0 control character other than
tab, line feed and carriage return (PostgreSQL cannot hold U+0000, and the others are
never meant in a title, a name or a reason), and not only whitespace. A rule across a
body's fields goes in `check()`, never in `__post_init__`, which `Body` owns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any

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


# C0 controls except tab (U+0009), line feed (U+000A) and carriage return (U+000D).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
CONTROL_RULE = "must not contain control characters other than tab, line feed and carriage return"
BLANK_RULE = "must not be only whitespace"


def text_rule(value: str) -> str | None:
    """The rule `value` breaks as the text of a field, or None."""
    bad = _CONTROL.search(value)
    if bad is not None:
        return f"{CONTROL_RULE} (found U+{ord(bad.group()):04X})"
    if not value or value.isspace():
        return BLANK_RULE
    return None


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            if isinstance(item, str):
                yield item


class Body(msgspec.Struct, forbid_unknown_fields=True):
    """Base of every request body, nested ones included: checks their text fields.

    msgspec calls `__post_init__` after decoding a body (and on construction); the
    ValueError it raises here becomes a 422 naming the field ("title", or
    "complainant.name" for a nested body: msgspec adds the body's path)."""

    def __post_init__(self) -> None:
        for field, name in zip(self.__struct_fields__, self.__struct_encode_fields__, strict=True):
            for text in _texts(getattr(self, field)):
                rule = text_rule(text)
                if rule is not None:
                    raise ValueError(f"{name}: {rule}")
        self.check()

    def check(self) -> None:
        """Rules across this body's fields: raise ValueError("<field>: <rule>")."""


class Command(Body, kw_only=True):
    """Base of every command body."""


class ComplainantIn(Body):
    name: ShortText
    credit_code: Annotated[str, msgspec.Meta(min_length=18, max_length=18)]
    phone: Phone | None = None

    def check(self) -> None:
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
