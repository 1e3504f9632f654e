"""Shared fixtures: a real PostgreSQL for every test that touches storage.

With DATABASE_URL set (CI exports it when a local server answers), tests use that
server; otherwise they start the embedded PostgreSQL in var/test-pgdata. Each test
session works in a database of its own, created here and dropped at the end, and
tests that need an empty store get a fresh database from `fresh_database_url`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from litestar.testing import TestClient

from api.auth import issue_token
from domain.application import Oversight
from domain.values import Actor, Role
from oversight.runtime import build_application, create_app
from oversight.settings import Settings
from tests.support import Clock

ROOT = Path(__file__).resolve().parent.parent
JWT_SECRET = "test-secret-" + uuid.uuid4().hex
# `oversight token` (run by tests, also in subprocesses) mints tokens only when told to
# (issue 15: people sign in; the command is for development and tests).
os.environ.setdefault("OVERSIGHT_DEV_TOKENS", "1")


def pytest_sessionstart(session: pytest.Session) -> None:
    # Browser tests need Debian's chromium: installed here when missing (tests/browser.py).
    from tests.browser import ensure_chromium

    ensure_chromium()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """A URL of the PostgreSQL server the tests may create databases on."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    from oversight.database import start_embedded

    yield start_embedded(ROOT / "var" / "test")


@pytest.fixture(scope="session")
def create_database(server_url: str) -> Iterator[Callable[[], str]]:
    created: list[str] = []

    def create() -> str:
        name = "oversight_test_" + uuid.uuid4().hex[:12]
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return _with_database(server_url, name)

    yield create
    with psycopg.connect(server_url, autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(create_database: Callable[[], str]) -> str:
    """One database shared by the session's tests (they use random case ids)."""
    return create_database()


@pytest.fixture
def fresh_database_url(create_database: Callable[[], str]) -> str:
    """An empty database for a test that compares whole views or counts every event."""
    return create_database()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var = tmp_path_factory.mktemp("var")
    return Settings.from_env(
        {
            "OVERSIGHT_VAR_DIR": str(var),
            "OVERSIGHT_JWT_SECRET": JWT_SECRET,
            "OVERSIGHT_PROJECTION_POLL": "0.2",
            "OVERSIGHT_MIN_POSITION_WAIT": "5",
            # Tests lodge many cases from one address; tests/http/test_rate_limits.py
            # checks the limits with settings of its own.
            "OVERSIGHT_RATE_LIMITS": "off",
            # One var dir serves every test database of the session: a published heads
            # log there would mix their heads. Tests that publish name their own file.
            "OVERSIGHT_LEDGER_HEADS_LOG": "off",
            # The tests of the cases transfer to departments they make up (a fresh code
            # per test); tests/http/test_identity*.py check registered departments.
            "OVERSIGHT_DEPARTMENTS": "free",
        }
    )


@pytest.fixture(scope="session")
def application(database_url: str, settings: Settings) -> Iterator[Oversight]:
    app = build_application(database_url, settings)
    yield app
    app.close()


@pytest.fixture
def clock() -> Clock:
    """The time the API passes to commands; tests move it."""
    return Clock(datetime(2024, 9, 23, 9, 0, tzinfo=UTC))


@pytest.fixture
def client(database_url: str, settings: Settings, clock: Clock) -> Iterator[TestClient]:
    app = create_app(settings, database_url=database_url, jwt_secret=JWT_SECRET, clock=clock)
    with TestClient(app) as test_client:
        yield test_client


def bearer(role: Role | str, sub: str = "user-1", org: str | None = None) -> dict[str, str]:
    token = issue_token(
        JWT_SECRET,
        sub=sub,
        role=Role(role),
        org=org,
        now=datetime.now(UTC),
        ttl=timedelta(hours=1),
    )
    return {"Authorization": f"Bearer {token}"}


def actor(role: Role | str, sub: str = "user-1", org: str | None = None) -> Actor:
    return Actor(id=sub, role=Role(role), org=org)


@pytest.fixture
def fresh_client(fresh_database_url: str, settings: Settings, clock: Clock) -> Iterator[TestClient]:
    """A client on an empty database, for tests that count everything in a view."""
    app = create_app(settings, database_url=fresh_database_url, jwt_secret=JWT_SECRET, clock=clock)
    with TestClient(app) as test_client:
        yield test_client
