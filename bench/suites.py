"""The benchmarks. Each returns rows with its baseline measured in the same run."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from argparse import Namespace
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import psutil
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from api.auth import issue_token
from bench import common
from bench.common import Row, percentile, ratio
from domain import commands as cmd
from domain.application import Oversight
from domain.complaint import Complaint
from domain.complaint_case import COMPLAINT
from domain.values import Role
from oversight.database import asyncpg_dsn, eventsourcing_env

CLIENTS = 32
WRK = shutil.which("wrk")
ROW_300_BYTES = b"x" * 300


# --- 1. the command path -------------------------------------------------------------


async def _insert_commit_baseline(url: str, seconds: float) -> float:
    """Single-row INSERT+COMMIT of a stored-event sized row from 32 connections."""
    conns = [await asyncpg.connect(asyncpg_dsn(url)) for _ in range(CLIENTS)]
    await conns[0].execute(
        "CREATE TABLE IF NOT EXISTS bench_rows (id bigserial PRIMARY KEY, payload bytea)"
    )
    done = 0
    stop_at = time.perf_counter() + seconds

    async def worker(conn: asyncpg.Connection) -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            await conn.execute("INSERT INTO bench_rows (payload) VALUES ($1)", ROW_300_BYTES)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - started
    for c in conns:
        await c.close()
    return done / elapsed


class PeerCase(Aggregate):
    @event("Lodged")
    def __init__(self, title: str, description: str) -> None:
        self.title = title


class Peer(Application):
    name = "libpeer"


def _threads_rate(command: Callable[[int, random.Random], object], seconds: float) -> float:
    """Commands per second when 32 threads each run `command(thread, rng)` in a loop."""
    done = [0] * CLIENTS
    stop_at = time.perf_counter() + seconds

    def worker(i: int) -> None:
        rng = random.Random(i)
        while time.perf_counter() < stop_at:
            command(i, rng)
            done[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - started)


def _library_peer(url: str, seconds: float, *, db_functions: bool) -> float:
    """eventsourcing as its documentation shows it: an Application, one save() per
    command, default settings; 32 threads."""
    env = {**eventsourcing_env(url), "PERSISTENCE_MODULE": "eventsourcing.postgres",
           "CREATE_TABLE": "y", "POSTGRES_POOL_SIZE": str(CLIENTS)}  # fmt: skip
    if db_functions:
        env["POSTGRES_ENABLE_DB_FUNCTIONS"] = "y"
    app = Peer(env=env)
    try:
        return _threads_rate(
            lambda i, rng: app.save(PeerCase(title="施工许可审批超时", description="x" * 200)),
            seconds,
        )
    finally:
        app.close()


def _our_store(url: str, seconds: float) -> float:
    """Our application without HTTP, as the peer runs: 32 threads lodging complaints
    (the domain decides each, the group committer stores them)."""
    app = common.application(url)
    app.enable_group_commit()

    def lodge(i: int, rng: random.Random) -> object:
        command = common.lodge_command(rng)
        org = command.complainant.credit_code
        actor = common.Actor(id=f"ent-{i}", role=Role.ENTERPRISE, org=org)
        return app.lodge_complaint(actor, common.START, command)

    try:
        return _threads_rate(lodge, seconds)
    finally:
        app.close()


class Server:
    """`oversight serve` in its own process, on a bench database."""

    def __init__(self, url: str, port: int, workers: int = 1, *, watchers: bool = True) -> None:
        self.url, self.port = url, port
        settings = common.bench_settings()
        self.secret = settings.jwt_secret
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "OVERSIGHT_JWT_SECRET": self.secret,
            **common.PROCESS_ENV,
            "OVERSIGHT_VAR_DIR": str(settings.var_dir),
            **({} if watchers else {"OVERSIGHT_WATCH_SECONDS": "0"}),
        }
        # With DATABASE_URL no ledger key is generated silently: make it, once.
        subprocess.run(
            [sys.executable, "-m", "oversight.cli", "ledger", "init-key", "--if-missing"],
            env=env,
            cwd=common.ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "oversight.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            env=env,
            cwd=common.ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            # Never leave it holding the port for the next run.
            self.proc.terminate()
            self.proc.wait(timeout=30)
            raise RuntimeError("server did not start")
        self.peak_rss = self.rss()
        self.idle_rss = self.peak_rss
        self._watch = True
        self._watcher = threading.Thread(target=self._poll, daemon=True)
        self._watcher.start()

    def rss(self) -> int:
        p = psutil.Process(self.proc.pid)
        return sum(c.memory_info().rss for c in [p, *p.children(recursive=True)])

    def _poll(self) -> None:
        while self._watch:
            try:
                self.peak_rss = max(self.peak_rss, self.rss())
            except psutil.Error:
                return
            time.sleep(0.1)

    def token(self, role: str, sub: str, org: str | None = None) -> str:
        return issue_token(
            self.secret, sub=sub, role=Role(role), org=org,
            now=datetime.now(UTC), ttl=timedelta(hours=2),
        )  # fmt: skip

    def stop(self) -> None:
        self._watch = False
        self.proc.terminate()
        self.proc.wait(timeout=30)


async def _load(
    base: str, seconds: float, make: Callable[[int], tuple[str, dict[str, str], Any]]
) -> tuple[float, list[float], int]:
    """32 clients posting for `seconds`; returns throughput, latencies (ms), errors."""
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def client(i: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            n = 0
            while time.perf_counter() < stop_at:
                path, headers, body = make(i * 1_000_000 + n)
                n += 1
                t = time.perf_counter()
                r = await http.post(path, json=body, headers=headers)
                latencies.append((time.perf_counter() - t) * 1000)
                if r.status_code >= 300:
                    errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(CLIENTS)))
    elapsed = time.perf_counter() - started
    return (len(latencies) - errors) / elapsed, latencies, errors


async def command(server: str, args: Namespace) -> list[Row]:
    seconds = args.seconds
    base_url = common.fresh_database(server, "baseline")
    baseline = await _insert_commit_baseline(base_url, seconds)

    url = common.fresh_database(server, "command")
    workers = args.workers or os.cpu_count() or 1
    srv = Server(url, port=18931, workers=workers)
    try:
        rng = random.Random(1)
        codes = [common.credit_code(rng) for _ in range(CLIENTS)]
        tokens = {c: srv.token("enterprise", f"ent-{c}", c) for c in codes}

        def make(k: int) -> tuple[str, dict[str, str], Any]:
            code = codes[k // 1_000_000 % CLIENTS]
            body = {
                "kind": "complaint", "channel": "web", "category": "approval",
                "title": "施工许可审批超时", "description": "企业反映审批超时，请求督办。" * 4,
                "complainant": {"name": "某建设有限公司", "credit_code": code},
            }  # fmt: skip
            return "/api/v1/complaints", {"Authorization": f"Bearer {tokens[code]}"}, body

        floor = None
        if WRK:
            client = "wrk"
            throughput, p50, p99, errors = await asyncio.to_thread(_wrk, srv, codes[0], seconds)
            floor = await asyncio.to_thread(_wrk_get, srv, "/healthz", seconds)
        else:
            client = "httpx (install wrk for a load generator that is not the bottleneck)"
            throughput, latencies, errors = await _load(srv.base, seconds, make)
            p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
        peak, idle = srv.peak_rss, srv.idle_rss
    finally:
        srv.stop()

    peer_url = common.fresh_database(server, "peer")
    peer = await asyncio.to_thread(_library_peer, peer_url, seconds, db_functions=False)
    peer_fn_url = common.fresh_database(server, "peerfn")
    peer_fn = await asyncio.to_thread(_library_peer, peer_fn_url, seconds, db_functions=True)
    best_peer = max(peer, peer_fn)
    ours_url = common.fresh_database(server, "ours")
    ours = await asyncio.to_thread(_our_store, ours_url, seconds)
    return [
        Row("command_http", round(throughput, 1), "commands/s", round(baseline, 1),
            ratio(throughput, baseline),
            f"32 clients ({client}), HTTP lodging, {workers} server process(es); baseline: "
            f"single-row INSERT+COMMIT from 32 connections; {errors} errors; p50 {p50:.1f} ms"),
        Row("command_http_p99", round(p99, 1), "ms", 50.0, ratio(p99, 50.0),
            "p99 latency of lodging; baseline is the 50 ms target"),
        Row("command_vs_library", round(throughput, 1), "commands/s", round(best_peer, 1),
            ratio(throughput, best_peer),
            f"peer: eventsourcing, one save() per command, 32 threads: {peer:.0f}/s default, "
            f"{peer_fn:.0f}/s with POSTGRES_ENABLE_DB_FUNCTIONS=y (the better is the baseline)"),
        Row("command_in_process", round(ours, 1), "commands/s", round(best_peer, 1),
            ratio(ours, best_peer),
            "like for like with the peer: our application without HTTP, 32 threads lodging "
            "complaints (decided by the domain, stored by the group committer)"),
        Row("memory_server", round(peak / 2**20, 1), "MiB", round(idle / 2**20, 1),
            ratio(peak, idle), "peak RSS of the server during the command load; baseline: idle"),
        *([Row("command_http_vs_floor", round(throughput, 1), "commands/s", round(floor, 1),
               ratio(throughput, floor),
               "lodging vs the HTTP floor: GET /healthz (no database, no auth) on the same "
               "server processes with the same 32 wrk connections")] if floor else []),
    ]  # fmt: skip


def _wrk(srv: Server, code: str, seconds: float) -> tuple[float, float, float, int]:
    """wrk (C) as the 32 clients: POST a lodging as one enterprise (each is a new case)."""
    body = json.dumps(
        {
            "kind": "complaint", "channel": "web", "category": "approval",
            "title": "施工许可审批超时", "description": "企业反映审批超时，请求督办。" * 4,
            "complainant": {"name": "某建设有限公司", "credit_code": code},
        },
        ensure_ascii=False,
    )  # fmt: skip
    token = srv.token("enterprise", "bench-ent", code)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(body, ensure_ascii=False)}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = "Bearer {token}"\n'
        )
        script = f.name
    out = subprocess.run(
        [WRK, "-t2", f"-c{CLIENTS}", f"-d{int(seconds)}s", "--latency", "-s", script,
         srv.base + "/api/v1/complaints"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    os.unlink(script)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _wrk_ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1))
    p99 = _wrk_ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, p50, p99, int(non2xx.group(1)) if non2xx else 0


def _wrk_get(srv: Server, path: str, seconds: float) -> float:
    """Requests/s of wrk GETting `path` with the 32 connections."""
    out = subprocess.run(
        [WRK, "-t2", f"-c{CLIENTS}", f"-d{int(seconds)}s", srv.base + path],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def _wrk_ms(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


# --- 2. projection catch-up ----------------------------------------------------------


async def _copy_baseline(url: str) -> float:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_copy (position bigint, case_id uuid, version "
            "bigint, topic text, size int)"
        )
        started = time.perf_counter()
        last = 0
        total = 0
        while True:
            rows = await conn.fetch(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM oversight_events WHERE notification_id > $1 ORDER BY notification_id "
                "LIMIT 5000",
                last,
            )
            if not rows:
                break
            await conn.copy_records_to_table(
                "bench_copy",
                records=[(r[0], r[1], r[2], r[3], len(r[4])) for r in rows],
            )
            last = rows[-1][0]
            total += len(rows)
        return total / (time.perf_counter() - started)
    finally:
        await conn.close()


def _tree_rss(pid: int) -> int:
    """Resident memory of a process and its children (0 once it has exited)."""
    try:
        parent = psutil.Process(pid)
        total = parent.memory_info().rss
        for child in parent.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
        return total
    except psutil.Error:
        return 0


def _generate(url: str, n: int) -> int:
    app = common.application(url)
    try:
        return common.generate_events(app, n)
    finally:
        app.close()


async def rebuild(server: str, args: Namespace) -> list[Row]:
    url = common.fresh_database(server, "rebuild")
    n = await asyncio.to_thread(_generate, url, args.events)
    baseline = await _copy_baseline(url)
    env = {**os.environ, "DATABASE_URL": url, "OVERSIGHT_JWT_SECRET": "x" * 40,
           **common.PROCESS_ENV}  # fmt: skip
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "oversight.cli", "rebuild"],
        env=env, cwd=common.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))  # `rebuild --jobs` runs child processes
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"oversight rebuild exited {proc.returncode}")
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        behind = await conn.fetchval(
            "SELECT count(*) FROM views.tracking WHERE position < "
            "(SELECT max(notification_id) FROM oversight_events)"
        )
    finally:
        await conn.close()
    if behind:
        raise RuntimeError(f"{behind} views did not reach the last event")
    rate = n / elapsed
    return [
        Row("rebuild", round(rate, 1), "events/s", round(baseline, 1), ratio(rate, baseline),
            f"`oversight rebuild` of every view from {n:,} events (process start included); "
            f"baseline: read the events and COPY one row per event"),
        Row("memory_runner", round(peak / 2**20, 1), "MiB", None, None,
            "peak RSS of `oversight rebuild` (the runner processes, summed) during the rebuild"),
    ]  # fmt: skip


# --- 3. reads as history grows ---------------------------------------------------------


async def _latencies(base: str, path: str, token: str, n: int = 1000) -> list[float]:
    """`n` sequential GETs' latencies in ms, after 50 not counted (connection, caches):
    with 1,000 samples the p99 is the 10th slowest, not one stray pause."""
    out = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for _ in range(50):
            (await http.get(path, headers={"Authorization": f"Bearer {token}"})).raise_for_status()
        for _ in range(n):
            t = time.perf_counter()
            r = await http.get(path, headers={"Authorization": f"Bearer {token}"})
            out.append((time.perf_counter() - t) * 1000)
            r.raise_for_status()
    return out


async def reads(server: str, args: Namespace) -> list[Row]:
    sizes = [s for s in (10_000, 100_000, 1_000_000) if s <= max(args.events, 10_000)]
    url = common.fresh_database(server, "reads")
    app = common.application(url)
    list_p99: dict[int, float] = {}
    dash_p99: dict[int, float] = {}
    tiers: list[str] = []  # p50/p99 of both at every size, for the notes
    have = 0
    try:
        for tier, size in enumerate(sizes):
            # Each tier's events start a year after the previous tier's began (1M events
            # span ~130 days), so the measured day holds the same events at every size.
            have += await asyncio.to_thread(
                partial(common.generate_events, app, size - have, seed=size,
                        start=common.START + timedelta(days=365 * tier))
            )  # fmt: skip
            # Without the deadline watchers: on this 2024 data they would be reminding
            # thousands of overdue cases (writes) while the reads are timed.
            srv = Server(url, port=18932, watchers=False)
            try:
                await _wait_caught_up(url)
                await _wait_settled(url)
                token = srv.token("supervisor", "bench-sup")
                lists = await _latencies(
                    srv.base, "/api/v1/complaints?status=transferred&limit=50", token
                )
                dash = await _latencies(
                    srv.base, "/api/v1/dashboard?from=2024-03-04&to=2024-03-04", token, n=500
                )
            finally:
                srv.stop()
            list_p99[size], dash_p99[size] = percentile(lists, 99), percentile(dash, 99)
            tiers.append(
                f"{size:,} events: list p50 {percentile(lists, 50):.1f} / p99 "
                f"{list_p99[size]:.1f} ms, dashboard p50 {percentile(dash, 50):.1f} / p99 "
                f"{dash_p99[size]:.1f} ms"
            )
            print(f"   {tiers[-1]}", flush=True)
    finally:
        app.close()
    small, large = sizes[0], sizes[-1]
    return [
        Row("read_list_growth", round(list_p99[large], 2), "ms p99", round(list_p99[small], 2),
            ratio(list_p99[large], list_p99[small]),
            f"list p99 at {large:,} events vs at {small:,}; " + "; ".join(tiers)),
        Row("read_dashboard_growth", round(dash_p99[large], 2), "ms p99",
            round(dash_p99[small], 2), ratio(dash_p99[large], dash_p99[small]),
            f"dashboard of the first day (same events at every size) p99 at {large:,} "
            f"events vs at {small:,}"),
    ]  # fmt: skip


async def _wait_caught_up(url: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        while True:
            latest = await conn.fetchval(
                "SELECT coalesce(max(notification_id), 0) FROM oversight_events"
            )
            seen = await conn.fetchval("SELECT coalesce(min(position), 0) FROM views.tracking")
            if seen >= latest:
                return
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def _wait_settled(url: str, within_seconds: float = 600) -> None:
    """After a bulk load the server's ledger signer signs a head per 1,000 new events
    (re-deriving every leaf) and autovacuum visits the grown tables: wait for the heads,
    then VACUUM ANALYZE, so the timings are of the reads, not of that one-off work."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        deadline = time.monotonic() + within_seconds
        size = await conn.fetchval("SELECT count(*) FROM views.ledger_leaves")
        while time.monotonic() < deadline:
            signed = await conn.fetchval("SELECT coalesce(max(size), 0) FROM views.ledger_heads")
            if signed >= size - size % 1000:
                break
            await asyncio.sleep(0.5)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


# --- 3b. the web pages beside the JSON reads of the same data (issue 16) ------------------


async def pages(server: str, args: Namespace) -> list[Row]:
    """p50/p99 of rendering `/desk` (a clerk's: the 25 lodged or accepted cases with the
    oldest deadlines) and a case page, beside the JSON API's read of the same data in
    the same run: the complaints list of the same view and page size, and the case with
    its events (GET /complaints/{id} and its /history; the page shows both). Both sides
    send the same bearer token, so the rows compare the pages' work, not sign-in."""
    url = common.fresh_database(server, "pages")
    app = common.application(url)
    try:
        n = await asyncio.to_thread(common.generate_events, app, args.events, seed=16)
    finally:
        app.close()
    srv = Server(url, port=18933, watchers=False)
    try:
        await _wait_caught_up(url)
        await _wait_settled(url)
        clerk = srv.token("clerk", "bench-clerk")
        async with httpx.AsyncClient(base_url=srv.base, timeout=30) as http:
            desk = await http.get("/desk", headers={"Authorization": f"Bearer {clerk}"})
            desk.raise_for_status()
        found = re.search(r'href="/cases/([0-9a-f-]{36})"', desk.text)
        assert found, "the desk lists no case"
        case = found.group(1)
        timed: dict[str, list[float]] = {}
        for name, path in (
            ("desk_page", "/desk"),
            ("desk_json", "/api/v1/complaints?status=lodged&limit=25"),
            ("case_page", f"/cases/{case}"),
            ("case_json", f"/api/v1/complaints/{case}"),
            ("case_history_json", f"/api/v1/complaints/{case}/history"),
        ):
            timed[name] = await _latencies(srv.base, path, clerk)
    finally:
        srv.stop()
    p = {name: (percentile(t, 50), percentile(t, 99)) for name, t in timed.items()}
    for name, (p50, p99) in p.items():
        print(f"   {name}: p50 {p50:.2f} / p99 {p99:.2f} ms", flush=True)
    case_json_p50 = p["case_json"][0] + p["case_history_json"][0]
    case_json_p99 = p["case_json"][1] + p["case_history_json"][1]
    note = f"{n:,} events; bearer token on both sides; 1,000 sequential GETs after 50"
    return [
        Row("page_desk_p50", round(p["desk_page"][0], 2), "ms", round(p["desk_json"][0], 2),
            ratio(p["desk_page"][0], p["desk_json"][0]),
            f"GET /desk (25 rows, HTML) vs GET /api/v1/complaints?status=lodged&limit=25; {note}"),
        Row("page_desk_p99", round(p["desk_page"][1], 2), "ms", round(p["desk_json"][1], 2),
            ratio(p["desk_page"][1], p["desk_json"][1]), "as above, p99"),
        Row("page_case_p50", round(p["case_page"][0], 2), "ms", round(case_json_p50, 2),
            ratio(p["case_page"][0], case_json_p50),
            "GET /cases/{id} (the case, its course and its move forms) vs GET "
            "/api/v1/complaints/{id} plus its /history (the same data); alone, the read "
            f"is p50 {p['case_json'][0]:.2f} ms"),
        Row("page_case_p99", round(p["case_page"][1], 2), "ms", round(case_json_p99, 2),
            ratio(p["case_page"][1], case_json_p99),
            f"as above, p99; the read alone p99 {p['case_json'][1]:.2f} ms"),
    ]  # fmt: skip


# --- 3c. the dashboard page beside the API's dashboard read (issue 17) ---------------------


async def _interleaved(
    base: str, paths: tuple[str, str], token: str, n: int, warm: int
) -> tuple[list[float], list[float]]:
    """Latencies (ms) of two GETs taken in turn, `n` each after `warm` of each."""
    out: tuple[list[float], list[float]] = ([], [])
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for i in range(warm + n):
            for side, path in enumerate(paths):
                t = time.perf_counter()
                r = await http.get(path, headers=headers)
                if i >= warm:
                    out[side].append((time.perf_counter() - t) * 1000)
                r.raise_for_status()
    return out


async def dashboard_page(server: str, args: Namespace) -> list[Row]:
    """p50/p99 of `/dashboard` (the page: the API's figures, its weekly and departmental
    figures, six server-drawn SVG charts and their tables) beside `GET /api/v1/dashboard`
    for the same period in the same run: the year that holds every generated event, so
    both read all of them. Same bearer token on both sides."""
    url = common.fresh_database(server, "dashboard_page")
    app = common.application(url)
    try:
        n = await asyncio.to_thread(common.generate_events, app, args.events, seed=17)
    finally:
        app.close()
    srv = Server(url, port=18935, watchers=False)
    period = f"from={common.START.year}-01-01&to={common.START.year}-12-31"
    # A dashboard of a year takes ~0.3 s at 100k events and ~10x that at 1M: fewer reads
    # there (its p99 is then about the slowest), so a 1M run stays within minutes.
    samples, warm = (200, 50) if args.events <= 200_000 else (60, 5)
    try:
        await _wait_caught_up(url)
        await _wait_settled(url)
        token = srv.token("supervisor", "bench-sup")
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=srv.base, timeout=60) as http:
            figures = (await http.get(f"/api/v1/dashboard?{period}", headers=headers)).json()
            shown = (await http.get(f"/dashboard?{period}", headers=headers)).text
        lodged = figures["complaints"]["lodged"]
        assert f'data-figure="complaints.lodged">{lodged}<' in shown, "page and API differ"
        # Interleaved, one of each in turn, so neither side gets the warmer caches or the
        # quieter moments of a shared machine (in blocks, the second block ran faster).
        json_ms, page_ms = await _interleaved(
            srv.base,
            (f"/api/v1/dashboard?{period}", f"/dashboard?{period}"),
            token,
            n=samples,
            warm=warm,
        )
    finally:
        srv.stop()
    page_p = (percentile(page_ms, 50), percentile(page_ms, 99))
    json_p = (percentile(json_ms, 50), percentile(json_ms, 99))
    print(f"   dashboard page p50 {page_p[0]:.1f} / p99 {page_p[1]:.1f} ms; "
          f"API p50 {json_p[0]:.1f} / p99 {json_p[1]:.1f} ms", flush=True)  # fmt: skip
    note = (
        f"{n:,} events ({lodged:,} complaints) in the period; {samples} GETs of each, "
        f"taken in turn, after {warm}"
    )
    return [
        Row("page_dashboard_p50", round(page_p[0], 2), "ms", round(json_p[0], 2),
            ratio(page_p[0], json_p[0]),
            f"GET /dashboard?{period} (HTML, charts) vs GET /api/v1/dashboard?{period}; {note}"),
        Row("page_dashboard_p99", round(page_p[1], 2), "ms", round(json_p[1], 2),
            ratio(page_p[1], json_p[1]), "as above, p99"),
    ]  # fmt: skip


# --- 4. time travel --------------------------------------------------------------------


class _NoSnapshots(Oversight):
    name = "oversight"
    snapshotting_intervals = {}  # noqa: RUF012


def _as_of(url: str) -> tuple[float, float]:
    settings = common.bench_settings()
    from domain.sla import calendar_for, load_sla_policy

    sla = load_sla_policy(None)
    env = {**eventsourcing_env(url), "CREATE_TABLE": "y"}
    with_snap = Oversight(env, calendar=calendar_for(sla, [settings.calendar_dir]), sla=sla)
    rng = random.Random(3)
    c = common.lodge_command(rng)
    at = common.START
    case = with_snap.lodge_complaint(
        common.Actor(id="e", role=Role.ENTERPRISE, org=c.complainant.credit_code), at, c
    ).case
    times = []
    for i in range(999):
        at += timedelta(minutes=7)
        with_snap.move(case.id, "supervise", common.SUPERVISOR, at, cmd.Supervise(note=f"督办{i}"))
        times.append(at)
    without = _NoSnapshots(
        {**env, "IS_SNAPSHOTTING_ENABLED": "n"}, calendar=with_snap.calendar, sla=sla
    )

    def measure(app: Oversight) -> float:
        samples = []
        for k in range(60):
            instant = times[(k * 97) % len(times)]
            t = time.perf_counter()
            got: Complaint = app.read(COMPLAINT, case.id, common.SUPERVISOR, as_of=instant)
            samples.append((time.perf_counter() - t) * 1000)
            assert got.modified_on == instant
        return common.median(samples)

    try:
        return measure(with_snap), measure(without)
    finally:
        with_snap.close()
        without.close()


async def as_of(server: str, args: Namespace) -> list[Row]:
    url = common.fresh_database(server, "asof")
    with_ms, without_ms = await asyncio.to_thread(_as_of, url)
    return [
        Row("as_of", round(with_ms, 2), "ms median", round(without_ms, 2),
            ratio(with_ms, without_ms),
            "as_of read of a 1,000-event case, snapshots every 50 events; baseline: no snapshots"),
    ]  # fmt: skip


# --- 5. ledger verification -----------------------------------------------------------


async def verify(server: str, args: Namespace) -> list[Row]:
    try:
        import ledger  # noqa: F401
    except ImportError:
        return [Row("verify", float("nan"), "events/s", None, None, "no ledger yet")]
    url = common.fresh_database(server, "verify")
    n = await asyncio.to_thread(_generate, url, args.events)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "OVERSIGHT_JWT_SECRET": "x" * 40,
        **common.PROCESS_ENV,
        "OVERSIGHT_VAR_DIR": str(common.ROOT / "var" / "bench"),
    }
    subprocess.run([sys.executable, "-m", "oversight.cli", "rebuild"], env=env, cwd=common.ROOT,
                   check=True, capture_output=True)  # fmt: skip
    baseline = await _copy_baseline(url)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "oversight.cli", "verify"], env=env,
                            cwd=common.ROOT, capture_output=True, text=True)  # fmt: skip
    elapsed = time.perf_counter() - started
    rate = n / elapsed
    note = f"`oversight verify` of {n:,} events, exit {result.returncode}; baseline: read + COPY"
    return [
        Row("verify", round(rate, 1), "events/s", round(baseline, 1), ratio(rate, baseline), note)
    ]


SUITES: dict[str, Callable[[str, Namespace], Awaitable[list[Row]]]] = {
    "command": command,
    "rebuild": rebuild,
    "reads": reads,
    "dashboard_page": dashboard_page,
    "pages": pages,
    "as_of": as_of,
    "verify": verify,
}

_ = uuid4  # (kept for data generators that need fresh ids)
