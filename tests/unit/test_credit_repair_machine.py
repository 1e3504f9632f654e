"""A hypothesis state machine for the CreditRepair aggregate.

One rule per command. Each rule draws its actor among the roles that may ever make the
move (MOVE_ROLES): two supervisors and a clerk (so the re-review is sometimes by the
initial reviewer), the applying enterprise or another one. A small model predicts every
outcome from the transition table (MOVE_FROM) and the documented rules: an allowed move
records exactly one event and lands in the modeled status; a move the table forbids
raises MoveNotAllowed, a refusal without a reason RuleViolated, and neither changes
anything. Time moves by minutes to days, so reviews are sometimes late; the on-time
flags must match the model, and the credit_repair_register fold of the stored events
must agree with the case. The deadline watcher's moves (remind, escalate) are rules too,
made by the system actor at any time: the model says when each is refused and why.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.credit_repair import (
    FINAL_STATUSES,
    MOVE_FROM,
    MOVE_ROLES,
    NOT_THE_APPLICANT,
    SAME_REVIEWER,
    CreditRepair,
    Stage,
    Status,
)
from domain.errors import MoveNotAllowed, RuleViolated
from domain.mapper import MsgspecMapper, decode_event_state
from domain.values import Actor, Role
from projections.credit_repair_register import HANDLERS
from projections.runner import StoredEvent
from tests.gwt import given
from tests.unit.test_credit_repair import (
    APPLIED_AT,
    CALENDAR,
    CLERK,
    CODE,
    OTHER_CODE,
    OTHER_SUPERVISOR,
    REVIEW_DUE,
    SUPERVISOR,
    SYSTEM,
    apply,
)

MAPPER = MsgspecMapper()

ORGS: dict[Role, list[str | None]] = {
    Role.ENTERPRISE: [CODE, OTHER_CODE],
    Role.CLERK: [None],
    Role.SUPERVISOR: [None],
}
USERS: dict[Role, list[str]] = {
    Role.ENTERPRISE: ["ent-1"],
    Role.CLERK: [CLERK.id],
    Role.SUPERVISOR: [SUPERVISOR.id, OTHER_SUPERVISOR.id],
}


def actors_for(move: str, *, right_org_last: bool = False) -> st.SearchStrategy[Actor]:
    actors = [
        Actor(id=user, role=role, org=org)
        for role in sorted(MOVE_ROLES[move])
        for user in USERS[role]
        for org in ORGS[role]
    ]
    # Hypothesis favours the first element; the right organisation last makes a
    # withdrawal (which ends the case) succeed less often, so runs go deeper.
    return st.sampled_from(actors[::-1] if right_org_last else actors)


# Mostly well inside the day, sometimes past the due (one working day is at most a few
# days here: the histories start on Monday 2024-09-23).
steps = st.one_of(
    st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(hours=3)),
    st.timedeltas(min_value=timedelta(hours=3), max_value=timedelta(days=2)),
)
# First elements are drawn most often: a real reason, then the missing ones.
reasons = st.sampled_from(["整改材料不全", None, "", "  "])
# Passing first, so runs reach the later moves.
verdicts = st.sampled_from([True, False])
# The watcher's waits: sometimes long enough for a reminder's grace to run out.
waits = st.one_of(steps, st.timedeltas(min_value=timedelta(days=3), max_value=timedelta(days=9)))

NOT_PASSED = "the deadline has not passed"
ALREADY_REMINDED = "this deadline was already reminded"
NOT_REMINDED = "this deadline was not reminded yet"
ALREADY_ESCALATED = "this deadline was already escalated"
GRACE = "the reminder's grace has not run out"


class CreditRepairMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = APPLIED_AT
        self.case = apply()
        self.applied = list(self.case.collect_events())
        self.recorded: list[CreditRepair.Event] = []
        self.final: Status | None = None
        # the model
        self.status = Status.APPLIED
        self.initial_reviewer: str | None = None
        self.initial_on_time: bool | None = None
        self.re_review_on_time: bool | None = None
        self.refused_stage: Stage | None = None
        self.reminded: tuple[str, datetime] | None = None
        self.escalate_after: datetime | None = None
        self.escalated: tuple[str, datetime] | None = None
        self.reminders = 0

    # deepest first: hypothesis favours the first element
    @initialize(
        moves=st.sampled_from([3, 2, 1, 0]),
        reviewer=st.sampled_from([SUPERVISOR, CLERK, OTHER_SUPERVISOR]),
    )
    def start(self, moves: int, reviewer: Actor) -> None:
        """Make the first `moves` moves of an ordinary life, on time, with `reviewer` as the
        initial reviewer (a supervisor, so a later re-review may be by the same user)."""
        minute = timedelta(minutes=30)
        re_reviewer = OTHER_SUPERVISOR if reviewer == SUPERVISOR else SUPERVISOR
        life: list[Callable[[], None]] = [
            lambda: self.initial_review(reviewer, True, None, minute),
            lambda: self.re_review(re_reviewer, True, None, minute),
            lambda: self.submit(CLERK, None, minute),
        ]
        for move in life[:moves]:
            move()
        assert len(self.recorded) == moves

    def tick(self, step: timedelta) -> datetime:
        self.now += step
        return self.now

    def make(
        self,
        move: str,
        call: Callable[[], None],
        *,
        target: Status,
        refusal: str | None = None,
        missing_reason: bool = False,
    ) -> bool:
        """Make the move; `refusal` is why a rule besides the table forbids it (409), and
        `missing_reason` whether a refusal lacks its reason (422)."""
        version, status = self.case.version, self.case.status
        allowed = self.status in MOVE_FROM[move]
        if allowed and refusal is None and not missing_reason:
            call()
            new = self.case.collect_events()
            assert len(new) == 1
            assert new[0].originator_version == version + 1
            assert new[0].actor is not None
            assert new[0].timestamp == self.now
            self.recorded += new
            assert self.case.status is target
            self.status = target
            event(f"{move} -> {target}")
            return True
        if allowed and refusal is None:
            with pytest.raises(RuleViolated) as violation:
                call()
            assert violation.value.field == "reason"
            event(f"{move} refused without a reason")
        else:
            with pytest.raises(MoveNotAllowed) as error:
                call()
            expected_why = refusal if allowed else None
            event(f"{move} refused: {expected_why or 'status'}")
            assert (error.value.move, error.value.status, error.value.why) == (
                move,
                status,
                expected_why,
            )
        assert (self.case.version, self.case.status) == (version, status)
        assert self.case.collect_events() == []
        return False

    # --- one rule per command -------------------------------------------------------

    @rule(actor=actors_for("initial-review"), passed=verdicts, reason=reasons, step=steps)
    def initial_review(
        self, actor: Actor, passed: bool, reason: str | None, step: timedelta
    ) -> None:
        at = self.tick(step)
        if self.make(
            "initial-review",
            lambda: self.case.initial_review(actor, at, passed=passed, reason=reason),
            target=Status.INITIALLY_REVIEWED if passed else Status.REFUSED,
            missing_reason=not passed and not (reason and reason.strip()),
        ):
            self.initial_reviewer = actor.id
            self.initial_on_time = at <= REVIEW_DUE
            if not passed:
                self.refused_stage = Stage.INITIAL_REVIEW

    @rule(actor=actors_for("re-review"), passed=verdicts, reason=reasons, step=steps)
    def re_review(self, actor: Actor, passed: bool, reason: str | None, step: timedelta) -> None:
        at = self.tick(step)
        if self.make(
            "re-review",
            lambda: self.case.re_review(actor, at, passed=passed, reason=reason),
            target=Status.RE_REVIEWED if passed else Status.REFUSED,
            refusal=SAME_REVIEWER if actor.id == self.initial_reviewer else None,
            missing_reason=not passed and not (reason and reason.strip()),
        ):
            self.re_review_on_time = at <= REVIEW_DUE
            if not passed:
                self.refused_stage = Stage.RE_REVIEW

    @rule(actor=actors_for("submit"), note=st.sampled_from([None, "已报送"]), step=steps)
    def submit(self, actor: Actor, note: str | None, step: timedelta) -> None:
        at = self.tick(step)
        self.make(
            "submit",
            lambda: self.case.submit(actor, at, note=note),
            target=Status.SUBMITTED,
        )

    @rule(actor=actors_for("record-outcome"), repaired=verdicts, reason=reasons, step=steps)
    def record_outcome(
        self, actor: Actor, repaired: bool, reason: str | None, step: timedelta
    ) -> None:
        at = self.tick(step)
        if (
            self.make(
                "record-outcome",
                lambda: self.case.record_outcome(actor, at, repaired=repaired, reason=reason),
                target=Status.REPAIRED if repaired else Status.REFUSED,
                missing_reason=not repaired and not (reason and reason.strip()),
            )
            and not repaired
        ):
            self.refused_stage = Stage.NATIONAL_CENTRE

    @rule(actor=actors_for("withdraw", right_org_last=True), step=steps)
    def withdraw(self, actor: Actor, step: timedelta) -> None:
        at = self.tick(step)
        self.make(
            "withdraw",
            lambda: self.case.withdraw(actor, at, reason="暂不申请修复"),
            target=Status.WITHDRAWN,
            refusal=None if actor.org == CODE else NOT_THE_APPLICANT,
        )

    def deadline(self) -> tuple[str, datetime] | None:
        """The review the model waits on and its due."""
        if self.status is Status.APPLIED:
            return "initial_review", REVIEW_DUE
        if self.status is Status.INITIALLY_REVIEWED:
            return "re_review", REVIEW_DUE
        return None

    @rule(step=waits)
    def remind(self, step: timedelta) -> None:
        at = self.tick(step)
        deadline = self.deadline()
        escalate_after = CALENDAR.due_at(at, 5)
        refusal = None
        if deadline is None or at <= deadline[1]:
            refusal = NOT_PASSED
        elif self.reminded == deadline:
            refusal = ALREADY_REMINDED
        if self.make(
            "remind",
            lambda: self.case.remind(SYSTEM, at, escalate_after=escalate_after),
            target=self.status,
            refusal=refusal,
        ):
            self.reminded, self.escalate_after = deadline, escalate_after
            self.reminders += 1

    @rule(step=waits)
    def escalate(self, step: timedelta) -> None:
        at = self.tick(step)
        deadline = self.deadline()
        refusal = None
        if deadline is None or at <= deadline[1]:
            refusal = NOT_PASSED
        elif self.reminded != deadline or self.escalate_after is None:
            refusal = NOT_REMINDED
        elif self.escalated == deadline:
            refusal = ALREADY_ESCALATED
        elif at < self.escalate_after:
            refusal = GRACE
        if self.make(
            "escalate",
            lambda: self.case.escalate(SYSTEM, at),
            target=self.status,
            refusal=refusal,
        ):
            self.escalated = deadline

    # --- invariants -------------------------------------------------------------------

    @invariant()
    def version_counts_every_event(self) -> None:
        assert self.case.version == 1 + len(self.recorded)
        last = self.recorded[-1].timestamp if self.recorded else APPLIED_AT
        assert self.case.modified_on == last

    @invariant()
    def status_and_flags_are_the_modeled_ones(self) -> None:
        assert self.case.status is self.status
        assert self.case.initial_on_time is self.initial_on_time
        assert self.case.re_review_on_time is self.re_review_on_time
        assert self.case.refused_stage is self.refused_stage
        assert (self.case.closed_at is not None) == (self.status in FINAL_STATUSES)
        assert (self.case.initial_review_due, self.case.re_review_due) == (REVIEW_DUE, REVIEW_DUE)

    @invariant()
    def reminders_are_the_modeled_ones(self) -> None:
        case = self.case
        assert (case.reminded_step, case.reminded_due) == (self.reminded or (None, None))
        assert (case.escalated_step, case.escalated_due) == (self.escalated or (None, None))
        assert (case.escalate_after, case.reminders) == (self.escalate_after, self.reminders)

    @invariant()
    def final_statuses_never_change(self) -> None:
        if self.final is not None:
            assert self.case.status is self.final
        elif self.case.status in FINAL_STATUSES:
            self.final = self.case.status

    @invariant()
    def a_re_review_is_never_by_the_initial_reviewer(self) -> None:
        if self.case.re_reviewed_by is not None:
            assert self.case.initial_reviewed_by is not None
            assert self.case.re_reviewed_by.id != self.case.initial_reviewed_by.id

    @invariant()
    def replaying_every_event_rebuilds_the_case(self) -> None:
        assert given(*self.applied, *self.recorded) == self.case

    @invariant()
    def the_register_row_agrees_with_the_case(self) -> None:
        row: dict = {}
        for position, domain_event in enumerate([*self.applied, *self.recorded], start=1):
            stored = MAPPER.to_stored_event(domain_event)
            e = StoredEvent(
                position=position,
                case_id=stored.originator_id,
                version=stored.originator_version,
                topic=stored.topic,
                data=decode_event_state(stored.topic, stored.state),
            )
            HANDLERS[e.type](row, e)
        case = self.case
        assert row["status"] == case.status.value
        assert (row["initial_on_time"], row["re_review_on_time"]) == (
            case.initial_on_time,
            case.re_review_on_time,
        )
        assert (row["initial_reviewed_at"], row["re_reviewed_at"]) == (
            case.initial_reviewed_at,
            case.re_reviewed_at,
        )
        assert row["submitted_at"] == case.submitted_at
        assert row["outcome"] == (case.outcome.value if case.outcome else None)
        assert row["refused_stage"] == (case.refused_stage.value if case.refused_stage else None)
        assert row["closed_at"] == case.closed_at
        assert (row["reminders"], row["reminded_step"], row["reminded_due"]) == (
            case.reminders,
            case.reminded_step,
            case.reminded_due,
        )
        assert (row["escalate_after"], row["escalated_step"], row["escalated_due"]) == (
            case.escalate_after,
            case.escalated_step,
            case.escalated_due,
        )


CreditRepairMachine.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=20,
    deadline=None,
)
TestCreditRepairMachine = CreditRepairMachine.TestCase
