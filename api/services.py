"""What the request handlers need, built once per process by the composition root
(oversight/runtime.py) and handed to `create_app`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from api.config import ApiConfig
from domain.application import Oversight


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    app: Oversight
    pool: asyncpg.Pool
    settings: ApiConfig  # the API's part of the settings
    clock: Callable[[], datetime] = system_clock

    def now(self) -> datetime:
        return self.clock()
