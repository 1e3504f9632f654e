"""Stored-event mapping with msgspec (eventsourcing 9.5 ships none).

Events are stored as compact JSON. Decoding is typed: the field types come from the
event class's annotations (the `@event` method signatures), so datetimes, UUIDs, enums
and value objects come back as themselves. Snapshots carry the aggregate's state,
typed from the aggregate class's annotations.
"""

from __future__ import annotations

import typing
from datetime import datetime
from functools import cache
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent, Transcoder
from eventsourcing.utils import TopicError, get_topic, resolve_topic

_POSITION_FIELDS = frozenset({"originator_id", "originator_version"})
# Attributes every aggregate has, as the library keeps them in a snapshot's state
# (it moves the id and version to the snapshot's own position fields).
_AGGREGATE_BASE_FIELDS: list[tuple[str, Any]] = [
    ("_created_on", datetime),
    ("_modified_on", datetime),
]

_encoder = msgspec.json.Encoder()


class _SnapshotEnvelope(msgspec.Struct):
    topic: str
    timestamp: datetime
    state: msgspec.Raw


class _UnusedTranscoder(Transcoder):
    """The library's factory insists on a transcoder; this mapper encodes by itself."""

    def encode(self, obj: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError


def _struct_for(
    name: str, fields: list[tuple[str, Any]], *, missing_is_none: bool = False
) -> type[msgspec.Struct]:
    # Struct field names may not start with "_": map them to encoded names instead.
    # `missing_is_none` (events): a field whose type admits None may be absent, as in an
    # event stored before the field was added; it then decodes as None.
    spec: list[Any] = [
        (n.lstrip("_"), t, None) if missing_is_none and _admits_none(t) else (n.lstrip("_"), t)
        for n, t in fields
    ]
    rename = {n.lstrip("_"): n for n, _ in fields if n.startswith("_")}
    return msgspec.defstruct(name, spec, rename=rename or None, kw_only=True)


def _admits_none(hint: Any) -> bool:
    return hint is Any or type(None) in typing.get_args(hint)


def _typed_fields(cls: type) -> list[tuple[str, Any]]:
    hints = typing.get_type_hints(cls)
    return [
        (name, hint)
        for name, hint in hints.items()
        if name not in _POSITION_FIELDS and typing.get_origin(hint) is not typing.ClassVar
    ]


@cache
def _event_decoder(cls: type) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(
        _struct_for(cls.__qualname__, _typed_fields(cls), missing_is_none=True)
    )


def _own_state_fields(aggregate_cls: type) -> list[tuple[str, Any]]:
    """The aggregate's annotated state, leaving out the library's base classes."""
    own = {
        name
        for klass in aggregate_cls.__mro__
        if not klass.__module__.startswith("eventsourcing")
        for name in vars(klass).get("__annotations__", {})
    }
    return [(name, hint) for name, hint in _typed_fields(aggregate_cls) if name in own]


@cache
def _aggregate_state_decoder(aggregate_cls: type) -> msgspec.json.Decoder[Any]:
    fields = _AGGREGATE_BASE_FIELDS + _own_state_fields(aggregate_cls)
    return msgspec.json.Decoder(_struct_for(aggregate_cls.__qualname__ + "State", fields))


_snapshot_decoder = msgspec.json.Decoder(_SnapshotEnvelope)


def _as_dict(struct: msgspec.Struct) -> dict[str, Any]:
    encoded_names = struct.__struct_encode_fields__
    return {
        encoded: getattr(struct, field)
        for field, encoded in zip(struct.__struct_fields__, encoded_names, strict=True)
    }


def encode_event_state(domain_event: Any) -> bytes:
    state = {k: v for k, v in vars(domain_event).items() if k not in _POSITION_FIELDS}
    return _encoder.encode(state)


def decode_event_state(topic: str, data: bytes) -> dict[str, Any]:
    """The event's attributes (without its originator id and version)."""
    cls = resolve_topic(topic)
    if isinstance(cls, type) and issubclass(cls, Snapshot):
        envelope = _snapshot_decoder.decode(data)
        state = _as_dict(
            _aggregate_state_decoder(resolve_topic(envelope.topic)).decode(envelope.state)
        )
        return {"topic": envelope.topic, "timestamp": envelope.timestamp, "state": state}
    return _as_dict(_event_decoder(cls).decode(data))


class MsgspecMapper(Mapper[UUID]):
    """A Mapper whose payloads are msgspec JSON, decoded with the event's own types."""

    def __init__(self, transcoder: Transcoder | None = None, **kwargs: Any) -> None:
        super().__init__(transcoder or _UnusedTranscoder(), **kwargs)

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=encode_event_state(domain_event),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        cls = resolve_topic(stored_event.topic)
        try:
            state = decode_event_state(stored_event.topic, stored_event.state)
        except (
            msgspec.DecodeError,
            msgspec.ValidationError,
            UnicodeDecodeError,  # invalid UTF-8 inside a JSON string
            TopicError,  # a snapshot naming an aggregate class that does not exist
            TypeError,  # ... or naming something that is not a class
            AttributeError,
        ) as e:
            msg = (
                f"Failed to decode stored event {stored_event.originator_id} "
                f"v{stored_event.originator_version} ({stored_event.topic}): {e}"
            )
            raise MapperDeserialisationError(msg) from e
        originator_id = stored_event.originator_id
        state["originator_id"] = (
            originator_id if isinstance(originator_id, UUID) else UUID(originator_id)
        )
        state["originator_version"] = stored_event.originator_version
        domain_event = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", state)
        return domain_event
