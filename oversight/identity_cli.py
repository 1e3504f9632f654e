"""`oversight org ...`, `oversight user ...`, `oversight admin create` (issue 15).

    oversight org load FILE                 departments and categories from a file (a new
                                            installation; domain/data/organisation-demo.json)
    oversight org department CODE --name N [--parent P] [--from D] [--until D]
    oversight org category CODE --name N [--from D] [--until D]
    oversight admin create LOGIN [--name N] the first administrator
    oversight user add LOGIN --role ROLE [--org ORG] [--name NAME] [--service]
    oversight user reset-password LOGIN
    oversight user unlock LOGIN

`admin create`, `user add` and `user reset-password` print a one-time password on a line
of its own, `password: ...`; it is shown once and must be changed at the first sign-in.
The command line acts as an administrator named `cli:<operating-system user>` (the
audit trail says so); `admin create` acts as the system.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from domain.errors import DomainError
from domain.values import Actor, Role
from oversight.settings import Settings

ORGANISATION_FILE = Path(__file__).resolve().parent.parent / "domain/data/organisation-demo.json"


def cli_actor() -> Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name (a container's anonymous uid)
        user = "unknown"
    return Actor(id=f"cli:{user}", role=Role.ADMIN)


def _run(settings: Settings, work: Callable[[Any], Awaitable[int]]) -> int:
    """`work(services)` on the configured database, with the secrets tables in place."""
    from api.identity import ensure_identity_tables
    from api.services import Services
    from oversight.database import create_pool
    from oversight.runtime import build_application, database

    url, _ = database(settings)

    async def main() -> int:
        app = await asyncio.to_thread(build_application, url, settings)
        try:
            pool = await create_pool(url, min_size=1, max_size=2, application_name="oversight-cli")
            try:
                async with pool.acquire() as conn:
                    await ensure_identity_tables(conn)
                return await work(Services(app=app, pool=pool, settings=settings.api))
            finally:
                await pool.close()
        finally:
            app.close()

    try:
        return asyncio.run(main())
    except DomainError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


def _password_line(password: str | None) -> None:
    if password is not None:
        print(f"password: {password}")
        print("(one-time: shown once, to be changed at the first sign-in)", file=sys.stderr)


# --- org ---------------------------------------------------------------------------------------


def cmd_org_load(args: argparse.Namespace, settings: Settings) -> int:
    from domain.identity import Identity, load_organisation
    from domain.organisation import OrganisationFileError, parse_organisation_file

    try:
        parsed = parse_organisation_file(Path(args.file).read_bytes())
    except (OrganisationFileError, OSError) as e:
        print(f"error: {args.file}: {e}", file=sys.stderr)
        return 1

    async def work(services: Any) -> int:
        counts = await asyncio.to_thread(
            load_organisation, Identity(services.app), cli_actor(), services.now(), parsed
        )
        print(
            f"{len(parsed.departments)} departments and {len(parsed.categories)} categories: "
            f"{counts['registered']} registered, {counts['changed']} changed, "
            f"{counts['unchanged']} unchanged"
        )
        return 0

    return _run(settings, work)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day, YYYY-MM-DD") from None


def cmd_org_entry(args: argparse.Namespace, settings: Settings) -> int:
    """Register the department or category, or change it when it exists."""
    import msgspec

    from domain import organisation as org
    from domain.identity import Identity

    department = args.org_command == "department"
    fields: dict[str, Any] = {"name": args.name}
    for option, name in (("active_from", "active_from"), ("active_until", "active_until")):
        if getattr(args, option) is not None:
            fields[name] = getattr(args, option)
    if department and args.parent is not None:
        fields["parent"] = args.parent or None

    def apply(services: Any) -> str:
        ident, actor, at = Identity(services.app), cli_actor(), services.now()
        if department:
            if ident.department(args.code) is None:
                ident.register_department(
                    actor,
                    at,
                    msgspec.convert({"code": args.code, **fields}, org.RegisterDepartment),
                )
                return "registered"
            change = msgspec.convert(fields, org.ChangeDepartment)
            ident.change_department(actor, at, args.code, change)
            return "changed"
        if ident.category(args.code) is None:
            ident.register_category(
                actor, at, msgspec.convert({"code": args.code, **fields}, org.RegisterCategory)
            )
            return "registered"
        ident.change_category(actor, at, args.code, msgspec.convert(fields, org.ChangeCategory))
        return "changed"

    async def work(services: Any) -> int:
        try:
            done = await asyncio.to_thread(apply, services)
        except msgspec.ValidationError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        print(f"{args.org_command} {args.code} {done}")
        return 0

    return _run(settings, work)


# --- accounts -----------------------------------------------------------------------------------


def cmd_admin_create(args: argparse.Namespace, settings: Settings) -> int:
    from api.identity import create_first_administrator

    async def work(services: Any) -> int:
        created = await create_first_administrator(services, args.login, args.name or args.login)
        print(f"administrator {args.login} created")
        _password_line(created.password)
        return 0

    return _run(settings, work)


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    import msgspec

    from api.identity import create_account
    from domain.account import AccountKind, CreateAccount

    try:
        command = msgspec.convert(
            {
                "login": args.login,
                "role": args.role,
                "org": args.org,
                "name": args.name,
                "kind": AccountKind.SERVICE if args.service else AccountKind.STAFF,
            },
            CreateAccount,
        )
    except msgspec.ValidationError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    async def work(services: Any) -> int:
        created = await create_account(services, cli_actor(), command)
        print(f"user {args.login} created with role {args.role}")
        _password_line(created.password)
        return 0

    return _run(settings, work)


def cmd_user_reset_password(args: argparse.Namespace, settings: Settings) -> int:
    from api.identity import reset_password

    async def work(services: Any) -> int:
        _, password = await reset_password(services, cli_actor(), args.login)
        print(f"user {args.login}: a new one-time password; sessions ended")
        _password_line(password)
        return 0

    return _run(settings, work)


def cmd_user_unlock(args: argparse.Namespace, settings: Settings) -> int:
    from api.identity import unlock
    from domain.account import AccountNote

    async def work(services: Any) -> int:
        await unlock(services, cli_actor(), args.login, AccountNote(reason=args.reason))
        print(f"user {args.login} unlocked")
        return 0

    return _run(settings, work)


def add_commands(sub: Any) -> None:
    roles = [r.value for r in Role if r not in (Role.SYSTEM, Role.ENTERPRISE)]

    org_parser = sub.add_parser("org", help="departments and complaint categories")
    org_sub = org_parser.add_subparsers(dest="org_command", required=True)
    load = org_sub.add_parser("load", help="register (or update) what a file lists")
    load.add_argument("file", help=f"JSON, as {ORGANISATION_FILE.name} (shipped with the demo's)")
    load.set_defaults(func=cmd_org_load)
    for kind in ("department", "category"):
        entry = org_sub.add_parser(kind, help=f"register a {kind}, or change it")
        entry.add_argument("code")
        entry.add_argument("--name", required=True, help="its Chinese name")
        if kind == "department":
            entry.add_argument("--parent", help="the parent department's code ('' for none)")
        entry.add_argument("--from", dest="active_from", type=_day, help="first active day")
        entry.add_argument("--until", dest="active_until", type=_day, help="last active day")
        entry.set_defaults(func=cmd_org_entry)

    admin = sub.add_parser("admin", help="the first administrator")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_sub.add_parser("create", help="create an administrator (one-time password)")
    create.add_argument("login")
    create.add_argument("--name", help="display name (default: the login)")
    create.set_defaults(func=cmd_admin_create)

    user = sub.add_parser("user", help="bureau staff and service accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="create an account (prints a one-time password)")
    add.add_argument("login")
    add.add_argument("--role", required=True, choices=roles)
    add.add_argument("--org", help="the department's code (department officers)")
    add.add_argument("--name", help="display name (default: the login)")
    add.add_argument(
        "--service", action="store_true", help="an integration's account: API keys, no password"
    )
    add.set_defaults(func=cmd_user_add)
    reset = user_sub.add_parser("reset-password", help="a new one-time password")
    reset.add_argument("login")
    reset.set_defaults(func=cmd_user_reset_password)
    unlock = user_sub.add_parser("unlock", help="unlock after failed sign-ins")
    unlock.add_argument("login")
    unlock.add_argument("--reason", help="why (in the audit trail)")
    unlock.set_defaults(func=cmd_user_unlock)


def load_demo_organisation(app: Any, at: Any) -> dict[str, int]:
    """`oversight demo`: the demo's departments and categories (the shipped file), so
    its transfers name registered departments and the ranking shows their names."""
    from domain.identity import Identity, load_organisation
    from domain.organisation import parse_organisation_file

    parsed = parse_organisation_file(ORGANISATION_FILE.read_bytes())
    return load_organisation(Identity(app), Actor(id="demo-admin", role=Role.ADMIN), at, parsed)
