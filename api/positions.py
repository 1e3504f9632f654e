"""Reading one's own writes: a command answers the notification `position` of its last
event; a read that must see it passes it back as `X-Min-Position` and waits (bounded)
until the views have caught up.

A position beyond the last event stored was never answered by a command: the views will
not reach it by waiting, so it is refused at once (422) rather than after the wait."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from litestar import Request

from api.errors import ApiError, invalid
from api.services import Services
from projections.runner import max_position, view_position

_POSITION = re.compile(r"[0-9]{1,19}")
POSITION_PATTERN = "^[0-9]{1,19}$"  # X-Min-Position, as the OpenAPI document states it


def min_position(request: Request[Any, Any, Any]) -> int | None:
    """The position in `X-Min-Position`, None without the header."""
    header = request.headers.get("x-min-position")
    if header is None:
        return None
    if _POSITION.fullmatch(header.strip()) is None:
        raise invalid(
            "X-Min-Position",
            "must be a position returned by a command: a whole number (ASCII digits)",
            status=400,
        )
    return int(header)


async def wait_for_position(services: Services, request: Request[Any, Any, Any]) -> None:
    """Honour X-Min-Position: wait (bounded) until the views have caught up to it."""
    wanted = min_position(request)
    if wanted is None:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + services.settings.min_position_wait_seconds
    delay = 0.01
    checked = False
    while True:
        async with services.pool.acquire() as conn:
            if await view_position(conn) >= wanted:
                return
            if not checked:
                latest = await max_position(conn)
                if wanted > latest:
                    raise invalid(
                        "X-Min-Position",
                        f"must be a position returned by a command: the last event stored is"
                        f" at {latest}",
                    )
                checked = True
        if loop.time() >= deadline:
            raise ApiError(
                503,
                "views-behind",
                "Views not caught up",
                f"the views have not reached position {wanted} yet; retry shortly",
                headers={"Retry-After": "1"},
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.2)


async def wait_for_ledger[T](
    services: Services, check: Callable[[asyncpg.Connection], Awaitable[T | None]]
) -> T | None:
    """Poll `check(conn)` until it returns something, for at most the configured wait."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + services.settings.min_position_wait_seconds
    while True:
        async with services.pool.acquire() as conn:
            found = await check(conn)
        if found is not None or loop.time() >= deadline:
            return found
        await asyncio.sleep(0.05)
