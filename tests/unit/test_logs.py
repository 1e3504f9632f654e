"""The JSON log lines: one object per line, anything unencodable as its str()."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import structlog

from oversight.logs import configure_logging


def test_json_lines_encode_what_json_cannot(capsys) -> None:
    configure_logging("json")
    try:
        case_id = uuid.uuid4()
        structlog.get_logger("t").info(
            "case_read", case_id=case_id, at=datetime(2024, 9, 9, tzinfo=UTC), thing=object()
        )
        line = capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        structlog.reset_defaults()
    record = json.loads(line)
    assert record["event"] == "case_read" and record["level"] == "info"
    assert record["case_id"] == str(case_id)
    assert record["at"].startswith("2024-09-09T00:00:00")
    assert record["thing"].startswith("<object object at")
