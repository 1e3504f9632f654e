"""What the identity tests share: a server on a database of its own (registered
departments checked, as in production), its first administrator, signing in."""

from __future__ import annotations

import uuid
from typing import Any

from litestar.testing import TestClient

from api.identity import create_first_administrator
from oversight.settings import Settings
from tests.conftest import JWT_SECRET

STRONG = "Correct-Horse-7-battery"


def identity_settings(var_dir: Any, **extra: str) -> Settings:
    return Settings.from_env(
        {
            "OVERSIGHT_VAR_DIR": str(var_dir),
            "OVERSIGHT_JWT_SECRET": JWT_SECRET,
            "OVERSIGHT_PROJECTION_POLL": "0.2",
            "OVERSIGHT_MIN_POSITION_WAIT": "5",
            "OVERSIGHT_LEDGER_HEADS_LOG": "off",
            "OVERSIGHT_WATCH_SECONDS": "0",
            "OVERSIGHT_RATE_LIMITS": "off",
            **extra,
        }
    )


def new_login(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def first_admin(client: TestClient, login: str = "root") -> str:
    """The first administrator (as `oversight admin create`): its one-time password."""
    services = client.app.state.services
    created = client.blocking_portal.call(create_first_administrator, services, login, "管理员")
    assert created.password is not None
    return created.password


def sign_in(client: TestClient, login: str, password: str, **extra: Any) -> Any:
    return client.post("/api/v1/auth/login", json={"login": login, "password": password, **extra})


def tokens(client: TestClient, login: str, password: str, **extra: Any) -> dict[str, Any]:
    r = sign_in(client, login, password, **extra)
    assert r.status_code == 200, r.text
    return r.json()


def auth(body: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {body['access_token']}"}


def change_password(client: TestClient, token: dict[str, Any], old: str, new: str) -> Any:
    return client.post(
        "/api/v1/auth/password",
        json={"old_password": old, "new_password": new},
        headers=auth(token),
    )


def ready_admin(client: TestClient, login: str = "root") -> dict[str, str]:
    """The first administrator, its one-time password changed: bearer headers."""
    one_time = first_admin(client, login)
    limited = tokens(client, login, one_time)
    assert change_password(client, limited, one_time, STRONG).status_code == 200
    return auth(tokens(client, login, STRONG))


def staff(
    client: TestClient, admin: dict[str, str], role: str, *, org: str | None = None
) -> tuple[str, dict[str, str]]:
    """A staff account made by the administrator, signed in with its own password."""
    login = new_login(role)
    r = client.post(
        "/api/v1/accounts", json={"login": login, "role": role, "org": org}, headers=admin
    )
    assert r.status_code == 201, r.text
    one_time = r.json()["password"]
    limited = tokens(client, login, one_time)
    assert change_password(client, limited, one_time, STRONG).status_code == 200
    return login, auth(tokens(client, login, STRONG))
