"""Rate limits (api/ratelimit.py, OVERSIGHT_RATE_LIMITS): lodging per account and per
client address, token-less endpoints per address; 429 with Retry-After and
problem+json, nothing stored; counters in memory or shared through Redis."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from oversight.runtime import create_app
from oversight.settings import DEFAULT_RATE_LIMITS, RateLimit, Settings, parse_rate_limits
from tests.conftest import JWT_SECRET
from tests.http.support import (
    API,
    AUDIT,
    check_case_response,
    check_problem,
    clerk,
    enterprise,
    new_id,
    supervisor,
)
from tests.support import Clock, credit_code, lodge_body

pytestmark = pytest.mark.http

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_answers() -> bool:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False
    return True


@pytest.fixture(scope="module")
def redis_available() -> None:
    if not _redis_answers():
        if os.environ.get("CI"):
            pytest.fail(f"no Redis answers at {REDIS_URL} (the machine starts one)")
        pytest.skip(f"no Redis answers at {REDIS_URL}")


@pytest.fixture
def redis_prefix(redis_available: None) -> Iterator[str]:
    import redis

    prefix = f"oversight-test:{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The settings that choose a backend (redis: a real server, a unique prefix)."""
    if request.param == "memory":
        return {"redis_url": None}
    return {"redis_url": REDIS_URL, "rate_limit_prefix": request.getfixturevalue("redis_prefix")}


def limited_app(
    settings: Settings, database_url: str, clock: Clock, limits: str, **more: Any
) -> TestClient:
    limited = dataclasses.replace(settings, rate_limits=parse_rate_limits(limits), **more)
    app = create_app(limited, database_url=database_url, jwt_secret=JWT_SECRET, clock=clock)
    return TestClient(app)


def stored_by(client: TestClient, database_url: str, sub: str) -> list[dict[str, Any]]:
    with psycopg.connect(database_url) as conn:
        top = conn.execute("SELECT coalesce(max(notification_id), 0) FROM oversight_events")
        position = top.fetchone()[0]  # type: ignore[index]
    r = client.get(
        AUDIT,
        params={"actor": sub, "limit": 1000},
        headers={**supervisor(), "X-Min-Position": str(position)},
    )
    assert r.status_code == 200, r.text
    return r.json()["items"]


def check_429(r: Any, window: float) -> int:
    problem = check_problem(r, 429)
    assert problem["type"].endswith("/rate-limited")
    retry_after = int(r.headers["retry-after"])
    assert 1 <= retry_after <= window
    assert str(retry_after) in problem["detail"]
    return retry_after


def lodge_as(client: TestClient, sub: str, code: str) -> Any:
    return client.post(API, json=lodge_body(code), headers=enterprise(code, sub))


def test_lodging_is_limited_per_account_and_a_429_stores_nothing(
    backend: dict[str, Any], settings: Settings, database_url: str, clock: Clock
) -> None:
    code, sub = credit_code(), new_id("ent")
    with limited_app(settings, database_url, clock, "lodge=2/minute", **backend) as client:
        for _ in range(2):
            check_case_response(lodge_as(client, sub, code), code=201)
        refused = lodge_as(client, sub, code)
        check_429(refused, 60)
        assert "this account" in refused.json()["detail"]
        assert len(stored_by(client, database_url, sub)) == 2
        # Another account is not held back; moves and reads are not counted.
        other = new_id("ent")
        check_case_response(lodge_as(client, other, code), code=201)
        for _ in range(3):
            assert client.get(API, headers=supervisor()).status_code == 200
        assert len(stored_by(client, database_url, sub)) == 2


def test_lodging_is_limited_per_client_address(
    backend: dict[str, Any], settings: Settings, database_url: str, clock: Clock
) -> None:
    code = credit_code()
    limits = "lodge=5/minute,lodge_address=3/minute"
    with limited_app(settings, database_url, clock, limits, **backend) as client:
        subs = [new_id("ent") for _ in range(4)]
        for sub in subs[:3]:
            check_case_response(lodge_as(client, sub, code), code=201)
        refused = lodge_as(client, subs[3], code)
        check_429(refused, 60)
        assert "this address" in refused.json()["detail"]
        refused_clerk = client.post(API, json=lodge_body(code), headers=clerk(new_id("clerk")))
        check_429(refused_clerk, 60)
        assert stored_by(client, database_url, subs[3]) == []


def test_token_less_endpoints_are_limited_per_address(
    backend: dict[str, Any], settings: Settings, database_url: str, clock: Clock
) -> None:
    with limited_app(settings, database_url, clock, "anonymous=3/minute", **backend) as client:
        assert [client.get("/healthz").status_code for _ in range(3)] == [200] * 3
        check_429(client.get("/healthz"), 60)
        check_429(client.get("/static/swagger/swagger-ui.css"), 60)
        # With a token, other endpoints are not counted as anonymous.
        assert client.get(API, headers=supervisor()).status_code == 200


def test_a_window_closes_and_lets_requests_through_again(
    backend: dict[str, Any], settings: Settings, database_url: str, clock: Clock
) -> None:
    with limited_app(settings, database_url, clock, "anonymous=2/second", **backend) as client:
        assert [client.get("/healthz").status_code for _ in range(2)] == [200, 200]
        r = client.get("/healthz")
        assert check_429(r, 1) == 1
        time.sleep(1.05)
        assert client.get("/healthz").status_code == 200


def test_with_redis_every_process_shares_one_counter(
    redis_prefix: str, settings: Settings, database_url: str, clock: Clock
) -> None:
    code, sub = credit_code(), new_id("ent")
    shared = {"redis_url": REDIS_URL, "rate_limit_prefix": redis_prefix}
    one = limited_app(settings, database_url, clock, "lodge=2/minute", **shared)
    two = limited_app(settings, database_url, clock, "lodge=2/minute", **shared)
    with one, two:
        check_case_response(lodge_as(one, sub, code), code=201)
        check_case_response(lodge_as(two, sub, code), code=201)
        check_429(lodge_as(one, sub, code), 60)
        check_429(lodge_as(two, sub, code), 60)
        assert len(stored_by(one, database_url, sub)) == 2


def test_in_memory_each_process_counts_alone(
    settings: Settings, database_url: str, clock: Clock
) -> None:
    code, sub = credit_code(), new_id("ent")
    one = limited_app(settings, database_url, clock, "lodge=1/minute")
    two = limited_app(settings, database_url, clock, "lodge=1/minute")
    with one, two:
        check_case_response(lodge_as(one, sub, code), code=201)
        check_case_response(lodge_as(two, sub, code), code=201)
        check_429(lodge_as(one, sub, code), 60)


def test_an_unreachable_redis_lets_requests_through(
    settings: Settings, database_url: str, clock: Clock
) -> None:
    dead = {"redis_url": "redis://127.0.0.1:1/0"}
    with limited_app(settings, database_url, clock, "anonymous=1/minute", **dead) as client:
        started = time.monotonic()
        assert [client.get("/healthz").status_code for _ in range(3)] == [200] * 3
        assert time.monotonic() - started < 5


def test_without_limits_nothing_is_counted(client: TestClient) -> None:
    assert all(client.get("/healthz").status_code == 200 for _ in range(50))


def test_redis_counters_expire_with_their_window(redis_prefix: str) -> None:
    import redis

    from api.ratelimit import Counter, RedisBackend

    async def run() -> list[list[float | None]]:
        backend = RedisBackend(REDIS_URL, redis_prefix)
        counter = Counter("lodge", "lodge:x", RateLimit(1, 60))
        try:
            return [await backend.hit([counter]) for _ in range(2)]
        finally:
            await backend.close()

    first, second = asyncio.run(run())
    assert first == [None]
    assert second[0] is not None and 59 < second[0] <= 60
    ttl = redis.Redis.from_url(REDIS_URL).pttl(redis_prefix + "lodge:x")
    assert 59_000 < ttl <= 60_000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("off", {}),
        (
            "lodge=30/minute, anonymous=120/minute",
            {"lodge": RateLimit(30, 60.0), "anonymous": RateLimit(120, 60.0)},
        ),
        ("lodge_address=5/hours", {"lodge_address": RateLimit(5, 3600.0)}),
        ("lodge=1/second", {"lodge": RateLimit(1, 1.0)}),
    ],
)
def test_the_setting_parses(text: str, expected: dict[str, RateLimit]) -> None:
    assert parse_rate_limits(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("lodging=30/minute", "unknown rule"),
        ("lodge=0/minute", "at least 1"),
        ("lodge=²/minute", "whole number"),
        ("lodge=30/fortnight", "unit"),
        ("lodge=30", "unit"),
        ("lodge=1/minute,lodge=2/minute", "twice"),
    ],
)
def test_a_bad_setting_stops_the_start(text: str, says: str) -> None:
    with pytest.raises(SystemExit, match=says):
        Settings.from_env({"OVERSIGHT_RATE_LIMITS": text})


def test_limits_are_on_unless_turned_off() -> None:
    assert Settings.from_env({}).rate_limits == parse_rate_limits(DEFAULT_RATE_LIMITS)
    assert set(Settings.from_env({}).rate_limits) == {"lodge", "lodge_address", "anonymous"}
    assert Settings.from_env({"OVERSIGHT_RATE_LIMITS": "off"}).rate_limits == {}
