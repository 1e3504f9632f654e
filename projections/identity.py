"""Views `accounts`, `departments` and `categories`: the lists administrators page
through, and the department names the ranking and the dashboard show.

One row per aggregate, folded from its events (projections/case_rows.py). Decisions
never read these (an account is read from the event store when someone signs in; a
transfer reads the department there too): a list may lag the store by a batch.
No secret reaches these tables: the events carry none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from projections.case_rows import Handler, Row, fold_case_rows
from projections.runner import StoredEvent

ACCOUNT_COLUMNS = (
    "id", "login", "name", "kind", "role", "org", "disabled", "locked", "locked_until",
    "one_time_password", "totp_enabled", "created_at", "version", "position", "updated_at",
)  # fmt: skip
DEPARTMENT_COLUMNS = (
    "id", "code", "name", "parent", "active_from", "active_until", "version", "position",
    "updated_at",
)  # fmt: skip
CATEGORY_COLUMNS = (
    "id", "code", "name", "active_from", "active_until", "version", "position", "updated_at",
)  # fmt: skip


def _account_created(row: Row, e: StoredEvent) -> None:
    d = e.data
    row.update(
        id=e.case_id,
        login=d["login"],
        name=d["name"],
        kind=str(d["kind"]),
        role=None if d["role"] is None else str(d["role"]),
        org=d["org"],
        disabled=False,
        locked=False,
        locked_until=None,
        one_time_password=False,
        totp_enabled=False,
        created_at=d["timestamp"],
    )


def _set(**values: Any) -> Handler:
    def handler(row: Row, e: StoredEvent) -> None:
        row.update(values)

    return handler


def _role_granted(row: Row, e: StoredEvent) -> None:
    row.update(role=str(e.data["role"]), org=e.data["org"])


def _locked(row: Row, e: StoredEvent) -> None:
    row.update(locked=True, locked_until=e.data["until"])


def _password_set(row: Row, e: StoredEvent) -> None:
    row["one_time_password"] = bool(e.data["one_time"])


ACCOUNT_HANDLERS: dict[str, Handler] = {
    "Created": _account_created,
    "RoleGranted": _role_granted,
    "RoleWithdrawn": _set(role=None),
    "OrganisationChanged": lambda row, e: row.update(org=e.data["org"]),
    "Locked": _locked,
    "Unlocked": _set(locked=False, locked_until=None),
    "Disabled": _set(disabled=True),
    "Enabled": _set(disabled=False),
    "PasswordSet": _password_set,
    "PasswordReset": _set(one_time_password=True),
    "TotpEnabled": _set(totp_enabled=True),
    "TotpDisabled": _set(totp_enabled=False),
}


def _entry(row: Row, e: StoredEvent) -> None:
    d = e.data
    if e.type == "Registered":
        row.update(id=e.case_id, code=d["code"])
    row.update(name=d["name"], active_from=d["active_from"], active_until=d["active_until"])
    if "parent" in d:
        row["parent"] = d["parent"]


ENTRY_HANDLERS: dict[str, Handler] = {"Registered": _entry, "Changed": _entry}


class Identity:
    name = "identity"
    rebuild_cost = 0.1  # few events
    tables = ("views.accounts", "views.departments", "views.categories")

    async def create(self, conn: asyncpg.Connection) -> None:
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS views.accounts (
                id uuid PRIMARY KEY,
                login text NOT NULL UNIQUE,
                name text NOT NULL,
                kind text NOT NULL,
                role text,
                org text,
                disabled boolean NOT NULL,
                locked boolean NOT NULL,
                locked_until timestamptz,
                one_time_password boolean NOT NULL,
                totp_enabled boolean NOT NULL,
                created_at timestamptz NOT NULL,
                version bigint NOT NULL,
                position bigint NOT NULL,
                updated_at timestamptz NOT NULL
            );
            CREATE TABLE IF NOT EXISTS views.departments (
                id uuid PRIMARY KEY,
                code text NOT NULL UNIQUE,
                name text NOT NULL,
                parent text,
                active_from date,
                active_until date,
                version bigint NOT NULL,
                position bigint NOT NULL,
                updated_at timestamptz NOT NULL
            );
            CREATE TABLE IF NOT EXISTS views.categories (
                id uuid PRIMARY KEY,
                code text NOT NULL UNIQUE,
                name text NOT NULL,
                active_from date,
                active_until date,
                version bigint NOT NULL,
                position bigint NOT NULL,
                updated_at timestamptz NOT NULL
            );
            """
        )

    async def apply(self, conn: asyncpg.Connection, events: Sequence[StoredEvent]) -> None:
        for table, columns, case_type, handlers in (
            ("views.accounts", ACCOUNT_COLUMNS, "Account", ACCOUNT_HANDLERS),
            ("views.departments", DEPARTMENT_COLUMNS, "Department", ENTRY_HANDLERS),
            ("views.categories", CATEGORY_COLUMNS, "Category", ENTRY_HANDLERS),
        ):
            mine = [e for e in events if e.case_type == case_type and e.type in handlers]
            await fold_case_rows(conn, table, columns, mine, handlers)


# --- queries --------------------------------------------------------------------------------


async def list_accounts(
    conn: asyncpg.Connection,
    *,
    role: str | None,
    kind: str | None,
    after: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """By login, keyset-paginated (`after` the last login of the previous page)."""
    rows = await conn.fetch(
        """
        SELECT login, name, kind, role, org, disabled, locked, locked_until,
               one_time_password, totp_enabled, created_at, version
        FROM views.accounts
        WHERE ($1::text IS NULL OR role = $1) AND ($2::text IS NULL OR kind = $2)
          AND ($3::text IS NULL OR login > $3)
        ORDER BY login
        LIMIT $4
        """,
        role,
        kind,
        after,
        limit,
    )
    return [dict(r) for r in rows]


async def list_entries(conn: asyncpg.Connection, table: str) -> list[dict[str, Any]]:
    """Every department or category (a bureau has hundreds at most), by code."""
    assert table in ("views.departments", "views.categories")
    columns = "code, name, active_from, active_until, version" + (
        ", parent" if table == "views.departments" else ""
    )
    rows = await conn.fetch(f"SELECT {columns} FROM {table} ORDER BY code")
    return [dict(r) for r in rows]


async def department_names(conn: asyncpg.Connection, codes: Sequence[str]) -> dict[str, str]:
    rows = await conn.fetch(
        "SELECT code, name FROM views.departments WHERE code = ANY($1::text[])", list(codes)
    )
    return {r["code"]: r["name"] for r in rows}
