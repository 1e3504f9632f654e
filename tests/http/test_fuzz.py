"""Fuzzing the whole OpenAPI document against a real server: the document is the contract.

schemathesis generates requests from `/schema/openapi.json` (its examples, then valid
and invalid bodies, query strings, path parameters and headers) and sends each one, as
a supervisor, an enterprise and a clerk, to a real server (uvicorn on a loopback port,
in a thread, on its own database). Each answer must pass:

- `not_a_server_error`: no 5xx;
- `status_code_conformance`: the status is one the operation documents;
- `content_type_conformance`: the media type is one documented for that status;
- `response_schema_conformance`: the body matches the documented schema;
- `positive_data_acceptance`: a request the document calls valid is not refused as
  bad input (400, 412, 415, 422); 401/403/404/409/429 are answers about the caller or
  the state, not the request.

What the client does that a document cannot say, the test does like a careful client
(`_as_a_client`): a fresh `Idempotency-Key` per request (the same key for another
request is 422 by design), and as `X-Min-Position` only a position a command answered.
Rules across fields that OpenAPI cannot state (one of two parameters, not both; a
period's end not before its start; a day not in the past; ...) are listed in `RULES`:
a valid-looking request that breaks one is still checked by the other four checks.

Bounded: `OVERSIGHT_FUZZ_EXAMPLES` examples per operation (default 8) and no shrinking,
so the run takes about two minutes here; raise it for a longer hunt, e.g.
`OVERSIGHT_FUZZ_EXAMPLES=200 .venv/bin/python -m pytest tests/http/test_fuzz.py`.
(schemathesis 4's `from_fixture` does not work under pytest 9: the document is built
at import time, without a server, as the server builds it.)
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from oversight.runtime import create_app
from oversight.settings import Settings
from tests.conftest import JWT_SECRET, bearer
from tests.support import credit_code

pytestmark = [pytest.mark.http]

EXAMPLES = int(os.environ.get("OVERSIGHT_FUZZ_EXAMPLES", "8"))
ENTERPRISE_ORG = credit_code()
CALLERS = {
    "supervisor": bearer("supervisor", sub="fuzz-supervisor"),
    "enterprise": bearer("enterprise", sub="fuzz-enterprise", org=ENTERPRISE_ORG),
    "clerk": bearer("clerk", sub="fuzz-clerk"),
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    positive_data_acceptance,
]


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


def _openapi() -> dict[str, Any]:
    """The document the server publishes, built without starting the app."""
    app = create_app(
        Settings.from_env({"OVERSIGHT_JWT_SECRET": JWT_SECRET, "OVERSIGHT_RATE_LIMITS": "off"}),
        database_url="postgresql://unused/none",
        jwt_secret=JWT_SECRET,
    )
    return app.openapi_schema.to_schema()


CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {
            "max-examples": EXAMPLES,
            "no-shrink": True,
            "deterministic": True,
            "with-security-parameters": False,  # the callers' tokens are real ones
        },
        # 412 answers a state (a version the case no longer has), like 409: the request
        # itself was well formed.
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "412", "429"]
            }
        },
    }
)
# A unified social credit code's last character checks the others: the document says so
# (format `credit-code`); a careful client computes it.
schemathesis.openapi.format(
    "credit-code", st.randoms(use_true_random=False).map(lambda rng: credit_code(rng))
)
schema = schemathesis.openapi.from_dict(_openapi(), config=CONFIG)


# --- what a careful client does ---------------------------------------------------------

_LATEST_POSITION = [0]  # the largest position a command answered so far


def _as_a_client(case: Any) -> None:
    headers = case.headers
    if headers is None:
        return
    if "Idempotency-Key" in headers:
        headers["Idempotency-Key"] = uuid.uuid4().hex  # one key per operation
    wanted = headers.get("X-Min-Position")
    if isinstance(wanted, str) and wanted.isascii() and wanted.isdigit():
        headers["X-Min-Position"] = str(min(int(wanted), _LATEST_POSITION[0]))


def _remember_position(response: Any) -> None:
    position = response.headers.get("X-Position")
    if position and position.isascii() and position.isdigit():
        _LATEST_POSITION[0] = max(_LATEST_POSITION[0], int(position))


# --- rules across fields that OpenAPI cannot state --------------------------------------


def _query(case: Any) -> dict[str, Any]:
    return case.query or {}


def _body(case: Any) -> dict[str, Any]:
    return case.body if isinstance(case.body, dict) else {}


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _period_breaks_a_rule(query: dict[str, Any]) -> bool:
    first, last = query.get("from"), query.get("to")
    if (first is None) != (last is None):
        return True  # both or neither
    if first is not None:
        start, end = _day(first), _day(last)
        if start and end and (end < start or (end - start).days > 3660):
            return True
    return False


# Each: (operation path suffix or "*", does this request break the rule?), with why.
RULES: list[tuple[str, str, Callable[[Any], bool]]] = [
    (
        "GET /api/v1/{cases}/{case_id}",
        "a read takes `version` or `as_of`, not both",
        lambda case: "version" in _query(case) and "as_of" in _query(case),
    ),
    (
        "GET /api/v1/dashboard, /departments/ranking",
        "a period names both `from` and `to` (or neither), `to` not before `from`, at most"
        " ten years",
        lambda case: (
            case.path in ("/api/v1/dashboard", "/api/v1/departments/ranking")
            and _period_breaks_a_rule(_query(case))
        ),
    ),
    (
        "GET /api/v1/ledger/proof/*",
        "tree sizes within the ledger's, `from` not above `to`, a position the ledger holds",
        lambda case: case.path.startswith("/api/v1/ledger/proof/"),
    ),
    (
        "POST /api/v1/commitments",
        "`due` is a date not before today, or the epidemic's end with a grace (one of the two)",
        lambda case: case.path == "/api/v1/commitments" and case.method.upper() == "POST",
    ),
    (
        "POST /api/v1/service-statistics",
        "the kind's two figures, none of the other kind's; `resumed` at most `required`;"
        " a period whose end is not before its start",
        lambda case: case.path == "/api/v1/service-statistics" and case.method.upper() == "POST",
    ),
    (
        "POST /api/v1/commitments/epidemic-ended, .../{case_id}/epidemic-ended",
        "the epidemic's end is not a day in the future",
        lambda case: case.path.endswith("/epidemic-ended"),
    ),
    (
        "POST /api/v1/auth/register, /auth/password",
        "a password of at least 10 characters mixing three kinds, not holding the login",
        lambda case: case.path in ("/api/v1/auth/register", "/api/v1/auth/password"),
    ),
]


def _breaks_a_rule(case: Any) -> bool:
    return any(applies(case) for _, _, applies in RULES)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_keeps_the_contract(case, fuzz_server: str) -> None:
    for role, headers in CALLERS.items():
        _as_a_client(case)
        # The replay stream would hold the connection for the whole history; a short
        # timeout keeps the run bounded without hiding a failure (its status comes first).
        response = case.call(base_url=fuzz_server, headers=headers, timeout=15)
        _remember_position(response)
        excluded = [positive_data_acceptance] if _breaks_a_rule(case) else []
        try:
            case.validate_response(
                response, checks=CHECKS, excluded_checks=excluded, headers=headers
            )
        except Exception as e:
            raise AssertionError(f"as {role}: {e}") from None
