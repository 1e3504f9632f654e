"""Forms: a posted form's values decoded into the API's command bodies, and the API's
errors said in words a person understands, next to the field they are about.

The rules are the API's: every body is one of domain/commands.py's msgspec structs, and
an error is found exactly as the API finds it (the same msgspec decoding, its message
turned into `{"field", "rule"}` by api/errors.py's `validation_handler`, the problem+json
every API client gets). Only the wording is the page's (`message_for`).

msgspec stops at the first error of a body; a person filling a form wants every
mistake at once. So each field is first checked alone (its annotated type, then the
text rule every body applies), and the body as a whole only when every field passed
(that finds the rules across fields).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException

from api.errors import validation_handler
from api.pages.i18n import N_, gettext
from domain.commands import CONTROL_RULE, text_rule


@dataclass(frozen=True)
class Field:
    """A form field: its name in the command body (also the input's name), its label,
    and how it is asked."""

    name: str
    label: str  # msgid
    widget: str = "text"  # text, textarea, number, radios, select, checkbox
    required: bool = True
    hint: str | None = None  # msgid
    options: tuple[tuple[str, str], ...] = ()  # (value, label msgid) of radios and selects
    autocomplete: str | None = None
    width: str | None = None  # a CSS width class for short inputs ("w-10", "w-20")


@dataclass
class FieldError:
    field: str  # the Field.name
    message: str  # in the page's language


@dataclass
class FormState:
    """What a form shows again after a refused submission: the values as typed and
    the errors by field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)

    def error(self, name: str) -> str | None:
        return next((e.message for e in self.errors if e.field == name), None)


# --- decoding ----------------------------------------------------------------------------


@cache
def _hints(body: type[msgspec.Struct]) -> dict[str, Any]:
    return typing.get_type_hints(body, include_extras=True)


def _rule_of(error: msgspec.ValidationError) -> str:
    return re.sub(r" - at `\$[^`]*`$", "", str(error))


def _is_text(hint: Any) -> bool:
    args = typing.get_args(hint)
    if typing.get_origin(hint) is typing.Annotated:
        return _is_text(args[0])
    if args and type(None) in args:
        return any(_is_text(a) for a in args if a is not type(None))
    return hint is str


def decode[C: msgspec.Struct](
    request: Request[Any, Any, Any], body: type[C], values: Mapping[str, Any]
) -> tuple[C | None, list[dict[str, str]]]:
    """`values` (form fields already shaped as the body's: absent optional fields left
    out, booleans as bools) as a `body`; else None and the API's errors."""
    errors: list[dict[str, str]] = []
    hints = _hints(body)
    for name, value in values.items():
        hint = hints.get(name)
        if hint is None or isinstance(value, Mapping):
            continue  # nested bodies are checked with the whole body
        try:
            msgspec.convert(value, hint, strict=False)
        except msgspec.ValidationError as e:
            errors.append({"field": name, "rule": _rule_of(e)})
            continue
        if isinstance(value, str) and _is_text(hint):
            rule = text_rule(value)
            if rule is not None:
                errors.append({"field": name, "rule": rule})
    for name in _required(body):
        if name not in values:
            errors.append({"field": name, "rule": f"Object missing required field `{name}`"})
    if errors:
        return None, errors
    try:
        return msgspec.convert(dict(values), body, strict=False), []
    except msgspec.ValidationError as e:
        exc = ValidationException(extra=[{"message": str(e), "key": "data", "source": "body"}])
        problem = validation_handler(request, exc).content
        return None, list(problem.get("errors") or [{"field": "body", "rule": problem["detail"]}])


@cache
def _required(body: type[msgspec.Struct]) -> tuple[str, ...]:
    info = msgspec.inspect.type_info(body)
    assert isinstance(info, msgspec.inspect.StructType)
    return tuple(f.encode_name for f in info.fields if f.required)


# --- wording -----------------------------------------------------------------------------

_LENGTH_MAX = re.compile(r"^Expected `str` of length <= (\d+)")
_INT_MIN = re.compile(r"^Expected `int` >= (-?\d+)")
_INT_MAX = re.compile(r"^Expected `int` <= (-?\d+)")
_AT_MOST_DAYS = re.compile(r"^at most (\d+) working days")
_EMPTY = (
    re.compile(r"^Expected `str` of length >= 1"),
    re.compile(r"^Object missing required field"),
    re.compile(r"^must not be only whitespace"),
    re.compile(r"^is required"),
)
# What a field that breaks its pattern must look like, by field name.
_FORMATS: dict[str, str] = {
    "department": N_("请输入部门代码，只能包含字母、数字、点、下划线和连字符"),
    "phone": N_("请输入正确的手机号，例如 13800000000"),
    "login": N_("账号只能包含小写字母、数字、点、下划线和连字符，并以字母开头"),
}
# Fields whose every rule but "missing" is said in one sentence (a credit code is wrong
# in many ways: its length, a character, the check character).
_ANY_RULE: dict[str, str] = {
    "credit_code": N_("统一社会信用代码应为 18 位数字或大写字母，且最后一位校验码正确"),
}
_AT_LEAST_CHARS = re.compile(r"^must have at least (\d+) characters")
# The password rules of domain/account.py `password_rule` and api/identity.py.
_PASSWORD_RULES: dict[str, str] = {
    "must mix at least three of": N_(
        "%(label)s须包含小写字母、大写字母、数字和其他字符中的至少三种"
    ),
    "must not contain the login": N_("%(label)s不能包含账号"),
    "must differ from the old password": N_("%(label)s不能与当前密码相同"),
    "this enterprise is already registered": N_("该企业已经注册，请直接登录"),
}


def message_for(lang: str, form: Sequence[Field], error: Mapping[str, str]) -> FieldError:
    """The API's `{"field", "rule"}` as a sentence a person understands."""
    name = error["field"].split(".")[-1]
    rule = error["rule"]
    known = next((f for f in form if f.name == name), None)
    label = gettext(lang, known.label) if known else name
    if lang != "zh-CN":
        label = label[:1].lower() + label[1:]
    choice = known is not None and known.widget in ("radios", "select", "checkbox")

    def say(message: str, **values: Any) -> FieldError:
        return FieldError(known.name if known else "", gettext(lang, message, **values))

    if any(p.match(rule) for p in _EMPTY) or (choice and rule.startswith("Invalid enum")):
        return say(N_("请选择%(label)s") if choice else N_("请填写%(label)s"), label=label)
    if name in _ANY_RULE and rule not in _PASSWORD_RULES:
        return say(_ANY_RULE[name])
    for start, message in _PASSWORD_RULES.items():
        if rule.startswith(start):
            return say(message, label=label)
    if m := _AT_LEAST_CHARS.match(rule):
        return say(N_("%(label)s至少 %(n)s 个字符"), label=label, n=m.group(1))
    if rule.startswith("Invalid enum") or rule.startswith("Expected `str` matching regex"):
        if name in _FORMATS:
            return say(_FORMATS[name])
        return say(N_("%(label)s的格式不正确"), label=label)
    if m := _LENGTH_MAX.match(rule):
        return say(N_("%(label)s不能超过 %(n)s 个字"), label=label, n=m.group(1))
    if m := _INT_MIN.match(rule):
        return say(N_("%(label)s不能小于 %(n)s"), label=label, n=m.group(1))
    if m := _INT_MAX.match(rule):
        return say(N_("%(label)s不能大于 %(n)s"), label=label, n=m.group(1))
    if rule.startswith("Expected `int"):
        return say(N_("%(label)s须为整数，例如 10"), label=label)
    if rule.startswith(CONTROL_RULE):
        return say(N_("%(label)s含有不能使用的控制字符"), label=label)
    if rule.startswith("a redo needs a note"):  # issue 17: 审核 with 重办
        return say(N_("选择重办时，请写明需要重新办理的内容"))
    if m := _AT_MOST_DAYS.match(rule):
        return say(N_("%(label)s最多 %(n)s 个工作日"), label=label, n=m.group(1))
    # A rule the table does not word yet: the API's own words, next to the field.
    return say(N_("%(label)s：%(rule)s"), label=label, rule=rule)
