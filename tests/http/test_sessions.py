"""The web pages' session (issue 15): a form signs in and gets an HttpOnly, SameSite=Lax
cookie (Secure over https); the same middleware resolves its actor; CSRF protects every
cookie-authenticated unsafe request, and never a bearer one."""

from __future__ import annotations

import pytest

from api.identity import SESSION_COOKIE, digest
from tests.http.identity_support import STRONG, ready_admin, staff
from tests.http.support import check_problem
from tests.support import credit_code, lodge_body

pytestmark = pytest.mark.http


def csrf(client, base: str = "") -> str:
    """A page's CSRF token (the middleware sets its cookie on any page)."""
    assert client.get(f"{base}/login").status_code == 200
    token = client.cookies.get("oversight_csrf")
    assert token
    return token


def form_sign_in(client, login: str, password: str, token: str | None, base: str = ""):
    form = {"login": login, "password": password}
    if token is not None:
        form["_csrf_token"] = token
    return client.post(f"{base}/login", data=form, follow_redirects=False)


def session_rows(client) -> int:
    pool = client.app.state.services.pool

    async def count() -> int:
        async with pool.acquire() as conn:
            return int(await conn.fetchval("SELECT count(*) FROM identity.sessions"))

    return client.blocking_portal.call(count)


def test_a_form_signs_in_with_a_csrf_token_and_gets_a_session_cookie(ic):
    admin = ready_admin(ic)
    login, _ = staff(ic, admin, "clerk")
    sessions_before = session_rows(ic)
    # Refused (the pages answer in HTML: status only).
    assert form_sign_in(ic, login, STRONG, None).status_code == 403  # no token
    assert form_sign_in(ic, login, STRONG, "forged" * 20).status_code == 403
    assert SESSION_COOKIE not in ic.cookies and session_rows(ic) == sessions_before

    signed = form_sign_in(ic, login, STRONG, csrf(ic))
    assert signed.status_code == 303, signed.text
    set_cookie = signed.headers["set-cookie"]
    assert set_cookie.startswith(f"{SESSION_COOKIE}=")
    flags = {part.strip().lower() for part in set_cookie.split(";")}
    assert {"httponly", "samesite=lax", "path=/"} <= flags and "secure" not in flags
    assert session_rows(ic) == sessions_before + 1
    me = ic.get("/api/v1/me").json()
    assert (me["login"], me["role"], me["credential"]) == (login, "clerk", "session")


def test_the_cookie_is_secure_over_https(ic):
    admin = ready_admin(ic)
    login, _ = staff(ic, admin, "clerk")
    base = "https://testserver.local"
    signed = form_sign_in(ic, login, STRONG, csrf(ic, base), base)
    assert signed.status_code == 303, signed.text
    assert "secure" in {p.strip().lower() for p in signed.headers["set-cookie"].split(";")}


def test_cookie_requests_need_the_csrf_token_bearer_requests_never(ic):
    admin = ready_admin(ic)
    login, bearer_headers = staff(ic, admin, "clerk")
    token = csrf(ic)
    assert form_sign_in(ic, login, STRONG, token).status_code == 303
    code = credit_code()

    refused = ic.post("/api/v1/complaints", json=lodge_body(code))
    assert check_problem(refused, 403)["detail"] == "CSRF token verification failed"
    lodged = ic.post("/api/v1/complaints", json=lodge_body(code), headers={"X-CSRF-Token": token})
    assert lodged.status_code == 201, lodged.text
    # A bearer request from a client that holds a session cookie too needs no token.
    with_bearer = ic.post("/api/v1/complaints", json=lodge_body(code), headers=bearer_headers)
    assert with_bearer.status_code == 201, with_bearer.text


def test_signing_out_ends_the_session(ic):
    admin = ready_admin(ic)
    login, _ = staff(ic, admin, "clerk")
    token = csrf(ic)
    signed = form_sign_in(ic, login, STRONG, token)
    raw = signed.cookies[SESSION_COOKIE]
    assert ic.post("/logout", follow_redirects=False).status_code == 403  # CSRF here too
    out = ic.post("/logout", data={"_csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303, out.text
    assert f"{SESSION_COOKIE}=" in out.headers["set-cookie"]
    assert "max-age=0" in out.headers["set-cookie"].lower()
    ic.cookies.set(SESSION_COOKIE, raw)  # a client that kept it anyway
    check_problem(ic.get("/api/v1/me"), 401)

    pool = ic.app.state.services.pool

    async def stored() -> int:
        async with pool.acquire() as conn:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM identity.sessions WHERE token_hash = $1", digest(raw)
                )
            )

    assert ic.blocking_portal.call(stored) == 0


def test_a_session_ends_after_30_idle_minutes_and_after_12_hours(ic, clock):
    admin = ready_admin(ic)
    login, _ = staff(ic, admin, "clerk")
    assert form_sign_in(ic, login, STRONG, csrf(ic)).status_code == 303
    clock.advance(minutes=29)
    assert ic.get("/api/v1/me").status_code == 200
    clock.advance(minutes=31)
    check_problem(ic.get("/api/v1/me"), 401)

    assert form_sign_in(ic, login, STRONG, csrf(ic)).status_code == 303
    for _ in range(35):  # active every 20 minutes: 11 h 40 min
        clock.advance(minutes=20)
        assert ic.get("/api/v1/me").status_code == 200
    clock.advance(minutes=20)
    check_problem(ic.get("/api/v1/me"), 401)


def test_a_one_time_password_session_reaches_only_the_password_change(ic):
    admin = ready_admin(ic)
    made = ic.post("/api/v1/accounts", json={"login": "clerk-otp", "role": "clerk"}, headers=admin)
    one_time = made.json()["password"]
    token = csrf(ic)
    assert form_sign_in(ic, "clerk-otp", one_time, token).status_code == 303
    check_problem(ic.get("/api/v1/complaints", headers={"X-CSRF-Token": token}), 403)
    changed = ic.post(
        "/api/v1/auth/password",
        json={"old_password": one_time, "new_password": STRONG},
        headers={"X-CSRF-Token": token},
    )
    assert changed.status_code == 200, changed.text
    # The same session goes on, no longer restricted.
    assert ic.get("/api/v1/complaints").status_code == 200
    assert ic.get("/api/v1/me").json()["scope"] is None
