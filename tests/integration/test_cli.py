"""The `oversight` command: a real server process, tokens, calendar loading."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jwt
import psutil
import psycopg
import pytest

from tests.conftest import ROOT
from tests.support import credit_code, lodge_body

pytestmark = pytest.mark.integration


def oversight(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "oversight.cli", *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_token_is_signed_with_the_configured_secret():
    env = {"OVERSIGHT_JWT_SECRET": "s" * 40, "DATABASE_URL": "postgresql://unused/x"}
    result = oversight("token", "--role", "department", "--sub", "d1", "--org", "hlj-zjt", env=env)
    assert result.returncode == 0, result.stderr
    claims = jwt.decode(result.stdout.strip(), "s" * 40, algorithms=["HS256"])
    assert (claims["sub"], claims["role"], claims["org"]) == ("d1", "department", "hlj-zjt")
    assert claims["exp"] > time.time()


def test_token_for_an_org_role_needs_an_org():
    env = {"OVERSIGHT_JWT_SECRET": "s" * 40, "DATABASE_URL": "postgresql://unused/x"}
    result = oversight("token", "--role", "enterprise", "--sub", "e1", env=env)
    assert result.returncode == 2
    assert "--org" in result.stderr
    assert result.stdout == ""


def test_token_with_a_server_database_and_no_secret_is_refused(tmp_path):
    env = {
        "OVERSIGHT_JWT_SECRET": "",
        "DATABASE_URL": "postgresql://unused/x",
        "OVERSIGHT_VAR_DIR": str(tmp_path),
    }
    result = oversight("token", "--role", "clerk", "--sub", "c1", env=env)
    assert result.returncode != 0
    assert "OVERSIGHT_JWT_SECRET" in result.stderr
    assert not (tmp_path / "jwt-secret").exists()


def test_calendar_load_installs_a_valid_year_and_refuses_a_bad_one(tmp_path):
    env = {"OVERSIGHT_CALENDAR_DIR": str(tmp_path / "cal")}
    good = tmp_path / "2031.json"
    good.write_text(
        json.dumps(
            {
                "year": 2031,
                "holidays": ["2031-01-01"],
                "workdays": [],
                "source": "test data",
            }
        )
    )
    # (--no-recompute: this test has no database of its own; the recompute that follows a
    # load is tested in tests/http/test_provisional_deadlines.py)
    result = oversight("calendar", "load", "--no-recompute", str(good), env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cal" / "2031.json").exists()

    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "year": 2032,
                "holidays": ["2031-05-01"],
                "workdays": [],
                "source": "test data",
            }
        )
    )
    result = oversight("calendar", "load", "--no-recompute", str(bad), env=env)
    assert result.returncode == 1
    assert "2031-05-01" in result.stderr
    assert not (tmp_path / "cal" / "2032.json").exists()


def _serve(env: dict[str, str], port: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "oversight.cli", "serve", "--port", str(port), *extra],
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_ready(base: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stdout.read()}")
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    try:
        last = httpx.get(base + "/readyz", timeout=1).text
    except httpx.HTTPError as e:
        last = repr(e)
    raise AssertionError(f"server did not become ready: {last}")


def _lodge_through(base: str, env: dict[str, str]) -> None:
    code = credit_code()
    token = oversight(
        "token", "--role", "enterprise", "--sub", "u1", "--org", code, env=env
    ).stdout.strip()
    r = httpx.post(
        base + "/api/v1/complaints",
        json=lodge_body(code),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    position = r.json()["position"]
    listed = httpx.get(
        base + "/api/v1/complaints",
        headers={"Authorization": f"Bearer {token}", "X-Min-Position": str(position)},
        timeout=10,
    )
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["items"]] == [r.json()["id"]]


def _server_env(database_url: str, var: Path, secret: str) -> dict[str, str]:
    """A server's environment on its own var/ whose ledger key was created first: with
    DATABASE_URL no key is generated silently, and without one readiness stays 503."""
    env = {
        "DATABASE_URL": database_url,
        "OVERSIGHT_JWT_SECRET": secret,
        "OVERSIGHT_VAR_DIR": str(var),
    }
    assert oversight("ledger", "init-key", env=env).returncode == 0
    return env


def test_serve_on_a_database_url_answers_real_http(fresh_database_url, tmp_path):
    # A database of its own: the session database may hold heads signed with another key.
    env = _server_env(fresh_database_url, tmp_path, "k" * 40)
    port = free_port()
    proc = _serve(env, port)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, proc)
        assert httpx.get(base + "/healthz").json() == {"status": "ok"}
        _lodge_through(base, env)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_with_one_process_per_core(fresh_database_url, tmp_path):
    env = _server_env(fresh_database_url, tmp_path, "w" * 40)
    port = free_port()
    proc = _serve(env, port, "--workers", "2")
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, proc)
        _lodge_through(base, env)
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert len([w for w in workers if "python" in w.name().lower()]) >= 2
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_without_database_url_starts_the_embedded_postgres():
    var = ROOT / "var" / "test-serve"
    shutil.rmtree(var, ignore_errors=True)
    env = {"DATABASE_URL": "", "OVERSIGHT_JWT_SECRET": "", "OVERSIGHT_VAR_DIR": str(var)}
    port = free_port()
    proc = _serve(env, port)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, proc, seconds=90)
        assert (var / "pgdata" / "PG_VERSION").exists()
        secret = (var / "jwt-secret").read_text()
        assert len(secret) >= 32
        assert oct((var / "jwt-secret").stat().st_mode & 0o777) == "0o600"
        _lodge_through(base, env)
        postmaster = int((var / "pgdata" / "postmaster.pid").read_text().split()[0])
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    # SIGTERM stops the service and the embedded PostgreSQL it started.
    assert proc.returncode == 0
    deadline = time.monotonic() + 30
    while psutil.pid_exists(postmaster) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not psutil.pid_exists(postmaster)


def test_rebuild_on_a_store_whose_views_were_never_built(fresh_database_url, settings):
    from domain import commands as cmd
    from oversight.runtime import build_application
    from tests.conftest import actor

    app = build_application(fresh_database_url, settings)
    code = credit_code()
    body = cmd.LodgeComplaint(
        kind="complaint",
        channel="web",
        category="approval",
        title="t",
        description="d",
        complainant=cmd.ComplainantIn(name="某公司", credit_code=code),
    )
    from datetime import UTC, datetime

    app.lodge_complaint(actor("enterprise", "e", code), datetime(2024, 9, 23, 1, tzinfo=UTC), body)
    app.close()
    env = {"DATABASE_URL": fresh_database_url, "OVERSIGHT_JWT_SECRET": "k" * 40}
    # A bad --jobs is refused before anything is touched: the views stay unbuilt.
    refused = oversight("rebuild", "--jobs", "0", env=env, timeout=60)
    assert refused.returncode == 2 and "--jobs: must be at least 1" in refused.stderr
    with psycopg.connect(fresh_database_url) as conn:
        assert conn.execute("SELECT to_regclass('views.tracking')").fetchone()[0] is None
    result = oversight("rebuild", env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert '"rebuilt"' in result.stderr
