"""How a case, its history and list rows look over HTTP, with confidential masking."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

import msgspec

from domain.cases import CaseType
from domain.complaint import Complaint
from domain.public_course import ShownActor, course_events, course_for, sees_public_course_only
from domain.reminders import Reminder
from domain.values import Actor, Role


@overload
def actor_body(actor: Actor | ShownActor, *, hidden: bool = False) -> dict[str, Any]: ...
@overload
def actor_body(actor: None, *, hidden: bool = False) -> None: ...
@overload
def actor_body(
    actor: Actor | ShownActor | None, *, hidden: bool = False
) -> dict[str, Any] | None: ...
def actor_body(actor: Actor | ShownActor | None, *, hidden: bool = False) -> dict[str, Any] | None:
    """Who acted, as every body shows it (null for nobody yet). `hidden`: the
    complainant's identity must not show (enterprise users, and whoever lodged a
    confidential case, are masked). A `ShownActor` (the public course) has no id."""
    if actor is None:
        return None
    if hidden:
        return {"id": None, "role": actor.role.value, "org": None}
    return {"id": actor.id, "role": actor.role.value, "org": actor.org}


def _reminder(reminder: Reminder) -> dict[str, Any]:
    return {
        "at": reminder.at,
        "by": actor_body(reminder.by),
        "step": reminder.step,
        "due": reminder.due,
        "note": reminder.note,
    }


def complaint_body(case: Complaint, viewer: Actor, *, hidden: bool) -> dict[str, Any]:
    public = sees_public_course_only(viewer.role)
    current = case.current_deadline
    return {
        "id": str(case.id),
        "version": case.version,
        "status": case.status.value,
        "kind": case.kind.value,
        "channel": case.channel.value,
        "category": case.category,
        "title": case.title,
        "description": case.description,
        "complainant": None if hidden else msgspec.to_builtins(case.complainant),
        "respondent_department": case.respondent_department,
        "confidential": case.confidential,
        "urgent": case.urgent,
        "lodged_at": case.lodged_at,
        "lodged_by": actor_body(case.lodged_by, hidden=hidden),
        "department": case.department,
        "deadlines": {
            "acceptance_due": case.acceptance_due,
            "acceptance_due_provisional": case.acceptance_due_provisional,
            "handling_due": case.handling_due,
            "handling_due_provisional": case.handling_due_provisional,
            # The bureau's own steps and the enterprise's rating window (issue 11 §2).
            "transfer_due": case.transfer_due,
            "transfer_due_provisional": bool(case.transfer_due_provisional),
            "review_due": case.review_due,
            "review_due_provisional": bool(case.review_due_provisional),
            "rating_due": case.rating_due,
            "rating_due_provisional": bool(case.rating_due_provisional),
        },
        # The step the case waits on and its deadline (null once final).
        "current_step": case.current_step,
        "due_at": current[1] if current else None,
        # The deadline of the step the case waits on counted days of a year with no
        # official schedule yet (docs/calendar.md): it may still move.
        "due_provisional": case.due_provisional,
        # 催办 and escalations of the step the case waits on (issue 11 §3); internal:
        # null for a viewer of the public course.
        "open_reminders": None if public else [_reminder(r) for r in case.open_reminders],
        "escalation": None if public else {"level": case.escalation_level, "at": case.escalated_at},
        "extension_requested": case.extension_requested,
        "reply": case.reply,
        "replied_at": case.replied_at,
        "rating": case.rating_shown,
        # A rating given by phone and recorded by a clerk (issue 11 §5), else null.
        "rating_recorded": None
        if case.rating_recorded_by is None
        else {
            "channel": case.rating_channel.value if case.rating_channel else None,
            "call_reference": case.rating_call_reference,
            "called_at": case.rating_called_at,
            "recorded_by": actor_body(case.rating_recorded_by),
        },
        "redo_count": case.redo_count,
        "supervision_count": case.supervision_count,
        "closed_at": case.closed_at,
        "updated_at": case.modified_on,
    }


# Event fields that name the complainant, masked for whom the case hides it: the lodged
# complainant, and the enterprise a clerk recorded a phone rating for (issue 11 §5).
_IDENTIFYING = frozenset({"complainant", "recorded_for"})


def identifies_complainant(event: Any) -> bool:
    return event.actor.role is Role.ENTERPRISE or event.originator_version == 1


def history_body(
    case_type: CaseType, case: Any, events: Sequence[Any], viewer: Actor
) -> list[dict[str, Any]]:
    """Every event the viewer sees (an enterprise: the public course, domain/public_course.py),
    with the confidential masking for a department."""
    hidden = case_type.hides_identity(viewer, case)
    entries = []
    for e in course_events(course_for(case_type, viewer.role), events):
        data = e.data
        if hidden:
            data = {k: None if k in _IDENTIFYING else v for k, v in data.items()}
        entries.append(
            {
                "version": e.version,
                "type": e.type,
                "at": e.at,
                "actor": actor_body(e.actor, hidden=hidden and identifies_complainant(e.event)),
                "data": msgspec.to_builtins(data),
            }
        )
    return entries


def summary_body(row: dict[str, Any], viewer: Actor) -> dict[str, Any]:
    hidden = row["confidential"] and viewer.role is Role.DEPARTMENT
    # The list counts every redo and supervision notice; an enterprise sees neither count
    # (review redos and notices are internal steps; its own redos are in the history).
    counts = not sees_public_course_only(viewer.role)
    return {
        "id": str(row["id"]),
        "version": row["version"],
        "status": row["status"],
        "kind": row["kind"],
        "channel": row["channel"],
        "category": row["category"],
        "title": row["title"],
        "urgent": row["urgent"],
        "confidential": row["confidential"],
        "complainant": None
        if hidden
        else {"name": row["complainant_name"], "credit_code": row["complainant_credit_code"]},
        "department": row["department"],
        "lodged_at": row["lodged_at"],
        "due_at": row["due_at"],
        "due_step": row["due_step"],
        "due_provisional": row["due_provisional"],
        "rating": row["rating"],
        "redo_count": row["redo_count"] if counts else None,
        "supervision_count": row["supervision_count"] if counts else None,
        # 催办 and escalation of the step the case waits on (issue 11 §3): internal.
        "open_reminders": row["open_reminders"] if counts else None,
        "escalated": row["escalation_level"] > 0 if counts else None,
        "escalation": {"level": row["escalation_level"], "at": row["escalated_at"]}
        if counts
        else None,
        "closed_at": row["closed_at"],
    }
