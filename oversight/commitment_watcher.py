"""The commitments' deadline watcher: a granted commitment whose due instant has passed
is marked overdue by an `Overdue` event from the system actor, never silently.

It reads the `commitment_register` view, so it may see a commitment that has moved on
since (the view lags): the move is then refused and skipped. A refusal never stops the
pass; the next pass retries whatever the view still lists.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.commitment_case import COMMITMENT
from domain.commitment_commands import MarkOverdue
from oversight.system_moves import send_system_moves
from projections.commitment_register import due_for_marking

BATCH = 500  # per pass; what is left is marked on the next pass


async def mark_overdue_commitments(app: Any, pool: Any, clock: Callable[[], datetime]) -> int:
    """One pass: returns how many commitments it marked overdue."""
    now = clock()
    async with pool.acquire() as conn:
        ids = await due_for_marking(conn, now, limit=BATCH)
    return await send_system_moves(app, COMMITMENT, ids, "mark-overdue", MarkOverdue(), now)
