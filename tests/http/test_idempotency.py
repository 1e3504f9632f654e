"""Idempotency-Key on POSTs (api/idempotency.py): a retry gets the first answer and
stores nothing; a reused key with another request is 422; a duplicate while the first
still runs is 409; keys expire after 24 h; a 5xx releases the key."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import psycopg
import pytest
from litestar import Litestar, post
from litestar.datastructures import State
from litestar.middleware.base import DefineMiddleware
from litestar.testing import TestClient

from api.auth import JWTAuthMiddleware
from api.errors import EXCEPTION_HANDLERS
from api.idempotency import IdempotencyMiddleware, ensure_idempotency_table
from oversight.database import asyncpg_dsn
from oversight.runtime import create_app
from oversight.settings import Settings
from tests.conftest import JWT_SECRET, bearer
from tests.http.support import (
    API,
    AUDIT,
    check_case_response,
    check_problem,
    enterprise,
    new_id,
    supervisor,
)
from tests.support import Clock, credit_code, lodge_body

pytestmark = pytest.mark.http


def stored_by(client: TestClient, database_url: str, sub: str) -> list[dict[str, Any]]:
    """Every event the account `sub` caused, once the views hold every stored event."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT coalesce(max(notification_id), 0) FROM oversight_events")
        top = row.fetchone()[0]  # type: ignore[index]
    r = client.get(
        AUDIT,
        params={"actor": sub, "limit": 1000},
        headers={**supervisor(), "X-Min-Position": str(top)},
    )
    assert r.status_code == 200, r.text
    return r.json()["items"]


def key_rows(database_url: str, key: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT principal, status, expires_at FROM idempotency.keys WHERE key = %s", (key,)
        ).fetchall()


def same_answer(first: Any, again: Any) -> None:
    assert again.status_code == first.status_code
    assert again.content == first.content
    for name in ("content-type", "location", "etag", "x-position"):
        assert again.headers.get(name) == first.headers.get(name), name
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers


def test_a_retry_after_a_lost_response_gets_the_first_answer_and_stores_nothing(
    client: TestClient, database_url: str
) -> None:
    code, sub, key = credit_code(), new_id("ent"), str(uuid.uuid4())
    headers = {**enterprise(code, sub), "Idempotency-Key": f'"{key}"'}
    lost = client.post(API, json=lodge_body(code), headers=headers)  # the client never saw it
    body = check_case_response(lost, code=201, status="lodged", version=1)

    retry = client.post(API, json=lodge_body(code), headers=headers)

    same_answer(lost, retry)
    assert retry.json()["id"] == body["id"]
    events = stored_by(client, database_url, sub)
    assert [e["case_id"] for e in events] == [body["id"]]
    assert client.get(retry.headers["location"], headers=supervisor()).json()["version"] == 1


def test_the_same_key_with_another_body_is_422_and_nothing_is_stored(
    client: TestClient, database_url: str
) -> None:
    code, sub, key = credit_code(), new_id("ent"), new_id("key")
    headers = {**enterprise(code, sub), "Idempotency-Key": key}
    first = client.post(API, json=lodge_body(code), headers=headers)
    check_case_response(first, code=201)

    other = client.post(API, json=lodge_body(code, title="另一件事"), headers=headers)

    problem = check_problem(other, 422, "Idempotency-Key")
    assert "different request" in problem["errors"][0]["rule"]
    assert len(stored_by(client, database_url, sub)) == 1
    same_answer(first, client.post(API, json=lodge_body(code), headers=headers))


def test_keys_belong_to_one_account(client: TestClient, database_url: str) -> None:
    code, key = credit_code(), new_id("key")
    one, two = new_id("ent"), new_id("ent")
    a = client.post(
        API, json=lodge_body(code), headers={**enterprise(code, one), "Idempotency-Key": key}
    )
    b = client.post(
        API, json=lodge_body(code), headers={**enterprise(code, two), "Idempotency-Key": key}
    )
    assert check_case_response(a, code=201)["id"] != check_case_response(b, code=201)["id"]
    assert "idempotent-replayed" not in b.headers
    assert len(stored_by(client, database_url, one)) == len(stored_by(client, database_url, two))


def test_a_kept_4xx_is_replayed_and_a_bad_key_is_400(client: TestClient, database_url: str) -> None:
    code, sub, key = credit_code(), new_id("ent"), new_id("key")
    headers = {**enterprise(code, sub), "Idempotency-Key": key}
    bad = lodge_body(code, title="")
    first = client.post(API, json=bad, headers=headers)
    check_problem(first, 422)
    same_answer(first, client.post(API, json=bad, headers=headers))

    for value in ["", '"', '"a"b"', "x" * 256, "ключ".encode()]:
        r = client.post(
            API,
            json=lodge_body(code),
            headers={**enterprise(code, sub), "Idempotency-Key": value},
        )
        check_problem(r, 400, "Idempotency-Key")
    assert stored_by(client, database_url, sub) == []


def test_a_move_with_a_key_is_replayed_too(client: TestClient, database_url: str) -> None:
    code = credit_code()
    case = check_case_response(
        client.post(API, json=lodge_body(code), headers=enterprise(code)), code=201
    )
    sub, key = new_id("sup"), new_id("key")
    headers = {**supervisor(sub), "Idempotency-Key": key, "If-Match": '"1"'}
    url = f"{API}/{case['id']}/accept"
    first = client.post(url, json={}, headers=headers)
    check_case_response(first, status="accepted", version=2)
    same_answer(first, client.post(url, json={}, headers=headers))
    # Without the key the same move is a new request: the case has moved on (409).
    check_problem(client.post(url, json={}, headers=supervisor(sub)), 409)
    assert len(stored_by(client, database_url, sub)) == 1


def test_a_duplicate_while_the_first_still_runs_is_409(
    client: TestClient, database_url: str
) -> None:
    code, sub, key = credit_code(), new_id("ent"), new_id("key")
    headers = {**enterprise(code, sub), "Idempotency-Key": key}
    answers: list[Any] = []
    # Hold the event store's table lock so the first lodging cannot be stored yet.
    with psycopg.connect(database_url) as blocker:
        blocker.execute("LOCK TABLE oversight_events IN EXCLUSIVE MODE")
        first = threading.Thread(
            target=lambda: answers.append(client.post(API, json=lodge_body(code), headers=headers))
        )
        first.start()
        deadline = time.monotonic() + 10
        while not key_rows(database_url, key):
            assert time.monotonic() < deadline, "the first request never claimed its key"
            time.sleep(0.02)
        assert key_rows(database_url, key)[0][1] is None  # claimed, not answered

        duplicate = client.post(API, json=lodge_body(code), headers=headers)
        other = client.post(API, json=lodge_body(code, title="另一件事"), headers=headers)
        blocker.rollback()  # the first lodging goes on
    first.join(timeout=30)

    check_problem(duplicate, 409)
    assert duplicate.headers["retry-after"] == "1"
    check_problem(other, 422, "Idempotency-Key")
    [original] = answers
    body = check_case_response(original, code=201)
    same_answer(original, client.post(API, json=lodge_body(code), headers=headers))
    assert [e["case_id"] for e in stored_by(client, database_url, sub)] == [body["id"]]


def test_a_key_expires_after_24_hours_and_is_purged(
    database_url: str, settings: Settings, clock: Clock
) -> None:
    code, sub, key = credit_code(), new_id("ent"), new_id("key")
    headers = {**enterprise(code, sub), "Idempotency-Key": key}
    app = create_app(settings, database_url=database_url, jwt_secret=JWT_SECRET, clock=clock)
    with TestClient(app) as client:
        first = check_case_response(
            client.post(API, json=lodge_body(code), headers=headers), code=201
        )
        clock.advance(hours=23, minutes=59)
        same_answer_id = client.post(API, json=lodge_body(code), headers=headers).json()["id"]
        assert same_answer_id == first["id"]
    assert len(key_rows(database_url, key)) == 1

    clock.advance(minutes=1)  # 24 h after the first request: expired
    app = create_app(settings, database_url=database_url, jwt_secret=JWT_SECRET, clock=clock)
    with TestClient(app) as client:
        assert key_rows(database_url, key) == []  # purged at start-up
        again = client.post(API, json=lodge_body(code), headers=headers)
        assert check_case_response(again, code=201)["id"] != first["id"]
        assert "idempotent-replayed" not in again.headers
        assert len(stored_by(client, database_url, sub)) == 2


# A 5xx releases the key: shown on a small app with the real middleware, authentication
# and PostgreSQL, whose one handler fails the first time it runs.


@dataclass
class _Services:
    pool: asyncpg.Pool
    settings: Settings

    def now(self) -> datetime:
        return datetime.now(UTC)


@pytest.fixture
def flaky(database_url: str, settings: Settings) -> Iterator[tuple[TestClient, list[int]]]:
    runs: list[int] = []

    @post("/flaky", status_code=201)
    async def handler() -> dict[str, int]:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("the first run fails")
        return {"run": len(runs)}

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=2)
        app.state.services = _Services(pool, settings)
        try:
            yield
        finally:
            await pool.close()

    app = Litestar(
        route_handlers=[handler],
        middleware=[DefineMiddleware(JWTAuthMiddleware), IdempotencyMiddleware],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        on_startup=[ensure_idempotency_table],
        state=State({"jwt_secret": JWT_SECRET}),
        logging_config=None,
    )
    with TestClient(app) as client:
        yield client, runs


def test_a_5xx_releases_the_key_so_a_retry_runs(flaky: tuple[TestClient, list[int]]) -> None:
    client, runs = flaky
    key = new_id("key")
    headers = {**bearer("clerk", new_id("clerk")), "Idempotency-Key": key}
    assert client.post("/flaky", json={}, headers=headers).status_code == 500
    second = client.post("/flaky", json={}, headers=headers)
    assert (second.status_code, second.json()) == (201, {"run": 2})
    third = client.post("/flaky", json={}, headers=headers)
    assert (third.status_code, third.json()) == (201, {"run": 2})
    assert third.headers["idempotent-replayed"] == "true"
    assert len(runs) == 2
