"""`oversight demo` on the command line: load into an empty store, optionally catch the
views up once."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from oversight.demo.data.period import DEMO_START
from oversight.demo.loader import load_demo


async def catch_up_views(database_url: str) -> int:
    """Run the projection runner once over every view; returns the events applied."""
    import asyncpg

    from oversight.database import asyncpg_dsn
    from oversight.runtime import PROJECTIONS
    from projections.runner import ProjectionRunner, ensure_schema

    pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await ensure_schema(conn, PROJECTIONS)
        return await ProjectionRunner(pool, PROJECTIONS).catch_up()
    finally:
        await pool.close()


def run_demo(database_url: str, settings: Any, *, seed: int, force: bool, catch_up: bool) -> int:
    """`oversight demo`: refuses a store that already holds events unless forced."""
    from oversight.runtime import build_application

    app = build_application(database_url, settings)
    try:
        held = app.recorder.max_notification_id() or 0
        if held and not force:
            print(
                f"error: the event store already holds events (up to position {held}); "
                "`oversight demo` loads only into an empty store, so demo data is never "
                "mixed into real cases. Use --force to load it anyway.",
                file=sys.stderr,
            )
            return 1
        summary = load_demo(app, start=DEMO_START, seed=seed)
    finally:
        app.close()
    print(summary.format())
    if catch_up:
        applied = asyncio.run(catch_up_views(database_url))
        print(f"views caught up ({applied} events applied over every view)")
    else:
        print("the views catch up when `oversight serve` or `oversight worker` runs")
    return 0
