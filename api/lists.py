"""The body every list endpoint shares: its cursor checked, the caller's
`X-Min-Position` waited for, one row more than the page read (to know whether another
page follows), each row shown, and `next_cursor` to page on (null on the last page)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import asyncpg
from litestar import Request, Response

from api.errors import invalid
from api.positions import wait_for_position
from api.services import Services

Row = dict[str, Any]


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


async def list_page[C](
    request: Request[Any, Any, Any],
    services: Services,
    *,
    cursor: str | None,
    decode: Callable[[str], C],
    limit: int,
    fetch: Fetch[C],
    body: Callable[[Row], Mapping[str, Any]],
    encode: Callable[[Row], str],
    check: Callable[[], Awaitable[object]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response[Any]:
    """`check`: what must hold before the list is read (e.g. the parent case is visible:
    404), after the cursor's check; `extra`: members the answer carries besides
    `items` and `next_cursor`."""
    after = decode_cursor(cursor, decode)
    if check is not None:
        await check()
    await wait_for_position(services, request)
    async with services.pool.acquire() as conn:
        rows = await fetch(conn, limit=limit + 1, cursor=after)
    more = len(rows) > limit
    rows = rows[:limit]
    return Response(
        {
            "items": [body(row) for row in rows],
            "next_cursor": encode(rows[-1]) if more else None,
            **(extra or {}),
        }
    )
