"""No password, token, key, cookie or TOTP secret is in the logs, the events or the
ledger (issue 15): every way in is used once, everything logged is captured, then the
event store, every view (the ledger's tables included) and the logs are searched for
each secret, and the secrets tables for every raw one."""

from __future__ import annotations

import json

import pyotp
import pytest
import structlog
from structlog.testing import capture_logs

from api.identity import SESSION_COOKIE
from tests.http.identity_support import (
    STRONG,
    auth,
    change_password,
    first_admin,
    sign_in,
    staff,
    tokens,
)
from tests.support import credit_code, lodge_body

pytestmark = pytest.mark.http


def test_no_secret_reaches_the_logs_the_events_or_the_ledger(ic, clock):
    secrets: list[str] = []
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        one_time = first_admin(ic)
        limited = tokens(ic, "root", one_time)
        assert change_password(ic, limited, one_time, STRONG).status_code == 200
        admin_tokens = tokens(ic, "root", STRONG)
        admin = auth(admin_tokens)
        secrets += [one_time, STRONG, limited["access_token"], admin_tokens["access_token"],
                    admin_tokens["refresh_token"]]  # fmt: skip

        login, headers = staff(ic, admin, "inspector")
        enrolled = ic.post("/api/v1/auth/totp", headers=headers).json()
        totp = pyotp.TOTP(enrolled["secret"])
        ic.post("/api/v1/auth/totp/confirm", json={"code": totp.at(clock())}, headers=headers)
        secrets += [enrolled["secret"], headers["Authorization"][7:]]

        code = credit_code()
        own = "Enterprise-Pass-42"
        ic.post("/api/v1/auth/register", json={"credit_code": code, "name": "某公司",
                "contact": "李", "phone": "13900002222", "password": own})  # fmt: skip
        enterprise = tokens(ic, code, own)
        rotated = ic.post(
            "/api/v1/auth/refresh", json={"refresh_token": enterprise["refresh_token"]}
        ).json()
        ic.post("/api/v1/auth/refresh", json={"refresh_token": enterprise["refresh_token"]})
        ic.post("/api/v1/auth/logout", json={"refresh_token": rotated["refresh_token"]})
        secrets += [own, enterprise["access_token"], enterprise["refresh_token"],
                    rotated["access_token"], rotated["refresh_token"]]  # fmt: skip

        mistyped = "Typed-Password-Into-Login-1"
        for _ in range(5):  # someone typing their password into the login field: locked
            sign_in(ic, mistyped, "x")
        sign_in(ic, login, "Wrong-Password-99")
        secrets += [mistyped, "Wrong-Password-99"]

        ic.post("/api/v1/accounts", json={"login": "hotline", "role": "clerk", "kind": "service"},
                headers=admin)  # fmt: skip
        key = ic.post("/api/v1/api-keys", json={"login": "hotline", "name": "k"}, headers=admin)
        key = key.json()["key"]
        ic.post("/api/v1/complaints", json=lodge_body(code), headers=auth({"access_token": key}))
        reset = ic.post(f"/api/v1/accounts/{login}/reset-password", headers=admin).json()
        secrets += [key, reset["password"]]

        ic.get("/login")
        form = {"login": code, "password": own, "_csrf_token": ic.cookies["oversight_csrf"]}
        ic.post("/login", data=form, follow_redirects=False)
        cookie = ic.cookies[SESSION_COOKIE]
        ic.get("/api/v1/me")
        ic.post("/logout", data={"_csrf_token": ic.cookies["oversight_csrf"]})
        secrets += [cookie, ic.cookies["oversight_csrf"]]
        position = ic.get("/readyz", headers=admin).json()["position"]

    # Every view caught up (the ledger's leaves among them) before looking.
    ic.get("/api/v1/audit-trail", headers={**headers, "X-Min-Position": str(position)})
    everything = json.dumps(logs, default=str, ensure_ascii=False)
    assert any(entry["event"] == "sign_in_failed" for entry in logs)  # the logs are there

    pool = ic.app.state.services.pool

    async def dump(schemas: tuple[str, ...]) -> str:
        async with pool.acquire() as conn:
            tables = await conn.fetch(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema = ANY($1::text[])",
                list(schemas),
            )
            texts = []
            for t in tables:
                rows = await conn.fetch(
                    f'SELECT t::text AS row FROM "{t["table_schema"]}"."{t["table_name"]}" t'
                )
                texts += [r["row"] for r in rows]
            events = await conn.fetch("SELECT state FROM public.oversight_events")
            texts += [bytes(r["state"]).decode() for r in events]
            return "\n".join(texts)

    stored = ic.blocking_portal.call(dump, ("public", "views"))
    assert "PasswordSet" in stored and "PasswordReset" in stored  # the events are in the dump
    for secret in secrets:
        assert secret not in everything, "a secret in the logs"
        assert secret not in stored, "a secret in the events or the views"
    assert "$argon2" not in stored and "$argon2" not in everything
    # The secrets tables hold hashes, never a raw token, key, cookie or password.
    identity_tables = ic.blocking_portal.call(dump, ("identity",))
    assert "$argon2id$" in identity_tables
    for raw in secrets:
        if raw != enrolled["secret"]:  # the TOTP secret must be kept to check codes
            assert raw not in identity_tables
