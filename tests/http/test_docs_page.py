"""The docs pages render every operation offline, in a real browser, and `/` and
`GET /api/v1/meta` say where they are and which version and build answers (issue 14,
"The docs page").

The browser tests drive Debian's chromium through Playwright (`executable_path`, never
`playwright install`: tests/browser.py) against a real uvicorn server in a thread, so
the strict Content-Security-Policy of api/security_headers.py applies as in production.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from api.home import META_PATH, REDOC_PATH, SWAGGER_PATH
from oversight.runtime import create_app
from oversight.settings import Settings
from tests.browser import require_chromium
from tests.conftest import JWT_SECRET
from tests.support import Clock

pytestmark = pytest.mark.http

BUILD = "3f2c1ab"  # what a deployment names in OVERSIGHT_BUILD
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Redoc's footer shows Redocly's logo from its CDN: the policy blocks it (the docs load
# nothing from outside), and Chromium reports that as a violation. Nothing else may be.
BLOCKED_ON_PURPOSE = ("Loading the image 'https://cdn.redoc.ly/",)


def operations(document: dict[str, Any]) -> int:
    return sum(1 for item in document["paths"].values() for method in item if method in METHODS)


def rendered_operations(page: Any, expected: int) -> int:
    """How many operations Swagger UI renders, scrolling through the page: from 150 of
    them on it renders only those near the window (a virtualized list), each once
    (`.opblock`, id `operations-<tag>-<operationId>`)."""
    seen: set[str] = set()
    for _ in range(2000):
        seen |= set(page.eval_on_selector_all(".opblock", "els => els.map(e => e.id)"))
        bottom = page.evaluate(
            "window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 2"
        )
        if bottom and len(seen) >= expected:
            break
        if bottom:
            page.wait_for_timeout(100)  # the last tags may still be rendering
        page.mouse.wheel(0, 600)
        page.wait_for_timeout(20)
    return len(seen)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(database_url: str, settings: Settings) -> Iterator[str]:
    import uvicorn

    app = create_app(
        dataclasses.replace(settings, build=BUILD),
        database_url=database_url,
        jwt_secret=JWT_SECRET,
        run_projections=False,
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, name="docs-page-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


class Browser:
    """One page of headless Chromium, with what its console said and where it went."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base
        self.console: list[str] = []
        self.outside: list[str] = []  # answers from any other origin (blocked: none)
        page.on("console", lambda m: self.console.append(m.text))
        page.on("pageerror", lambda e: self.console.append(f"page error: {e}"))
        page.on("response", self._answered)

    def _answered(self, response: Any) -> None:
        url: str = response.url
        if not url.startswith((self.base + "/", "blob:" + self.base + "/", "data:")):
            self.outside.append(url)

    def violations(self) -> list[str]:
        return [
            m
            for m in self.console
            if "Content Security Policy" in m and not m.startswith(BLOCKED_ON_PURPOSE)
        ]


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


@pytest.fixture
def browser(chromium: Any, served: str) -> Iterator[Browser]:
    # A browser asking for Chinese: the pages follow Accept-Language (api/pages/i18n.py),
    # and headless Chromium asks for en-US unless told.
    context = chromium.new_context(locale="zh-CN")
    try:
        yield Browser(context.new_page(), served)
    finally:
        context.close()


@pytest.fixture(scope="module")
def document(served: str) -> dict[str, Any]:
    r = httpx.get(served + "/schema/openapi.json", timeout=30)
    assert r.status_code == 200
    doc: dict[str, Any] = r.json()
    assert operations(doc) > 50  # the whole API, not an empty document
    return doc


def test_swagger_ui_lists_every_operation_with_authorize(
    browser: Browser, document: dict[str, Any]
) -> None:
    page = browser.page
    r = page.goto(browser.base + SWAGGER_PATH)
    assert r is not None and r.status == 200
    page.wait_for_selector(".opblock", timeout=60_000)
    assert rendered_operations(page, operations(document)) == operations(document)
    assert "Unable to render" not in page.content()
    page.evaluate("window.scrollTo(0, 0)")
    assert page.locator(".information-container .version").first.inner_text().strip() == (
        version("oversight")
    )
    # "Authorize" offers the bearer scheme of the document.
    page.locator("button.authorize").first.click()
    dialog = page.locator(".dialog-ux .modal-ux")
    dialog.wait_for(timeout=10_000)
    assert "bearer" in dialog.inner_text()
    assert dialog.locator("input[type=text], input[type=password]").count() == 1
    assert not browser.violations(), browser.console
    assert not browser.outside, browser.outside


def test_redoc_lists_every_operation(browser: Browser, document: dict[str, Any]) -> None:
    page = browser.page
    r = page.goto(browser.base + REDOC_PATH)
    assert r is not None and r.status == 200
    from playwright.sync_api import expect

    operation = page.locator("[data-section-id^='operation/']")
    expect(operation).to_have_count(operations(document), timeout=60_000)
    assert "Unable to render" not in page.content()
    assert "Something went wrong" not in page.content()  # Redoc's own error page
    assert not browser.violations(), browser.console
    assert not browser.outside, browser.outside


def test_the_home_page_links_the_docs_health_and_version(browser: Browser) -> None:
    page = browser.page
    r = page.goto(browser.base + "/")
    assert r is not None and r.status == 200
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    # The web pages' home (issue 16): English is a switch away (api/pages/)
    assert page.locator("a[hreflang=en]").count() == 1
    assert page.locator("#version").inner_text() == version("oversight")
    assert page.locator("#build").inner_text() == BUILD
    links = page.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href'))")
    for path in (SWAGGER_PATH, REDOC_PATH, "/schema/openapi.json", "/healthz", META_PATH):
        assert path in links, links
    # The docs' links (the home's others are the web pages': tests/http/test_pages.py)
    docs = (SWAGGER_PATH, REDOC_PATH, "/schema/openapi.json", "/healthz", "/readyz", META_PATH)
    for path in docs:
        page.goto(browser.base + "/")
        with page.expect_navigation():
            page.locator(f"a[href='{path}']").first.click()
        assert page.url == browser.base + path
        answered = page.evaluate("performance.getEntriesByType('navigation')[0].responseStatus")
        # /readyz may be 503 (this process runs no background tasks): it still answers
        assert answered == 200 or (path == "/readyz" and answered == 503), (path, answered)
    assert not browser.violations(), browser.console
    assert not browser.outside, browser.outside


def test_meta_names_the_version_and_build_without_a_token(client: TestClient) -> None:
    r = client.get(META_PATH)
    assert r.status_code == 200, r.text
    meta = r.json()
    assert meta["version"] == version("oversight")
    assert meta["build"] == "unknown"  # the test settings name no OVERSIGHT_BUILD
    assert meta["api"] == "v1"
    assert meta["docs"] == SWAGGER_PATH and meta["redoc"] == REDOC_PATH
    document = client.get("/schema/openapi.json").json()
    assert document["info"]["version"] == meta["version"]
    assert "get" in document["paths"][META_PATH]
    assert "/" not in document["paths"]  # the page for a person is not an operation


def test_the_build_comes_from_oversight_build(
    database_url: str, settings: Settings, clock: Clock
) -> None:
    assert Settings.from_env({"OVERSIGHT_BUILD": " 3f2c1ab\n"}).api.build == "3f2c1ab"
    assert Settings.from_env({"OVERSIGHT_BUILD": ""}).api.build == "unknown"
    app = create_app(
        dataclasses.replace(settings, build="9e8d7c6"),
        database_url=database_url,
        jwt_secret=JWT_SECRET,
        clock=clock,
    )
    with TestClient(app) as client:
        assert client.get(META_PATH).json()["build"] == "9e8d7c6"
        page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "9e8d7c6" in page.text
    assert "script-src 'self';" in page.headers["content-security-policy"]  # no hashes


def test_the_start_up_log_says_where_the_docs_are(
    database_url: str, settings: Settings, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    import structlog

    app = create_app(settings, database_url=database_url, jwt_secret=JWT_SECRET, clock=clock)
    with structlog.testing.capture_logs() as logs, TestClient(app):
        pass
    started = [e for e in logs if e["event"] == "api_started"]
    assert len(started) == 1, logs
    assert started[0]["docs_url"] == SWAGGER_PATH
    assert started[0]["redoc_url"] == REDOC_PATH
    assert started[0]["version"] == version("oversight")
