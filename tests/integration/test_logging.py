"""Request logs: structured, with a request id, the actor and the case; no personal data."""

from __future__ import annotations

import json
import uuid

import pytest
import structlog
from litestar import get
from litestar.testing import TestClient
from structlog.testing import capture_logs

from oversight.logs import configure_logging
from oversight.runtime import create_app
from tests.conftest import JWT_SECRET, bearer
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


def test_logged_status_is_the_status_the_client_got(database_url, settings, clock):
    """401 (answered for the authentication middleware), 403, 404 (no such case, no such
    route), 413, 415, 422 and 500: the request line logs the status sent, with the
    request id the response carries."""

    @get("/api/v1/test-only/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("a handler failed")

    app = create_app(settings, database_url=database_url, jwt_secret=JWT_SECRET, clock=clock)
    app.register(boom)
    code = credit_code()
    ent = bearer("enterprise", "ent-user-8", code)
    with (
        TestClient(app, raise_server_exceptions=False) as client,
        capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs,
    ):
        responses = [
            client.get("/api/v1/complaints"),  # 401: no token
            client.get("/api/v1/audit-trail", headers={"Authorization": "Bearer x.y.z"}),
            client.get("/api/v1/audit-trail", headers=ent),  # 403
            client.get(f"/api/v1/complaints/{uuid.uuid4()}", headers=ent),  # 404
            client.get("/api/v1/no-such-thing", headers=ent),  # 404: no route
            client.delete("/api/v1/complaints", headers=ent),  # 405: no route
            client.post(
                "/api/v1/complaints",
                content=b"{" + b" " * 1_100_000 + b"}",
                headers={**ent, "Content-Type": "application/json"},
            ),  # 413
            client.post("/api/v1/complaints", content=b"{}", headers=ent),  # 415
            client.post("/api/v1/complaints", json={"kind": "x"}, headers=ent),  # 422
            client.get("/api/v1/test-only/boom", headers=ent),  # 500
        ]
    sent = [r.status_code for r in responses]
    lines = [entry for entry in logs if entry["event"] == "request"]
    assert [line["status"] for line in lines] == sent
    assert sent == [401, 401, 403, 404, 404, 405, 413, 415, 422, 500]
    assert [line["request_id"] for line in lines] == [r.headers["x-request-id"] for r in responses]
    assert [line["path"] for line in lines][4:6] == ["/api/v1/no-such-thing", "/api/v1/complaints"]
    assert "Bearer" not in json.dumps(logs, default=str)
