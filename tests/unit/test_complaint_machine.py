"""A hypothesis state machine for the Complaint aggregate.

One rule per command. Each rule draws its actor among the roles that may ever make the
move (MOVE_ROLES), with an organisation that is sometimes the case's own department or
enterprise and sometimes not. A small model predicts every outcome from the transition
table (MOVE_FROM) and the documented targets: an allowed move records exactly one event
and lands in the modeled status; any other raises MoveNotAllowed and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.complaint import FINAL_STATUSES, MOVE_FROM, MOVE_ROLES, Complaint, Status
from domain.errors import MoveNotAllowed, RuleViolated
from domain.values import Actor, Rating, Role
from tests.gwt import given
from tests.unit.test_complaint import (
    CALENDAR,
    CLERK,
    CODE,
    DEPARTMENT,
    DEPT,
    LODGED_AT,
    OTHER_CODE,
    OTHER_DEPT,
    SUPERVISOR,
    lodge,
)

NOT_HANDLER = "the case is not with your department"
NOT_LODGER = "only the lodging enterprise may do this"

# The organisations an actor of each role may act for: the right one or a wrong one
# (an actor without one is covered in test_complaint.py).
ORGS: dict[Role, list[str | None]] = {
    Role.DEPARTMENT: [DEPT, OTHER_DEPT],
    Role.ENTERPRISE: [CODE, OTHER_CODE],
    Role.CLERK: [None],
    Role.SUPERVISOR: [None],
}


def actors_for(move: str, *, right_org_last: bool = False) -> st.SearchStrategy[Actor]:
    actors = [
        Actor(id=f"{role}-user", role=role, org=org)
        for role in sorted(MOVE_ROLES[move])
        for org in ORGS[role]
    ]
    # Hypothesis favours the first element; putting the right organisation last makes
    # a move that ends the case succeed less often, so runs go deeper.
    return st.sampled_from(actors[::-1] if right_org_last else actors)


steps = st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=2))
# First elements are drawn most often: a real note (so redos happen) and the ratings
# that send the case round again rather than end it.
notes = st.sampled_from(["请补充整改材料", None, ""])
ratings = st.sampled_from(
    [
        Rating.UNSATISFIED,
        Rating.VERY_UNSATISFIED,
        Rating.BASICALLY_SATISFIED,
        Rating.SATISFIED,
        Rating.VERY_SATISFIED,
    ]
)


class ComplaintMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = LODGED_AT
        self.case = lodge()
        self.lodged = list(self.case.collect_events())
        self.recorded: list[Complaint.Event] = []
        self.final: Status | None = None
        # the model
        self.status = Status.LODGED
        self.department: str | None = None
        self.handling_due: datetime | None = None
        self.extension_requested: int | None = None
        self.redo_count = 0
        self.supervision_count = 0

    # deepest first: hypothesis favours the first element, and late moves need a long walk
    @initialize(moves=st.sampled_from([5, 4, 3, 2, 1, 0]))
    def start(self, moves: int) -> None:
        """Make the first `moves` moves of an ordinary life, so runs reach the late moves
        too: lodged, accepted, transferred, extension pending, replied, awaiting rating."""
        hour = timedelta(hours=1)
        life: list[Callable[[], None]] = [
            lambda: self.accept(CLERK, None, False, hour),
            lambda: self.transfer(CLERK, DEPT, 10, hour),
            lambda: self.request_extension(DEPARTMENT, 5, hour),
            lambda: self.reply(DEPARTMENT, hour),
            lambda: self.review(SUPERVISOR, True, None, hour),
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
    ) -> bool:
        """Make the move; `refusal` is why a rule besides the table forbids it, if one does."""
        version, status = self.case.version, self.case.status
        if self.status in MOVE_FROM[move] and refusal is None:
            call()
            new = self.case.collect_events()
            assert len(new) == 1
            assert new[0].originator_version == version + 1
            self.recorded += new
            assert self.case.version == version + 1
            assert self.case.status is target
            self.status = target
            event(f"{move} recorded")
            return True
        with pytest.raises(MoveNotAllowed) as error:
            call()
        expected_why = refusal if self.status in MOVE_FROM[move] else None
        assert (error.value.move, error.value.status, error.value.why) == (
            move,
            status,
            expected_why,
        )
        assert (self.case.version, self.case.status) == (version, status)
        assert self.case.collect_events() == []
        return False

    def handler_refusal(self, actor: Actor) -> str | None:
        return None if actor.org == self.department else NOT_HANDLER

    def lodger_refusal(self, actor: Actor) -> str | None:
        return None if actor.org == CODE else NOT_LODGER

    # --- one rule per command -------------------------------------------------------

    @rule(actor=actors_for("accept"), note=notes, urgent=st.booleans(), step=steps)
    def accept(self, actor: Actor, note: str | None, urgent: bool, step: timedelta) -> None:
        at = self.tick(step)
        self.make(
            "accept",
            lambda: self.case.accept(actor, at, note=note, urgent=urgent),
            target=Status.ACCEPTED,
        )

    @rule(actor=actors_for("reject"), step=steps)
    def reject(self, actor: Actor, step: timedelta) -> None:
        at = self.tick(step)
        self.make(
            "reject",
            lambda: self.case.reject(actor, at, reason="不属于受理范围"),
            target=Status.REJECTED,
        )

    @rule(
        actor=actors_for("transfer"),
        department=st.sampled_from([DEPT, OTHER_DEPT]),
        working_days=st.integers(0, 15),
        step=steps,
    )
    def transfer(self, actor: Actor, department: str, working_days: int, step: timedelta) -> None:
        at = self.tick(step)
        due = CALENDAR.due_at(at, working_days)
        if self.make(
            "transfer",
            lambda: self.case.transfer(
                actor, at, department=department, working_days=working_days, due=due
            ),
            target=Status.TRANSFERRED,
        ):
            self.department = department
            self.handling_due = due

    @rule(actor=actors_for("send-back"), step=steps)
    def send_back(self, actor: Actor, step: timedelta) -> None:
        at = self.tick(step)
        if self.make(
            "send-back",
            lambda: self.case.send_back(actor, at, reason="不属于本部门职责"),
            target=Status.ACCEPTED,
            refusal=self.handler_refusal(actor),
        ):
            self.department = None
            self.handling_due = None
            self.extension_requested = None

    @rule(actor=actors_for("request-extension"), working_days=st.integers(1, 10), step=steps)
    def request_extension(self, actor: Actor, working_days: int, step: timedelta) -> None:
        at = self.tick(step)
        refusal = self.handler_refusal(actor)
        if refusal is None and self.extension_requested is not None:
            refusal = "an extension request is already pending"
        if self.make(
            "request-extension",
            lambda: self.case.request_extension(
                actor, at, working_days=working_days, reason="需现场核查"
            ),
            target=self.status,
            refusal=refusal,
        ):
            self.extension_requested = working_days

    @rule(actor=actors_for("decide-extension"), approved=st.booleans(), note=notes, step=steps)
    def decide_extension(
        self, actor: Actor, approved: bool, note: str | None, step: timedelta
    ) -> None:
        at = self.tick(step)
        # as the application computes it: the deadline moved by the requested days
        due = at
        if self.handling_due is not None and self.extension_requested is not None:
            due = CALENDAR.due_at(self.handling_due, self.extension_requested)
        if self.make(
            "decide-extension",
            lambda: self.case.decide_extension(actor, at, approved=approved, note=note, due=due),
            target=self.status,
            refusal=None if self.extension_requested is not None else "no extension is pending",
        ):
            self.extension_requested = None
            if approved:
                self.handling_due = due

    @rule(actor=actors_for("reply"), step=steps)
    def reply(self, actor: Actor, step: timedelta) -> None:
        at = self.tick(step)
        if self.make(
            "reply",
            lambda: self.case.reply_to(actor, at, answer="已办结"),
            target=Status.REPLIED,
            refusal=self.handler_refusal(actor),
        ):
            self.handling_due = None
            self.extension_requested = None

    @rule(actor=actors_for("review"), approved=st.booleans(), note=notes, step=steps)
    def review(self, actor: Actor, approved: bool, note: str | None, step: timedelta) -> None:
        at = self.tick(step)
        redo_due = CALENDAR.due_at(at, 10)

        def call() -> None:
            self.case.review(actor, at, approved=approved, note=note, redo_due=redo_due)

        if self.status in MOVE_FROM["review"] and not approved and not note:
            version = self.case.version
            with pytest.raises(RuleViolated) as error:
                call()
            assert error.value.field == "note"
            assert (self.case.version, self.case.status) == (version, self.status)
            assert self.case.collect_events() == []
            event("review redo without a note refused")
            return
        target = Status.AWAITING_RATING if approved else Status.TRANSFERRED
        if self.make("review", call, target=target) and not approved:
            self.redo_count += 1
            self.handling_due = redo_due

    @rule(actor=actors_for("rate"), rating=ratings, step=steps)
    def rate(self, actor: Actor, rating: Rating, step: timedelta) -> None:
        at = self.tick(step)
        redo_due = CALENDAR.due_at(at, 10)
        satisfied = rating in {Rating.VERY_SATISFIED, Rating.SATISFIED, Rating.BASICALLY_SATISFIED}
        if (
            self.make(
                "rate",
                lambda: self.case.rate(actor, at, rating=rating, comment=None, redo_due=redo_due),
                target=Status.CLOSED if satisfied else Status.TRANSFERRED,
                refusal=self.lodger_refusal(actor),
            )
            and not satisfied
        ):
            self.redo_count += 1
            self.handling_due = redo_due

    @rule(actor=actors_for("supervise"), step=steps)
    def supervise(self, actor: Actor, step: timedelta) -> None:
        at = self.tick(step)
        if self.make(
            "supervise",
            lambda: self.case.supervise(actor, at, note="请加快办理"),
            target=self.status,
        ):
            self.supervision_count += 1

    @rule(actor=actors_for("withdraw", right_org_last=True), step=steps)
    def withdraw(self, actor: Actor, step: timedelta) -> None:
        at = self.tick(step)
        if self.make(
            "withdraw",
            lambda: self.case.withdraw(actor, at, reason="问题已自行解决"),
            target=Status.WITHDRAWN,
            refusal=self.lodger_refusal(actor),
        ):
            self.handling_due = None
            self.extension_requested = None

    @rule(actor=actors_for("close"), note=notes, step=steps)
    def close(self, actor: Actor, note: str | None, step: timedelta) -> None:
        at = self.tick(step)
        self.make("close", lambda: self.case.close(actor, at, note=note), target=Status.CLOSED)

    # --- invariants -------------------------------------------------------------------

    @invariant()
    def version_counts_every_event(self) -> None:
        assert self.case.version == 1 + len(self.recorded)
        last = self.recorded[-1].timestamp if self.recorded else LODGED_AT
        assert self.case.modified_on == last

    @invariant()
    def status_is_the_modeled_one(self) -> None:
        assert isinstance(self.case.status, Status)
        assert self.case.status is self.status

    @invariant()
    def final_statuses_never_change(self) -> None:
        if self.final is not None:
            assert self.case.status is self.final
        elif self.case.status in FINAL_STATUSES:
            self.final = self.case.status

    @invariant()
    def deadlines_match_the_status(self) -> None:
        assert (self.case.handling_due is not None) == (self.case.status is Status.TRANSFERRED)
        assert (self.case.acceptance_due is not None) == (self.case.status is Status.LODGED)

    @invariant()
    def state_is_the_modeled_one(self) -> None:
        assert self.case.department == self.department
        assert self.case.handling_due == self.handling_due
        assert self.case.extension_requested == self.extension_requested
        assert self.case.redo_count == self.redo_count
        assert self.case.supervision_count == self.supervision_count

    @invariant()
    def replaying_every_event_rebuilds_the_case(self) -> None:
        assert given(*self.lodged, *self.recorded) == self.case


ComplaintMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=30,
    deadline=None,
)
TestComplaintMachine = ComplaintMachine.TestCase
