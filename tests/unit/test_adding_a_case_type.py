"""A new case type, declared here and nowhere in production, run the whole way a real
one runs: Given/When/Then on its aggregate, the `Oversight` application on the
in-memory store, and the generic case router over HTTP. docs/adding-a-case-type.md is
written from this file: what is declared here is what a new type's modules hold; a
production type adds two registry lines besides (domain/registry.py and
oversight/registry.py), which this test replaces by passing the type and mounting the
router itself.

The type is a policy inquiry (政策咨询): an enterprise asks, a clerk answers once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate, event
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware.base import DefineMiddleware
from litestar.testing import TestClient

from api.auth import JWTAuthMiddleware
from api.cases import case_router
from api.config import ApiConfig
from api.errors import EXCEPTION_HANDLERS
from api.representation import ActorOut, Representation, actor_body
from api.services import Services
from domain.access import SEE_ALL
from domain.application import Oversight
from domain.cases import CaseContext, CaseType, declare_move
from domain.commands import Command, LongText
from domain.errors import CaseNotFound, Forbidden, MoveNotAllowed, VersionConflict
from domain.public_course import PublicCourse, Shown
from domain.sla import SlaPolicy, calendar_for
from domain.store import IN_MEMORY
from domain.values import Actor, Role
from ledger.config import LedgerConfig
from tests.conftest import JWT_SECRET, bearer
from tests.gwt import given, record, refused, then, then_raises
from tests.http.support import check_problem
from tests.support import credit_code

# --- 1. the aggregate (domain/<type>.py) ------------------------------------------------


class Status(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


class Inquiry(Aggregate):
    # State annotated at class level: the msgspec mapper types snapshots from it.
    question: str
    asked_by: Actor
    status: Status
    answer: str | None
    answered_by: Actor | None

    @event("Asked")
    def __init__(self, *, actor: Actor, timestamp: datetime, question: str) -> None:
        self.question = question
        self.asked_by = actor
        self.status = Status.OPEN
        self.answer = None
        self.answered_by = None

    def answer_it(self, actor: Actor, at: datetime, *, answer: str) -> None:
        """The rule first (named error, nothing recorded), then the event."""
        if self.status is not Status.OPEN:
            raise MoveNotAllowed("answer", self.status, "the inquiry is answered already")
        self._on_answered(actor=actor, timestamp=at, answer=answer)

    @event("Answered")
    def _on_answered(self, actor: Actor, timestamp: datetime, answer: str) -> None:
        self.status = Status.ANSWERED  # only state changes here: replay runs no rule
        self.answer = answer
        self.answered_by = actor


# --- 2. the commands (request bodies; their constraints are the 422s) -------------------


class Ask(Command):
    question: LongText


class Answer(Command):
    answer: LongText


# --- 3. the case type (domain/<type>_case.py) --------------------------------------------


def ask(ctx: CaseContext, actor: Actor, at: datetime, c: Ask) -> Inquiry:
    return Inquiry(actor=actor, timestamp=at, question=c.question)


def answer(ctx: CaseContext, case: Inquiry, actor: Actor, at: datetime, c: Answer) -> None:
    case.answer_it(actor, at, answer=c.answer)


def can_see(ctx: CaseContext, actor: Actor, case: Inquiry) -> bool:
    if actor.role in SEE_ALL:
        return True
    return actor.role is Role.ENTERPRISE and actor.org == case.asked_by.org


STAFF = frozenset({Role.CLERK, Role.SUPERVISOR})
# What an enterprise sees of its inquiries (the case type's `public_course`, tables in
# domain/public_course.py): a type an enterprise reads needs one; this one shows it all.
INQUIRY_COURSE = PublicCourse(
    events={"Asked": Shown(), "Answered": Shown()},
    internal=frozenset(),
    state=frozenset({"question", "asked_by", "status", "answer", "answered_by"}),
    hidden_state=frozenset(),
)


INQUIRY = CaseType(
    name="inquiry",
    plural="inquiries",
    aggregate=Inquiry,
    create_body=Ask,
    create_roles=frozenset({Role.ENTERPRISE}),
    create=ask,
    moves={"answer": declare_move(Answer, STAFF, answer, "Answer an inquiry")},
    can_see=can_see,
    read_roles=frozenset({Role.ENTERPRISE, *STAFF}),
    public_course=INQUIRY_COURSE,
)

# --- 4. the API (api/<types>.py): the case router and the representation ------------------


class InquiryRead(Representation):
    """A policy inquiry as a viewer sees it (its read body; a command answers it with
    `position` added)."""

    id: UUID
    version: int
    status: Status
    question: str
    asked_by: ActorOut
    answer: str | None


def present(case: Inquiry, viewer: Actor) -> InquiryRead:
    return InquiryRead(
        id=case.id,
        version=case.version,
        status=case.status,
        question=case.question,
        asked_by=actor_body(case.asked_by),
        answer=case.answer,
    )


router = case_router(INQUIRY, present)


# --- the tests ------------------------------------------------------------------------------

CST = timezone(timedelta(hours=8))
ASKED_AT = datetime(2024, 9, 23, 9, 0, tzinfo=CST)
WHEN = ASKED_AT + timedelta(hours=2)
CODE = credit_code()
ENTERPRISE = Actor(id="ent-1", role=Role.ENTERPRISE, org=CODE)
OTHER_ENTERPRISE = Actor(id="ent-2", role=Role.ENTERPRISE, org=credit_code())
CLERK = Actor(id="clerk-1", role=Role.CLERK)
QUESTION = "复工复产期间，新招用工人的社保补贴如何申请？"
ANSWER_TEXT = "可通过省政务服务网“稳岗补贴”事项在线申请，3个工作日内办结。"


def ask_one() -> Inquiry:
    return Inquiry(actor=ENTERPRISE, timestamp=ASKED_AT, question=QUESTION)


def answered_by_clerk(case: Inquiry, at: datetime) -> None:
    case.answer_it(CLERK, at, answer=ANSWER_TEXT)


def test_answer_records_the_answer() -> None:
    case = given(*record(ask_one, [], ASKED_AT))
    case.answer_it(CLERK, WHEN, answer=ANSWER_TEXT)
    then(case, ("Answered", {"timestamp": WHEN, "actor": CLERK, "answer": ANSWER_TEXT}))
    assert (case.status, case.answered_by) == (Status.ANSWERED, CLERK)


def test_a_second_answer_is_refused_and_changes_nothing() -> None:
    history = record(ask_one, [answered_by_clerk], ASKED_AT)
    case = given(*history)
    with then_raises(MoveNotAllowed, case, history) as error:
        case.answer_it(CLERK, WHEN, answer="再答一次")
    assert refused(error) == ("answer", Status.ANSWERED, "the inquiry is answered already")


@pytest.fixture
def app() -> Iterator[Oversight]:
    sla = SlaPolicy()
    application = Oversight(IN_MEMORY, calendar=calendar_for(sla), sla=sla)
    yield application
    application.close()


def test_the_application_runs_it_like_any_case_type(app: Oversight) -> None:
    created = app.create(INQUIRY, ENTERPRISE, ASKED_AT, Ask(question=QUESTION))
    cid = created.case.id
    answered = app.move(
        cid,
        "answer",
        CLERK,
        WHEN,
        Answer(answer=ANSWER_TEXT),
        expected_version=1,
        case_type=INQUIRY,
    )
    assert (answered.case.status, answered.position) == (Status.ANSWERED, 2)
    assert app.read(INQUIRY, cid, ENTERPRISE, as_of=ASKED_AT).status is Status.OPEN
    case, events = app.history(INQUIRY, cid, CLERK)
    assert [type(e).__name__ for e in events] == ["Asked", "Answered"]
    assert given(*events) == case
    stored = app.recorder.max_notification_id()
    with pytest.raises(Forbidden):  # 403: the role may never make the move
        app.move(cid, "answer", ENTERPRISE, WHEN, Answer(answer="x"), case_type=INQUIRY)
    with pytest.raises(CaseNotFound):  # 404: not its inquiry
        app.read(INQUIRY, cid, OTHER_ENTERPRISE)
    with pytest.raises(VersionConflict):  # 412
        app.move(
            cid, "answer", CLERK, WHEN, Answer(answer="x"), expected_version=1, case_type=INQUIRY
        )
    with pytest.raises(MoveNotAllowed):  # 409
        app.move(
            cid, "answer", CLERK, WHEN + timedelta(hours=1), Answer(answer="x"), case_type=INQUIRY
        )
    assert app.recorder.max_notification_id() == stored


@pytest.mark.http
def test_the_generic_case_router_serves_it(app: Oversight, tmp_path: Path) -> None:
    config = ApiConfig(ledger=LedgerConfig(key_path=tmp_path / "ledger.key", var_dir=tmp_path))
    # No pool: these endpoints read the aggregate; lists and the bundle need PostgreSQL.
    services = Services(app=app, pool=None, settings=config, clock=lambda: WHEN)
    api = Litestar(
        route_handlers=[router],
        dependencies={"services": Provide(lambda: services, sync_to_thread=False)},
        middleware=[DefineMiddleware(JWTAuthMiddleware)],
        exception_handlers=EXCEPTION_HANDLERS,
        state=State({"jwt_secret": JWT_SECRET, "services": services}),
    )
    enterprise = bearer("enterprise", "ent-1", CODE)
    clerk = bearer("clerk", "clerk-1")
    with TestClient(api) as client:
        r = client.post("/api/v1/inquiries", json={"question": QUESTION}, headers=enterprise)
        assert r.status_code == 201, r.text
        body = r.json()
        url = r.headers["location"]
        assert (body["status"], body["version"], r.headers["etag"]) == ("open", 1, '"1"')

        # Bad input: problem+json naming the field and the rule; nothing stored.
        before = app.recorder.max_notification_id()
        check_problem(
            client.post(url + "/answer", json={"answer": ""}, headers=clerk), 422, "answer"
        )
        check_problem(client.post(url + "/answer", json={"answer": "x"}, headers=enterprise), 403)
        check_problem(
            client.post(
                url + "/answer", json={"answer": "x"}, headers={**clerk, "If-Match": '"7"'}
            ),
            412,
        )
        assert app.recorder.max_notification_id() == before

        r = client.post(url + "/answer", json={"answer": ANSWER_TEXT}, headers=clerk)
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["answer"]) == ("answered", ANSWER_TEXT)

        r = client.get(url, headers=enterprise)
        assert (r.status_code, r.json()["version"]) == (200, 2)
        assert client.get(url + "?version=1", headers=enterprise).json()["status"] == "open"
        history = client.get(url + "/history", headers=clerk).json()
        assert [e["type"] for e in history["events"]] == ["Asked", "Answered"]
        timeline = client.get(url + "/timeline", headers=clerk).json()
        assert [e["version"] for e in timeline["entries"]] == [1, 2]
        other = bearer("enterprise", "ent-2", OTHER_ENTERPRISE.org)
        check_problem(client.get(url, headers=other), 404)
