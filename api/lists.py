"""The body every list endpoint shares: its cursor checked, the caller's
`X-Min-Position` waited for, one row more than the page read (to know whether another
page follows), each row shown, and `next_cursor` to page on (null on the last page).

A page is a Struct with `items` and `next_cursor` (and whatever else the list carries);
`Accept: text/csv` gets every page of the list (api/export.py).

A cursor is the sort key of the last row a page showed, as a fixed-size record in
URL-safe base64 (no padding): its length and alphabet are all there is to check, so
every string the OpenAPI document's pattern allows is a cursor (docs/api.md
"Conventions"); one that was not handed out simply starts the page elsewhere."""

from __future__ import annotations

import base64
import struct
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Protocol
from uuid import UUID

import asyncpg
from litestar import Request
from litestar.params import QueryParameter

from api.errors import invalid
from api.positions import wait_for_position
from api.services import Services

Row = dict[str, Any]

# Route options of a list endpoint, read by the contract (api/contract.py) and the CSV
# export (api/export.py): it honours X-Min-Position and answers text/csv too.
LIST_OPT: dict[str, Any] = {"request_headers": ("X-Min-Position",), "csv": True}


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST, _LATEST = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
# Each part of a key: its struct format, and how it is read back from any bytes.
_PARTS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "instant": ("q", lambda us: _instant(us)),  # microseconds since 1970, UTC
    "uuid": ("16s", lambda raw: UUID(bytes=raw)),
    "int": ("q", int),
    "flag": ("B", bool),
    "small": ("B", int),  # 0-255
    "date": ("i", lambda days: date.fromordinal(min(max(days, 1), date.max.toordinal()))),
}


def _instant(microseconds: int) -> datetime:
    try:
        return _EPOCH + timedelta(microseconds=microseconds)
    except OverflowError:
        return _EARLIEST if microseconds < 0 else _LATEST


def _encode_part(kind: str, value: Any) -> Any:
    if kind == "instant":
        return (value - _EPOCH) // timedelta(microseconds=1)
    if kind == "uuid":
        return value.bytes
    if kind == "date":
        return value.toordinal()
    return int(value)


class CursorKey:
    """How one list's cursors are made: the parts of its sort key, in order."""

    def __init__(self, *parts: str) -> None:
        self.parts = parts
        fmt = ">" + "".join(_PARTS[p][0] for p in parts)
        size = struct.calcsize(fmt)
        # Whole base64 quanta (3 bytes), so no string of the right length and alphabet
        # has bits left over.
        self._struct = struct.Struct(fmt + "x" * (-size % 3))
        self.length = self._struct.size * 4 // 3
        self.pattern = rf"^[A-Za-z0-9_-]{{{self.length}}}$"

    def encode(self, *values: Any) -> str:
        parts = zip(self.parts, values, strict=True)
        packed = self._struct.pack(*(_encode_part(k, v) for k, v in parts))
        return base64.urlsafe_b64encode(packed).decode()

    def decode(self, cursor: str) -> tuple[Any, ...]:
        """The key; ValueError for a string of another length or alphabet."""
        if len(cursor) != self.length:
            raise ValueError("not a cursor")
        try:
            raw = base64.urlsafe_b64decode(cursor.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as e:
            raise ValueError("not a cursor") from e
        values = self._struct.unpack(raw)
        return tuple(_PARTS[k][1](v) for k, v in zip(self.parts, values, strict=True))


CURSOR_DOC = "The `next_cursor` of the previous page (opaque); none for the first page."
# The lists newest first (or by any instant), ties by id, and their `cursor` parameter.
TIME_ID = CursorKey("instant", "uuid")
TimeIdCursor = Annotated[
    str | None, QueryParameter(pattern=TIME_ID.pattern, description=CURSOR_DOC)
]


class Fetch[C](Protocol):
    """A view's list query with its filters bound: a page of `limit` rows after `cursor`."""

    def __call__(
        self, conn: asyncpg.Connection, /, *, limit: int, cursor: C | None
    ) -> Awaitable[list[Row]]: ...


def decode_cursor[C](cursor: str | None, decode: Callable[[str], C]) -> C | None:
    """A cursor this API returned, decoded; 422 naming `cursor` for anything else."""
    try:
        return decode(cursor) if cursor else None
    except ValueError:
        raise invalid("cursor", "not a cursor this API returned") from None


async def list_page[C, P](
    request: Request[Any, Any, Any],
    services: Services,
    page: Callable[..., P],
    *,
    cursor: str | None,
    decode: Callable[[str], C],
    limit: int,
    fetch: Fetch[C],
    body: Callable[[Row], Any],
    encode: Callable[[Row], str],
    check: Callable[[], Awaitable[object]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> P:
    """`page`: the page's Struct, built from `items`, `next_cursor` and `extra` (members
    the answer carries besides those); `check`: what must hold before the list is read
    (e.g. the parent case is visible: 404), after the cursor's check."""
    after = decode_cursor(cursor, decode)
    if check is not None:
        await check()
    await wait_for_position(services, request)
    async with services.pool.acquire() as conn:
        rows = await fetch(conn, limit=limit + 1, cursor=after)
    more = len(rows) > limit
    rows = rows[:limit]
    return page(
        items=[body(row) for row in rows],
        next_cursor=encode(rows[-1]) if more else None,
        **(extra or {}),
    )
