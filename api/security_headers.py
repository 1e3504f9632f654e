"""Security headers on every response.

`security_headers(settings)` is a `before_send` hook, so it sees every answer, those
Litestar gives outside the route middlewares too (401 from authentication, 404 for an
unknown path, 405):

- `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`;
- `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'` unless the
  answer has its own (HTML pages, below): a JSON answer opened in a browser runs
  nothing and cannot be framed;
- `Cache-Control: no-store` when the request carried `Authorization`: no cache keeps
  an answer meant for one account (it replaces what a handler set);
- `Strict-Transport-Security: max-age=31536000` with OVERSIGHT_HSTS=on, or with `auto`
  (the default) when the request came over https (behind a proxy that ends TLS, run
  uvicorn with its proxy headers or set `on`).

`HtmlCspMiddleware` gives HTML pages a strict policy: scripts, styles, images, fonts
and requests from our own origin only, no `unsafe-inline`, no `unsafe-eval`, no
framing. The API's pages are `/` (api/home.py: nothing inline) and the OpenAPI docs
under /schema (Swagger UI and Redoc, their assets in /static/swagger and /static/redoc):
Litestar's Swagger and Redoc render plugins write one inline `<script>` each (the spec
and the `SwaggerUIBundle(...)` or `Redoc.init(...)` call) and one inline `<style>`, and
the Swagger OAuth2 redirect page one inline script. Their SHA-256 hashes are added to
the policy of those pages, computed from the page as served; an inline script anywhere
else, or one injected into a docs page from outside that same response, does not run.

Redoc's bundle also inserts `<style>` elements as it runs, which no served page holds:
styled-components' empty ones (filled through CSSOM `insertRule`, which CSP does not
govern) and perfect-scrollbar's stylesheet. `RUNTIME_STYLES` allows exactly those two
texts on the Redoc page by their hashes (the Chromium test, tests/http/test_docs_page.py,
fails with the hash of any other if a new Redoc build changes them). Its search runs in
a worker made from a `blob:` URL of its own code, so that page alone also gets
`worker-src blob:`. Its footer's Redocly logo (an image on another origin) stays
blocked: the docs load nothing from outside.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.config import ApiConfig

NOSNIFF = (b"x-content-type-options", b"nosniff")
REFERRER = (b"referrer-policy", b"no-referrer")
API_CSP_HEADER = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
NO_STORE = (b"cache-control", b"no-store")
HSTS_HEADER = (b"strict-transport-security", b"max-age=31536000")
DOCS_PREFIX = "/schema"
MAX_HTML = 5_000_000  # larger pages pass unhashed (their inline code then does not run)

# Hashes of the <style> texts a docs page's own bundle inserts at run time (docstring):
# "" (styled-components) and perfect-scrollbar's CSS with its source map comment, as
# Redoc 2.5 in drf-spectacular-sidecar 2026.10.1 inserts them.
RUNTIME_STYLES: dict[str, tuple[str, ...]] = {
    DOCS_PREFIX + "/redoc": (
        "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        "sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc=",
    ),
}

# Where a docs page's bundle starts workers from (docstring).
RUNTIME_WORKERS: dict[str, str] = {DOCS_PREFIX + "/redoc": "blob:"}

_SCRIPT = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_STYLE = re.compile(rb"<style\b[^>]*>(.*?)</style\s*>", re.S | re.I)
_SRC = re.compile(rb"\bsrc\s*=", re.I)


def html_policy(script_hashes: list[str], style_hashes: list[str], workers: str = "") -> bytes:
    scripts = " ".join(["'self'", *(f"'{h}'" for h in script_hashes)])
    styles = " ".join(["'self'", *(f"'{h}'" for h in style_hashes)])
    return (
        "default-src 'none'; "
        f"script-src {scripts}; "
        f"style-src {styles}; "
        + (f"worker-src {workers}; " if workers else "")
        + "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ).encode()


def _sha256(content: bytes) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(content).digest()).decode()


def inline_hashes(html: bytes) -> tuple[list[str], list[str]]:
    """The CSP hashes of a page's inline scripts and styles (in order, no repeats)."""
    scripts = [_sha256(m.group(2)) for m in _SCRIPT.finditer(html) if not _SRC.search(m.group(1))]
    styles = [_sha256(m.group(1)) for m in _STYLE.finditer(html)]
    return list(dict.fromkeys(scripts)), list(dict.fromkeys(styles))


def security_headers(settings: ApiConfig) -> Callable[[Message, Scope], Awaitable[None]]:
    """The `before_send` hook (module docstring)."""
    hsts = settings.hsts

    async def hook(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = list(message.get("headers", ()))
        present = {k.lower() for k, _ in headers}
        if b"x-content-type-options" not in present:
            headers.append(NOSNIFF)
        if b"referrer-policy" not in present:
            headers.append(REFERRER)
        if b"content-security-policy" not in present:
            headers.append(API_CSP_HEADER)
        if any(k == b"authorization" for k, _ in scope.get("headers", ())):
            if b"cache-control" in present:
                headers = [h for h in headers if h[0].lower() != b"cache-control"]
            headers.append(NO_STORE)
        if hsts == "on" or (hsts == "auto" and scope.get("scheme") == "https"):
            headers.append(HSTS_HEADER)
        message["headers"] = headers  # type: ignore[typeddict-unknown-key]

    return hook


class HtmlCspMiddleware:
    """A strict Content-Security-Policy on HTML answers (module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"] == DOCS_PREFIX or scope["path"].startswith(DOCS_PREFIX + "/")
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0

        async def with_policy(message: Message) -> None:
            nonlocal start, size
            if message["type"] == "http.response.start":
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                if content_type.lower().startswith(b"text/html"):
                    start = message  # held until the page is complete
                    return
            elif start is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
                if message.get("more_body", False) and size <= MAX_HTML:
                    return
                page = b"".join(chunks)
                scripts, styles = inline_hashes(page) if docs and size <= MAX_HTML else ([], [])
                if docs:
                    styles += [h for h in RUNTIME_STYLES.get(scope["path"], ()) if h not in styles]
                headers = [
                    (k, v)
                    for k, v in start.get("headers", [])
                    if k.lower() != b"content-security-policy"
                ]
                workers = RUNTIME_WORKERS.get(scope["path"], "") if docs else ""
                policy = html_policy(scripts, styles, workers)
                headers.append((b"content-security-policy", policy))
                await send({**start, "headers": headers})
                start = None
                message = {**message, "body": page}
            await send(message)

        await self.app(scope, receive, with_policy)
