"""Debian's Chromium for the browser tests, installed when missing.

The README's test command is the one command a fresh machine needs: when
/usr/bin/chromium is missing and we run as root (CI does), the session start installs
Debian's `chromium` package (`apt-get update` first). Never `playwright install`: it
downloads a browser build of its own, which fails here. Elsewhere (not root, no apt-get)
the browser tests are skipped with the reason, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

CHROMIUM_PATH = "/usr/bin/chromium"


def chromium() -> str | None:
    return CHROMIUM_PATH if os.access(CHROMIUM_PATH, os.X_OK) else shutil.which("chromium")


def ensure_chromium() -> str | None:
    """Install Debian's chromium if it is missing and we may; return its path or None."""
    found = chromium()
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"installing chromium failed: {' '.join(command)}\n{done.stderr[-2000:]}")
            return None
    return chromium()


def require_chromium() -> str:
    """The browser's path, or skip (fail under CI=true) with the reason."""
    found = chromium()
    if found:
        return found
    reason = "Debian's chromium is not installed (and could not be installed here)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)
