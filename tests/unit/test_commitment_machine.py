"""A hypothesis state machine for the Commitment aggregate.

One rule per command. Each rule draws its actor among the roles that may ever make the
move (MOVE_ROLES), enterprises with their own or another's credit code. Time moves on by
random steps, so the due instant passes at random points. A small model predicts every
outcome from the transition table (MOVE_FROM) and the documented rules: an allowed move
records its events and lands in the modeled status; any other raises the named error
and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.commitment import (
    DUE_UNKNOWN,
    EPIDEMIC_END_KNOWN,
    FINAL_STATUSES,
    MOVE_FROM,
    MOVE_ROLES,
    NOT_COMMITTER,
    NOT_EPIDEMIC,
    NOT_YET_DUE,
    Commitment,
    Status,
)
from domain.commitment_case import date_due_at, epidemic_due_at
from domain.errors import MoveNotAllowed, RuleViolated
from domain.values import Actor, Role
from oversight.watchers import SYSTEM
from tests.gwt import given
from tests.unit.test_commitment import (
    CALENDAR,
    CODE,
    COMMITTED_AT,
    MATERIALS,
    OTHER_CODE,
    commit,
)

DUE_DATE = date(2024, 9, 27)  # Friday: due 17:30 that day, four days after committing
DUE_AT = date_due_at(CALENDAR, DUE_DATE)

ORGS: dict[Role, list[str | None]] = {
    Role.ENTERPRISE: [CODE, OTHER_CODE],
    Role.CLERK: [None],
    Role.SUPERVISOR: [None],
    Role.SYSTEM: [None],
}


def actors_for(move: str) -> st.SearchStrategy[Actor]:
    return st.sampled_from(
        [
            Actor(id=f"{role}-user", role=role, org=org)
            for role in sorted(MOVE_ROLES[move])
            for org in ORGS[role]
        ]
    )


steps = st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=2))
# Supplies draw from the promised names plus one never promised.
material_picks = st.lists(st.sampled_from([*MATERIALS, "营业执照"]), min_size=1, max_size=3)


class CommitmentMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = COMMITTED_AT
        self.recorded: list[Commitment.Event] = []
        self.final: Status | None = None
        self.status = Status.COMMITTED
        self.supplied: list[str] = []
        self.epidemic = False
        self.ended_on: date | None = None
        self.due_at: datetime | None = None
        self.overdue_since: datetime | None = None

    # deepest first: hypothesis favours the first element, and breach needs a long walk
    @initialize(
        epidemic=st.booleans(),
        stage=st.sampled_from(["overdue", "partly supplied", "granted", "committed"]),
    )
    def start(self, epidemic: bool, stage: str) -> None:
        """Begin from a commitment already some way into an ordinary life."""
        if epidemic:
            self.case = commit(
                due_date=None, epidemic_contingent=True, grace_working_days=2, due_at=None
            )
        else:
            self.case = commit(due_date=DUE_DATE, due_at=DUE_AT)
            self.due_at = DUE_AT
        self.epidemic = epidemic
        self.committed = list(self.case.collect_events())
        clerk = Actor(id="clerk", role=Role.CLERK)
        minutes = timedelta(minutes=5)
        if stage != "committed":
            self.grant(clerk, minutes)
        if stage == "partly supplied":
            self.supply(clerk, [MATERIALS[0]], minutes)
        if stage == "overdue":
            if epidemic:
                self.epidemic_ended(Actor(id="sup", role=Role.SUPERVISOR), 0, minutes)
            assert self.due_at is not None
            self.mark_overdue(SYSTEM, self.due_at + timedelta(hours=1) - self.now)
        event(f"started {stage}")
        assert self.case.status is self.status

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
        events: int = 1,
    ) -> bool:
        """Make the move; `refusal` is why a rule besides the table forbids it, if one does."""
        version, status = self.case.version, self.case.status
        if self.status in MOVE_FROM[move] and refusal is None:
            call()
            new = self.case.collect_events()
            assert len(new) == events
            assert [e.originator_version for e in new] == list(
                range(version + 1, version + 1 + events)
            )
            assert {e.timestamp for e in new} == {self.now}
            self.recorded += new
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
        self.unchanged(version, status)
        return False

    def unchanged(self, version: int, status: Status) -> None:
        assert (self.case.version, self.case.status) == (version, status)
        assert self.case.collect_events() == []

    # --- one rule per command -------------------------------------------------------

    @rule(actor=actors_for("grant"), step=steps)
    def grant(self, actor: Actor, step: timedelta) -> None:
        at = self.tick(step)
        self.make("grant", lambda: self.case.grant(actor, at, note=None), target=Status.GRANTED)

    @rule(actor=actors_for("supply"), materials=material_picks, step=steps)
    def supply(self, actor: Actor, materials: list[str], step: timedelta) -> None:
        at = self.tick(step)
        outstanding = [m for m in MATERIALS if m not in self.supplied]

        def call() -> None:
            self.case.supply(actor, at, materials=materials)

        refusal = None
        if actor.role is Role.ENTERPRISE and actor.org != CODE:
            refusal = NOT_COMMITTER
        valid = all(m in outstanding for m in materials) and len(set(materials)) == len(materials)
        if self.status in MOVE_FROM["supply"] and refusal is None and not valid:
            version = self.case.version
            with pytest.raises(RuleViolated) as error:
                call()
            assert error.value.field == "materials"
            self.unchanged(version, self.status)
            event("supply of a material not outstanding refused")
            return
        completes = set(materials) == set(outstanding)
        if self.make(
            "supply",
            call,
            target=Status.FULFILLED if completes else self.status,
            refusal=refusal,
            events=2 if completes else 1,
        ):
            self.supplied += materials
            if completes:
                late = self.overdue_since is not None
                assert self.recorded[-1].late is late  # type: ignore[attr-defined]

    @rule(actor=actors_for("epidemic-ended"), days_ago=st.integers(0, 3), step=steps)
    def epidemic_ended(self, actor: Actor, days_ago: int, step: timedelta) -> None:
        at = self.tick(step)
        ended_on = at.date() - timedelta(days=days_ago)
        due = epidemic_due_at(CALENDAR, ended_on, 2)
        refusal = None
        if not self.epidemic:
            refusal = NOT_EPIDEMIC
        elif self.ended_on is not None:
            refusal = EPIDEMIC_END_KNOWN
        if self.make(
            "epidemic-ended",
            lambda: self.case.record_epidemic_end(actor, at, ended_on=ended_on, due=due),
            target=self.status,
            refusal=refusal,
        ):
            self.ended_on = ended_on
            self.due_at = due

    @rule(actor=actors_for("mark-overdue"), step=steps)
    def mark_overdue(self, actor: Actor, step: timedelta) -> None:
        at = self.tick(step)
        refusal = None
        if self.due_at is None:
            refusal = DUE_UNKNOWN
        elif at <= self.due_at:
            refusal = NOT_YET_DUE
        if self.make(
            "mark-overdue",
            lambda: self.case.mark_overdue(actor, at),
            target=Status.OVERDUE,
            refusal=refusal,
        ):
            self.overdue_since = at

    @rule(actor=actors_for("breach"), step=steps)
    def breach(self, actor: Actor, step: timedelta) -> None:
        at = self.tick(step)
        self.make(
            "breach", lambda: self.case.breach(actor, at, reason="失信"), target=Status.BREACHED
        )

    @rule(actor=actors_for("exempt"), step=steps)
    def exempt(self, actor: Actor, step: timedelta) -> None:
        at = self.tick(step)
        self.make(
            "exempt", lambda: self.case.exempt(actor, at, reason="疫情影响"), target=Status.EXEMPTED
        )

    @rule(actor=actors_for("revoke"), step=steps)
    def revoke(self, actor: Actor, step: timedelta) -> None:
        at = self.tick(step)
        self.make(
            "revoke",
            lambda: self.case.revoke(actor, at, reason="核查不符", finding="不符合审批条件"),
            target=Status.REVOKED,
        )

    # --- invariants -------------------------------------------------------------------

    @invariant()
    def version_counts_every_event(self) -> None:
        assert self.case.version == 1 + len(self.recorded)
        last = self.recorded[-1].timestamp if self.recorded else COMMITTED_AT
        assert self.case.modified_on == last

    @invariant()
    def state_is_the_modeled_one(self) -> None:
        assert self.case.status is self.status
        assert self.case.supplied == self.supplied
        assert self.case.due_at == self.due_at
        assert self.case.epidemic_ended_on == self.ended_on
        assert self.case.overdue_since == self.overdue_since

    @invariant()
    def final_statuses_never_change(self) -> None:
        if self.final is not None:
            assert self.case.status is self.final
        elif self.case.status in FINAL_STATUSES:
            self.final = self.case.status

    @invariant()
    def only_a_breach_goes_on_the_credit_record(self) -> None:
        assert self.case.credit_record is (self.case.status is Status.BREACHED)

    @invariant()
    def fulfilled_means_every_material_supplied(self) -> None:
        assert set(self.case.supplied) <= set(MATERIALS)
        assert len(set(self.case.supplied)) == len(self.case.supplied)
        if self.case.status is Status.FULFILLED:
            assert self.case.outstanding == []
        if not self.case.outstanding:
            assert self.case.status in {Status.FULFILLED, Status.REVOKED}

    @invariant()
    def overdue_only_after_the_due_instant(self) -> None:
        if self.case.overdue_since is not None:
            assert self.case.due_at is not None
            assert self.case.overdue_since > self.case.due_at

    @invariant()
    def replaying_every_event_rebuilds_the_case(self) -> None:
        assert given(*self.committed, *self.recorded) == self.case


CommitmentMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=25,
    deadline=None,
)
TestCommitmentMachine = CommitmentMachine.TestCase
