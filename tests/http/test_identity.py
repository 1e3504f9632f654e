"""Accounts and signing in through the API (issue 15): registration, one-time
passwords, the token response, refresh rotation and reuse, lockout, TOTP, API keys,
role withdrawal, and the account's lifecycle in the audit trail."""

from __future__ import annotations

import jwt
import pyotp
import pytest

from api.identity_config import AUDIENCE, ISSUER
from domain.account import account_id
from tests.conftest import JWT_SECRET
from tests.http.identity_support import (
    STRONG,
    auth,
    change_password,
    first_admin,
    new_login,
    ready_admin,
    sign_in,
    staff,
    tokens,
)
from tests.http.support import check_problem
from tests.support import credit_code, lodge_body

pytestmark = pytest.mark.http

REGISTER = "/api/v1/auth/register"


def registration(code: str, **overrides: str) -> dict[str, str]:
    return {
        "credit_code": code,
        "name": "哈尔滨某某科技有限公司",
        "contact": "王经理",
        "phone": "13900001111",
        "password": STRONG,
    } | overrides


def test_an_enterprise_registers_itself_and_signs_in_with_its_credit_code(ic):
    code = credit_code()
    r = ic.post(REGISTER, json=registration(code))
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["login"], body["kind"], body["role"], body["org"]) == (
        code, "enterprise", "enterprise", code,
    )  # fmt: skip
    assert body["must_change_password"] is False

    signed = tokens(ic, code, STRONG)
    assert set(signed) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert (signed["token_type"], signed["expires_in"]) == ("Bearer", 300)
    claims = jwt.decode(signed["access_token"], JWT_SECRET, algorithms=["HS256"], audience=AUDIENCE)
    assert (claims["iss"], claims["sub"], claims["role"], claims["org"]) == (
        ISSUER, code, "enterprise", code,
    )  # fmt: skip
    assert claims["exp"] - claims["iat"] == 300 and claims["jti"]

    me = ic.get("/api/v1/me", headers=auth(signed))
    assert me.status_code == 200, me.text
    assert (me.json()["login"], me.json()["credential"]) == (code, "jwt")
    assert me.json()["account"]["name"] == "哈尔滨某某科技有限公司"
    lodged = ic.post("/api/v1/complaints", json=lodge_body(code), headers=auth(signed))
    assert lodged.status_code == 201, lodged.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"credit_code": "91350100M000100Y44"}, "credit_code"),  # wrong check character
        ({"credit_code": "91350100m000100y43"}, "credit_code"),  # lower case
        ({"password": "short1A!"}, "password"),
        ({"password": "alllowercaseletters"}, "password"),
        ({"phone": "call me"}, "phone"),
        ({"contact": ""}, "contact"),
    ],
)
def test_a_bad_registration_is_422_naming_the_field_and_nothing_is_stored(ic, change, field):
    code = credit_code()
    body = registration(code) | change
    check_problem(ic.post(REGISTER, json=body), 422, field)
    login = body["credit_code"]
    # Nothing stored: the same enterprise registers fine afterwards (or never existed).
    check_problem(sign_in(ic, login, body["password"]), 401)
    if field != "credit_code":
        assert ic.post(REGISTER, json=registration(code)).status_code == 201


def test_an_enterprise_registers_once(ic):
    code = credit_code()
    assert ic.post(REGISTER, json=registration(code)).status_code == 201
    again = ic.post(REGISTER, json=registration(code, password="Another-pass-99"))
    check_problem(again, 422, "credit_code")
    assert sign_in(ic, code, "Another-pass-99").status_code == 401
    assert sign_in(ic, code, STRONG).status_code == 200


def test_a_one_time_password_only_allows_changing_it(ic):
    admin = ready_admin(ic)
    login = new_login("clerk")
    created = ic.post("/api/v1/accounts", json={"login": login, "role": "clerk"}, headers=admin)
    assert created.status_code == 201, created.text
    one_time = created.json()["password"]
    assert created.json()["must_change_password"] is True

    limited = tokens(ic, login, one_time)
    assert limited["scope"] == "password" and "refresh_token" not in limited
    refused = ic.get("/api/v1/complaints", headers=auth(limited))
    assert check_problem(refused, 403)["detail"].startswith("change the one-time password")
    check_problem(change_password(ic, limited, "not-the-password", STRONG), 401)
    check_problem(change_password(ic, limited, one_time, "weak"), 422, "new_password")
    check_problem(change_password(ic, limited, one_time, one_time), 422, "new_password")
    assert sign_in(ic, login, STRONG).status_code == 401  # nothing changed yet

    changed = change_password(ic, limited, one_time, STRONG)
    assert changed.status_code == 200, changed.text
    assert changed.json()["must_change_password"] is False
    check_problem(sign_in(ic, login, one_time), 401)
    full = tokens(ic, login, STRONG)
    assert "scope" not in full and full["refresh_token"]
    assert ic.get("/api/v1/complaints", headers=auth(full)).status_code == 200


def test_a_refresh_token_rotates_and_a_reused_one_revokes_its_family(ic):
    admin = ready_admin(ic)
    login, _ = staff(ic, admin, "supervisor")
    first = tokens(ic, login, STRONG)
    refresh = "/api/v1/auth/refresh"

    second = ic.post(refresh, json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert ic.get("/api/v1/me", headers=auth(second)).json()["role"] == "supervisor"
    third = ic.post(refresh, json={"refresh_token": second["refresh_token"]}).json()

    # The first one again: refused, and every token of its family with it.
    reused = ic.post(refresh, json={"refresh_token": first["refresh_token"]})
    check_problem(reused, 401)
    check_problem(ic.post(refresh, json={"refresh_token": third["refresh_token"]}), 401)
    # Another sign-in is another family, untouched.
    other = tokens(ic, login, STRONG)
    assert ic.post(refresh, json={"refresh_token": other["refresh_token"]}).status_code == 200
    counts = ic.get("/api/v1/auth/counts", headers=admin).json()["counts"]
    assert counts["refresh_reuse"] == 1 and counts["refresh"] == 3


def test_logging_out_revokes_the_refresh_token(ic):
    code = credit_code()
    assert ic.post(REGISTER, json=registration(code)).status_code == 201
    signed = tokens(ic, code, STRONG)
    out = ic.post("/api/v1/auth/logout", json={"refresh_token": signed["refresh_token"]})
    assert out.status_code == 204
    check_problem(
        ic.post("/api/v1/auth/refresh", json={"refresh_token": signed["refresh_token"]}), 401
    )


def test_five_failures_lock_the_login_for_fifteen_minutes_known_or_not(ic, clock):
    admin = ready_admin(ic)
    login, _ = staff(ic, admin, "clerk")
    unknown = new_login("nobody")
    details = set()
    for attempt in range(5):
        for name in (login, unknown):
            r = sign_in(ic, name, f"wrong-password-{attempt}")
            details.add(check_problem(r, 401)["detail"])
    assert len(details) == 1  # one message, whatever was wrong

    for name, password in ((login, STRONG), (unknown, STRONG)):
        locked = sign_in(ic, name, password)
        check_problem(locked, 429)
        assert int(locked.headers["retry-after"]) == 15 * 60

    clock.advance(minutes=14, seconds=59)
    assert sign_in(ic, login, STRONG).status_code == 429
    assert int(sign_in(ic, login, STRONG).headers["retry-after"]) == 1
    clock.advance(seconds=1)
    assert sign_in(ic, login, STRONG).status_code == 200

    account = ic.get(f"/api/v1/accounts/{login}", headers=admin).json()
    assert account["state"] == "active"
    counts = ic.get("/api/v1/auth/counts", headers=admin).json()["counts"]
    assert counts["failure"] == 10 and counts["locked"] >= 4


def test_failures_spread_beyond_the_window_do_not_lock(ic, clock):
    code = credit_code()
    assert ic.post(REGISTER, json=registration(code)).status_code == 201
    for _ in range(8):
        assert sign_in(ic, code, "wrong-Password-1").status_code == 401
        clock.advance(minutes=4)  # never five within fifteen minutes
    assert sign_in(ic, code, STRONG).status_code == 200


def test_an_administrator_unlocks_a_locked_account(ic):
    admin = ready_admin(ic)
    login, _ = staff(ic, admin, "clerk")
    for _ in range(5):
        sign_in(ic, login, "wrong-Password-1")
    assert sign_in(ic, login, STRONG).status_code == 429
    assert ic.get(f"/api/v1/accounts/{login}", headers=admin).json()["state"] == "locked"
    r = ic.post(f"/api/v1/accounts/{login}/unlock", json={"reason": "电话核实"}, headers=admin)
    assert r.status_code == 200, r.text
    assert sign_in(ic, login, STRONG).status_code == 200


def test_totp_once_enrolled_is_needed_and_each_code_counts_once(ic, clock):
    admin = ready_admin(ic)
    login, headers = staff(ic, admin, "inspector")
    enrolled = ic.post("/api/v1/auth/totp", headers=headers)
    assert enrolled.status_code == 201, enrolled.text
    totp = pyotp.TOTP(enrolled.json()["secret"])
    assert enrolled.json()["otpauth_uri"].startswith("otpauth://totp/Oversight:")
    wrong = f"{(int(totp.at(clock())) + 1) % 1_000_000:06d}"
    check_problem(
        ic.post("/api/v1/auth/totp/confirm", json={"code": wrong}, headers=headers), 422, "code"
    )
    assert sign_in(ic, login, STRONG).status_code == 200  # not on until confirmed
    confirmed = ic.post(
        "/api/v1/auth/totp/confirm", json={"code": totp.at(clock())}, headers=headers
    )
    assert confirmed.status_code == 200 and confirmed.json()["totp_enabled"] is True

    needs = sign_in(ic, login, STRONG)
    assert check_problem(needs, 401)["type"].endswith("totp-required")
    clock.advance(seconds=30)
    check_problem(sign_in(ic, login, STRONG, totp=wrong), 401)
    assert sign_in(ic, login, STRONG, totp=totp.at(clock())).status_code == 200
    # The same code again (a replay within its window) is refused.
    check_problem(sign_in(ic, login, STRONG, totp=totp.at(clock())), 401)
    clock.advance(seconds=30)
    assert sign_in(ic, login, STRONG, totp=totp.at(clock())).status_code == 200
    # A right password with a wrong code is a failed sign-in like any other.
    assert ic.get("/api/v1/auth/counts", headers=admin).json()["counts"]["failure"] == 2


def test_a_role_that_requires_totp_signs_in_only_to_enrol(make_client, clock):
    client = make_client(OVERSIGHT_TOTP_REQUIRED="admin,supervisor")
    admin_one_time = first_admin(client)
    limited = tokens(client, "root", admin_one_time)
    assert change_password(client, limited, admin_one_time, STRONG).status_code == 200
    admin = tokens(client, "root", STRONG)
    assert admin["scope"] == "totp" and "refresh_token" not in admin
    check_problem(client.get("/api/v1/accounts", headers=auth(admin)), 403)
    secret = client.post("/api/v1/auth/totp", headers=auth(admin)).json()["secret"]
    code = pyotp.TOTP(secret).at(clock())
    assert (
        client.post(
            "/api/v1/auth/totp/confirm", json={"code": code}, headers=auth(admin)
        ).status_code
        == 200
    )
    clock.advance(seconds=30)
    full = tokens(client, "root", STRONG, totp=pyotp.TOTP(secret).at(clock()))
    assert "scope" not in full
    assert client.get("/api/v1/accounts", headers=auth(full)).status_code == 200


def test_an_api_key_acts_as_its_service_account_until_revoked(ic):
    admin = ready_admin(ic)
    made = ic.post(
        "/api/v1/accounts",
        json={"login": "hotline-12345", "role": "clerk", "kind": "service", "name": "12345热线"},
        headers=admin,
    )
    assert made.status_code == 201, made.text
    assert made.json()["password"] is None  # API keys only
    issued = ic.post(
        "/api/v1/api-keys", json={"login": "hotline-12345", "name": "生产"}, headers=admin
    )
    assert issued.status_code == 201, issued.text
    key = issued.json()["key"]
    assert key.startswith("ovk_") and issued.json()["role"] == "clerk"
    headers = {"Authorization": f"Bearer {key}"}

    me = ic.get("/api/v1/me", headers=headers)
    assert (me.json()["login"], me.json()["role"], me.json()["credential"]) == (
        "hotline-12345", "clerk", "api_key",
    )  # fmt: skip
    code = credit_code()
    assert ic.post("/api/v1/complaints", json=lodge_body(code), headers=headers).status_code == 201
    listed = ic.get("/api/v1/api-keys", headers=admin).json()["items"]
    assert [(k["id"], k["name"], k["role"]) for k in listed] == [
        (issued.json()["id"], "生产", "clerk")
    ]
    assert listed[0]["last_used_at"] is not None
    assert key not in str(listed)
    # No password sign-in for a service account.
    check_problem(sign_in(ic, "hotline-12345", "anything-At-all-1"), 401)

    gone = ic.delete(f"/api/v1/api-keys/{issued.json()['id']}", headers=admin)
    assert gone.status_code == 204
    check_problem(ic.get("/api/v1/me", headers=headers), 401)
    check_problem(ic.delete(f"/api/v1/api-keys/{issued.json()['id']}", headers=admin), 404)


def test_an_api_key_stops_at_once_when_its_account_loses_the_role(ic):
    admin = ready_admin(ic)
    body = {"login": "credit-centre", "role": "inspector", "kind": "service"}
    assert ic.post("/api/v1/accounts", json=body, headers=admin).status_code == 201
    key = ic.post("/api/v1/api-keys", json={"login": "credit-centre", "name": "k"}, headers=admin)
    headers = {"Authorization": f"Bearer {key.json()['key']}"}
    assert ic.get("/api/v1/me", headers=headers).json()["role"] == "inspector"
    regranted = ic.post(
        "/api/v1/accounts/credit-centre/grant-role", json={"role": "supervisor"}, headers=admin
    )
    assert regranted.status_code == 200, regranted.text
    check_problem(ic.get("/api/v1/me", headers=headers), 401)  # issued for another role
    check_problem(
        ic.post(
            "/api/v1/accounts", json={**body, "login": "x-svc", "role": "admin"}, headers=admin
        ),
        422,
        "role",
    )


def test_only_an_administrator_manages_accounts_and_keys(ic):
    admin = ready_admin(ic)
    _, clerk = staff(ic, admin, "clerk")
    before = ic.get("/api/v1/accounts", headers=admin).json()["items"]
    body = {"login": new_login("x"), "role": "admin"}
    check_problem(ic.post("/api/v1/accounts", json=body, headers=clerk), 403)
    check_problem(
        ic.post("/api/v1/api-keys", json={"login": "a-b-c", "name": "x"}, headers=clerk), 403
    )
    check_problem(ic.get("/api/v1/accounts", headers=clerk), 403)
    check_problem(ic.post(f"/api/v1/accounts/{before[0]['login']}/disable", json={"reason": "x"},
                          headers=clerk), 403)  # fmt: skip
    assert ic.get("/api/v1/accounts", headers=admin).json()["items"] == before


def test_withdrawing_a_role_stops_sessions_and_keys_at_once_and_tokens_at_expiry(ic):
    admin = ready_admin(ic)
    login, _ = staff(ic, admin, "supervisor")
    signed = tokens(ic, login, STRONG)
    session = ic.post(
        "/login",
        data={"login": login, "password": STRONG},
        headers=_csrf(ic),
        follow_redirects=False,
    )
    assert session.status_code == 303, session.text
    assert session.cookies["oversight_session"]  # the client keeps it from now on
    me = ic.get("/api/v1/me").json()
    assert (me["role"], me["credential"]) == ("supervisor", "session")

    withdrawn = ic.post(
        f"/api/v1/accounts/{login}/withdraw-role", json={"reason": "调岗"}, headers=admin
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["role"] is None
    check_problem(ic.get("/api/v1/me"), 401)  # at once
    check_problem(
        ic.post("/api/v1/auth/refresh", json={"refresh_token": signed["refresh_token"]}), 401
    )
    assert sign_in(ic, login, STRONG).status_code == 403  # right password, no role
    # The access token already issued lives out its 5 minutes (exp - iat), no longer.
    claims = jwt.decode(signed["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 300
    assert ic.get("/api/v1/me", headers=auth(signed)).json()["role"] == "supervisor"

    regranted = ic.post(
        f"/api/v1/accounts/{login}/grant-role", json={"role": "inspector"}, headers=admin
    )
    assert regranted.status_code == 200, regranted.text
    assert (
        ic.get("/api/v1/me", headers=auth(tokens(ic, login, STRONG))).json()["role"] == "inspector"
    )


def test_disabling_ends_refresh_and_sessions_at_once(ic):
    admin = ready_admin(ic)
    login, _ = staff(ic, admin, "clerk")
    signed = tokens(ic, login, STRONG)
    r = ic.post(f"/api/v1/accounts/{login}/disable", json={"reason": "离职"}, headers=admin)
    assert r.status_code == 200 and r.json()["state"] == "disabled"
    check_problem(
        ic.post("/api/v1/auth/refresh", json={"refresh_token": signed["refresh_token"]}), 401
    )
    assert check_problem(sign_in(ic, login, STRONG), 403)["detail"].startswith(
        "this account is disabled"
    )
    check_problem(
        ic.post(f"/api/v1/accounts/{login}/disable", json={"reason": "x"}, headers=admin), 409
    )
    check_problem(
        ic.post("/api/v1/accounts/root/disable", json={"reason": "x"}, headers=admin), 422, "login"
    )


def test_a_department_officer_needs_a_registered_department(ic):
    admin = ready_admin(ic)
    body = {"login": new_login("dept"), "role": "department", "org": "no-such-dept"}
    check_problem(ic.post("/api/v1/accounts", json=body, headers=admin), 422, "org")
    assert ic.get(f"/api/v1/accounts/{body['login']}", headers=admin).status_code == 404
    assert ic.post("/api/v1/departments", json={"code": "hlj-zjt", "name": "省住房和城乡建设厅"},
                   headers=admin).status_code == 201  # fmt: skip
    body["org"] = "hlj-zjt"
    made = ic.post("/api/v1/accounts", json=body, headers=admin)
    assert made.status_code == 201, made.text
    assert (made.json()["role"], made.json()["org"]) == ("department", "hlj-zjt")


def test_the_account_lifecycle_is_in_the_audit_trail(ic):
    admin = ready_admin(ic)
    login, _ = staff(ic, admin, "clerk")
    for _ in range(5):
        sign_in(ic, login, "wrong-Password-1")
    steps = [
        ("grant-role", {"role": "supervisor"}),
        ("unlock", {"reason": "核实"}),
        ("withdraw-role", {"reason": "调岗"}),
        ("disable", {"reason": "离职"}),
        ("enable", {}),
    ]
    last = None
    for name, body in steps:
        last = ic.post(f"/api/v1/accounts/{login}/{name}", json=body, headers=admin)
        assert last.status_code == 200, last.text
    reset = ic.post(f"/api/v1/accounts/{login}/reset-password", headers=admin)
    assert reset.status_code == 200 and reset.json()["must_change_password"] is True
    _, inspector = staff(ic, admin, "inspector")
    trail = ic.get(
        "/api/v1/audit-trail",
        params={"case_id": str(account_id(login))},
        headers={**inspector, "X-Min-Position": str(reset.json()["position"])},
    )
    assert trail.status_code == 200, trail.text
    rows = [(i["type"], i["actor_id"], i["actor_role"]) for i in trail.json()["items"]]
    assert rows == [
        ("Created", "root", "admin"),
        ("PasswordSet", "root", "admin"),  # the one-time password it was given
        ("PasswordSet", login, "clerk"),  # changed by its owner at first sign-in
        ("Locked", "sign-in-guard", "system"),
        ("RoleGranted", "root", "admin"),
        ("Unlocked", "root", "admin"),
        ("RoleWithdrawn", "root", "admin"),
        ("Disabled", "root", "admin"),
        ("Enabled", "root", "admin"),
        ("PasswordReset", "root", "admin"),
    ]
    assert {i["case_type"] for i in trail.json()["items"]} == {"account"}


def test_a_stale_if_match_on_an_account_change_is_412_and_changes_nothing(ic):
    admin = ready_admin(ic)
    login, _ = staff(ic, admin, "clerk")
    version = ic.get(f"/api/v1/accounts/{login}", headers=admin).json()["version"]
    r = ic.post(
        f"/api/v1/accounts/{login}/grant-role",
        json={"role": "supervisor"},
        headers={**admin, "If-Match": f'"{version - 1}"'},
    )
    check_problem(r, 412)
    after = ic.get(f"/api/v1/accounts/{login}", headers=admin).json()
    assert (after["version"], after["role"]) == (version, "clerk")


def _csrf(client) -> dict[str, str]:
    """The CSRF token of the sign-in form (its cookie is now in the client)."""
    page = client.get("/login")
    assert page.status_code == 200
    token = client.cookies.get("oversight_csrf")
    assert token and f'value="{token}"' in page.text
    return {"X-CSRF-Token": token}


def test_tokens_expire_on_the_wall_clock_the_services_clock_does_not_move_them(ic, clock):
    code = credit_code()
    assert ic.post(REGISTER, json=registration(code)).status_code == 201
    signed = tokens(ic, code, STRONG)
    clock.advance(days=3)  # the service clock: stored times, lockout, refresh lifetimes
    assert ic.get("/api/v1/me", headers=auth(signed)).status_code == 200
    clock.advance(days=30)  # past the refresh family's 14 days
    check_problem(
        ic.post("/api/v1/auth/refresh", json={"refresh_token": signed["refresh_token"]}), 401
    )
