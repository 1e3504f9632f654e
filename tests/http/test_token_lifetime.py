"""A token living longer than OVERSIGHT_MAX_TOKEN_HOURS (default 24) is refused, and so
is a token without `iat` (its lifetime cannot be checked); `oversight token --hours`
keeps to the same maximum."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from litestar.testing import TestClient

from api.auth import issue_token
from domain.values import Role
from oversight.cli import build_parser, cmd_token
from oversight.runtime import create_app
from oversight.settings import Settings
from tests.conftest import JWT_SECRET
from tests.http.support import API, check_problem
from tests.support import Clock

pytestmark = pytest.mark.http


def token(lifetime: timedelta, *, sub: str = "sup-life", secret: str = JWT_SECRET) -> str:
    return issue_token(
        secret, sub=sub, role=Role.SUPERVISOR, org=None, now=datetime.now(UTC), ttl=lifetime
    )


def get_list(client: TestClient, raw: str) -> int:
    return client.get(API, headers={"Authorization": f"Bearer {raw}"}).status_code


def test_a_token_longer_lived_than_24_hours_is_refused(client: TestClient) -> None:
    assert get_list(client, token(timedelta(hours=24))) == 200
    longer = client.get(
        API, headers={"Authorization": f"Bearer {token(timedelta(hours=24, seconds=1))}"}
    )
    problem = check_problem(longer, 401)
    assert "lifetime" in problem["detail"]
    assert get_list(client, token(timedelta(days=365))) == 401


def test_a_token_without_iat_is_refused(client: TestClient) -> None:
    now = datetime.now(UTC)
    claims = {"sub": "sup-no-iat", "role": "supervisor", "exp": now + timedelta(hours=1)}
    raw = jwt.encode(claims, JWT_SECRET, algorithm="HS256")
    problem = check_problem(client.get(API, headers={"Authorization": f"Bearer {raw}"}), 401)
    assert "iat" in problem["detail"]


def test_the_maximum_is_configurable_and_the_cache_keeps_to_it(
    client: TestClient, database_url: str, settings: Settings, clock: Clock
) -> None:
    two_hours = token(timedelta(hours=2), sub="sup-cached")
    assert get_list(client, two_hours) == 200  # verified and cached under 24 h
    strict = dataclasses.replace(settings, max_token_hours=1)
    app = create_app(strict, database_url=database_url, jwt_secret=JWT_SECRET, clock=clock)
    with TestClient(app) as strict_client:
        assert get_list(strict_client, two_hours) == 401
        assert get_list(strict_client, token(timedelta(hours=1))) == 200


def _cli_token(hours: str, environ: dict[str, str], tmp_path) -> int:
    env = {"OVERSIGHT_JWT_SECRET": JWT_SECRET, "OVERSIGHT_VAR_DIR": str(tmp_path), **environ}
    args = build_parser().parse_args(
        ["token", "--role", "supervisor", "--sub", "s1", "--hours", hours]
    )
    return cmd_token(args, Settings.from_env(env))


def test_the_cli_issues_no_token_the_api_would_refuse(tmp_path, capsys) -> None:
    assert _cli_token("25", {}, tmp_path) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "at most 24" in err
    assert _cli_token("0", {}, tmp_path) == 2
    capsys.readouterr()

    assert _cli_token("24", {}, tmp_path) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), JWT_SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 24 * 3600

    assert _cli_token("25", {"OVERSIGHT_MAX_TOKEN_HOURS": "48"}, tmp_path) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), JWT_SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 25 * 3600


@pytest.mark.parametrize("value", ["0", "-1", "soon", "inf", "nan"])
def test_a_bad_maximum_stops_the_start(value: str) -> None:
    with pytest.raises(SystemExit, match="OVERSIGHT_MAX_TOKEN_HOURS"):
        Settings.from_env({"OVERSIGHT_MAX_TOKEN_HOURS": value})
