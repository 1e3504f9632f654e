"""Fixtures of the HTTP tests that need a server of their own (issue 15's identity
tests: registered departments are checked there, as in production)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from litestar.testing import TestClient

from oversight.runtime import create_app
from oversight.settings import Settings
from tests.conftest import JWT_SECRET
from tests.http.identity_support import identity_settings
from tests.support import Clock


@pytest.fixture
def make_client(
    create_database: Callable[[], str], settings: Settings, clock: Clock
) -> Iterator[Callable[..., TestClient]]:
    """`make_client(**env)`: a started client on a fresh database with these settings."""
    opened: list[TestClient] = []

    def make(**extra: str) -> TestClient:
        mine = identity_settings(settings.var_dir, **extra)
        app = create_app(mine, database_url=create_database(), jwt_secret=JWT_SECRET, clock=clock)
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def ic(make_client: Callable[..., TestClient]) -> TestClient:
    """The identity tests' client: a fresh database, default identity settings."""
    return make_client()
