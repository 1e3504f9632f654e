"""What the request handlers need, built once per process by `create_app`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from domain.application import Oversight
from oversight.settings import Settings


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    app: Oversight
    pool: asyncpg.Pool
    settings: Settings
    clock: Callable[[], datetime] = system_clock

    def now(self) -> datetime:
        return self.clock()
