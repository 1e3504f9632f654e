"""Request logs: structured, with a request id, the actor and the case; no personal data."""

from __future__ import annotations

import json

import pytest
import structlog
from structlog.testing import capture_logs

from oversight.logs import configure_logging
from tests.conftest import bearer
from tests.support import credit_code, lodge_body

pytestmark = pytest.mark.integration


def test_each_request_logs_id_actor_case_status_duration_and_no_personal_data(client):
    code = credit_code()
    headers = bearer("enterprise", "ent-user-7", code)
    body = lodge_body(code)
    body["complainant"] = {"name": "保密测试有限公司", "credit_code": code, "phone": "13912345678"}
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        lodged = client.post("/api/v1/complaints", json=body, headers=headers)
        case_id = lodged.json()["id"]
        accepted = client.post(
            f"/api/v1/complaints/{case_id}/accept",
            json={"note": "受理"},
            headers={**bearer("clerk", "clerk-9"), "X-Request-ID": "req-abc.123"},
        )
    assert lodged.status_code == 201
    assert accepted.status_code == 200
    requests = [entry for entry in logs if entry["event"] == "request"]
    assert len(requests) == 2
    first, second = requests
    assert first["request_id"] == lodged.headers["x-request-id"]
    assert len(first["request_id"]) == 32
    assert first["actor_id"] == "ent-user-7"
    assert first["actor_role"] == "enterprise"
    assert first["status"] == 201
    assert first["duration_ms"] > 0
    assert second["request_id"] == "req-abc.123"
    assert second["case_id"] == case_id
    assert second["path"] == "/api/v1/complaints/{id}/accept"
    assert second["actor_id"] == "clerk-9"

    everything = json.dumps(logs, default=str, ensure_ascii=False)
    for secret in ("保密测试有限公司", "13912345678", code, headers["Authorization"][7:]):
        assert secret not in everything


def test_json_lines_outside_a_terminal(capsys):
    configure_logging("json")
    try:
        structlog.get_logger("t").info("hello", n=1)
        line = capsys.readouterr().err.strip().splitlines()[-1]
        assert json.loads(line)["event"] == "hello"
        assert json.loads(line)["level"] == "info"
    finally:
        structlog.reset_defaults()
