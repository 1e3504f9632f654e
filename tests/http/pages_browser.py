"""What the browser tests of the pages share: a real server (uvicorn in a thread) on the
test database, and Chromium's arguments (tests/browser.py installs Debian's chromium;
never `playwright install`)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from oversight.runtime import create_app
from tests.conftest import JWT_SECRET

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
