"""Fuzzing the whole OpenAPI document: no input answers 5xx, for three roles.

schemathesis generates requests from `/schema/openapi.json` (valid and invalid bodies,
query strings, path parameters and headers) and sends each one, as a supervisor, an
enterprise and a clerk, to a real server (uvicorn on a loopback port, in a thread, on
its own database). A 5xx for any of them fails the test with the request that caused it.

Bounded: `OVERSIGHT_FUZZ_EXAMPLES` examples per operation (default 12), so the whole run
stays around a minute here; raise it for a longer hunt, e.g.
`OVERSIGHT_FUZZ_EXAMPLES=200 .venv/bin/python -m pytest tests/http/test_fuzz.py`.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from oversight.runtime import create_app
from oversight.settings import Settings
from tests.conftest import JWT_SECRET, bearer
from tests.support import credit_code

pytestmark = [pytest.mark.http]

EXAMPLES = int(os.environ.get("OVERSIGHT_FUZZ_EXAMPLES", "12"))
ENTERPRISE_ORG = credit_code()
CALLERS = {
    "supervisor": bearer("supervisor", sub="fuzz-supervisor"),
    "enterprise": bearer("enterprise", sub="fuzz-enterprise", org=ENTERPRISE_ORG),
    "clerk": bearer("clerk", sub="fuzz-clerk"),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def fuzz_server(create_database, settings: Settings) -> Iterator[str]:
    import uvicorn

    app = create_app(settings, database_url=create_database(), jwt_secret=JWT_SECRET)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, name="fuzz-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the fuzzing server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _openapi() -> dict:
    """The document the server publishes, built without starting the app."""
    app = create_app(
        Settings.from_env({"OVERSIGHT_JWT_SECRET": JWT_SECRET, "OVERSIGHT_RATE_LIMITS": "off"}),
        database_url="postgresql://unused/none",
        jwt_secret=JWT_SECRET,
    )
    return app.openapi_schema.to_schema()


schema = schemathesis.openapi.from_dict(_openapi())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_input_answers_5xx(case, fuzz_server: str) -> None:
    for role, headers in CALLERS.items():
        # The replay stream would hold the connection for the whole history; a short
        # timeout keeps the run bounded without hiding a 5xx (its status comes first).
        response = case.call(base_url=fuzz_server, headers=headers, timeout=15)
        assert response.status_code < 500, (
            f"{role}: {case.method} {case.formatted_path} answered {response.status_code}: "
            f"{response.text[:500]}\n{case.as_curl_command()}"
        )
