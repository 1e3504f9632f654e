"""What /healthz and /readyz answer, for the OpenAPI document (api/app.py builds the
answers; route option `returns` names these, api/contract.py)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec


class Health(msgspec.Struct):
    """The process is up."""

    status: Literal["ok"]


class TaskHealth(msgspec.Struct):
    """A background task of this process."""

    state: str
    for_seconds: float
    failures: int
    restarts: int
    last_error: str | None = None
    last_error_seconds_ago: float | None = None
    retry_in: float | None = None


class ViewLag(msgspec.Struct):
    """How far a view is, and how long it has been behind without progress."""

    position: int
    lag: int
    stalled_seconds: float | None = None


class Readiness(msgspec.Struct):
    """Ready to serve. The rest only for a supervisor, inspector or admin token
    (docs/operations.md)."""

    status: Literal["ready"]
    database: Literal["ok"] | None = None
    position: Annotated[
        int | None, msgspec.Meta(description="The last event stored (its position).")
    ] = None
    projection_lag: Annotated[
        int | None, msgspec.Meta(description="Events the slowest view is behind.")
    ] = None
    views: dict[str, ViewLag] | None = None
    tasks: dict[str, TaskHealth] | None = None
    calendar: Annotated[
        str | None,
        msgspec.Meta(description="A year that matters has no official holiday schedule."),
    ] = None
