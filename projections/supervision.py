"""Supervision of the background tasks (projection runner, deadline watchers, ledger
signer): none of them may end silently while the process lives.

`Supervisor.start(name, fn, stop)` runs `fn()` in a task until `stop` is set. Whatever
`fn` raises is logged with its type (`task_failed`) and `fn` runs again after a capped
exponential backoff (0.5 s, 1 s, 2 s, ... at most 10 s; back to 0.5 s once a run has
lasted a minute), so each run acquires its connections afresh. `fn` returning while
`stop` is not set counts as a failure too (`task_exited`). Cancellation is never
swallowed: cancelling the task, or setting `stop`, ends it (`task_stopped`).

Each task's health (running, backing off, stopped, failures, the last error's type)
is kept in the supervisor, for `/readyz` and the logs. Log events: `task_started`,
`task_failed`, `task_exited`, `task_stopped` (docs/operations.md).

It lives in `projections/`, the lowest layer with a background task, so the runner,
the ledger and the runtime can all use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog

log = structlog.get_logger(__name__)

INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 10.0
# A run that lasted this long resets the backoff: the next failure is retried quickly.
HEALTHY_AFTER = 60.0
# Our own packages: the innermost frame among them says where a failure happened.
_OURS = ("domain", "projections", "ledger", "api", "oversight")


@dataclass
class TaskHealth:
    """What a supervised task is doing. `state`: running, backing_off (after a
    failure, until its next run), stopped, or off (not run in this process, on purpose)."""

    name: str
    state: str = "running"
    since: float = 0.0  # time.monotonic() of the last change of state
    failures: int = 0  # in a row, since the last run that lasted HEALTHY_AFTER
    restarts: int = 0  # in all
    last_error: str | None = None  # the type of the last exception
    last_error_at: float | None = None  # time.monotonic()
    retry_in: float | None = None  # while backing off

    def _set(self, state: str) -> None:
        self.state = state
        self.since = time.monotonic()

    @property
    def ok(self) -> bool:
        return self.state in {"running", "off"}

    def describe(self) -> dict[str, Any]:
        now = time.monotonic()
        body: dict[str, Any] = {
            "state": self.state,
            "for_seconds": round(now - self.since, 1),
            "failures": self.failures,
            "restarts": self.restarts,
        }
        if self.last_error is not None:
            body["last_error"] = self.last_error
            body["last_error_seconds_ago"] = round(now - (self.last_error_at or now), 1)
        if self.retry_in is not None and self.state == "backing_off":
            body["retry_in"] = round(self.retry_in, 2)
        return body


class Supervisor:
    """The supervised tasks of one process and their health."""

    def __init__(
        self,
        *,
        initial_backoff: float = INITIAL_BACKOFF,
        max_backoff: float = MAX_BACKOFF,
        healthy_after: float = HEALTHY_AFTER,
    ) -> None:
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.healthy_after = healthy_after
        self.health: dict[str, TaskHealth] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def start(
        self, name: str, fn: Callable[[], Awaitable[Any]], stop: asyncio.Event
    ) -> asyncio.Task[None]:
        health = self.health[name] = TaskHealth(name, since=time.monotonic())
        task = asyncio.create_task(self._supervise(name, fn, stop, health), name=name)
        self.tasks[name] = task
        return task

    def off(self, name: str, why: str) -> None:
        """A task this process does not run, on purpose (e.g. watchers turned off)."""
        self.health[name] = TaskHealth(name, state="off", since=time.monotonic())
        log.info("task_off", task=name, why=why)

    def not_running(self) -> list[TaskHealth]:
        """The tasks that should run but do not (backing off after a failure, or their
        task ended)."""
        down = []
        for name, health in self.health.items():
            task = self.tasks.get(name)
            if not health.ok or (task is not None and task.done()):
                down.append(health)
        return down

    def describe(self) -> dict[str, dict[str, Any]]:
        return {name: health.describe() for name, health in self.health.items()}

    async def stop(self, stop: asyncio.Event, *, grace: float = 10.0) -> None:
        """Set `stop` and wait for every task to end; cancel those still running after
        `grace` seconds."""
        stop.set()
        tasks = list(self.tasks.values())
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            log.warning("task_cancelled", task=task.get_name(), grace_seconds=grace)
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def _supervise(
        self, name: str, fn: Callable[[], Awaitable[Any]], stop: asyncio.Event, health: TaskHealth
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                health._set("running")
                health.retry_in = None
                log.info("task_started", task=name, restarts=health.restarts)
                started = loop.time()
                try:
                    await fn()
                except Exception as e:
                    if stop.is_set():
                        log.info("task_failed_while_stopping", task=name, error=type(e).__name__)
                        break
                    error: BaseException | None = e
                else:
                    if stop.is_set():
                        break
                    error = None
                if loop.time() - started >= self.healthy_after:
                    health.failures = 0
                delay = self._backoff(health.failures)
                health.failures += 1
                health.restarts += 1
                health.last_error_at = time.monotonic()
                health.retry_in = delay
                health._set("backing_off")
                if error is None:
                    health.last_error = "exited"
                    log.error("task_exited", task=name, failures=health.failures, retry_in=delay)
                else:
                    health.last_error = type(error).__name__
                    log.error(
                        "task_failed",
                        task=name,
                        error=type(error).__name__,
                        sqlstate=getattr(error, "sqlstate", None),
                        where=_where(error),
                        failures=health.failures,
                        retry_in=delay,
                    )
                await _sleep_or_stop(stop, delay)
        finally:
            health._set("stopped")
            log.info("task_stopped", task=name)

    def _backoff(self, failures: int) -> float:
        delay: float = min(self.max_backoff, self.initial_backoff * 2 ** min(failures, 30))
        return delay * random.uniform(0.9, 1.1)  # noqa: S311 - jitter, not a secret


class ViewProgress:
    """Which views are behind without progress, from successive looks at their
    positions (each `/readyz`): a view is stalled once it has been behind at the same
    position for `stall_seconds`. The first look at a view behind starts its clock."""

    def __init__(self, stall_seconds: float) -> None:
        self.stall_seconds = stall_seconds
        self._behind: dict[str, tuple[int, float]] = {}  # view -> (position, first seen there)

    def observe(self, positions: dict[str, int], latest: int, now: float) -> dict[str, float]:
        """The stalled views, each with how long it has been stuck (seconds)."""
        stalled = {}
        for name, position in positions.items():
            if position >= latest:
                self._behind.pop(name, None)
                continue
            seen = self._behind.get(name)
            if seen is None or seen[0] != position:
                self._behind[name] = (position, now)
                continue
            stuck = now - seen[1]
            if stuck >= self.stall_seconds:
                stalled[name] = stuck
        return stalled


def _where(error: BaseException) -> str | None:
    """`module:function:line` of the innermost frame of our own code in the traceback:
    which projection or watcher failed, without the message (it may quote data)."""
    found = None
    for frame, line in traceback.walk_tb(error.__traceback__):
        module = frame.f_globals.get("__name__", "")
        if module.split(".", 1)[0] in _OURS:
            found = f"{module}:{frame.f_code.co_name}:{line}"
    return found


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
