"""Keyset-pagination cursors: the sort key of the last row a page showed, opaque to
clients (URL-safe base64 of the key's parts)."""

from __future__ import annotations

import base64
from datetime import datetime
from uuid import UUID


def encode(*parts: object) -> str:
    raw = "|".join(p.isoformat() if isinstance(p, datetime) else str(p) for p in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str, count: int) -> list[str]:
    """The cursor's parts; ValueError when it is not a cursor of `count` parts."""
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        parts = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError("not a cursor") from e
    if len(parts) != count:
        raise ValueError("not a cursor")
    return parts


def encode_time_id(at: datetime, row_id: UUID) -> str:
    return encode(at, row_id)


def decode_time_id(cursor: str) -> tuple[datetime, UUID]:
    """(an aware instant, an id); ValueError on a cursor this API did not make."""
    at, row_id = decode(cursor, 2)
    instant = datetime.fromisoformat(at)
    if instant.tzinfo is None:
        raise ValueError("a cursor's instant carries an offset")
    return instant, UUID(row_id)
