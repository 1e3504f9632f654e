"""Reminders (催办) and escalation: the deadline watcher's moves on a complaint."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain.errors import MoveNotAllowed
from tests.gwt import given, refused, then, then_unchanged
from tests.unit.test_complaint import (
    ACCEPTANCE_DUE,
    CST,
    HANDLING_DUE,
    SYSTEM,
    accept,
    record,
    transfer,
)

LATE = datetime(2024, 9, 25, 10, 0, tzinfo=CST)  # the acceptance deadline was 9-24 17:30
GRACE_END = datetime(2024, 10, 9, 17, 30, tzinfo=CST)


def test_a_passed_acceptance_deadline_is_reminded_once():
    history = record()
    case = given(*history)
    case.remind(SYSTEM, LATE, escalate_after=GRACE_END)
    then(
        case,
        (
            "Reminded",
            {
                "actor": SYSTEM,
                "timestamp": LATE,
                "step": "acceptance",
                "due": ACCEPTANCE_DUE,
                "escalate_after": GRACE_END,
                "note": None,
            },
        ),
    )
    assert (case.reminded_due, case.reminders) == (ACCEPTANCE_DUE, 1)
    with pytest.raises(MoveNotAllowed) as error:
        case.remind(SYSTEM, LATE + timedelta(hours=1), escalate_after=GRACE_END)
    assert refused(error) == ("remind", "lodged", "this deadline was already reminded")


def test_no_reminder_before_the_deadline_passes():
    history = record()
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        case.remind(SYSTEM, ACCEPTANCE_DUE, escalate_after=GRACE_END)  # at the deadline: on time
    assert refused(error) == ("remind", "lodged", "the deadline has not passed")
    then_unchanged(case, history)


def test_escalation_needs_a_reminder_and_its_grace_to_run_out():
    history = record()
    case = given(*history)
    with pytest.raises(MoveNotAllowed) as error:
        case.escalate(SYSTEM, LATE)
    assert refused(error) == ("escalate", "lodged", "this deadline was not reminded yet")
    case.remind(SYSTEM, LATE, escalate_after=GRACE_END)
    case.collect_events()
    with pytest.raises(MoveNotAllowed) as error:
        case.escalate(SYSTEM, GRACE_END - timedelta(minutes=1))
    assert refused(error) == ("escalate", "lodged", "the reminder's grace has not run out")
    case.escalate(SYSTEM, GRACE_END)
    then(
        case,
        (
            "Escalated",
            {
                "actor": SYSTEM,
                "timestamp": GRACE_END,
                "step": "acceptance",
                "due": ACCEPTANCE_DUE,
                "level": 1,
            },
        ),
    )
    with pytest.raises(MoveNotAllowed) as error:
        case.escalate(SYSTEM, GRACE_END + timedelta(days=1))
    assert refused(error) == ("escalate", "lodged", "this deadline was already escalated")


def test_a_new_deadline_can_be_reminded_again():
    history = record(accept, transfer)
    case = given(*history)
    late = HANDLING_DUE + timedelta(hours=1)
    case.remind(SYSTEM, late, escalate_after=late + timedelta(days=7))
    (reminded,) = then(
        case,
        (
            "Reminded",
            {
                "actor": SYSTEM,
                "timestamp": late,
                "step": "handling",
                "due": HANDLING_DUE,
                "escalate_after": late + timedelta(days=7),
                "note": None,
            },
        ),
    )
    assert given(*history, reminded) == case
