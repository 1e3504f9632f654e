"""Security headers on every response (api/security_headers.py), and a strict CSP on
the docs page that still lets it run from our own origin."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from litestar import Litestar, MediaType, get
from litestar.testing import TestClient

from api.security_headers import HtmlCspMiddleware
from oversight.runtime import create_app
from oversight.settings import Settings
from tests.browser import require_chromium
from tests.conftest import JWT_SECRET
from tests.http.support import API, supervisor
from tests.support import Clock

pytestmark = pytest.mark.http

SWAGGER = "/schema/swagger"


def check_common(headers: dict[str, str] | object) -> None:
    assert headers["x-content-type-options"] == "nosniff"  # type: ignore[index]
    assert headers["referrer-policy"] == "no-referrer"  # type: ignore[index]
    assert "content-security-policy" in headers  # type: ignore[operator]


def test_an_authenticated_answer_is_never_stored(client: TestClient) -> None:
    r = client.get(API, headers=supervisor())
    assert r.status_code == 200
    check_common(r.headers)
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "strict-transport-security" not in r.headers  # plain http, OVERSIGHT_HSTS=auto


def test_answers_given_outside_the_routes_get_the_headers_too(client: TestClient) -> None:
    bad_token = client.get(API, headers={"Authorization": "Bearer not-a-token"})
    assert bad_token.status_code == 401
    check_common(bad_token.headers)
    assert bad_token.headers["cache-control"] == "no-store"

    for r in (
        client.get(API),  # no token: 401
        client.get("/no/such/path"),  # 404 from the router
        client.delete("/healthz"),  # 405
        client.get("/healthz"),
        client.get("/static/swagger/swagger-ui.css"),
    ):
        check_common(r.headers)
        assert r.headers.get("cache-control") != "no-store", r.request.url


def test_hsts_over_tls_or_when_turned_on(
    database_url: str, settings: Settings, clock: Clock
) -> None:
    def headers(hsts: str, base_url: str) -> object:
        configured = dataclasses.replace(settings, hsts=hsts)
        app = create_app(configured, database_url=database_url, jwt_secret=JWT_SECRET, clock=clock)
        with TestClient(app, base_url=base_url) as client:
            return client.get("/healthz").headers

    tls, plain = "https://testserver.local", "http://testserver.local"
    assert headers("auto", tls)["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in headers("auto", plain)
    assert headers("on", plain)["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in headers("off", tls)
    with pytest.raises(SystemExit, match="OVERSIGHT_HSTS"):
        Settings.from_env({"OVERSIGHT_HSTS": "sometimes"})


class _Page(HTMLParser):
    """Inline scripts and styles, and every address the page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: dict[str, list[str]] = {"script": [], "style": []}
        self.loads: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        for attr in ("src", "href"):
            if named.get(attr):
                self.loads.append(named[attr] or "")
        if tag in self.inline and not named.get("src"):
            self._open = tag
            self.inline[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open:
            self.inline[self._open][-1] += data


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def directives(policy: str) -> dict[str, list[str]]:
    parsed = (part.split() for part in policy.split(";") if part.strip())
    return {d[0]: d[1:] for d in parsed}


def test_the_docs_page_runs_under_a_strict_policy(client: TestClient) -> None:
    r = client.get(SWAGGER)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    check_common(r.headers)
    policy = directives(r.headers["content-security-policy"])
    page = _Page()
    page.feed(r.text)

    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    for directive in ("script-src", "style-src"):
        sources = policy[directive]
        assert "'unsafe-inline'" not in sources
        assert "'unsafe-eval'" not in sources
        assert all(s == "'self'" or s.startswith("'sha256-") for s in sources)
    # Litestar's Swagger plugin writes one inline script (the spec and SwaggerUIBundle)
    # and one inline style: each is allowed by its hash, and nothing else is.
    assert len(page.inline["script"]) == 1
    assert sorted(policy["script-src"]) == sorted(["'self'", _hash(page.inline["script"][0])])
    assert sorted(policy["style-src"]) == sorted(
        ["'self'", *(_hash(s) for s in page.inline["style"])]
    )
    # Everything else comes from our own origin, and is there.
    assert page.loads
    for address in page.loads:
        assert address.startswith("/") and not address.startswith("//"), address
        assert client.get(address).status_code == 200, address


def test_html_elsewhere_gets_no_hashes() -> None:
    @get("/page", media_type=MediaType.HTML)
    async def page() -> str:
        return "<html><script>alert(1)</script><style>p{}</style></html>"

    app = Litestar(route_handlers=[page], middleware=[HtmlCspMiddleware])
    with TestClient(app) as client:
        r = client.get("/page")
    policy = directives(r.headers["content-security-policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert r.text.startswith("<html><script>")  # the page itself is unchanged


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(database_url: str, settings: Settings) -> Iterator[str]:
    import uvicorn

    app = create_app(
        settings, database_url=database_url, jwt_secret=JWT_SECRET, run_projections=False
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, name="docs-server", daemon=True)
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


def test_the_docs_page_runs_in_chromium_without_a_policy_violation(served: str) -> None:
    done = subprocess.run(
        [
            require_chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--dump-dom",
            served + SWAGGER,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    assert not [line for line in console if "Content Security Policy" in line], console
    # The inline script ran: Swagger UI filled its container.
    assert 'class="swagger-ui"' in done.stdout, done.stdout[:2000]
