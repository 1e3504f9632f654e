"""The read paths of a viewer who sees only a case's public course (an enterprise;
domain/public_course.py): the case now, at a version or an instant, what a command
answers with, and `If-Match` against the versions it knows.

Its versions are the real version numbers of the public events. "The case now" is the
case as of its last public version, and so is its ETag: the enterprise never sees a
version it cannot read, and a hidden event changes nothing it reads. Its `If-Match`
names that version; a move is checked against the case's last public version, then made
against the version the case really has (docs/decisions.md).

Synchronous (the application is): the callers run these in a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.cases import CaseType
from domain.errors import CaseNotFound, VersionConflict
from domain.public_course import (
    PublicCourse,
    course_for,
    public_case,
    public_case_created,
    public_version,
)
from domain.values import Actor


def public_course(case_type: CaseType, viewer: Actor) -> PublicCourse | None:
    """The table that filters what the viewer sees; None: it sees the full course."""
    return course_for(case_type, viewer.role)


def read_public(
    app: Any,
    course: PublicCourse,
    case_type: CaseType,
    case_id: UUID,
    viewer: Actor,
    *,
    version: int | None = None,
    as_of: datetime | None = None,
) -> Any:
    """`GET /{cases}/{id}` (`?version=N`, `?as_of=T`): the case as of the last public
    version at or below the one asked for (404 as for everyone: a version the case does
    not have, an instant before it existed, a case the viewer may not see)."""
    case, events = app.history(case_type, case_id, viewer)
    if as_of is not None:
        version = app.store.version_at(case_id, as_of)
        if version is None:
            raise CaseNotFound(f"case {case_id} did not exist at {as_of.isoformat()}")
        version = min(version, case.version)  # an event stored since we read
    elif version is not None and not 1 <= version <= case.version:
        raise CaseNotFound(f"case {case_id} has no version {version}")
    return public_case(course, events, version)


def answered_case(app: Any, course: PublicCourse, case: Any) -> Any:
    """A command's case as the viewer sees it (its own move is public: the version is
    the case's)."""
    if case.version == 1:
        return public_case_created(course, case)
    events: Sequence[Any] = list(app.events.get(case.id, lte=case.version))
    return public_case(course, events, case.version)


def real_expected_version(
    app: Any, course: PublicCourse, case_type: CaseType, case_id: UUID, viewer: Actor, expected: int
) -> int:
    """The `If-Match` of a viewer of the public course names the last public version it
    read: 412 unless that is still the case's last public version; else the version the
    case really has, for the move's own check."""
    case, events = app.history(case_type, case_id, viewer)
    shown = public_version(course, events, case.version)
    if expected != shown:
        raise VersionConflict(expected, shown)
    return int(case.version)
