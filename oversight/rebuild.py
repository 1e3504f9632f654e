"""`oversight rebuild`: drop every view and build it again from the events.

A rebuild is bound by Python (decoding events, folding them into rows), not by the
database, so the views are split into `jobs` groups, each rebuilt by its own process
with its own runner: on N cores that is up to N times the Python. Each process reads
and decodes the events once for its group; within a group the runner applies a batch
to its views concurrently (projections/runner.py). Every view still has its own
tracking row and transactions, so an interrupted rebuild resumes like any runner.

Groups are balanced by each projection's `rebuild_cost` (a relative weight measured
with bench/; 1 when a projection does not say), heaviest first onto the lightest group.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Sequence
from typing import Any

import structlog

from oversight.settings import Settings

log = structlog.get_logger(__name__)

BATCH = 5000  # events per batch: a rebuild has no reader waiting on freshness


def groups(projections: Sequence[Any], jobs: int) -> list[list[Any]]:
    """Split projections into at most `jobs` non-empty groups of similar total cost."""
    jobs = max(1, min(jobs, len(projections)))
    bins: list[list[Any]] = [[] for _ in range(jobs)]
    loads = [0.0] * jobs
    for projection in sorted(projections, key=lambda p: -getattr(p, "rebuild_cost", 1)):
        lightest = loads.index(min(loads))
        bins[lightest].append(projection)
        loads[lightest] += getattr(projection, "rebuild_cost", 1)
    return [b for b in bins if b]


async def _catch_up(settings: Settings, url: str, names: Sequence[str], progress: Any) -> int:
    import asyncpg

    from oversight.database import asyncpg_dsn
    from oversight.runtime import views
    from projections.runner import ProjectionRunner

    chosen = [p for p in views(settings) if p.name in names]
    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=1, max_size=len(chosen) + 1)
    try:
        runner = ProjectionRunner(pool, chosen, batch_size=BATCH, concurrency=len(chosen))
        return await runner.catch_up(progress=progress)
    finally:
        await pool.close()


def _child(settings: Settings, url: str, names: Sequence[str], counter: Any) -> None:
    """One rebuild process: catch its group of views up, counting into `counter`."""

    def progress(n: int) -> None:
        with counter.get_lock():
            counter.value += n

    asyncio.run(_catch_up(settings, url, names, progress))


async def rebuild(settings: Settings, url: str, *, jobs: int) -> int:
    import anyio.to_thread
    import asyncpg
    from tqdm import tqdm

    from oversight.database import asyncpg_dsn
    from oversight.runtime import build_application, views
    from projections.runner import drop_views, ensure_schema, max_position

    store = await anyio.to_thread.run_sync(build_application, url, settings)  # creates tables
    store.close()
    projections = views(settings)
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await drop_views(conn, projections)
        await ensure_schema(conn, projections)
        latest = await max_position(conn)
    finally:
        await conn.close()

    parts = groups(projections, jobs)
    bar = tqdm(total=latest * len(projections), unit="event", desc="rebuilding views")
    if len(parts) == 1:
        with bar:
            applied = await _catch_up(settings, url, [p.name for p in parts[0]], bar.update)
        log.info("rebuilt", events=latest, applied=applied, jobs=1)
        return 0

    # Spawned, not forked: the children start clean (no inherited event loop or pool).
    ctx = multiprocessing.get_context("spawn")
    counter = ctx.Value("q", 0)
    children = [
        ctx.Process(
            target=_child, args=(settings, url, [p.name for p in part], counter), daemon=True
        )
        for part in parts
    ]
    for child in children:
        child.start()
    with bar:
        while any(child.is_alive() for child in children):
            await asyncio.sleep(0.2)
            bar.update(counter.value - bar.n)
        bar.update(counter.value - bar.n)
    failed = [c.exitcode for c in children if c.exitcode != 0]
    if failed:
        log.error("rebuild_failed", exit_codes=failed)
        return 1
    log.info("rebuilt", events=latest, applied=counter.value, jobs=len(parts))
    return 0
