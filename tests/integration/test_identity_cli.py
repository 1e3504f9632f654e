"""`oversight admin create`, `oversight user add`, `oversight org load` and the
development-only `oversight token` (issue 15), as real processes on a database of
their own; the printed one-time password signs in through the API."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from litestar.testing import TestClient

from oversight.runtime import create_app
from tests.conftest import JWT_SECRET, ROOT
from tests.http.identity_support import STRONG, identity_settings
from tests.support import Clock

pytestmark = pytest.mark.integration

ORGANISATION = ROOT / "domain" / "data" / "organisation-demo.json"


def oversight(*args: str, url: str, var: Path, **env: str) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-m", "oversight.cli", *args],
        env={
            **os.environ,
            "DATABASE_URL": url,
            "OVERSIGHT_JWT_SECRET": JWT_SECRET,
            "OVERSIGHT_VAR_DIR": str(var),
            "OVERSIGHT_LOG_FORMAT": "json",
            **env,
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_time_password(stdout: str) -> str:
    lines = [line for line in stdout.splitlines() if line.startswith("password: ")]
    assert len(lines) == 1, stdout
    return lines[0].removeprefix("password: ")


def test_the_first_administrator_and_staff_come_from_the_command_line(
    create_database, tmp_path, clock: Clock
):
    url = create_database()
    made = oversight("admin", "create", "root", "--name", "系统管理员", url=url, var=tmp_path)
    assert made.returncode == 0, made.stderr
    admin_password = one_time_password(made.stdout)
    again = oversight("admin", "create", "root", url=url, var=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr

    loaded = oversight("org", "load", str(ORGANISATION), url=url, var=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert (
        "20 departments and 12 categories: 32 registered, 0 changed, 0 unchanged" in loaded.stdout
    )
    reloaded = oversight("org", "load", str(ORGANISATION), url=url, var=tmp_path)
    assert "0 registered, 0 changed, 32 unchanged" in reloaded.stdout
    broken = tmp_path / "broken.json"
    broken.write_text('{"departments": [{"code": "a", "name": "甲", "parent": "a"}]}')
    refused = oversight("org", "load", str(broken), url=url, var=tmp_path)
    assert refused.returncode == 1 and "own parent" in refused.stderr

    officer = oversight(
        "user", "add", "zjt-officer", "--role", "department", "--org", "hlj-zjt",
        "--name", "住建厅承办人", url=url, var=tmp_path,
    )  # fmt: skip
    assert officer.returncode == 0, officer.stderr
    officer_password = one_time_password(officer.stdout)
    unknown = oversight(
        "user", "add", "x-officer", "--role", "department", "--org", "nowhere",
        url=url, var=tmp_path,
    )  # fmt: skip
    assert unknown.returncode == 1 and "no registered department" in unknown.stderr
    for line in (made.stderr + officer.stderr).splitlines():  # the logs never hold it
        assert admin_password not in line and officer_password not in line

    # The commands stored their events at the time they ran: the server's clock goes on
    # from there (a change is never dated before an account's last event).
    clock.set(datetime.now(UTC))
    app = create_app(
        identity_settings(tmp_path), database_url=url, jwt_secret=JWT_SECRET, clock=clock
    )
    with TestClient(app) as client:
        signed = client.post(
            "/api/v1/auth/login", json={"login": "zjt-officer", "password": officer_password}
        )
        assert signed.status_code == 200, signed.text
        assert signed.json()["scope"] == "password"
        headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
        me = client.get("/api/v1/me", headers=headers).json()
        assert (me["role"], me["org"], me["account"]["name"]) == (
            "department", "hlj-zjt", "住建厅承办人",
        )  # fmt: skip
        changed = client.post(
            "/api/v1/auth/password",
            json={"old_password": admin_password, "new_password": STRONG},
            headers={"Authorization": "Bearer " + client.post(
                "/api/v1/auth/login", json={"login": "root", "password": admin_password}
            ).json()["access_token"]},
        )  # fmt: skip
        assert changed.status_code == 200, changed.text
        admin = client.post("/api/v1/auth/login", json={"login": "root", "password": STRONG})
        assert admin.json()["token_type"] == "Bearer" and "scope" not in admin.json()


def test_oversight_token_needs_dev_tokens_or_the_embedded_database(create_database, tmp_path):
    url = create_database()
    args = ("token", "--role", "clerk", "--sub", "c1")
    refused = oversight(*args, url=url, var=tmp_path, OVERSIGHT_DEV_TOKENS="0")
    assert refused.returncode == 2
    assert refused.stdout == "" and "OVERSIGHT_DEV_TOKENS=1" in refused.stderr
    allowed = oversight(*args, url=url, var=tmp_path, OVERSIGHT_DEV_TOKENS="1")
    assert allowed.returncode == 0 and allowed.stdout.count(".") == 2
