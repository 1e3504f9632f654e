"""The compose stack signs: its `ledger-key` init step makes the key in the shared volume
on the first start (and nothing on later ones), before the API and the worker start, and
both find it where they look. Docker is not needed: the step's own command runs here,
through the installed `oversight` script, with the compose file's environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ledger.keys import load_key_file
from oversight.settings import Settings

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
OVERSIGHT = Path(sys.executable).with_name("oversight")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def run_step(step: dict[str, Any], mount: Path) -> subprocess.CompletedProcess[str]:
    """The service's command with its environment, /keys being `mount`."""
    env = {k: str(v).replace("/keys", str(mount)) for k, v in step["environment"].items()}
    command = [str(OVERSIGHT), *step["command"][1:]]
    assert step["command"][0] == "oversight"
    return subprocess.run(
        command,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_key_is_made_before_the_signers_start(compose: dict[str, Any]) -> None:
    services = compose["services"]
    step = services["ledger-key"]
    assert step["command"] == ["oversight", "ledger", "init-key", "--if-missing"]
    assert step["restart"] == "no"
    for name in ("api", "worker"):
        service = services[name]
        assert service["depends_on"]["ledger-key"] == {
            "condition": "service_completed_successfully"
        }, name
        # The same file in the same volume as the step writes.
        assert (
            service["environment"]["OVERSIGHT_LEDGER_KEY"]
            == (step["environment"]["OVERSIGHT_LEDGER_KEY"])
        )
        assert "keys:/keys" in service["volumes"] and "keys:/keys" in step["volumes"]
    assert "keys" in compose["volumes"]


def test_the_first_start_makes_the_key_and_later_starts_keep_it(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    services = compose["services"]
    mount = tmp_path / "keys"
    mount.mkdir()
    first = run_step(services["ledger-key"], mount)
    assert first.returncode == 0, first.stderr
    key_file = mount / "ledger-ed25519.key"
    key = load_key_file(key_file)
    assert f"ledger key {key.key_id} created" in first.stdout
    assert f"public key: {mount / 'ledger-ed25519.pub'}" in first.stdout
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    again = run_step(services["ledger-key"], mount)
    assert again.returncode == 0, again.stderr
    assert f"ledger key {key.key_id} already in {key_file}" in again.stdout
    assert load_key_file(key_file).key_id == key.key_id
    # The worker's and the API's settings (a server: DATABASE_URL set) load that key.
    for name in ("api", "worker"):
        env = {
            k: str(v).replace("/keys", str(mount))
            for k, v in services[name]["environment"].items()
            if "${" not in str(v)
        }
        settings = Settings.from_env({**env, "OVERSIGHT_VAR_DIR": str(tmp_path / "var")})
        assert settings.database_url is not None
        assert settings.ledger.signing_key().key_id == key.key_id, name
