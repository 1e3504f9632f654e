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
from datetime import datetime
from functools import cache
from typing import Annotated, Any

import msgspec
import msgspec.inspect

from domain.credit_code import InvalidCreditCode, validate_credit_code
from domain.values import Channel, Kind, Rating

ShortText = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
LongText = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2_000)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Phone = Annotated[str, msgspec.Meta(pattern=r"^\+?[0-9][0-9 -]{4,19}$")]
WorkingDays = Annotated[int, msgspec.Meta(ge=0, le=365)]
ExtensionDays = Annotated[int, msgspec.Meta(ge=1, le=365)]
Instant = Annotated[datetime, msgspec.Meta(tz=True)]  # with a UTC offset


# C0 controls except tab (U+0009), line feed (U+000A) and carriage return (U+000D).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
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


def _holds_text(t: Any) -> tuple[bool, bool]:
    """(may be a str, may be a collection of str) for a field's msgspec type."""
    if isinstance(t, msgspec.inspect.StrType):
        return True, False
    if isinstance(t, msgspec.inspect.UnionType):
        kinds = [_holds_text(u) for u in t.types]
        return any(k[0] for k in kinds), any(k[1] for k in kinds)
    if isinstance(t, msgspec.inspect.ListType | msgspec.inspect.SetType):
        return False, _holds_text(t.item_type)[0]
    return False, False  # enums (their values are fixed), numbers, dates, nested bodies


@cache
def _text_fields(cls: type[msgspec.Struct]) -> tuple[tuple[str, str, bool], ...]:
    """(attribute, name in the body, a collection?) of each of `cls`'s text fields."""
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)
    fields = []
    for field in info.fields:
        one, many = _holds_text(field.type)
        if one or many:
            fields.append((field.name, field.encode_name, many))
    return tuple(fields)


class Body(msgspec.Struct, forbid_unknown_fields=True):
    """Base of every request body, nested ones included: checks their text fields.

    msgspec calls `__post_init__` after decoding a body (and on construction); the
    ValueError it raises here becomes a 422 naming the field ("title", or
    "complainant.name" for a nested body: msgspec adds the body's path). Nested bodies
    check themselves as they are decoded."""

    def __post_init__(self) -> None:
        for attribute, name, many in _text_fields(type(self)):
            value = getattr(self, attribute)
            if value is None:
                continue
            for text in value if many else (value,):
                # Printable and not blank is fine (most text: a quick test in C); else
                # look closer (a line feed is not printable but is allowed).
                if text and text.isprintable() and not text.isspace():
                    continue
                rule = text_rule(text) if isinstance(text, str) else None
                if rule is not None:
                    raise ValueError(f"{name}: {rule}")
        self.check()

    def check(self) -> None:
        """Rules across this body's fields: raise ValueError("<field>: <rule>")."""


class Command(Body, kw_only=True):
    """Base of every command body."""


# An enterprise as every body names it (the complainant, a commitment's or a credit
# repair's enterprise, a project's investor): its name and its unified social credit
# code, checked. Each body's own subclass keeps its name in the OpenAPI document.
class OrganisationIn(Body):
    name: ShortText
    credit_code: Annotated[str, msgspec.Meta(min_length=18, max_length=18)]

    def check(self) -> None:
        try:
            validate_credit_code(self.credit_code)
        except InvalidCreditCode as e:
            # msgspec reports this with the field's path ($.complainant.credit_code)
            raise ValueError(f"credit_code: {e}") from None


class ComplainantIn(OrganisationIn):
    phone: Phone | None = None


class LodgeComplaint(Command):
    kind: Kind
    channel: Channel
    category: ShortText
    title: ShortText
    description: LongText
    complainant: ComplainantIn
    respondent_department: Code | None = None
    confidential: bool = False
    # 急事: to be accepted or rejected by the end of the same working day (issue 11 §2).
    urgent: bool = False


class Accept(Command):
    note: Reason | None = None
    # None: as lodged (急事快办 or not); true or false: the accepting clerk decides.
    urgent: bool | None = None


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


class RecordRating(Command):
    """A rating the enterprise gave by phone (the hotline), recorded for it by a clerk:
    which call (its reference in the hotline system, and when it was taken)."""

    rating: Rating
    call_reference: ShortText
    called_at: Instant
    comment: Reason | None = None


class Remind(Command):
    """催办. A supervisor's by hand needs a note (422 without); the deadline watcher's has
    none."""

    note: Reason | None = None


class CloseUnrated(Command):
    """Raised by the deadline watcher when the rating window passed; no token may send it."""


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
    "record-rating": RecordRating,
    "remind": Remind,
    "escalate": Escalate,
    "close-unrated": CloseUnrated,
}
