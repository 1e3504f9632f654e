"""The supervisor's and the inspector's pages in a real browser (issue 17), on the demo
data (`oversight demo`): a supervisor signs in, reads the dashboard for the demo's
period and every figure on the page equals the API's; opens a warning, reviews the reply
it leads to, exports a list as CSV; an inspector moves the timeline's slider to version
2 and sees that version's status, replays the history, downloads the evidence bundle
and verifies it in the page (验证通过), then verifies the same bundle with one byte
changed and sees it rejected.

Debian's Chromium through Playwright (tests/browser.py: never `playwright install`)
against a real uvicorn server (tests/http/pages_browser.py) with its projection runner
and ledger signer, staff accounts made by `oversight user add` and signed in through
the forms. On every page: axe-core (axe-playwright-python) finds no serious or critical
violation, the Content-Security-Policy blocks nothing, nothing is fetched from another
origin, one h1, every field labelled. Screenshots go to $OVERSIGHT_SCREENS
(`OVERSIGHT_SCREENS=docs/screens pytest tests/http/test_supervisor_browser.py` refreshes
the committed ones), otherwise to a temporary folder.
"""

from __future__ import annotations

import base64
import csv
import io
import json
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

pytestmark = pytest.mark.http

STRONG = "Supervise-The-Bureau-2026"
DEMO_PERIOD = {"from": "2020-01-01", "to": "2020-07-07", "as_of": "2020-07-07"}
STATUS_NAMES = {
    "lodged": "已登记",
    "accepted": "已受理",
    "rejected": "不予受理",
    "transferred": "已转办",
    "replied": "已答复",
    "awaiting_rating": "待评价",
    "closed": "已办结",
    "withdrawn": "已撤回",
}


def oversight(*args: str, url: str, var: Path) -> str:
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
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def staff(role: str, url: str, var: Path) -> tuple[str, str]:
    login = f"{role}-{uuid.uuid4().hex[:6]}"
    out = oversight("user", "add", login, "--role", role, "--name", role, url=url, var=var)
    password = next(
        line.removeprefix("password: ")
        for line in out.splitlines()
        if line.startswith("password: ")
    )
    return login, password


class World:
    def __init__(self, base: str, supervisor: tuple[str, str], inspector: tuple[str, str]) -> None:
        self.base = base
        self.supervisor = supervisor
        self.inspector = inspector
        folder = os.environ.get("OVERSIGHT_SCREENS")
        self.screens = Path(folder) if folder else None

    def api(self, path: str, role: str = "supervisor", **params: str) -> Any:
        r = httpx.get(
            self.base + path, params=params, headers=bearer(role, f"{role}-api"), timeout=30
        )
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture(scope="module")
def world(create_database: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = create_database()
    var = tmp_path_factory.mktemp("supervisor-pages-var")
    oversight("demo", "--catch-up", url=url, var=var)
    supervisor = staff("supervisor", url, var)
    inspector = staff("inspector", url, var)
    settings = identity_settings(var)
    with serve(url, settings) as base:
        world = World(base, supervisor, inspector)
        # The served runner and signer reach the store's end (the demo's views are there).
        deadline = time.monotonic() + 60
        while True:
            ready = httpx.get(base + "/readyz", headers=bearer("supervisor"), timeout=30).json()
            if ready.get("projection_lag") == 0:
                break
            assert time.monotonic() < deadline, ready
            time.sleep(0.3)
        yield world


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
    """A signed-in supervisor's or inspector's browser."""

    def path(self) -> str:
        return re.sub(r"^https?://[^/]+", "", self.page.url)

    def sign_in_first_time(self, login: str, password: str) -> None:
        """Sign in with the one-time password `oversight user add` printed, change it."""
        self.go("/login")
        self.fill("账号", login)
        self.fill("密码", password)
        self.click("登录")
        assert self.page.url.endswith("/password"), self.page.url
        self.fill("当前密码", password)
        self.fill("新密码", STRONG)
        self.click("修改密码")
        assert "密码已修改" in self.text()


def figures_on_page(page: Any) -> dict[str, str]:
    found: dict[str, str] = page.eval_on_selector_all(
        "[data-figure]",
        "els => Object.fromEntries(els.map(e => [e.dataset.figure, e.textContent.trim()]))",
    )
    return found


def assert_shown_as_the_api(shown: str, value: Any) -> None:
    if value is None:
        assert shown == "—"
    elif isinstance(value, int):
        assert shown == str(value)
    else:
        number = shown.removesuffix("%")
        assert re.fullmatch(r"-?[0-9]+\.[0-9]{2}", number), shown
        assert float(number) == round(value, 2)


def lookup(document: Any, key: str) -> Any:
    for part in key.split("."):
        document = document[part]
    return document


def test_the_supervisor_s_desk(world: World, chromium: Any, tmp_path: Path) -> None:
    me = Person(chromium, world, tmp_path)
    try:
        me.sign_in_first_time(*world.supervisor)
        # --- the dashboard, for the demo's period, as of the release's day -----------------
        me.go("/dashboard")
        assert me.page.get_by_role("heading", level=1).inner_text() == "监督看板"
        me.fill("起始日期", DEMO_PERIOD["from"])
        me.fill("截止日期", DEMO_PERIOD["to"])
        me.fill("截至", DEMO_PERIOD["as_of"])
        me.click("查看")
        api = world.api("/api/v1/dashboard", **DEMO_PERIOD)
        shown = figures_on_page(me.page)
        assert len(shown) >= 20
        for key, text in shown.items():
            assert_shown_as_the_api(text, lookup(api, key))
        assert shown["complaints.lodged"] == str(api["complaints"]["lodged"]) != "0"
        charts = me.page.locator("svg[role=img]")
        assert charts.count() == 5  # the "overdue now" chart is not drawn for a past day
        for i in range(charts.count()):
            labelled = charts.nth(i).get_attribute("aria-labelledby") or ""
            assert all(me.page.locator(f"[id='{part}']").count() == 1 for part in labelled.split())
        # The status chart's table alternative, opened, holds the API's counts.
        me.page.locator("#chart-status-figure summary").click()
        rows = me.page.eval_on_selector_all(
            "[data-chart-table=chart-status] tbody tr",
            "rs => rs.map(r => [r.cells[0].textContent, r.cells[1].textContent])",
        )
        assert dict(rows) == {
            STATUS_NAMES[s]: str(n) for s, n in api["complaints"]["by_status"].items()
        }
        me.check("dashboard")
        me.go("/ranking?from=2020-01-01&to=2020-07-07")
        assert me.page.locator("#ranking tbody tr").count() > 0
        # Registered departments by their names (issue 15), their codes beside them.
        first = me.page.locator("#ranking tbody tr").first
        code = first.get_attribute("data-department")
        assert re.fullmatch(r".+（" + re.escape(str(code)) + "）", first.locator("th").inner_text())
        me.check("ranking")

        # --- a warning: a reply waiting for review; reviewed on its page ------------------
        me.go("/warnings")
        me.page.get_by_label("案件类型", exact=True).select_option("complaint")
        me.fill("部门", "supervision")  # the reviews wait for the supervisors
        me.click("筛选")
        rows = me.page.locator("#warnings tbody tr")
        assert rows.count() > 0
        me.check("warnings")
        link = rows.first.locator("a").first
        case_path = link.get_attribute("href")
        assert case_path is not None and re.fullmatch(r"/cases/[0-9a-f-]{36}", case_path)
        link.click()
        me.page.wait_for_load_state("load")
        assert "已答复" in me.text()
        me.page.get_by_label("重办", exact=True).check()
        me.click("审核")  # a redo without its reason
        assert "选择重办时，请写明需要重新办理的内容" in me.text()
        me.check("case-review-errors")
        me.page.get_by_label("审核意见（选填）", exact=True).fill("请补充整改完成时限和责任人。")
        me.click("审核")
        assert "已审核" in me.text() and "已转办" in me.text()
        case_id = case_path.rsplit("/", 1)[1]
        stored = world.api(f"/api/v1/complaints/{case_id}")
        assert stored["status"] == "transferred" and stored["redo_count"] >= 1
        me.check("case-reviewed")

        # --- a list, filtered, exported as CSV ---------------------------------------------
        me.go("/cases")
        me.page.get_by_label("状态", exact=True).select_option("closed")
        me.click("筛选")
        me.check("cases-supervisor")
        with me.page.expect_download() as download:
            me.page.get_by_role("link", name="导出 CSV").click()
        text = Path(download.value.path()).read_text(encoding="utf-8-sig")
        exported = list(csv.reader(io.StringIO(text)))
        closed = world.api("/api/v1/complaints", status="closed", limit="200")["items"]
        assert [row[0] for row in exported[1:]] == [item["id"] for item in closed]
        assert len(exported) - 1 == len(closed) > 0
        for path, shot in (
            ("/projects", "projects"),
            ("/commitments", "commitments"),
            ("/credit-repairs", "credit-repairs"),
        ):
            me.go(path)
            assert me.page.locator("#register tbody tr").count() > 0
            me.check(shot)
        me.page.locator("#register tbody tr a").first.click()
        me.page.wait_for_load_state("load")
        me.check("credit-repair")
    finally:
        me.close()


def flip_a_byte_of_an_event(bundle_text: str) -> str:
    """The same file with one byte changed: a character of the second event's stored
    bytes (base64), replaced by another base64 character."""
    bundle = json.loads(bundle_text)
    state = bundle["events"][1]["state"]
    at = bundle_text.index(state) + 8
    swapped = "A" if bundle_text[at] != "A" else "B"
    changed = bundle_text[:at] + swapped + bundle_text[at + 1 :]
    assert len(changed) == len(bundle_text) and changed != bundle_text
    assert base64.b64decode(json.loads(changed)["events"][1]["state"]) != base64.b64decode(state)
    return changed


def test_the_inspector_s_timeline_replay_and_evidence(
    world: World, chromium: Any, tmp_path: Path
) -> None:
    case = next(
        c
        for c in world.api("/api/v1/complaints", status="closed", limit="200")["items"]
        if world.api(f"/api/v1/complaints/{c['id']}/timeline", "inspector")["version"] >= 4
    )
    timeline = world.api(f"/api/v1/complaints/{case['id']}/timeline", "inspector")
    last = timeline["version"]
    me = Person(chromium, world, tmp_path)
    try:
        me.sign_in_first_time(*world.inspector)
        me.go(f"/cases/{case['id']}/timeline")
        assert me.page.get_by_role("heading", level=1).inner_text() == case["title"]
        slider = me.page.get_by_label("版本", exact=True)
        assert slider.get_attribute("type") == "range"
        assert slider.get_attribute("max") == str(last)
        # --- the slider to version 2: its status at once, then the page of version 2 -------
        version_2 = world.api(f"/api/v1/complaints/{case['id']}", "inspector", version="2")
        assert STATUS_NAMES[version_2["status"]] == "已受理"
        slider.fill("2")  # as a person moving it: no navigation (WCAG 3.2.2)
        assert me.page.locator("[data-stood-status]").inner_text() == "已受理"
        assert me.page.locator("#tl-version-output").inner_text() == f"第 2 版，共 {last} 版"
        assert me.page.locator("#v2").get_attribute("aria-current") == "step"
        me.click("查看该版本")
        assert me.path().endswith("?version=2")
        assert me.page.locator("[data-stood-status]").inner_text() == "已受理"
        assert me.page.locator("#stood-title").inner_text() == "第 2 版时的案件"
        assert me.page.locator("#tl-version-output").inner_text() == f"第 2 版，共 {last} 版"
        me.check("timeline-version-2")
        # --- 回放: the API's replay stream, played in the page --------------------------------
        me.click("回放")
        me.page.wait_for_selector("[data-replay][data-replay-state=ended]", timeout=30_000)
        replayed = me.page.locator("[data-replay]").get_attribute("data-replayed")
        assert replayed == ",".join(str(v) for v in range(1, last + 1))
        assert me.page.locator("[data-replay-status]").inner_text() == "回放结束"
        assert slider.input_value() == str(last)
        assert me.page.locator("[data-stood-status]").inner_text() == "已办结"
        # --- 证据包: downloaded, then verified in the page against the published key -------
        with me.page.expect_download() as download:
            me.page.get_by_role("link", name="下载证据包").click()
        bundle_file = tmp_path / "bundle.json"
        download.value.save_as(bundle_file)
        bundle_text = bundle_file.read_text()
        assert json.loads(bundle_text)["case_id"] == case["id"]
        me.page.get_by_label("证据包文件（选填）", exact=True).set_input_files(str(bundle_file))
        me.click("验证")
        outcome = me.page.locator("[data-verify-outcome]")
        outcome.wait_for()
        assert outcome.get_attribute("data-verify-outcome") == "passed"
        assert outcome.inner_text() == "验证通过"
        key_id = world.api("/api/v1/ledger/key")["key_id"]
        assert f"所用公钥：{key_id}" in me.text()
        me.check("timeline-verified")
        # --- the same bundle with one byte changed is rejected ------------------------------
        tampered = tmp_path / "bundle-tampered.json"
        tampered.write_text(flip_a_byte_of_an_event(bundle_text))
        me.page.get_by_label("证据包文件（选填）", exact=True).set_input_files(str(tampered))
        me.click("验证")
        me.page.wait_for_selector("[data-verify-outcome=failed]")
        text = me.text()
        assert "验证未通过" in text and "第 2 版" in text and "推不出签名的根" in text
        me.check("timeline-tampered")
        # --- the audit trail of the case ------------------------------------------------------
        me.go(f"/audit?case_id={case['id']}")
        assert me.page.locator("#audit tbody tr").count() == last
        me.check("audit")
    finally:
        me.close()
