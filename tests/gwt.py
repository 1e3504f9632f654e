"""Given/When/Then on events, for every aggregate (the house habit of /work/shared/STYLE.md).

- **Given** `given(*events)` folds recorded events into the aggregate, as the event store
  would rebuild it; the histories are recorded by the aggregates themselves
  (`live_and_copies`, `record`), so they are events the domain really produces.
- **When** one command method called on that aggregate, dated after its history.
- **Then** `then(case, *expected)` compares the exact events that call recorded, as (event
  class name, attributes) pairs, and checks they are numbered on from the history; or,
  for a refused move, `then_raises(Error, case, history)` (or `pytest.raises` followed by
  `then_unchanged`) checks the named error and that the case is exactly as the given
  events built it, with nothing pending.

Nothing here knows an aggregate: a case type's tests give it the aggregate's first
event (`start`) and its steps.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest

from domain.errors import MoveNotAllowed

# A step of a recorded history: one command on the case, at the time it is given.
Step = Callable[[Any, datetime], None]


def given(*events: Any) -> Any:
    """The aggregate the events build, folded one by one as on replay."""
    case: Any = None
    for domain_event in events:
        case = domain_event.mutate(case)
    assert case is not None, "given() needs at least the created event"
    return case


def payload(domain_event: Any) -> dict[str, Any]:
    """What an event says, without the case id and version (`then` checks those)."""
    return {
        k: v
        for k, v in vars(domain_event).items()
        if k not in {"originator_id", "originator_version"}
    }


def then(case: Any, *expected: tuple[str, dict[str, Any]]) -> list[Any]:
    """Exactly the `expected` (event name, attributes) were recorded, by this case,
    numbered on from its history. Returns the events (now no longer pending)."""
    events = case.collect_events()
    assert [(type(e).__name__, payload(e)) for e in events] == list(expected)
    first = case.version - len(events) + 1
    assert [e.originator_version for e in events] == list(range(first, case.version + 1))
    assert all(e.originator_id == case.id for e in events)
    return events


def then_unchanged(case: Any, history: Sequence[Any]) -> None:
    """Nothing was recorded and the case is exactly as the history built it."""
    assert case.collect_events() == []
    assert case == given(*history)


@contextmanager
def then_raises(
    error: type[BaseException], case: Any, history: Sequence[Any]
) -> Iterator[pytest.ExceptionInfo[Any]]:
    """The `when` inside the block raises `error`, and the case is left unchanged."""
    with pytest.raises(error) as info:
        yield info
    then_unchanged(case, history)


def refused(error: pytest.ExceptionInfo[MoveNotAllowed]) -> tuple[str, str, str | None]:
    """A refused move as (move, the status it was refused in, why)."""
    return error.value.move, error.value.status, error.value.why


def replays(history: Sequence[Any], case: Any, new: Sequence[Any]) -> None:
    """Replaying the history and the new events rebuilds the live case."""
    assert given(*history, *new) == case


def live_and_copies(
    start: Callable[[], Any], steps: Iterable[Step], first: datetime
) -> tuple[list[Any], list[Any]]:
    """Every event of a case created by `start` (at `first`) that then went through
    `steps`, one an hour (or at the step's `earliest` attribute, if later), and a copy
    of the live case after each."""
    case = start()
    events = list(case.collect_events())
    copies = [copy.deepcopy(case)]
    at = first
    for step in steps:
        at = max(at + timedelta(hours=1), getattr(step, "earliest", at))
        step(case, at)
        events += case.collect_events()
        copies.append(copy.deepcopy(case))
    return events, copies


def record(start: Callable[[], Any], steps: Iterable[Step], first: datetime) -> list[Any]:
    """The events of a new case that went through `steps` (see `live_and_copies`)."""
    events, _ = live_and_copies(start, steps, first)
    return events
