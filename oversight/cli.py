"""The `oversight` command: serve, worker, rebuild, token, calendar, org, user, admin."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog

from domain.values import Role
from oversight.identity_cli import add_commands as add_identity_commands
from oversight.ledger_cli import add_commands as add_ledger_commands
from oversight.logs import configure_logging
from oversight.settings import Settings

log = structlog.get_logger("oversight")


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from oversight.runtime import database, prepare_secrets

    url, embedded = database(settings)
    secret = prepare_secrets(settings, embedded=embedded)
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again; by default
    # that kills the process before its exit handlers run, leaving the embedded
    # PostgreSQL running. With this handler in place (uvicorn restores it before raising)
    # the process exits normally and the embedded server stops with it.
    signal.signal(signal.SIGTERM, _exit_normally)
    if args.workers > 1:
        # One process per core: each worker builds its app from what is resolved here.
        from oversight import asgi

        os.environ[asgi.RESOLVED_URL] = url
        os.environ[asgi.RESOLVED_SECRET] = secret
        os.environ[asgi.RUN_PROJECTIONS] = "0" if args.no_projections else "1"
        uvicorn.run(
            "oversight.asgi:app_factory",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=None,
            access_log=False,
        )
        return 0
    from oversight.runtime import create_app

    app = create_app(
        settings,
        database_url=url,
        jwt_secret=secret,
        run_projections=not args.no_projections,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)
    return 0


def _exit_normally(signum: int, frame: object) -> None:
    raise SystemExit(0)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from oversight.runtime import database, prepare_secrets, run_worker

    url, embedded = database(settings)
    prepare_secrets(settings, embedded=embedded)  # the signer's key in embedded mode
    return asyncio.run(run_worker(settings, url))


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from oversight.rebuild import rebuild
    from oversight.runtime import database

    url, _ = database(settings)
    return asyncio.run(rebuild(settings, url, jobs=args.jobs or os.cpu_count() or 1))


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    from api.auth import ORG_ROLES, issue_token

    if not (settings.identity.dev_tokens or settings.embedded):
        # People sign in (POST /api/v1/auth/login); this mints tokens for anyone.
        print(
            "error: `oversight token` mints development tokens: set OVERSIGHT_DEV_TOKENS=1, "
            "or use the embedded database; people sign in with POST /api/v1/auth/login",
            file=sys.stderr,
        )
        return 2
    role = Role(args.role)
    if role in ORG_ROLES and not args.org:
        print(f"error: a {role} token needs --org", file=sys.stderr)
        return 2
    if not 0 < args.hours <= settings.max_token_hours:
        print(
            f"error: --hours must be more than 0 and at most {settings.max_token_hours:g}"
            " (OVERSIGHT_MAX_TOKEN_HOURS): the API refuses longer-lived tokens",
            file=sys.stderr,
        )
        return 2
    from oversight.runtime import jwt_signing_secret

    secret = jwt_signing_secret(settings, embedded=settings.embedded)
    token = issue_token(
        secret,
        sub=args.sub,
        role=role,
        org=args.org,
        now=datetime.now(UTC),
        ttl=timedelta(hours=args.hours),
    )
    print(token)
    return 0


def cmd_calendar_load(args: argparse.Namespace, settings: Settings) -> int:
    """Install the year file (running processes read it on their next calendar question),
    then recompute every open deadline from that year on (oversight/calendar_recompute.py)."""
    import asyncpg

    from domain.calendar import CalendarFileError, install_year_file, load_year_file

    try:
        year = load_year_file(Path(args.file)).year
        path = install_year_file(Path(args.file), settings.calendar_dir)
    except (CalendarFileError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"installed {path}: running processes use it from now on, without a restart")
    if args.no_recompute:
        return 0
    from oversight.runtime import database

    url, _ = database(settings)
    try:
        changed = asyncio.run(_recompute_deadlines(settings, url, year))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as e:
        print(
            f"error: open deadlines were not recomputed ({type(e).__name__}); "
            "the schedule is installed: run the same load again",
            file=sys.stderr,
        )
        return 1
    print(f"recomputed the deadlines of {changed} open case(s) due in {year} or later")
    return 0


async def _recompute_deadlines(settings: Settings, url: str, year: int) -> int:
    import anyio.to_thread
    import asyncpg

    from api.services import system_clock
    from oversight.calendar_recompute import recompute_open_deadlines
    from oversight.database import asyncpg_dsn
    from oversight.runtime import build_application

    app = await anyio.to_thread.run_sync(build_application, url, settings)
    try:
        pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=1, max_size=2)
        try:
            return await recompute_open_deadlines(app, pool, system_clock(), year=year)
        finally:
            await pool.close()
    finally:
        app.close()


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from oversight.demo import run_demo
    from oversight.runtime import database

    url, _ = database(settings)
    return run_demo(url, settings, seed=args.seed, force=args.force, catch_up=args.catch_up)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oversight", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API (and the projection runner)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--no-projections", action="store_true", help="leave the views to `oversight worker`"
    )
    serve.add_argument(
        "--workers",
        type=_count(minimum=1),
        default=1,
        help="server processes (one per core for throughput; default 1)",
    )
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("worker", help="run only the projection runner").set_defaults(func=cmd_worker)
    rebuild = sub.add_parser("rebuild", help="drop and rebuild every view")
    rebuild.add_argument(
        "--jobs",
        type=_count(minimum=1),
        default=0,
        help="processes rebuilding views side by side (default: one per core)",
    )
    rebuild.set_defaults(func=cmd_rebuild)

    token = sub.add_parser("token", help="print a signed JWT for development")
    token.add_argument(
        "--role", required=True, choices=[r.value for r in Role if r is not Role.SYSTEM]
    )
    token.add_argument("--sub", required=True, help="the user id")
    token.add_argument("--org", help="credit code (enterprise) or department code")
    token.add_argument("--hours", type=float, default=12.0, help="lifetime (default 12)")
    token.set_defaults(func=cmd_token)

    calendar = sub.add_parser("calendar", help="working-day calendar administration")
    calendar_sub = calendar.add_subparsers(dest="calendar_command", required=True)
    load = calendar_sub.add_parser("load", help="install a year's official schedule (JSON)")
    load.add_argument("file")
    load.add_argument(
        "--no-recompute",
        action="store_true",
        help="only install the file; leave the open deadlines as they are",
    )
    load.set_defaults(func=cmd_calendar_load)

    demo = sub.add_parser(
        "demo", help="load the demo data set (press release, Feb-Jun 2020) into an empty store"
    )
    demo.add_argument("--seed", type=int, default=2020, help="random seed (default 2020)")
    demo.add_argument("--force", action="store_true", help="load even if the store holds events")
    demo.add_argument("--catch-up", action="store_true", help="then bring every view up to date")
    demo.set_defaults(func=cmd_demo)
    add_ledger_commands(sub)
    add_identity_commands(sub)  # org, user, admin (issue 15)
    return parser


def _count(*, minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `minimum` (argparse says which)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    configure_logging(settings.log_format)
    with contextlib.suppress(KeyboardInterrupt):
        return args.func(args, settings)
    return 130


if __name__ == "__main__":
    sys.exit(main())
