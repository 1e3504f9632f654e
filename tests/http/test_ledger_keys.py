"""A service started with another key than the one that signed its ledger (a key swap: a
fresh container whose `var/` was lost made a new one) does not fork the ledger: the
signer stops (`ledger_key_mismatch`), `/readyz` says so, a bundle that needs a new head
is refused, and once the right key file is back the signer picks it up."""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from ledger.keys import generate_key_file, load_key_file
from oversight.runtime import create_app
from oversight.settings import Settings
from tests.conftest import JWT_SECRET, bearer
from tests.http.support import API, check_problem, inspector, lodge
from tests.support import Clock, credit_code


def _client(settings: Settings, url: str, clock: Clock) -> Iterator[TestClient]:
    app = create_app(settings, database_url=url, jwt_secret=JWT_SECRET, clock=clock)
    with TestClient(app) as client:
        yield client


def _until(client: TestClient, check: Callable[[Any], bool], seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        r = client.get("/readyz", headers=bearer("inspector"))
        if check(r) or time.monotonic() > deadline:
            return r
        time.sleep(0.1)


def test_a_swapped_key_stops_the_signer_and_readiness_says_so(
    fresh_database_url: str, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    key_path = tmp_path / "ledger.key"
    original = generate_key_file(key_path)
    keep = tmp_path / "kept.key"
    shutil.copy(key_path, keep)
    signing = dataclasses.replace(settings, ledger_key=key_path)
    for client in _client(signing, fresh_database_url, clock):
        case = lodge(client, credit_code())
        r = client.get(f"{API}/{case['id']}/bundle", headers=inspector())
        assert r.status_code == 200, r.text
        assert r.json()["tree_head"]["key_id"] == original.key_id
    # The key file is lost and the service comes back with a new key.
    new_path = tmp_path / "new" / "ledger.key"
    swapped = generate_key_file(new_path)
    for client in _client(
        dataclasses.replace(settings, ledger_key=new_path), fresh_database_url, clock
    ):
        r = _until(client, lambda r: r.status_code == 503, 10)
        assert r.status_code == 503, r.text
        signer = r.json()["tasks"]["ledger-signer"]
        assert signer["last_error"] == "LedgerKeyMismatch", signer
        assert "ledger-signer" in r.json()["detail"]
        # A bundle needing a head over new events is refused, not signed with the new key.
        case = lodge(client, credit_code())
        r = client.get(f"{API}/{case['id']}/bundle", headers=inspector())
        check_problem(r, 503)
        assert r.json()["type"].endswith("ledger-key-mismatch"), r.text
        assert original.key_id in r.json()["detail"] and swapped.key_id in r.json()["detail"]
        # The right key back in place: the signer's next try picks it up.
        shutil.copy(keep, new_path)
        r = _until(client, lambda r: r.status_code == 200, 20)
        assert r.status_code == 200, r.text
        assert load_key_file(new_path).key_id == original.key_id
        r = client.get(f"{API}/{case['id']}/bundle", headers=inspector())
        assert r.status_code == 200, r.text
        assert r.json()["tree_head"]["key_id"] == original.key_id
