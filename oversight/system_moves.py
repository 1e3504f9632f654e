"""Moves the system makes by itself (deadline reminders, overdue marks)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

import anyio.to_thread
import structlog

from domain.cases import CaseType
from domain.commands import Command
from domain.errors import ConcurrentUpdate, DomainError, MoveNotAllowed
from domain.values import SYSTEM

log = structlog.get_logger(__name__)


async def send_system_moves(
    app: Any,
    case_type: CaseType,
    case_ids: Iterable[UUID],
    move: str,
    command: Command,
    now: datetime,
) -> int:
    """Make `move` on each case as the system; returns how many were recorded.

    The ids come from a view, which may lag: a case that has moved on since is refused
    by the domain and skipped; the next pass retries whatever the view still lists.
    """
    made = 0
    for case_id in case_ids:
        fn = partial(app.move, case_id, move, SYSTEM, now, command, case_type=case_type)
        try:
            await anyio.to_thread.run_sync(fn)
        except (MoveNotAllowed, ConcurrentUpdate) as e:
            log.debug(
                "system_move_skipped", move=move, case_id=str(case_id), error=type(e).__name__
            )
            continue
        except DomainError as e:
            log.warning(
                "system_move_skipped", move=move, case_id=str(case_id), error=type(e).__name__
            )
            continue
        made += 1
    return made
