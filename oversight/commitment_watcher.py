"""The commitments' deadline watcher: a granted commitment whose due instant has passed
is marked overdue by an `Overdue` event from the system actor, never silently.

It reads the `commitment_register` view, so it may see a commitment that has moved on
since (the view lags): the move is then refused and skipped. A refusal never stops the
pass; the next pass retries whatever the view still lists.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

import anyio.to_thread
import structlog

from domain.commitment_case import COMMITMENT
from domain.commitment_commands import MarkOverdue
from domain.errors import ConcurrentUpdate, DomainError, MoveNotAllowed
from projections.commitment_register import due_for_marking

log = structlog.get_logger(__name__)

BATCH = 500  # per pass; what is left is marked on the next pass


async def mark_overdue_commitments(app: Any, pool: Any, clock: Callable[[], datetime]) -> int:
    """One pass: returns how many commitments it marked overdue."""
    # Imported here: oversight.watchers imports this module to list it in WATCHERS.
    from oversight.watchers import SYSTEM

    now = clock()
    async with pool.acquire() as conn:
        ids = await due_for_marking(conn, now, limit=BATCH)
    marked = 0
    for case_id in ids:
        move = partial(
            app.move, case_id, "mark-overdue", SYSTEM, now, MarkOverdue(), case_type=COMMITMENT
        )
        try:
            await anyio.to_thread.run_sync(move)
        except (MoveNotAllowed, ConcurrentUpdate) as e:
            # Moved on since the view saw it (marked by another pass, settled, ...).
            log.debug("commitment_not_marked", case_id=str(case_id), error=type(e).__name__)
            continue
        except DomainError as e:
            # e.g. a clock behind the case's last event: leave it for a later pass.
            log.warning("commitment_not_marked", case_id=str(case_id), error=type(e).__name__)
            continue
        marked += 1
    return marked
