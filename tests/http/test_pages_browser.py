"""The whole course of a complaint through the web pages in a real browser (issue 16):
an enterprise registers, signs in and lodges; a clerk signs in with the one-time
password `oversight user add` printed, changes it, accepts and transfers; the
department's officer answers; the supervisor approves the reply (through the API: the
page is issue 17's); the enterprise sees the answer and rates it, then reads its case
in English.

Debian's Chromium through Playwright (tests/browser.py: never `playwright install`)
against a real uvicorn server (tests/http/pages_browser.py) on a database of its own,
with the demo's departments and categories registered (`oversight org load`) and
transfers checked against them, as in production. On every page: axe-core
(axe-playwright-python, which ships axe.min.js) finds no serious or critical violation,
the Content-Security-Policy blocks nothing, nothing is loaded from another origin.
A screenshot of each page goes to $OVERSIGHT_SCREENS (docs/screens/ when refreshing the
committed ones: `OVERSIGHT_SCREENS=docs/screens pytest tests/http/test_pages_browser.py`),
otherwise to a temporary folder.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import require_chromium
from tests.conftest import JWT_SECRET, ROOT, bearer
from tests.http.identity_support import identity_settings
from tests.http.pages_browser import CHROMIUM_ARGS, BrowserPerson, serve
from tests.support import credit_code

pytestmark = pytest.mark.http

STRONG = "Supervise-The-Bureau-2026"
ORGANISATION = ROOT / "domain" / "data" / "organisation-demo.json"


def _oversight(*args: str, url: str, var: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "oversight.cli", *args],
        env={
            **os.environ,
            "DATABASE_URL": url,
            "OVERSIGHT_JWT_SECRET": JWT_SECRET,
            "OVERSIGHT_VAR_DIR": str(var),
            "OVERSIGHT_LOG_FORMAT": "json",
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _one_time_password(stdout: str) -> str:
    return next(
        line.removeprefix("password: ")
        for line in stdout.splitlines()
        if line.startswith("password: ")
    )


class World:
    """The served application and the people of the course."""

    def __init__(self, base: str, clerk: tuple[str, str], officer: tuple[str, str]) -> None:
        self.base = base
        self.clerk = clerk
        self.officer = officer
        self.code = credit_code()
        folder = os.environ.get("OVERSIGHT_SCREENS")
        self.screens = Path(folder) if folder else None


@pytest.fixture(scope="module")
def world(create_database: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = create_database()
    var = tmp_path_factory.mktemp("pages-var")
    _oversight("org", "load", str(ORGANISATION), url=url, var=var)
    clerk = f"clerk-{uuid.uuid4().hex[:6]}"
    officer = f"fgw-{uuid.uuid4().hex[:6]}"
    clerk_password = _one_time_password(
        _oversight("user", "add", clerk, "--role", "clerk", "--name", "受理员", url=url, var=var)
    )
    officer_password = _one_time_password(
        _oversight(
            "user", "add", officer, "--role", "department", "--org", "hlj-fgw", url=url, var=var
        )
    )
    settings = identity_settings(var, OVERSIGHT_DEPARTMENTS="registered")
    with serve(url, settings) as base:
        yield World(base, (clerk, clerk_password), (officer, officer_password))


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Person(BrowserPerson):
    """An enterprise's, a clerk's or an officer's browser."""

    def __init__(self, chromium: Any, world: World, name: str, tmp: Path) -> None:
        super().__init__(chromium, world, tmp)
        self.name = name

    def sign_in(self, login: str, password: str) -> None:
        self.go("/login")
        self.fill("账号", login)
        self.fill("密码", password)
        self.click("登录")

    def wait_for(self, path: str, link: str) -> None:
        """Open a list until it shows `link` (its view catches up within moments)."""
        deadline = time.monotonic() + 20
        while True:
            self.go(path)
            if self.page.locator(f"a[href='{link}']").count():
                return
            assert time.monotonic() < deadline, f"{link} never appeared on {path}"
            time.sleep(0.3)


def test_the_course_of_a_complaint_through_the_pages(
    world: World, chromium: Any, tmp_path: Path
) -> None:
    ent = Person(chromium, world, "enterprise", tmp_path)
    clerk = Person(chromium, world, "clerk", tmp_path)
    officer = Person(chromium, world, "officer", tmp_path)
    try:
        # --- the enterprise registers and lodges -------------------------------------------
        ent.go("/")
        assert ent.page.locator("html").get_attribute("lang") == "zh-CN"
        ent.check("home")
        ent.page.get_by_role("link", name="企业注册").first.click()
        ent.click("注册")  # nothing filled in: every field says what it needs
        assert ent.page.locator(".error-summary").is_visible()
        assert ent.page.evaluate("document.activeElement.className") == "error-summary"
        ent.check("register-errors")
        ent.fill("统一社会信用代码", world.code)
        ent.fill("企业名称", "黑龙江龙江食品有限公司")
        ent.fill("联系人", "王经理")
        ent.fill("手机号", "13812345678")
        ent.fill("密码", STRONG)
        ent.check("register")
        ent.click("注册")
        assert "注册成功，您已登录" in ent.text()
        ent.check("cases-empty")
        ent.page.get_by_role("link", name="新建案件").first.click()
        ent.check("case-new")
        ent.page.get_by_label("投诉", exact=True).check()
        ent.page.get_by_label("类别", exact=True).select_option("approval")
        ent.fill("内容", "二期厂房施工许可在网上提交已超过承诺时限，系统一直显示审核中。")
        ent.click("提交")  # no title
        assert "请填写标题" in ent.text()
        ent.check("case-new-errors")
        ent.fill("标题", "施工许可网上申请超时未办结")
        ent.click("提交")
        case_path = re.sub(r"^https?://[^/]+", "", ent.page.url).split("?")[0]
        assert re.fullmatch(r"/cases/[0-9a-f-]{36}", case_path), case_path
        text = ent.text()
        assert "已提交" in text and "已登记" in text and re.search(r"TS\d{8}-[0-9A-F]{8}", text)
        assert re.search(r"还剩 \d+ 个工作日|今天到期|已超期", text), text
        ent.check("case-lodged")

        # --- the clerk: one-time password, then accepts and transfers ----------------------
        clerk.go("/login")
        clerk.check("login")
        clerk.sign_in(*world.clerk)
        assert clerk.page.url.endswith("/password")
        clerk.check("password")
        clerk.fill("当前密码", world.clerk[1])
        clerk.fill("新密码", STRONG)
        clerk.click("修改密码")
        assert "密码已修改" in clerk.text()
        clerk.wait_for("/desk", case_path)
        clerk.check("desk-clerk")
        clerk.page.locator(f"a[href='{case_path}']").first.click()
        clerk.check("case-clerk")
        clerk.click("受理")
        assert "已受理" in clerk.text()
        clerk.page.get_by_label("承办部门", exact=True).select_option("hlj-fgw")
        clerk.fill("办理时限（选填）", "5")
        clerk.check("case-transfer")
        clerk.click("转办")
        text = clerk.text()
        assert "已转办" in text and "省发展和改革委员会" in text

        # --- the department answers --------------------------------------------------------
        officer.sign_in(*world.officer)
        officer.fill("当前密码", world.officer[1])
        officer.fill("新密码", STRONG)
        officer.click("修改密码")
        officer.wait_for("/desk", case_path)
        officer.check("desk-department")
        officer.page.locator(f"a[href='{case_path}']").first.click()
        officer.check("case-department")
        officer.fill("答复内容", "经核查系图审系统数据未同步所致，已现场办结并核发施工许可证。")
        officer.click("答复")
        assert "已答复" in officer.text()

        # --- the supervisor approves the reply (the API; its page is issue 17's) ----------
        case_id = case_path.rsplit("/", 1)[1]
        api = f"{world.base}/api/v1/complaints/{case_id}"
        supervisor = bearer("supervisor", "sup-pages")
        version = httpx.get(api, headers=supervisor, timeout=30).json()["version"]
        r = httpx.post(
            f"{api}/review",
            json={"approved": True},
            headers={**supervisor, "If-Match": f'"{version}"'},
            timeout=30,
        )
        assert r.status_code == 200, r.text

        # --- the enterprise reads the answer and rates it ----------------------------------
        ent.go(case_path)
        text = ent.text()
        assert "待评价" in text and "已现场办结并核发施工许可证" in text
        for level in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
            assert ent.page.get_by_label(level, exact=True).count() == 1, level
        ent.check("case-rating")
        ent.page.get_by_label("满意", exact=True).check()
        ent.fill("评价意见（选填）", "办理及时，感谢。")
        ent.click("提交评价")
        assert "已办结" in ent.text()
        ent.check("case-closed")
        ent.go("/cases")
        assert case_path in ent.page.content()
        ent.check("cases")

        # --- in English --------------------------------------------------------------------
        ent.go(case_path)
        ent.page.get_by_role("link", name="English").click()
        ent.page.wait_for_load_state("load")
        assert ent.page.locator("html").get_attribute("lang") == "en"
        assert "Closed" in ent.text() and "Case number" in ent.text()
        ent.check("case-english")
        ent.go("/cases/00000000-0000-4000-8000-000000000000")
        assert "Page not found" in ent.text()
        ent.check("not-found")
        ent.page.get_by_role("link", name="中文").click()
        assert ent.page.locator("html").get_attribute("lang") == "zh-CN"
    finally:
        for person in (ent, clerk, officer):
            person.close()


def test_another_enterprise_cannot_open_the_case(
    world: World, chromium: Any, tmp_path: Path
) -> None:
    """A second enterprise, registered through the page, gets the 404 page for a case that
    is not its own, exactly as for one that does not exist."""
    first = Person(chromium, world, "first", tmp_path)
    second = Person(chromium, world, "second", tmp_path)
    try:
        path = None
        for person, code in ((first, credit_code()), (second, credit_code())):
            person.go("/register")
            person.fill("统一社会信用代码", code)
            person.fill("企业名称", "某某有限公司")
            person.fill("联系人", "赵六")
            person.fill("手机号", "13600000000")
            person.fill("密码", STRONG)
            person.click("注册")
            if path is None:
                person.go("/cases/new")
                person.page.get_by_label("举报", exact=True).check()
                person.page.get_by_label("类别", exact=True).select_option("conduct")
                person.fill("标题", "窗口工作人员索要好处")
                person.fill("内容", "办理登记时被暗示需要“意思一下”。")
                person.page.get_by_label("保密", exact=True).check()
                person.click("提交")
                path = re.sub(r"^https?://[^/]+", "", person.page.url).split("?")[0]
                assert "保密" in person.text()
        assert path is not None
        answer = second.page.goto(world.base + path)
        assert answer is not None and answer.status == 404
        assert "找不到页面" in second.text()
    finally:
        first.close()
        second.close()
