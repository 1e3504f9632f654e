"""Checks of what a request carries besides its body: the If-Match and If-None-Match
headers, days and instants in query parameters, and the bounds every number the API
takes must keep."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from litestar import Request

from api.errors import invalid

# The largest PostgreSQL bigint: no position, version or tree size is ever larger.
INT64_MAX = 2**63 - 1
# The days the API takes (the years a working-day calendar can be loaded for): beyond
# them a day's bounds overflow Python's datetime or PostgreSQL's timestamptz.
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2199, 12, 31)
_DAY_RANGE = f"from {EARLIEST_DAY} to {LATEST_DAY}"
# ASCII digits only: str.isdigit() takes "²", which int() refuses. 19 digits hold any
# int64; more would also hit int()'s 4,300-digit limit.
_TAG = r'(?:W/)?"[0-9]{1,19}"|[0-9]{1,19}'
_IF_MATCH = re.compile(r'(?:W/)?"([0-9]{1,19})"|([0-9]{1,19})')
_TAGS = re.compile(rf"\*|(?:{_TAG})(?:[ \t]*,[ \t]*(?:{_TAG}))*")
_DIGITS = re.compile(r"[0-9]+")
# The headers' syntax, as the OpenAPI document states it (api/contract.py).
IF_MATCH_PATTERN = rf"^(\*|{_TAG})$"
IF_NONE_MATCH_PATTERN = rf"^(\*|(?:{_TAG})(, ?(?:{_TAG}))*)$"


def expected_version(request: Request[Any, Any, Any]) -> int | None:
    """The version in `If-Match` ("3", W/"3" or 3), None without the header or for `*`
    (any version: the case must exist, as for every move). A version beyond any a case
    can have is stale like any other (412)."""
    header = request.headers.get("if-match")
    if header is None:
        return None
    header = header.strip()
    if header == "*":
        return None
    found = _IF_MATCH.fullmatch(header)
    if found is None:
        raise invalid(
            "If-Match", "must be the case's version, as given in its ETag, or *", status=400
        )
    return int(found.group(1) or found.group(2))


def not_modified(request: Request[Any, Any, Any], version: int) -> bool:
    """Whether `If-None-Match` names `version` (or is `*`): the client has what it would
    get, and the answer is 304. Tags as for If-Match, weak or strong alike, separated by
    commas."""
    header = request.headers.get("if-none-match")
    if header is None:
        return False
    header = header.strip()
    if _TAGS.fullmatch(header) is None:
        raise invalid(
            "If-None-Match",
            'must be versions as given in ETags ("3", W/"3"), separated by commas, or *',
            status=400,
        )
    return header == "*" or any(int(tag) == version for tag in _DIGITS.findall(header))


def check_day(field: str, day: date) -> date:
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise invalid(field, f"must be a date {_DAY_RANGE}")
    return day


def check_instant(field: str, instant: datetime) -> datetime:
    # The local date bounds the instant well inside what timestamptz holds.
    if not EARLIEST_DAY <= instant.date() <= LATEST_DAY:
        raise invalid(field, f"must be a date-time {_DAY_RANGE}")
    return instant


def parse_instant(value: str, field: str = "as_of") -> datetime:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise invalid(field, "must be an ISO 8601 date-time with an offset") from None
    if instant.tzinfo is None:
        raise invalid(field, "must carry a UTC offset, e.g. 2026-03-01T09:00:00+08:00")
    return check_instant(field, instant)
