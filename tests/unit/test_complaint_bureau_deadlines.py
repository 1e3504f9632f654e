"""Issue 11 §2, §3 and §5: the bureau's own steps on deadlines, reminders by hand and
escalation levels, ratings taken by phone. Given/When/Then over the Complaint aggregate
and the decisions of domain/complaint_case.py (the real calendar and SLA policy).

Dates: Monday 2024-09-23 in Beijing. 2024's National Day holiday is 1-7 October, with
Sunday 29 September and Saturday 12 October worked instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain import commands as cmd
from domain import complaint_case as decide
from domain import deadlines
from domain.calendar import WorkingCalendar, install_year_file
from domain.complaint import (
    NO_RATING_REMINDER,
    NOT_RATED,
    OWNER_OF,
    STEP_OF,
    SYSTEM_REMINDED,
    Complaint,
    Status,
)
from domain.errors import MoveNotAllowed, RuleViolated
from domain.reminders import NOTE_RULE, Reminder
from domain.sla import SlaPolicy, calendar_for
from domain.values import Actor, Channel, Rating, Role
from tests.gwt import refused, then
from tests.unit.test_complaint import (
    CLERK,
    CODE,
    CST,
    DEPARTMENT,
    DEPT,
    ENTERPRISE,
    SUPERVISOR,
    SYSTEM,
)

SLA = SlaPolicy()
CALENDAR = calendar_for(SLA)
OTHER_SUPERVISOR = Actor(id="sup-2", role=Role.SUPERVISOR)


@dataclass
class Ctx:
    """What a decision gets besides the case (domain/cases.py CaseContext)."""

    calendar: WorkingCalendar
    sla: SlaPolicy

    def load(self, case_id: Any) -> Any:  # pragma: no cover - complaints load nothing
        raise AssertionError("a complaint's decision loads no other case")


CTX = Ctx(CALENDAR, SLA)


def cst(month: int, day: int, hour: int = 10, minute: int = 0, year: int = 2024) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CST)


def close_of(month: int, day: int, year: int = 2024) -> datetime:
    """17:30, the end of office hours, on that day."""
    return cst(month, day, 17, 30, year)


LODGED = cst(9, 23)  # Monday


def lodge(*, urgent: bool = False, at: datetime = LODGED, ctx: Ctx = CTX) -> Complaint:
    body = cmd.LodgeComplaint(
        kind=cmd.Kind.COMPLAINT,
        channel=cmd.Channel.WEB,
        category="approval",
        title="审批超时",
        description="施工许可申请超过承诺时限未办结",
        complainant=cmd.ComplainantIn(name="黑龙江某某建设有限公司", credit_code=CODE),
        respondent_department=DEPT,
        urgent=urgent,
    )
    return decide.lodge(ctx, ENTERPRISE, at, body)


def fresh(case: Complaint) -> Complaint:
    """The case with its pending events taken, as stored."""
    case.collect_events()
    return case


# The fixtures' moves: accepted Tuesday 10:00, transferred Tuesday 11:00, replied
# Wednesday 10:00, approved Thursday 10:00.


def accepted() -> Complaint:
    case = fresh(lodge())
    decide.accept(CTX, case, CLERK, cst(9, 24), cmd.Accept())
    return fresh(case)


def transferred() -> Complaint:
    case = accepted()
    decide.transfer(CTX, case, CLERK, cst(9, 24, 11), cmd.Transfer(department=DEPT))
    return fresh(case)


def replied() -> Complaint:
    case = transferred()
    decide.reply(CTX, case, DEPARTMENT, cst(9, 25), cmd.Reply(answer="已办结"))
    return fresh(case)


def awaiting_rating() -> Complaint:
    case = replied()
    decide.review(CTX, case, SUPERVISOR, cst(9, 26), cmd.Review(approved=True))
    return fresh(case)


def remind(case: Complaint, actor: Actor, at: datetime, note: str | None = None) -> None:
    decide.remind(CTX, case, actor, at, cmd.Remind(note=note))


# --- §2: the SLA policy -------------------------------------------------------------------


def test_the_policy_names_every_step_with_its_documented_default() -> None:
    # Given the shipped policy, Then each of the bureau's steps has its working days.
    assert (SLA.acceptance_days(urgent=False), SLA.acceptance_days(urgent=True)) == (1, 0)
    assert (SLA.transfer_days(urgent=False), SLA.transfer_days(urgent=True)) == (1, 0)
    assert (SLA.review_working_days, SLA.rating_window_working_days) == (2, 5)
    # And every open status waits on one step, owned by the bureau, the department or the
    # enterprise; the watcher reminds all but the enterprise's rating window.
    assert set(STEP_OF) == {s for s in Status if s not in (Status.REJECTED, Status.CLOSED,
                                                            Status.WITHDRAWN)}  # fmt: skip
    assert OWNER_OF == {
        "acceptance": "bureau",
        "transfer": "bureau",
        "handling": "department",
        "review": "bureau",
        "rating": "enterprise",
    }
    assert {"acceptance", "transfer", "handling", "review"} == SYSTEM_REMINDED


# --- §2: acceptance ------------------------------------------------------------------------


def test_acceptance_is_due_the_next_working_day_and_an_urgent_one_the_same_day() -> None:
    # When a case is lodged on Monday 10:00
    case = lodge()
    # Then it must be accepted or rejected by Tuesday 17:30, and the event says how.
    (event,) = case.collect_events()
    assert (event.acceptance_due, event.acceptance_working_days) == (close_of(9, 24), 1)
    assert (event.urgent, case.urgent) == (False, False)
    assert case.current_deadline == ("acceptance", close_of(9, 24))
    # When an urgent one (急事) is lodged at the same time
    urgent = lodge(urgent=True)
    (event,) = urgent.collect_events()
    # Then it is due by the end of that same working day.
    assert (event.acceptance_due, event.acceptance_working_days) == (close_of(9, 23), 0)
    assert (event.urgent, urgent.urgent) == (True, True)


def test_an_urgent_case_lodged_after_office_hours_is_due_the_next_working_day() -> None:
    # Given Friday 27 September 18:00, after office hours; Saturday and Sunday: the 29th
    # is a working day in 2024.
    case = lodge(urgent=True, at=cst(9, 27, 18))
    assert case.acceptance_due == close_of(9, 29)


# --- §2: transfer ----------------------------------------------------------------------


def test_an_accepted_case_must_be_transferred_within_one_working_day() -> None:
    # Given a case lodged Monday; When it is accepted on Tuesday 10:00
    case = fresh(lodge())
    decide.accept(CTX, case, CLERK, cst(9, 24), cmd.Accept())
    # Then the event carries the transfer's deadline: Wednesday 17:30, 1 working day.
    (event,) = then_events(case, "Accepted")
    assert (event.transfer_due, event.transfer_due_provisional) == (close_of(9, 25), False)
    assert event.transfer_working_days == 1
    assert case.current_deadline == ("transfer", close_of(9, 25))
    assert case.acceptance_due is None


def test_an_urgent_case_is_transferred_the_same_day_and_accept_keeps_the_lodged_urgency() -> None:
    # Given a case lodged urgent; When accepted without saying (urgent: null)
    case = fresh(lodge(urgent=True))
    decide.accept(CTX, case, CLERK, cst(9, 24), cmd.Accept())
    # Then it stays urgent and must be transferred by the end of the same day.
    (event,) = then_events(case, "Accepted")
    assert (event.urgent, event.transfer_due, event.transfer_working_days) == (
        True,
        close_of(9, 24),
        0,
    )
    # When a clerk accepts another urgent one saying it is not urgent after all
    case = fresh(lodge(urgent=True))
    decide.accept(CTX, case, CLERK, cst(9, 24), cmd.Accept(urgent=False))
    (event,) = then_events(case, "Accepted")
    # Then the ordinary day applies.
    assert (event.urgent, event.transfer_due) == (False, close_of(9, 25))


def test_a_send_back_gives_the_bureau_a_new_transfer_deadline() -> None:
    # Given a case transferred Tuesday; When the department sends it back Friday 10:00
    case = transferred()
    decide.send_back(CTX, case, DEPARTMENT, cst(9, 27), cmd.SendBack(reason="不属于本部门"))
    # Then the bureau must transfer it again within 1 working day: Sunday 29th (worked).
    (event,) = then_events(case, "SentBack")
    assert (event.transfer_due, event.transfer_working_days) == (close_of(9, 29), 1)
    assert case.current_deadline == ("transfer", close_of(9, 29))
    assert case.handling_due is None


def test_a_transfer_ends_the_transfer_step() -> None:
    case = transferred()
    assert case.transfer_due is None
    assert case.current_deadline == ("handling", case.handling_due)


# --- §2: review and the rating window ----------------------------------------------------


def test_a_reply_must_be_reviewed_within_two_working_days() -> None:
    # Given a transferred case; When the department replies Wednesday 10:00
    case = transferred()
    decide.reply(CTX, case, DEPARTMENT, cst(9, 25), cmd.Reply(answer="已办结"))
    # Then the supervisors must review it by Friday 17:30.
    (event,) = then_events(case, "Replied")
    assert (event.review_due, event.review_working_days) == (close_of(9, 27), 2)
    assert case.current_deadline == ("review", close_of(9, 27))


def test_an_approving_review_opens_a_five_working_day_rating_window() -> None:
    # Given a replied case; When the supervisor approves Thursday 26th 10:00
    case = replied()
    decide.review(CTX, case, SUPERVISOR, cst(9, 26), cmd.Review(approved=True))
    # Then the enterprise may rate until the 5th working day: 27, 29 (worked), 30
    # September, then National Day, 8 and 9 October.
    (event,) = then_events(case, "Reviewed")
    assert (event.rating_due, event.rating_working_days) == (close_of(10, 9), 5)
    assert case.current_deadline == ("rating", close_of(10, 9))
    assert (case.review_due, case.reviewed_at) == (None, cst(9, 26))


def test_a_review_sending_the_reply_back_opens_no_rating_window() -> None:
    case = replied()
    decide.review(CTX, case, SUPERVISOR, cst(9, 26), cmd.Review(approved=False, note="请补充"))
    (event,) = then_events(case, "Reviewed")
    assert (event.rating_due, event.rating_due_provisional, event.rating_working_days) == (
        None,
        None,
        None,
    )
    assert case.current_step == "handling"
    assert (case.review_due, case.rating_due) == (None, None)


def test_the_enterprise_rates_inside_the_window_and_not_after() -> None:
    # Given the window ends 9 October 17:30
    case = awaiting_rating()
    stored = [case.rating_due, case.version]
    # When the enterprise rates a minute after it
    with pytest.raises(MoveNotAllowed) as error:
        decide.rate(CTX, case, ENTERPRISE, cst(10, 9, 17, 31), cmd.Rate(rating=Rating.SATISFIED))
    # Then it is refused, and nothing changes.
    assert refused(error) == (
        "rate",
        Status.AWAITING_RATING,
        "the rating window closed at 2024-10-09T17:30:00+08:00",
    )
    assert [case.rating_due, case.version] == stored
    assert case.collect_events() == []
    # When it rates at the window's last instant, Then that counts.
    decide.rate(CTX, case, ENTERPRISE, close_of(10, 9), cmd.Rate(rating=Rating.SATISFIED))
    assert (case.status, case.rating, case.rating_due) == (Status.CLOSED, Rating.SATISFIED, None)


def test_the_window_passed_unrated_closes_the_case_as_not_rated() -> None:
    case = awaiting_rating()
    # When the system tries at the window's end: refused, it has not passed.
    with pytest.raises(MoveNotAllowed) as error:
        case.close_unrated(SYSTEM, close_of(10, 9))
    assert refused(error) == (
        "close-unrated",
        Status.AWAITING_RATING,
        "the rating window has not passed",
    )
    assert case.collect_events() == []
    # When it comes after the window
    later = cst(10, 9, 17, 31)
    decide.close_unrated(CTX, case, SYSTEM, later, cmd.CloseUnrated())
    # Then one ClosedUnrated event by the system, the case is closed and not rated (no
    # level of the scale, so never counted as satisfied).
    then(
        case,
        (
            "ClosedUnrated",
            {
                "timestamp": later,
                "actor": SYSTEM,
                "rating": NOT_RATED,
                "rating_due": close_of(10, 9),
            },
        ),
    )
    assert (case.status, case.closed_at, case.rating, case.rating_shown) == (
        Status.CLOSED,
        later,
        None,
        NOT_RATED,
    )
    assert (case.rating_due, case.current_deadline, case.open_deadlines()) == (None, None, [])
    # And nobody rates it any more.
    with pytest.raises(MoveNotAllowed):
        decide.rate(CTX, case, ENTERPRISE, later, cmd.Rate(rating=Rating.SATISFIED))


def test_a_case_closed_by_a_rating_or_withdrawn_has_no_window_left() -> None:
    case = awaiting_rating()
    decide.withdraw(CTX, case, ENTERPRISE, cst(9, 27), cmd.Withdraw(reason="已解决"))
    assert (case.rating_due, case.current_deadline) == (None, None)
    with pytest.raises(MoveNotAllowed) as error:
        case.close_unrated(SYSTEM, cst(10, 10))
    assert refused(error) == ("close-unrated", Status.WITHDRAWN, None)


# --- §2: reminders and escalations of the new steps --------------------------------------


@pytest.mark.parametrize(
    ("make", "step", "due"),
    [
        (accepted, "transfer", close_of(9, 25)),
        (replied, "review", close_of(9, 27)),
    ],
)
def test_the_watcher_reminds_then_escalates_the_bureaus_own_steps(
    make: Any, step: str, due: datetime
) -> None:
    case = make()
    # When the system comes at the deadline: refused, not passed yet.
    with pytest.raises(MoveNotAllowed) as error:
        remind(case, SYSTEM, due)
    assert refused(error)[2] == "the deadline has not passed"
    # When it comes the next morning (30 September, a Monday)
    late = cst(9, 30, 9)
    remind(case, SYSTEM, late)
    # Then one reminder about the step, with 5 working days' grace (8-12 October, the
    # 12th a Saturday worked).
    grace = close_of(10, 12)
    then(
        case,
        (
            "Reminded",
            {
                "timestamp": late,
                "actor": SYSTEM,
                "step": step,
                "due": due,
                "escalate_after": grace,
                "note": None,
            },
        ),
    )
    assert case.open_reminders == [Reminder(at=late, by=SYSTEM, step=step, due=due)]
    with pytest.raises(MoveNotAllowed) as error:
        remind(case, SYSTEM, late + timedelta(hours=1))
    assert refused(error)[2] == "this deadline was already reminded"
    # When the grace has run out, Then an escalation: level 1, at that time.
    with pytest.raises(MoveNotAllowed):
        decide.escalate(CTX, case, SYSTEM, grace - timedelta(minutes=1), cmd.Escalate())
    decide.escalate(CTX, case, SYSTEM, grace, cmd.Escalate())
    then(
        case,
        (
            "Escalated",
            {"timestamp": grace, "actor": SYSTEM, "step": step, "due": due, "level": 1},
        ),
    )
    assert (case.escalation_level, case.escalated_at) == (1, grace)


def test_the_watcher_never_reminds_the_rating_window() -> None:
    case = awaiting_rating()
    with pytest.raises(MoveNotAllowed) as error:
        remind(case, SYSTEM, cst(10, 10))
    assert refused(error) == ("remind", Status.AWAITING_RATING, NO_RATING_REMINDER)
    assert case.collect_events() == []
    with pytest.raises(MoveNotAllowed):
        decide.escalate(CTX, case, SYSTEM, cst(10, 30), cmd.Escalate())


# --- §3: reminders by hand, open reminders and escalation levels --------------------------


def test_a_supervisor_reminds_by_hand_with_a_note_before_the_deadline() -> None:
    case = accepted()
    # When a supervisor reminds without a note: 422 naming the note, nothing recorded.
    with pytest.raises(RuleViolated) as error:
        remind(case, SUPERVISOR, cst(9, 24, 11))
    assert (error.value.field, error.value.rule) == ("note", NOTE_RULE)
    assert case.collect_events() == []
    # When with a note, before the transfer is due
    at = cst(9, 24, 11)
    remind(case, SUPERVISOR, at, "请今天转办")
    # Then a Reminded event by the supervisor with the note; it does not stand as the
    # deadline's reminder (no escalate_after), so the watcher still reminds when late.
    then(
        case,
        (
            "Reminded",
            {
                "timestamp": at,
                "actor": SUPERVISOR,
                "step": "transfer",
                "due": close_of(9, 25),
                "escalate_after": None,
                "note": "请今天转办",
            },
        ),
    )
    assert case.open_reminders == [
        Reminder(at=at, by=SUPERVISOR, step="transfer", due=close_of(9, 25), note="请今天转办")
    ]
    assert (case.reminded_step, case.reminded_due, case.escalate_after) == (None, None, None)
    assert case.reminders == 1
    remind(case, SYSTEM, cst(9, 26, 9))
    (event,) = then_events(case, "Reminded")
    assert event.actor == SYSTEM
    assert [r.by for r in case.open_reminders] == [SUPERVISOR, SYSTEM]


def test_a_reminder_by_hand_after_the_deadline_stands_as_its_reminder() -> None:
    case = accepted()
    late = cst(9, 26, 9)
    remind(case, SUPERVISOR, late, "已超期，请立即转办")
    (event,) = then_events(case, "Reminded")
    # Then it carries the grace and the watcher does not remind the same deadline.
    assert event.escalate_after == close_of(10, 9)  # 27, 29, 30 Sep, 8, 9 Oct
    assert (case.reminded_step, case.reminded_due) == ("transfer", close_of(9, 25))
    with pytest.raises(MoveNotAllowed) as error:
        remind(case, SYSTEM, late + timedelta(hours=1))
    assert refused(error)[2] == "this deadline was already reminded"
    # But another supervisor may remind again by hand (it changes no key).
    remind(case, OTHER_SUPERVISOR, late + timedelta(hours=2), "再次催办")
    (event,) = then_events(case, "Reminded")
    assert event.escalate_after is None
    # And the escalation follows the first reminder's grace.
    decide.escalate(CTX, case, SYSTEM, close_of(10, 9), cmd.Escalate())
    assert case.escalation_level == 1


def test_reminders_by_hand_on_any_open_step_even_the_rating_window() -> None:
    case = awaiting_rating()
    remind(case, SUPERVISOR, cst(9, 27), "请企业尽快评价")
    (event,) = then_events(case, "Reminded")
    assert (event.step, event.due, event.escalate_after) == ("rating", close_of(10, 9), None)


def test_no_reminder_on_a_final_case() -> None:
    case = awaiting_rating()
    decide.close_unrated(CTX, case, SYSTEM, cst(10, 10), cmd.CloseUnrated())
    case.collect_events()
    with pytest.raises(MoveNotAllowed) as error:
        remind(case, SUPERVISOR, cst(10, 11), "催办")
    assert refused(error) == ("remind", Status.CLOSED, None)


def test_escalation_levels_count_per_step_and_start_afresh_on_the_next_step() -> None:
    # Given a transferred case (handling due 10 working days after 24 Sep: 12 Oct)
    case = transferred()
    first_due = case.handling_due
    assert first_due == close_of(10, 12)
    remind(case, SYSTEM, cst(10, 16))
    decide.escalate(CTX, case, SYSTEM, close_of(10, 23), cmd.Escalate())
    assert (case.escalation_level, case.escalated_at) == (1, close_of(10, 23))
    # When an extension moves the deadline and the new one passes too
    decide.request_extension(
        CTX, case, DEPARTMENT, cst(10, 24), cmd.RequestExtension(working_days=2, reason="核查")
    )
    decide.decide_extension(CTX, case, SUPERVISOR, cst(10, 24, 11), cmd.DecideExtension(
        approved=True))  # fmt: skip
    new_due = case.handling_due
    assert new_due == close_of(10, 15)  # two working days after the first due
    # (already passed when approved: reminded and escalated again as a new deadline)
    remind(case, SYSTEM, cst(10, 24, 12))
    escalated_again = case.escalate_after
    assert escalated_again is not None
    decide.escalate(CTX, case, SYSTEM, escalated_again, cmd.Escalate())
    (*_, event) = case.collect_events()
    # Then the step's level is 2, and it shows every reminder of the step.
    assert (type(event).__name__, event.level) == ("Escalated", 2)
    assert (case.escalation_level, case.escalated_at) == (2, escalated_again)
    assert [r.due for r in case.open_reminders] == [first_due, new_due]
    # When the department replies, Then the new step (review) starts with none.
    decide.reply(CTX, case, DEPARTMENT, escalated_again, cmd.Reply(answer="已办结"))
    assert (case.open_reminders, case.escalation_level, case.escalated_at) == ([], 0, None)
    assert case.reminders == 2  # the case's total is kept


# --- §5: ratings taken by phone -------------------------------------------------------------


def record(case: Complaint, at: datetime, **overrides: Any) -> None:
    fields: dict[str, Any] = {
        "rating": Rating.SATISFIED,
        "call_reference": "12345-20240927-0008",
        "called_at": cst(9, 27, 9, 40),
        "comment": "电话回访",
    }
    fields.update(overrides)
    decide.record_rating(CTX, case, CLERK, at, cmd.RecordRating(**fields))


def test_a_clerk_records_the_rating_given_by_phone() -> None:
    case = awaiting_rating()
    at = cst(9, 27)
    record(case, at)
    # Then a Rated event by the clerk, for the enterprise, naming the call.
    then(
        case,
        (
            "Rated",
            {
                "timestamp": at,
                "actor": CLERK,
                "rating": Rating.SATISFIED,
                "comment": "电话回访",
                "due": None,
                "due_provisional": None,
                "working_days": None,
                "channel": Channel.HOTLINE,
                "call_reference": "12345-20240927-0008",
                "called_at": cst(9, 27, 9, 40),
                "recorded_for": CODE,
            },
        ),
    )
    assert (case.status, case.rating, case.rating_channel) == (
        Status.CLOSED,
        Rating.SATISFIED,
        Channel.HOTLINE,
    )
    assert (case.rating_recorded_by, case.rating_called_at) == (CLERK, cst(9, 27, 9, 40))
    # And the enterprise may not rate after it.
    with pytest.raises(MoveNotAllowed) as error:
        decide.rate(CTX, case, ENTERPRISE, cst(9, 28), cmd.Rate(rating=Rating.UNSATISFIED))
    assert refused(error) == ("rate", Status.CLOSED, None)


@pytest.mark.parametrize(
    ("called_at", "rule"),
    [
        (cst(9, 27, 10, 1), "must not be after the rating is recorded"),
        (
            cst(9, 26, 9, 59),
            "must not be before the rating window opened (2024-09-26T10:00:00+08:00)",
        ),
    ],
)
def test_the_call_must_be_inside_the_window_and_before_the_recording(
    called_at: datetime, rule: str
) -> None:
    case = awaiting_rating()
    before = case.version
    with pytest.raises(RuleViolated) as error:
        record(case, cst(9, 27), called_at=called_at)
    assert (error.value.field, error.value.rule) == ("called_at", rule)
    assert (case.collect_events(), case.version, case.status) == (
        [],
        before,
        Status.AWAITING_RATING,
    )


def test_a_call_after_the_window_is_refused() -> None:
    case = awaiting_rating()
    with pytest.raises(RuleViolated) as error:
        record(case, cst(10, 10), called_at=cst(10, 9, 18))
    assert error.value.rule == "must be within the rating window (until 2024-10-09T17:30:00+08:00)"
    assert case.collect_events() == []
    # A call inside it, recorded a little after (before the watcher closed the case): kept.
    record(case, cst(10, 9, 17, 50), called_at=cst(10, 9, 17))
    assert case.status is Status.CLOSED


def test_the_enterprise_rates_itself_when_nothing_was_recorded_and_nobody_records_after() -> None:
    case = awaiting_rating()
    decide.rate(CTX, case, ENTERPRISE, cst(9, 27), cmd.Rate(rating=Rating.VERY_SATISFIED))
    (event,) = then_events(case, "Rated")
    assert (event.actor, event.recorded_for, event.channel) == (ENTERPRISE, None, None)
    assert case.rating_recorded_by is None
    with pytest.raises(MoveNotAllowed) as error:
        record(case, cst(9, 28), called_at=cst(9, 27, 12))
    assert refused(error) == ("record-rating", Status.CLOSED, None)


def test_an_unsatisfied_rating_by_phone_redoes_and_the_next_round_is_the_enterprises_again() -> (
    None
):
    case = awaiting_rating()
    record(case, cst(9, 27), rating=Rating.UNSATISFIED)
    assert (case.status, case.redo_count, case.department) == (Status.TRANSFERRED, 1, DEPT)
    assert case.rating_recorded_by == CLERK
    decide.reply(CTX, case, DEPARTMENT, cst(9, 30), cmd.Reply(answer="已重新办理"))
    decide.review(CTX, case, SUPERVISOR, cst(9, 30, 11), cmd.Review(approved=True))
    decide.rate(CTX, case, ENTERPRISE, cst(10, 8), cmd.Rate(rating=Rating.SATISFIED))
    assert (case.status, case.rating, case.rating_recorded_by) == (
        Status.CLOSED,
        Rating.SATISFIED,
        None,
    )


# --- §1 machinery covers the new steps ---------------------------------------------------


def write_2027(path: Path) -> Path:
    path.write_text(
        json.dumps(
            {
                "year": 2027,
                "holidays": ["2027-01-01", "2027-01-04"],
                "workdays": [],
                "source": "TEST DATA - made up for this test, not an official schedule",
            }
        ),
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("step", ["transfer", "review", "rating"])
def test_a_provisional_due_of_a_bureau_step_is_recomputed_when_the_year_is_loaded(
    tmp_path: Path, step: str
) -> None:
    # Given a calendar without 2027's schedule, a move on Thursday 31 December 2026
    calendar = calendar_for(SLA, [tmp_path / "calendar"])
    ctx = Ctx(calendar, SLA)
    at = cst(12, 31, 10, year=2026)
    case = fresh(lodge(at=at - timedelta(days=1), ctx=ctx))
    if step == "transfer":
        decide.accept(ctx, case, CLERK, at, cmd.Accept())
    else:
        decide.accept(ctx, case, CLERK, at - timedelta(hours=2), cmd.Accept())
        decide.transfer(ctx, case, CLERK, at - timedelta(hours=1), cmd.Transfer(department=DEPT))
        if step == "review":
            decide.reply(ctx, case, DEPARTMENT, at, cmd.Reply(answer="已办结"))
        else:
            decide.reply(ctx, case, DEPARTMENT, at - timedelta(minutes=30), cmd.Reply(answer="x"))
            decide.review(ctx, case, SUPERVISOR, at, cmd.Review(approved=True))
    events = case.collect_events()
    # Then the step's due counts days of 2027 on the provisional calendar, and says so.
    assert case.current_step == step
    assert getattr(events[-1], f"{step}_due_provisional") is True
    assert case.due_provisional is True
    provisional = case.current_deadline
    assert provisional is not None
    # When 2027's file is loaded (1 and 4 January off), the system recomputes
    install_year_file(write_2027(tmp_path / "2027.json"), tmp_path / "calendar")
    decide.recompute_deadlines(
        ctx, case, SYSTEM, at + timedelta(hours=1), deadlines.RecomputeDeadlines()
    )
    (event,) = then_events(case, "DeadlineRecomputed")
    # Then one DeadlineRecomputed of that step, from the provisional due to the new one.
    new_due = calendar.compute(getattr(case, f"{step}_basis"))
    assert (event.step, event.old_due, event.new_due, event.due_provisional) == (
        step,
        provisional[1],
        new_due.at,
        False,
    )
    assert event.new_due != event.old_due
    assert case.current_deadline == (step, new_due.at)
    assert case.due_provisional is False


# --- helpers -------------------------------------------------------------------------------


def then_events(case: Complaint, *names: str) -> list[Any]:
    """The events the last moves recorded, checked by name."""
    events = case.collect_events()
    assert [type(e).__name__ for e in events] == list(names)
    return events
