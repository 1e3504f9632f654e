"""Signing in to the web pages with the accounts of issue 15 (issue 16): the designed
/login, /register and /password pages over the accounts' service functions, the session
cookie, CSRF on every form, and 退出. Litestar's test client keeps cookies like a
browser: each form is read from its page (with its CSRF token) and posted back.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from api import identity
from domain import account as acc
from domain import organisation as org
from domain.application import Oversight
from domain.identity import Identity
from domain.values import Actor, Role
from tests.conftest import bearer
from tests.http.pages_support import Page, page_of
from tests.http.support import latest_position, list_cases
from tests.support import credit_code

pytestmark = pytest.mark.http

STRONG = "Lodge-Complaints-2024"
ADMIN = Actor(id="pages-admin", role=Role.ADMIN)


def submit(client: TestClient, path: str, action: str, status: int = 303, **fields: str) -> Any:
    """Open `path`, fill the form posting to `action` and send it (its CSRF token too)."""
    form = page_of(client.get(path)).form(action)
    r = client.post(action, data={**form.fields, **fields}, follow_redirects=False)
    assert r.status_code == status, (r.status_code, r.text[-2000:])
    return r


def staff(client: TestClient, role: str, org_code: str | None = None) -> tuple[str, str]:
    """A staff account an administrator made: its login and one-time password."""
    login = f"{role}-{uuid.uuid4().hex[:8]}"
    made = client.blocking_portal.call(
        identity.create_account,
        client.app.state.services,
        ADMIN,
        acc.CreateAccount(login=login, role=Role(role), org=org_code),
    )
    assert made.password
    return login, made.password


def fresh_client(client: TestClient) -> TestClient:
    client.cookies.clear()
    return client


def test_the_register_page_refuses_what_the_api_refuses_and_stores_nothing(
    client: TestClient, application: Oversight
) -> None:
    client = fresh_client(client)
    page = page_of(client.get("/register"))
    assert {"统一社会信用代码", "企业名称", "联系人", "手机号", "密码"} <= set(page.labels())
    assert "注册" in page.buttons()
    r = submit(client, "/register", "/register", 422)
    page = page_of(r, 422)
    for field, message in (
        ("credit_code", "请填写统一社会信用代码"),
        ("name", "请填写企业名称"),
        ("contact", "请填写联系人"),
        ("password", "请填写密码"),
    ):
        assert page.by_id(f"{field}-error") == f"错误：{message}", field
    code = credit_code()
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    r = submit(
        client, "/register", "/register", 422,
        credit_code=wrong, name="某公司", contact="张三", phone="12", password="short",
    )  # fmt: skip
    page = page_of(r, 422)
    assert page.by_id("credit_code-error").startswith("错误：统一社会信用代码应为 18 位")
    assert page.by_id("phone-error") == "错误：请输入正确的手机号，例如 13800000000"
    assert 'value="short"' not in page.html  # a password is never sent back
    r = submit(
        client, "/register", "/register", 422,
        credit_code=code, name="某公司", contact="张三", phone="13800000000", password="short",
    )  # fmt: skip
    assert page_of(r, 422).by_id("password-error") == "错误：密码至少 10 个字符"
    assert Identity(application).account(code) is None
    assert Identity(application).account(wrong) is None


def test_an_enterprise_registers_lodges_and_signs_out(
    client: TestClient, application: Oversight
) -> None:
    client = fresh_client(client)
    code = credit_code()
    r = submit(
        client, "/register", "/register",
        credit_code=code.lower(), name="哈尔滨某某食品有限公司", contact="李经理",
        phone="13900000000", password=STRONG,
    )  # fmt: skip
    assert r.headers["location"] == "/cases?done=registered"
    assert "oversight_session=" in r.headers["set-cookie"]
    page = page_of(client.get(r.headers["location"]))
    assert "注册成功，您已登录" in page.text and "我的案件" in page.text
    account = Identity(application).account(code)
    assert account is not None and account.name == "哈尔滨某某食品有限公司"
    # Registering again is refused next to the field
    client.cookies.clear()
    r = submit(
        client, "/register", "/register", 422,
        credit_code=code, name="x", contact="y", phone="13900000000", password=STRONG,
    )  # fmt: skip
    assert page_of(r, 422).by_id("credit_code-error") == "错误：该企业已经注册，请直接登录"
    # Sign in and lodge with the session (CSRF token from the form)
    r = submit(client, "/login", "/login", login=code, password=STRONG)
    assert r.headers["location"] == "/cases"
    r = submit(
        client, "/cases/new", "/cases/new",
        kind="appeal", category="approval", title="复工备案无人联系",
        description="请协调尽快完成备案。",
    )  # fmt: skip
    page = page_of(client.get(r.headers["location"]))
    assert "已登记" in page.text and "哈尔滨某某食品有限公司" in page.text
    # 退出: the session ends; the pages then ask to sign in
    home = page_of(client.get("/"))  # signed in, the home page's forms carry the token too
    assert home.form("/logout").fields["_csrf_token"]
    r = client.post("/logout", data=home.form("/logout").fields, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    r = client.get("/cases", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/cases"


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_stored(
    client: TestClient, application: Oversight
) -> None:
    client = fresh_client(client)
    code = credit_code()
    submit(
        client, "/register", "/register",
        credit_code=code, name="某某科技有限公司", contact="王五", phone="13700000000",
        password=STRONG,
    )  # fmt: skip
    form = page_of(client.get("/cases/new")).form("/cases/new")
    assert form.fields["_csrf_token"]
    fields = {"kind": "complaint", "category": "approval", "title": "标题", "description": "内容"}
    for token in (None, "forged" + form.fields["_csrf_token"][6:]):
        data = fields | ({"_csrf_token": token} if token else {})
        r = client.post("/cases/new", data=data, follow_redirects=False)
        page = page_of(r, 403)
        assert "表单已失效" in page.text
    # Nothing stored: the enterprise has no case (the app's watchers may store reminders)
    mine = bearer("enterprise", code, code)
    assert list_cases(client, mine, latest_position(client)) == []
    # The same form with its token goes through
    r = client.post(
        "/cases/new",
        data=fields | {"_csrf_token": form.fields["_csrf_token"]},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_a_one_time_password_leads_to_the_password_page_first(client: TestClient) -> None:
    client = fresh_client(client)
    login, one_time = staff(client, "clerk")
    # A visitor asked for the desk: sign in, change the password, then the desk
    r = client.get("/desk", follow_redirects=False)
    assert r.headers["location"] == "/login?next=/desk"
    page = page_of(client.get(r.headers["location"]))
    assert {"账号", "密码"} <= set(page.labels()) and "登录" in page.buttons()
    assert page.form("/login").fields["next"] == "/desk"
    r = submit(client, "/login?next=/desk", "/login", login=login, password=one_time)
    assert r.headers["location"] == "/password"
    # Until it is changed, the session reaches nothing else
    assert client.get("/desk", follow_redirects=False).headers["location"] == "/password"
    page = page_of(client.get("/password"))
    assert "首次登录，请先修改初始密码" in page.text
    assert {"当前密码", "新密码"} <= set(page.labels()) and "修改密码" in page.buttons()
    r = submit(client, "/password", "/password", 422, old_password="wrong", new_password=STRONG)
    assert page_of(r, 422).by_id("old_password-error") == "错误：当前密码不正确"
    r = submit(client, "/password", "/password", 422, old_password=one_time, new_password="abc")
    assert page_of(r, 422).by_id("new_password-error") == "错误：新密码至少 10 个字符"
    r = submit(client, "/password", "/password", old_password=one_time, new_password=STRONG)
    assert r.headers["location"] == "/desk?done=password"
    page = page_of(client.get(r.headers["location"]))
    assert "密码已修改" in page.text and "待办" in page.text


def test_a_failed_sign_in_says_one_thing_whatever_was_wrong(client: TestClient) -> None:
    client = fresh_client(client)
    login, one_time = staff(client, "clerk")
    messages = set()
    for name, password in ((login, "not-it"), ("nobody-" + uuid.uuid4().hex[:6], one_time)):
        r = submit(client, "/login", "/login", 401, login=name, password=password)
        page = page_of(r, 401)
        messages.add(page.by_id("login-error"))
        assert password not in page.html
    assert messages == {"错误：账号、密码或动态口令不正确"}
    r = submit(client, "/login", "/login", 422, login="", password="")
    page = page_of(r, 422)
    assert page.by_id("login-error") == "错误：请填写账号"
    assert page.by_id("password-error") == "错误：请填写密码"


def test_a_department_officer_signs_in_to_their_desk(
    client: TestClient, application: Oversight
) -> None:
    client = fresh_client(client)
    code = f"pg-{uuid.uuid4().hex[:6]}"
    Identity(application).register_department(
        ADMIN,
        datetime(2024, 9, 1, tzinfo=UTC),
        org.RegisterDepartment(code=code, name="省测试厅"),
    )
    login, one_time = staff(client, "department", code)
    submit(client, "/login", "/login", login=login, password=one_time)
    r = submit(client, "/password", "/password", old_password=one_time, new_password=STRONG)
    page: Page = page_of(client.get(r.headers["location"]))
    assert "转交给本部门" in page.text or "转办给本部门" in page.text
    assert f"{login}" in page.text and "承办部门" in page.text  # who is signed in, and as what


def test_a_role_that_needs_a_second_factor_enrols_on_the_totp_page(
    make_client: Any, clock: Any
) -> None:
    import pyotp

    client = make_client(OVERSIGHT_TOTP_REQUIRED="supervisor")
    login, one_time = staff(client, "supervisor")
    submit(client, "/login", "/login", login=login, password=one_time)
    submit(client, "/password", "/password", old_password=one_time, new_password=STRONG)
    client.post("/logout", data=page_of(client.get("/password")).form("/logout").fields)
    # Signing in now reaches only the second factor's page
    r = submit(client, "/login", "/login", login=login, password=STRONG)
    assert r.headers["location"] == "/totp"
    assert client.get("/cases", follow_redirects=False).headers["location"] == "/totp"
    page = page_of(client.get("/totp"))
    assert "启用动态口令" in page.text and "生成密钥" in page.buttons()
    page = page_of(client.post("/totp", data=page.form("/totp").fields))
    secret = page.by_id("secret").replace(" ", "")
    assert len(secret) >= 16 and "启用" in page.buttons()
    r = client.post("/totp", data=page.form("/totp").fields | {"code": "000000"})
    page = page_of(r, 422)
    assert page.by_id("code-error").startswith("错误：验证码不正确")
    assert page.by_id("secret").replace(" ", "") == secret  # shown again to retry
    code = pyotp.TOTP(secret).at(clock())
    r = client.post(
        "/totp", data=page.form("/totp").fields | {"code": code}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/login?done=totp"
    page = page_of(client.get(r.headers["location"]))
    assert "动态口令已启用" in page.text
    # The next sign-in asks for the code
    r = submit(client, "/login", "/login", 401, login=login, password=STRONG)
    page = page_of(r, 401)
    assert page.by_id("totp-error") == "错误：请填写动态口令" and "动态口令" in page.labels()
    clock.advance(seconds=30)
    r = client.post(
        "/login",
        data=page.form("/login").fields
        | {"login": login, "password": STRONG, "totp": pyotp.TOTP(secret).at(clock())},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/desk"
