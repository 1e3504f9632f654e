"""python -m bench [--events N] [--only NAME] [--json FILE] [--seconds S]

Runs every benchmark against the same PostgreSQL (DATABASE_URL, else the embedded one)
with its baseline in the same run, prints a table of value / baseline / ratio and the
machine, and writes the rows as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from bench import common
from bench.suites import SUITES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--events", type=int, default=100_000, help="largest data set")
    parser.add_argument("--only", action="append", choices=sorted(SUITES), help="run these")
    parser.add_argument("--json", help="write the rows to this file")
    parser.add_argument("--seconds", type=float, default=10.0, help="load duration")
    parser.add_argument(
        "--workers", type=int, default=0, help="server processes (default: one per core)"
    )
    args = parser.parse_args(argv)

    server = common.server_url()
    info = common.machine()
    print(f"machine: {info}", flush=True)
    rows: list[common.Row] = []
    for name in args.only or list(SUITES):
        started = time.perf_counter()
        print(f"-- {name}", flush=True)
        produced = asyncio.run(SUITES[name](server, args))
        rows.extend(produced)
        for row in produced:
            print(_line(row), flush=True)
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)

    print()
    print(f"{'name':26} {'value':>12} {'baseline':>12} {'ratio':>8}  unit / note")
    for row in rows:
        print(_line(row))
    if args.json:
        with open(args.json, "w") as f:
            json.dump([r.as_dict() | {"machine": info} for r in rows], f, indent=2)
    return 0


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:,.2f}"


def _line(row: common.Row) -> str:
    return (
        f"{row.name:26} {_fmt(row.value):>12} {_fmt(row.baseline):>12} "
        f"{_fmt(row.ratio):>8}  {row.unit}{' — ' + row.note if row.note else ''}"
    )


if __name__ == "__main__":
    sys.exit(main())
