"""What the browser tests of the pages share: a real server (uvicorn in a thread) on the
test database, and Chromium's arguments (tests/browser.py installs Debian's chromium;
never `playwright install`)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from oversight.runtime import create_app
from tests.conftest import JWT_SECRET

SERIOUS = ("serious", "critical")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(database_url: str, settings: Any, **options: Any) -> Iterator[str]:
    """The whole application served over HTTP (its CSP and cookies as in production);
    yields the base URL. `options` go to `create_app` (`run_projections`, `clock`)."""
    import uvicorn

    app = create_app(settings, database_url=database_url, jwt_secret=JWT_SECRET, **options)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, name="pages-server", daemon=True)
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


class BrowserPerson:
    """One person's browser (their own cookies), checking every page it opens: axe finds
    no serious or critical violation, the CSP blocks nothing, nothing comes from another
    origin, one h1 and every field labelled; then a screenshot."""

    def __init__(self, chromium: Any, world: Any, tmp: Path) -> None:
        self.world = world  # its `base` URL and `screens` folder (None: `tmp`)
        self.context = chromium.new_context(
            locale="zh-CN", viewport={"width": 1100, "height": 900}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.console: list[str] = []
        self.outside: list[str] = []
        self.screens = world.screens or tmp
        self.page.on("console", lambda m: self.console.append(m.text))
        self.page.on("pageerror", lambda e: self.console.append(f"page error: {e}"))
        self.page.on("response", self._answered)

    def _answered(self, response: Any) -> None:
        if not response.url.startswith((self.world.base + "/", "data:")):
            self.outside.append(response.url)

    def go(self, path: str) -> None:
        self.page.goto(self.world.base + path)

    def check(self, shot: str) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.page.wait_for_load_state("load")
        results = Axe().run(self.page)
        serious = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"]
            if v["impact"] in SERIOUS
        ]
        assert not serious, (shot, serious)
        blocked = [m for m in self.console if "Content Security Policy" in m or "page error" in m]
        assert not blocked, (shot, blocked)
        assert not self.outside, (shot, self.outside)
        levels = self.page.eval_on_selector_all(
            "h1, h2, h3, h4", "hs => hs.map(h => Number(h.tagName[1]))"
        )
        assert levels.count(1) == 1, (shot, levels)
        unlabelled = self.page.eval_on_selector_all(
            "input:not([type=hidden]), select, textarea",
            "els => els.filter(e => !e.labels || e.labels.length === 0).map(e => e.name || e.id)",
        )
        assert not unlabelled, (shot, unlabelled)
        self.screens.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.screens / f"{shot}.png"), full_page=True)

    def click(self, text: str) -> None:
        self.page.get_by_role("button", name=text, exact=True).first.click()
        self.page.wait_for_load_state("load")

    def fill(self, label: str, value: str) -> None:
        self.page.get_by_label(label, exact=True).fill(value)

    def text(self) -> str:
        return str(self.page.inner_text("main"))

    def close(self) -> None:
        self.context.close()
