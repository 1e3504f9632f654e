"""The filters of the pages' lists (issue 17): the API's query parameters of each list,
asked in a GET form, checked here, and handed to the list's query. A value not offered
(a choice) or not in the accepted form (a text) is an error next to its field, and the
list is shown without it.

The complaints' filters are those of `GET /api/v1/complaints` (the bureau's roles: an
enterprise's list, 我的案件, has none); the other lists' are in api/pages/registers.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlencode

from litestar import Request

from api.pages import vocab
from api.pages.forms import FieldError
from api.pages.i18n import N_, gettext
from api.pages.render import language
from domain.values import Role


@dataclass(frozen=True)
class Filter:
    """A list filter: the API's query parameter, its label and how it is asked."""

    name: str
    label: str  # msgid
    widget: str = "select"  # select, text, yesno
    options: tuple[tuple[str, str], ...] = ()  # (value, label msgid)
    hint: str | None = None
    pattern: str | None = None  # a text filter's accepted values (a regex)
    to_query: Callable[[str], Any] = str


def yes_no(value: str) -> bool:
    return value == "true"


YES_NO: Final[tuple[tuple[str, str], ...]] = (("true", N_("是")), ("false", N_("否")))
CODE_PATTERN: Final[str] = r"[A-Za-z0-9_.-]{1,64}"


@dataclass
class Filters:
    values: dict[str, str]  # as typed (the page's form and links)
    query: dict[str, Any]  # for the view's list query
    errors: list[FieldError] = field(default_factory=list)

    def error(self, name: str) -> str | None:
        return next((e.message for e in self.errors if e.field == name), None)

    def link(self, path: str, **extra: str) -> str:
        kept = {k: v for k, v in self.values.items() if v}
        query = urlencode({**kept, **extra})
        return f"{path}?{query}" if query else path


def read_filters(
    request: Request[Any, Any, Any], filters: Sequence[Filter], given: Mapping[str, str | None]
) -> Filters:
    """The filters as given in the query, checked: a value not offered (a select) or not
    in the accepted form (a text) is an error next to its field, and is left out."""
    lang = language(request)
    found = Filters(values={}, query={})
    for f in filters:
        raw = (given.get(f.name) or "").strip()
        found.values[f.name] = raw
        if not raw:
            continue
        if f.widget in ("select", "yesno"):
            ok = raw in {value for value, _ in f.options}
            message = N_("请选择%(label)s")
        else:
            ok = f.pattern is None or re.fullmatch(f.pattern, raw) is not None
            message = N_("%(label)s的格式不正确")
        if not ok:
            label = gettext(lang, f.label)
            found.errors.append(FieldError(f.name, gettext(lang, message, label=label)))
            continue
        found.query[f.name] = f.to_query(raw)
    return found


# The API's filters of GET /api/v1/complaints, for the bureau's roles.
COMPLAINT_FILTERS: Final[tuple[Filter, ...]] = (
    Filter("status", N_("状态"), options=tuple(vocab.STATUSES.items())),
    Filter("kind", N_("类型"), options=tuple(vocab.KINDS.items())),
    Filter(
        "department",
        N_("承办部门"),
        "text",
        pattern=CODE_PATTERN,
        hint=N_("部门代码，例如 hlj-fgw"),
    ),
    Filter("overdue", N_("已超期"), "yesno", YES_NO, to_query=yes_no),
    Filter("escalated", N_("已超期上报"), "yesno", YES_NO, to_query=yes_no),
    Filter("urgent", N_("急事快办"), "yesno", YES_NO, to_query=yes_no),
)
COMPLAINT_LIST_ROLES: Final = frozenset(
    {Role.SUPERVISOR, Role.INSPECTOR, Role.CLERK, Role.DEPARTMENT}
)


def complaint_filters(request: Request[Any, Any, Any], given: Mapping[str, str | None]) -> Filters:
    """The /cases page's filters (the bureau's: an enterprise's list has none)."""
    return read_filters(request, COMPLAINT_FILTERS, given)
