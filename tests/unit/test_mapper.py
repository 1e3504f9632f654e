"""Round trips through the msgspec stored-event mapper (domain/mapper.py).

Every event a case can record, and a snapshot of the case after each of them, must come
back from its JSON with the same attributes of the same types: aware datetimes, enums,
Actor and Complainant structs, UUIDs. A payload that cannot be decoded must raise the
library's MapperDeserialisationError, never a stray error or a half-decoded event.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.complaint import Complaint, Status
from domain.mapper import MsgspecMapper
from domain.values import Actor, Channel, Complainant, Kind, Rating, Role
from tests.unit.test_complaint import CODE, LIVES, live_and_copies, lodge

MAPPER = MsgspecMapper()
POSITION = {"originator_id", "originator_version"}

# Every event and every state of the lives test_complaint.py replays (those cover every
# event type: test_the_lives_record_every_event_type).
LIFE_RECORDS = {name: live_and_copies(steps) for name, steps in LIVES.items()}
EVENTS: list[Complaint.Event] = [e for events, _ in LIFE_RECORDS.values() for e in events]
STATES: list[Complaint] = [case for _, copies in LIFE_RECORDS.values() for case in copies]
EVENT_TYPES = sorted({type(e).__name__ for e in EVENTS})


def first(name: str) -> Any:
    return next(e for e in EVENTS if type(e).__name__ == name)


def round_trip(domain_event: Any) -> Any:
    return MAPPER.to_domain_event(MAPPER.to_stored_event(domain_event))


def assert_same_values(decoded: Any, original: Any, where: str) -> None:
    """Equal, and of the same type all the way down (a str is not a StrEnum)."""
    assert type(decoded) is type(original), where
    assert decoded == original, where
    if isinstance(original, datetime):
        assert original.tzinfo is not None, where  # the fixtures only use aware times
        assert decoded.utcoffset() == original.utcoffset(), where
    elif isinstance(original, dict):
        assert decoded.keys() == original.keys(), where
        for key in original:
            assert_same_values(decoded[key], original[key], f"{where}.{key}")
    elif isinstance(original, list):
        for i, (d, o) in enumerate(zip(decoded, original, strict=True)):
            assert_same_values(d, o, f"{where}[{i}]")
    elif isinstance(original, Actor | Complainant):
        for field in original.__struct_fields__:
            assert_same_values(getattr(decoded, field), getattr(original, field), where)


def assert_round_trips(domain_event: Any) -> Any:
    decoded = round_trip(domain_event)
    assert_same_values(vars(decoded), vars(domain_event), type(domain_event).__qualname__)
    return decoded


def test_the_lives_give_every_event_type_and_status() -> None:
    declared = {cls.__name__ for cls in Complaint.Event.__subclasses__()} - {"Created"}
    assert set(EVENT_TYPES) == declared
    assert {case.status for case in STATES} == set(Status)


def test_stored_event_is_compact_json_without_its_position() -> None:
    lodged = first("Lodged")
    stored = MAPPER.to_stored_event(lodged)
    assert stored.topic == "domain.complaint:Complaint.Lodged"
    assert (stored.originator_id, stored.originator_version) == (lodged.originator_id, 1)
    assert isinstance(stored.state, bytes)
    document = json.loads(stored.state)
    # compact, and UTF-8 rather than \u escapes
    assert stored.state == json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    assert set(document) == set(vars(lodged)) - POSITION
    assert document["actor"] == {"id": "ent-1", "role": "enterprise", "org": CODE}
    assert document["kind"] == "complaint"
    assert document["timestamp"] == "2024-09-23T09:00:00+08:00"
    assert document["title"] == "审批超时"


@pytest.mark.parametrize("name", EVENT_TYPES)
def test_every_event_type_round_trips(name: str) -> None:
    events = [e for e in EVENTS if type(e).__name__ == name]
    assert events
    for domain_event in events:
        decoded = assert_round_trips(domain_event)
        assert type(decoded) is getattr(Complaint, name)
        assert isinstance(decoded.originator_id, UUID)


def test_decoded_values_keep_their_types() -> None:
    lodged, accepted, rated = (round_trip(first(n)) for n in ("Lodged", "Accepted", "Rated"))
    assert type(lodged.kind) is Kind and type(lodged.channel) is Channel
    assert type(lodged.actor) is Actor and type(lodged.actor.role) is Role
    assert type(lodged.complainant) is Complainant
    assert lodged.complainant.phone == "13800000000"
    assert lodged.timestamp.utcoffset() == timedelta(hours=8)
    assert type(accepted.urgent) is bool
    assert type(rated.rating) is Rating


def test_an_originator_id_stored_as_text_comes_back_as_a_uuid() -> None:
    accepted = first("Accepted")
    stored = MAPPER.to_stored_event(accepted)
    as_text = StoredEvent(
        originator_id=str(stored.originator_id),
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=stored.state,
    )
    decoded = MAPPER.to_domain_event(as_text)
    assert decoded.originator_id == accepted.originator_id
    assert isinstance(decoded.originator_id, UUID)
    assert vars(decoded) == vars(accepted)


def test_replaying_decoded_events_rebuilds_each_life() -> None:
    for name, (events, copies) in LIFE_RECORDS.items():
        case = None
        for domain_event in events:
            case = round_trip(domain_event).mutate(case)
        assert case == copies[-1], name


@pytest.mark.parametrize("life", LIVES)
def test_snapshots_round_trip_and_rebuild_the_case(life: str) -> None:
    _, copies = LIFE_RECORDS[life]
    for case in copies:
        snapshot = Snapshot.take(case)
        decoded = round_trip(snapshot)
        assert type(decoded) is Snapshot
        assert_same_values(vars(decoded), vars(snapshot), f"{life} v{case.version}")
        rebuilt = decoded.mutate(None)
        assert rebuilt == case
        assert rebuilt.version == case.version
        assert type(rebuilt.status) is Status


def test_a_snapshot_keeps_the_state_decisions_need() -> None:
    _, copies = LIFE_RECORDS["long"]
    case = copies[-1]
    state = round_trip(Snapshot.take(case)).state
    assert state["status"] is Status.CLOSED
    assert state["rating"] is Rating.UNSATISFIED
    assert state["departments"] == ["hlj-fgw"]
    assert (state["redo_count"], state["supervision_count"], state["urgent"]) == (2, 2, True)
    assert state["_created_on"] == case.created_on
    assert "_id" not in state and "_version" not in state


# --- corrupted payloads ----------------------------------------------------------------


def edited(domain_event: Any, edit: Any) -> StoredEvent:
    stored = MAPPER.to_stored_event(domain_event)
    state = edit(stored.state) if callable(edit) else edit
    return StoredEvent(stored.originator_id, stored.originator_version, stored.topic, state)


def json_edit(change: Any) -> Any:
    def edit(data: bytes) -> bytes:
        document = json.loads(data)
        change(document)
        return json.dumps(document).encode()

    return edit


LODGED_CORRUPTIONS: dict[str, Any] = {
    "truncated": lambda data: data[:-7],
    "not json": b"not json at all",
    "empty": b"",
    "not utf-8 outside a string": b"\xff\xfe{}",
    "not utf-8 inside a string": lambda data: data.replace("审批超时".encode(), b"\xff\xfe"),
    "an array": b"[]",
    "null": b"null",
    "a time that is not one": json_edit(lambda d: d.update(timestamp="yesterday")),
    "an unknown kind": json_edit(lambda d: d.update(kind="petition")),
    "a bool as text": json_edit(lambda d: d.update(confidential="yes")),
    "a missing field": json_edit(lambda d: d.pop("complainant")),
    "an actor with an unknown field": json_edit(lambda d: d["actor"].update(admin=True)),
    "an actor with an unknown role": json_edit(lambda d: d["actor"].update(role="emperor")),
}


@pytest.mark.parametrize("corruption", LODGED_CORRUPTIONS)
def test_a_corrupted_event_payload_raises_mapper_deserialisation_error(corruption: str) -> None:
    stored = edited(first("Lodged"), LODGED_CORRUPTIONS[corruption])
    with pytest.raises(MapperDeserialisationError, match=r"Complaint\.Lodged"):
        MAPPER.to_domain_event(stored)


SNAPSHOT_CORRUPTIONS: list[Any] = [
    pytest.param(lambda data: data[:-3], id="truncated"),
    pytest.param(json_edit(lambda d: d["state"].update(status="lost")), id="unknown status"),
    pytest.param(json_edit(lambda d: d["state"].pop("redo_count")), id="missing field"),
    pytest.param(json_edit(lambda d: d.update(state=[])), id="state not an object"),
    pytest.param(json_edit(lambda d: d.pop("topic")), id="no topic"),
    pytest.param(
        json_edit(lambda d: d.update(topic="domain.values:Actor")), id="topic of a non-aggregate"
    ),
    pytest.param(
        json_edit(lambda d: d.update(topic="domain.complaint:Nope")),
        id="topic that does not resolve",
    ),
    pytest.param(
        json_edit(lambda d: d.update(topic="domain.mapper:encode_event_state")),
        id="topic of a function",
    ),
]


@pytest.mark.parametrize("corrupt", SNAPSHOT_CORRUPTIONS)
def test_a_corrupted_snapshot_payload_raises_mapper_deserialisation_error(corrupt: Any) -> None:
    stored = edited(Snapshot.take(STATES[-1]), corrupt)
    with pytest.raises(MapperDeserialisationError, match="Snapshot"):
        MAPPER.to_domain_event(stored)


# --- any text ------------------------------------------------------------------------

TRICKY = [
    "黑龙江省哈尔滨市营商环境投诉",
    "😀👩‍👩‍👧‍👦🇨🇳",
    "\"quoted\" and 'single' and `back` and \\backslash\\",
    '{"json": [1, 2]}',
    "line\nbreak\ttab\r\x00nul\x1fctl",
    "\u2028\u2029\ufeff\u200b\u202e",
    "",
    " ",
]
texts = st.one_of(
    st.sampled_from(TRICKY),
    # Lone surrogates are not text: JSON input with them is refused before any command.
    st.text(
        st.one_of(st.characters(exclude_categories=["Cs"]), st.sampled_from("中文投诉😀\"'\\")),
        max_size=40,
    ),
)
offsets = st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


@settings(max_examples=100, deadline=None)
@given(words=st.lists(texts, min_size=12, max_size=12), tz=offsets)
def test_any_text_round_trips(words: list[str], tz: timezone) -> None:
    at = datetime(2024, 9, 23, 9, 0, tzinfo=tz)
    hour = timedelta(hours=1)
    complainant = Complainant(name=words[0], credit_code=CODE, phone=words[1] or None)
    case = lodge(
        timestamp=at,
        category=words[2],
        title=words[3],
        description=words[4],
        complainant=complainant,
        respondent_department=words[5],
    )
    actor = Actor(id=words[6], role=Role.SUPERVISOR)
    department = Actor(id="dep", role=Role.DEPARTMENT, org=words[5])
    enterprise = Actor(id="ent", role=Role.ENTERPRISE, org=CODE)
    case.accept(actor, at + hour, note=words[7], urgent=True)
    case.transfer(actor, at + 2 * hour, department=words[5], working_days=3, due=at + 9 * hour)
    case.request_extension(department, at + 3 * hour, working_days=2, reason=words[8])
    case.decide_extension(actor, at + 4 * hour, approved=True, note=words[9], due=at + 99 * hour)
    case.reply_to(department, at + 5 * hour, answer=words[10])
    case.review(actor, at + 6 * hour, approved=True, note=words[11], redo_due=at)
    case.rate(enterprise, at + 7 * hour, rating=Rating.UNSATISFIED, comment=words[0], redo_due=at)
    case.withdraw(enterprise, at + 8 * hour, reason=words[1])
    events = case.collect_events()
    replayed = None
    for domain_event in events:
        replayed = assert_round_trips(domain_event).mutate(replayed)
    assert replayed == case
    snapshot = Snapshot.take(case)
    decoded = round_trip(snapshot)
    assert_same_values(vars(decoded), vars(snapshot), "snapshot")
    assert decoded.mutate(None) == case
