"""Group commit: many concurrent commands' events stored in one transaction.

The event store serialises commits (a table lock per insert), so one transaction per
command caps throughput at one commit latency per command. Commands decided at the same
moment are instead queued to one committer thread, which saves whatever has gathered in
a single `save()` (one transaction, one fsync). Results stay per command: when the
batch fails because one command lost an optimistic-concurrency race, the batch is split
and saved again in halves until the loser is isolated, so its neighbours still succeed
and only the loser gets the conflict. Optimistic concurrency is exactly the library's:
each aggregate's events carry the version they were decided on.

A caller either blocks (`commit`, from a worker thread) or hands over a callback
(`submit`, from an event loop: the API awaits the outcome without holding a thread).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import RecordConflictError, Recording

Save = Callable[..., Sequence[Recording[UUID]]]  # app.save(*aggregates) -> recordings
# Told the outcome of one aggregate's save, in the committer thread: the notification id
# of its last event, or the exception (RecordConflictError if it lost a race).
Deliver = Callable[[int | BaseException], None]


class GroupCommitter:
    def __init__(self, save: Save, *, max_batch: int = 256) -> None:
        self._save = save
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[Aggregate, Deliver] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()

    def commit(self, aggregate: Aggregate) -> int:
        """Store the aggregate's pending events with others'; returns the notification id
        of its last event. Raises RecordConflictError if it lost a race."""
        future: Future[int] = Future()

        def deliver(outcome: int | BaseException) -> None:
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

        self._queue.put((aggregate, deliver))
        return future.result()

    def submit(self, aggregate: Aggregate, deliver: Deliver) -> None:
        """Queue the aggregate's pending events; `deliver(position or error)` is called in
        the committer thread once they are stored or have failed. Must not raise."""
        self._queue.put((aggregate, deliver))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            while len(batch) < self._max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._store(batch)
                    return
                batch.append(more)
            self._store(batch)

    def _store(self, batch: list[tuple[Aggregate, Deliver]]) -> None:
        # Aggregates must be distinct objects with distinct ids within one save; two
        # commands on the same case go to separate saves (the second then conflicts).
        seen: set[UUID] = set()
        first: list[tuple[Aggregate, Deliver]] = []
        rest: list[tuple[Aggregate, Deliver]] = []
        for entry in batch:
            (rest if entry[0].id in seen else first).append(entry)
            seen.add(entry[0].id)
        self._save_group(first)
        if rest:
            self._store(rest)

    def _save_group(self, group: list[tuple[Aggregate, Deliver]]) -> None:
        pending = [list(aggregate.pending_events) for aggregate, _ in group]
        try:
            recordings = self._save(*(aggregate for aggregate, _ in group))
        except RecordConflictError as e:
            if len(group) == 1:
                group[0][1](e)
                return
            # Nothing was stored. save() took the events off the aggregates: give them
            # back, then split the group to isolate the command that lost its race.
            for (aggregate, _), events in zip(group, pending, strict=True):
                aggregate.pending_events[:] = events
            middle = len(group) // 2
            self._save_group(group[:middle])
            self._save_group(group[middle:])
            return
        except BaseException as e:
            for _, deliver in group:  # every waiter must hear of it
                deliver(e)
            return
        end = 0
        for (_, deliver), events in zip(group, pending, strict=True):
            end += len(events)
            deliver(recordings[end - 1].notification.id)
