"""The verified-token cache (api/auth.py) answers exactly as a full verification would."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from litestar.exceptions import NotAuthorizedException

from api import auth
from api.auth import actor_from_token, issue_token
from domain.values import Actor, Role

SECRET = "a-secret-for-the-cache-tests-0123456789"


def token(secret: str = SECRET, ttl: timedelta = timedelta(hours=1)) -> str:
    return issue_token(secret, sub="u1", role=Role.CLERK, org=None, now=datetime.now(UTC), ttl=ttl)


def test_a_token_is_verified_once_and_then_answered_from_the_cache(monkeypatch):
    t = token()
    assert actor_from_token(SECRET, t) == Actor(id="u1", role=Role.CLERK)
    monkeypatch.setattr(auth, "_verify", lambda *_: pytest.fail("verified again"))
    assert actor_from_token(SECRET, t) == Actor(id="u1", role=Role.CLERK)


def test_a_cached_token_still_expires():
    t = token(ttl=timedelta(seconds=1))
    actor_from_token(SECRET, t)
    time.sleep(max(0.0, auth._VERIFIED[(SECRET, t)][1] - time.time()) + 0.05)
    with pytest.raises(NotAuthorizedException, match="expired"):
        actor_from_token(SECRET, t)


def test_a_token_verified_under_one_secret_is_not_taken_under_another():
    t = token()
    actor_from_token(SECRET, t)
    with pytest.raises(NotAuthorizedException, match="invalid token"):
        actor_from_token("another-secret-entirely-0123456789", t)


def test_invalid_tokens_are_never_cached():
    bad = token("not-the-secret-at-all-0123456789abcdef")
    for _ in range(2):
        with pytest.raises(NotAuthorizedException):
            actor_from_token(SECRET, bad)
    assert (SECRET, bad) not in auth._VERIFIED
