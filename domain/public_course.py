"""What an enterprise sees of its own case: the public course (issue 11 §4).

Bureau roles, departments, service officers and inspectors see every event. An
enterprise sees only the steps that are addressed to it or change what it is owed:
lodged, accepted or rejected (with the reason given), transferred (to which
department), an extension granted (the new due), the final reply, the review's
approval, its rating, the closing. Internal notes, draft replies the review sent back,
reminders (催办), escalations, send-backs between departments, deadline recomputations
and which member of staff did anything stay inside: a staff actor is shown by its role,
and a department by its organisation; only the enterprise's own users keep their ids.

One table per case type below says, for every event type, whether an enterprise sees
it (some only in one outcome: an approved extension, an approving review, a reply that
review approved), which of its fields, and which of the aggregate's attributes it sees
in the case itself. An event type or attribute a table does not name is internal: a new
one stays hidden until someone decides otherwise (tests/unit/test_public_course.py
fails until every event type and attribute is classified).

Versions keep their real numbers; the enterprise sees only the public ones, and the case
"at version N" is the case as of the last public version at or below N, so nothing it
reads depends on what happened in between (docs/decisions.md).

Pure functions of the events (as stored, in order) and the viewer's role: no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import msgspec

from domain.access import NAMED_BY_ORG, OWN_USERS, PUBLIC_COURSE_ONLY
from domain.timeline import fold, state_of
from domain.values import Actor, Rating, Role

# Event attributes that are not the event's own data (shown apart, or the library's).
EVENT_META = frozenset(
    {"timestamp", "actor", "originator_topic", "originator_id", "originator_version"}
)


class ShownActor(msgspec.Struct, frozen=True):
    """An actor as an enterprise sees it: the role, the organisation of a department or
    an enterprise, and a user id only for the enterprise's own users (staff are never
    named as people)."""

    role: Role
    org: str | None = None
    id: str | None = None


def shown_actor(actor: Actor) -> ShownActor:
    return ShownActor(
        role=actor.role,
        org=actor.org if actor.role in NAMED_BY_ORG else None,
        id=actor.id if actor.role in OWN_USERS else None,
    )


class HasCourse(Protocol):
    """A case type (domain/cases.py CaseType) as this module reads it."""

    @property
    def aggregate(self) -> type: ...

    @property
    def public_course(self) -> PublicCourse | None: ...


def sees_public_course_only(role: Role) -> bool:
    return role in PUBLIC_COURSE_ONLY


@dataclass(frozen=True)
class Shown:
    """A public event type. `fields`: the event's data an enterprise sees (None: all).
    `when(events, i)`: for a type public only in some outcomes, whether events[i] is."""

    fields: frozenset[str] | None = None
    when: Callable[[Sequence[Any], int], bool] | None = None


@dataclass(frozen=True)
class CourseEvent:
    """One event of a case's course as a viewer sees it."""

    event: Any  # the event as stored
    version: int
    type: str
    at: datetime
    actor: Actor | ShownActor
    data: dict[str, Any]  # the event's own fields, as Python values


@dataclass(frozen=True)
class PublicCourse:
    """A case type's table. `events`: the public event types; `internal`: the event types
    an enterprise never sees (every type is in exactly one of the two). `state`: the
    aggregate attributes it sees as they are (actors shown by role); `shown_as`: those it
    sees in part (e.g. that officers serve, not which staff users); `derived`: those it
    sees as the public events make them (e.g. the last reply the review approved, not a
    draft); `hidden_state`: those it never sees. Those, and any attribute the table does
    not name, read as `blanks.get(name)` (None unless given)."""

    events: Mapping[str, Shown]
    internal: frozenset[str]
    state: frozenset[str]
    hidden_state: frozenset[str]
    shown_as: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)
    derived: Callable[[Sequence[CourseEvent]], dict[str, Any]] | None = None
    blanks: Mapping[str, Any] = field(default_factory=dict)

    def shows(self, name: str) -> bool:
        """Whether the enterprise sees this attribute (as it is, or in part)."""
        return name in self.state or name in self.shown_as

    def is_public(self, events: Sequence[Any], index: int) -> bool:
        shown = self.events.get(type(events[index]).__name__)
        if shown is None:
            return False
        return shown.when is None or shown.when(events, index)


def _data(event: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(event).items() if k not in EVENT_META}


def _shown_value(value: Any) -> Any:
    return shown_actor(value) if isinstance(value, Actor) else value


def course_events(course: PublicCourse | None, events: Sequence[Any]) -> list[CourseEvent]:
    """The events a viewer sees, in order. `course` None (a viewer of the full course,
    see `course_for`): all of them, with their actors and data. A table: the public ones,
    with their shown fields and actors by role."""
    if course is None:
        return [
            CourseEvent(e, e.originator_version, type(e).__name__, e.timestamp, e.actor, _data(e))
            for e in events
        ]
    return [
        _public_event(course, events, i) for i in range(len(events)) if course.is_public(events, i)
    ]


def visible_events(case_type: HasCourse, events: Sequence[Any], role: Role) -> list[CourseEvent]:
    """What `role` sees of a case's events (the case type holds its table)."""
    return course_events(course_for(case_type, role), events)


def _public_event(course: PublicCourse, events: Sequence[Any], index: int) -> CourseEvent:
    event = events[index]
    name = type(event).__name__
    fields = course.events[name].fields
    data = {k: _shown_value(v) for k, v in _data(event).items() if fields is None or k in fields}
    return CourseEvent(
        event, event.originator_version, name, event.timestamp, shown_actor(event.actor), data
    )


def public_version(course: PublicCourse, events: Sequence[Any], version: int) -> int:
    """The last public version at or below `version` (the creation is always public)."""
    shown: list[int] = [
        e.originator_version
        for i, e in enumerate(events)
        if e.originator_version <= version and course.is_public(events, i)
    ]
    if not shown:
        raise ValueError("the creation of a case must be public")
    return shown[-1]


def _derived(course: PublicCourse, shown: Sequence[CourseEvent]) -> dict[str, Any]:
    return course.derived(shown) if course.derived else {}


def _public_copy(course: PublicCourse, aggregate: Any, derived: Mapping[str, Any]) -> Any:
    """A copy of the aggregate as an enterprise sees it: internal attributes blanked,
    actors by role, the derived ones as given."""
    public = copy.copy(aggregate)
    for name in [n for n in vars(aggregate) if not n.startswith("_")]:
        if name in derived:
            value = derived[name]
        elif name in course.shown_as:
            value = course.shown_as[name](getattr(aggregate, name))
        elif name in course.state:
            value = _shown_value(getattr(aggregate, name))
        else:
            value = copy.copy(course.blanks.get(name))
        object.__setattr__(public, name, value)
    return public


def public_case(course: PublicCourse, events: Sequence[Any], version: int | None = None) -> Any:
    """The case as an enterprise sees it at `version` (default: now): the aggregate as of
    the last public version at or below it, with what it may not see taken out."""
    target = public_version(
        course, events, events[-1].originator_version if version is None else version
    )
    shown: list[CourseEvent] = []
    for i, (event, aggregate, _, _) in enumerate(fold(events)):
        if course.is_public(events, i):
            shown.append(_public_event(course, events, i))
        if event.originator_version == target:
            return _public_copy(course, aggregate, _derived(course, shown))
    raise ValueError(f"no version {target}")  # pragma: no cover - target is one of them


def public_case_created(course: PublicCourse, case: Any) -> Any:
    """A case just created (version 1, its creation event public) as an enterprise sees
    it, without its events at hand: nothing derived has happened yet."""
    if case.version != 1:
        raise ValueError("only a case at version 1")
    return _public_copy(course, case, _derived(course, []))


def public_states(
    course: PublicCourse, events: Sequence[Any]
) -> Iterator[tuple[CourseEvent, dict[str, Any], dict[str, Any]]]:
    """For each public event: it, the public state before it (after the previous public
    event) and after it, as JSON-ready values with only what an enterprise sees."""
    shown: list[CourseEvent] = []
    before: dict[str, Any] = {}
    for i, (_, aggregate, _, _) in enumerate(fold(events)):
        if not course.is_public(events, i):
            continue
        shown.append(_public_event(course, events, i))
        derived = _derived(course, shown)
        public = _public_copy(course, aggregate, derived)
        after = {k: v for k, v in state_of(public).items() if course.shows(k) or k in derived}
        yield shown[-1], before, after
        before = after


# --- the tables -------------------------------------------------------------------------

ALL = Shown()


def _next_review_approves(events: Sequence[Any], index: int) -> bool:
    """A reply is final once the next review approves it; a reply that review sent back
    for redo (or not reviewed yet) is a draft."""
    for event in events[index + 1 :]:
        name = type(event).__name__
        if name == "Reviewed":
            return bool(event.approved)
        if name in ("Replied", "Withdrawn"):
            return False
    return False


def _approved(events: Sequence[Any], index: int) -> bool:
    return bool(events[index].approved)


def _complaint_derived(shown: Sequence[CourseEvent]) -> dict[str, Any]:
    replies = [e for e in shown if e.type == "Replied"]
    return {
        "reply": replies[-1].data["answer"] if replies else None,
        "replied_at": replies[-1].at if replies else None,
        # Redos the enterprise asked for (an unsatisfied rating); review redos are internal.
        "redo_count": sum(
            1 for e in shown if e.type == "Rated" and not Rating(e.data["rating"]).is_satisfied
        ),
    }


COMPLAINT_COURSE = PublicCourse(
    events={
        "Lodged": ALL,
        # The note is internal; the transfer's deadline is the bureau's commitment to it.
        "Accepted": Shown(
            frozenset(
                {"urgent", "transfer_due", "transfer_due_provisional", "transfer_working_days"}
            )
        ),
        "Rejected": Shown(frozenset({"reason"})),
        "Transferred": Shown(frozenset({"department", "working_days", "due", "due_provisional"})),
        "ExtensionDecided": Shown(frozenset({"approved", "due", "due_provisional"}), _approved),
        # Not the review's deadline: the reply shows once approved.
        "Replied": Shown(frozenset({"answer"}), _next_review_approves),
        # The approval, and the rating window it opens; not the note.
        "Reviewed": Shown(
            frozenset({"approved", "rating_due", "rating_due_provisional", "rating_working_days"}),
            _approved,
        ),
        # Its own rating (also one given by phone and recorded for it by a clerk).
        "Rated": Shown(
            frozenset(
                {
                    "rating",
                    "comment",
                    "due",
                    "due_provisional",
                    "working_days",
                    "channel",
                    "call_reference",
                    "called_at",
                    "recorded_for",
                }
            )
        ),
        "Withdrawn": Shown(frozenset({"reason"})),
        "Closed": Shown(frozenset()),  # the note is internal
        "ClosedUnrated": Shown(frozenset({"rating", "rating_due"})),
    },
    internal=frozenset(
        {
            "SentBack",
            "ExtensionRequested",
            "Supervised",
            "Reminded",
            "Escalated",
            "DeadlineRecomputed",
        }
    ),
    state=frozenset(
        {
            "kind",
            "channel",
            "category",
            "title",
            "description",
            "complainant",
            "respondent_department",
            "confidential",
            "lodged_by",
            "lodged_at",
            "status",
            "acceptance_due",
            "acceptance_due_provisional",
            "accepted_at",
            "urgent",
            "transfer_due",
            "transfer_due_provisional",
            "department",
            "handling_due",
            "handling_due_provisional",
            "reviewed_at",
            "rating_due",
            "rating_due_provisional",
            "rating",
            "rating_lapsed",
            "rating_channel",
            "rating_call_reference",
            "rating_called_at",
            "rating_recorded_by",
            "closed_at",
        }
    ),
    hidden_state=frozenset(
        {
            "departments",  # every department it went to: says it was sent back
            "transferred_at",
            "extension_requested",
            "supervision_count",
            "last_reason",  # the last move's note or reason, internal ones too
            "reminded_due",
            "reminded_step",
            "escalate_after",
            "escalated_due",
            "escalated_step",
            "escalation_level",
            "escalated_at",
            "reminders",
            "open_reminders",
            "review_due",  # a reply waits for the review: not shown until approved
            "review_due_provisional",
            "acceptance_basis",
            "transfer_basis",
            "handling_basis",
            "review_basis",
            "rating_basis",
        }
    ),
    derived=_complaint_derived,
    blanks={"open_reminders": []},
)

COMMITMENT_COURSE = PublicCourse(
    events={
        "Committed": ALL,
        "Granted": Shown(frozenset()),  # the note is internal
        "MaterialsSupplied": Shown(frozenset({"materials"})),
        "Fulfilled": Shown(frozenset({"late"})),
        "EpidemicEnded": Shown(frozenset({"ended_on", "due", "due_provisional"})),
        # Its own materials are late: a fact about its obligation, not a bureau step.
        "Overdue": Shown(frozenset({"due"})),
        "Breached": Shown(frozenset({"reason"})),
        "Exempted": Shown(frozenset({"reason"})),
        "Revoked": Shown(frozenset({"reason", "finding"})),
    },
    internal=frozenset({"DeadlineRecomputed"}),
    state=frozenset(
        {
            "matter",
            "enterprise",
            "statement",
            "materials",
            "supplied",
            "due_date",
            "epidemic_contingent",
            "grace_working_days",
            "epidemic_ended_on",
            "due_at",
            "due_provisional",
            "committed_by",
            "committed_at",
            "status",
            "granted_at",
            "overdue_since",
            "fulfilled_at",
            "settled_at",
            "credit_record",
            "outcome_reason",
            "finding",
        }
    ),
    hidden_state=frozenset({"last_note"}),
)


def _credit_repair_derived(shown: Sequence[CourseEvent]) -> dict[str, Any]:
    # The reason of the last public step, as the aggregate keeps it (a note is internal).
    return {"last_reason": shown[-1].data.get("reason") if shown else None}


CREDIT_REPAIR_COURSE = PublicCourse(
    events={
        "Applied": ALL,
        "InitiallyReviewed": Shown(frozenset({"passed", "reason"})),
        "ReReviewed": Shown(frozenset({"passed", "reason"})),
        "Submitted": Shown(frozenset()),  # the note is internal
        "OutcomeRecorded": Shown(frozenset({"repaired", "reason"})),
        "Withdrawn": Shown(frozenset({"reason"})),
    },
    internal=frozenset({"Reminded", "Escalated", "DeadlineRecomputed"}),
    state=frozenset(
        {
            "enterprise",
            "record_id",
            "penalty_authority",
            "severity",
            "proof",
            "pledge_signed",
            "applied_by",
            "applied_at",
            "status",
            "initial_review_due",
            "re_review_due",
            "initial_reviewed_by",
            "initial_reviewed_at",
            "initial_passed",
            "re_reviewed_by",
            "re_reviewed_at",
            "re_review_passed",
            "submitted_at",
            "outcome",
            "outcome_at",
            "refused_stage",
            "closed_at",
            "initial_review_due_provisional",
            "re_review_due_provisional",
        }
    ),
    hidden_state=frozenset(
        {
            "reminded_step",
            "reminded_due",
            "escalate_after",
            "escalated_step",
            "escalated_due",
            "reminders",
            "review_basis",
        }
    ),
    derived=_credit_repair_derived,
)


def _unnamed(memberships: Sequence[Any]) -> list[Any]:
    """Chief service officers are staff users: when they served, not who."""
    return [msgspec.structs.replace(m, member=None) for m in memberships]


PROJECT_COURSE = PublicCourse(
    events={
        "Registered": ALL,
        "Reclassified": Shown(frozenset({"previous", "classification"})),
        "TaskForceAssigned": Shown(frozenset({"previous", "task_force"})),
        "TaskForceJoined": Shown(frozenset({"task_force"})),
        "TaskForceLeft": Shown(frozenset({"task_force"})),
        # A chief service officer serves it now (or no longer); who (a staff user id) is
        # not shown.
        "OfficerAssigned": Shown(frozenset()),
        "OfficerJoined": Shown(frozenset()),
        "OfficerLeft": Shown(frozenset()),
        "LeaderAssigned": Shown(frozenset({"previous", "leader"})),
        "LeaderJoined": Shown(frozenset({"leader"})),
        "LeaderLeft": Shown(frozenset({"leader"})),
    },
    internal=frozenset(),
    state=frozenset(
        {
            "name",
            "investor",
            "city",
            "investment_cny",
            "sector",
            "status",
            "registered_by",
            "registered_at",
            "classification",
            "classification_history",
            "task_forces",
            "leaders",
            # the single members of projects before members joined and left
            "task_force",
            "leader",
        }
    ),
    hidden_state=frozenset({"last_reason", "officer_id"}),
    shown_as={"officers": _unnamed},
)

PROBLEM_COURSE = PublicCourse(
    events={
        "Raised": ALL,
        # Handed to the project's contact leader: the problem's routing, like a
        # complaint's transfer (to whom; the officer's reason is internal). Not the
        # deadline escalation to the supervisors (DeadlineEscalated).
        "Escalated": Shown(frozenset({"leader"})),
        "Resolved": Shown(frozenset({"solution"})),
        "DeclaredUnresolvable": Shown(frozenset({"reason"})),
        "Reopened": Shown(frozenset({"reason", "working_days", "due", "due_provisional"})),
    },
    # Coordination notes are the officers' own working; reminders, deadline escalations
    # and recomputations as for complaints.
    internal=frozenset({"Noted", "Reminded", "DeadlineEscalated", "DeadlineRecomputed"}),
    state=frozenset(
        {
            "project_id",
            "investor_credit_code",
            "category",
            "description",
            "raised_by",
            "raised_at",
            "status",
            "working_days",
            "due_at",
            "due_provisional",
            "escalated",
            "escalated_to",
            "escalated_at",
            "solution",
            "resolved_at",
            "unresolvable_reason",
            "closed_at",
            "reopen_count",
        }
    ),
    hidden_state=frozenset(
        {
            "notes",
            "last_reason",
            "reminded_due",
            "escalate_after",
            "escalated_due",
            "reminders",
            "due_basis",
        }
    ),
    blanks={"notes": []},
)


def course_of(case_type: HasCourse) -> PublicCourse:
    """The case type's public-course table (`CaseType.public_course`)."""
    if case_type.public_course is None:
        raise LookupError(
            f"{case_type.aggregate.__name__} has no public-course table (domain/public_course.py)"
        )
    return case_type.public_course


def course_for(case_type: HasCourse, role: Role) -> PublicCourse | None:
    """The table that filters what `role` sees of this type's cases; None when the role
    sees the full course. A type with no table is never shown in part: LookupError."""
    return course_of(case_type) if sees_public_course_only(role) else None
