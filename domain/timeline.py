"""A case's timeline: its state after every event, as field-level changes.

The events are folded once, in order, into a fresh aggregate (the same `mutate` the
repository uses), and the state after each one is compared with the state before it.
Cheaper than `repository.get(id, version=v)` for every v, and the same result (the
property tests hold the two together).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import msgspec

_MISSING = object()


def state_of(aggregate: Any) -> dict[str, Any]:
    """The aggregate's own state as JSON-ready values (the library's `_`-attributes,
    id, version and timestamps, are left out: the timeline entry carries them)."""
    return {
        name: msgspec.to_builtins(value)
        for name, value in vars(aggregate).items()
        if not name.startswith("_")
    }


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """[{field, before, after}] for every field whose value differs (None when absent)."""
    diff = [
        {"field": name, "before": before.get(name), "after": value}
        for name, value in after.items()
        if before.get(name, _MISSING) != value
    ]
    diff += [
        {"field": name, "before": value, "after": None}
        for name, value in before.items()
        if name not in after
    ]
    return diff


def fold(events: Iterable[Any]) -> Iterator[tuple[Any, Any, dict[str, Any], dict[str, Any]]]:
    """For each event: (event, the aggregate after it, state before, state after).

    The aggregate object is the same one, mutated; take what you need from it before
    the next step.
    """
    aggregate = None
    before: dict[str, Any] = {}
    for event in events:
        aggregate = event.mutate(aggregate)
        after = state_of(aggregate)
        yield event, aggregate, before, after
        before = after
