"""Defence in depth for the event store: stored events are append-only.

1. A trigger on `oversight_events` refuses UPDATE, DELETE and TRUNCATE, installed (or
   re-enabled) idempotently whenever the application is built.
2. `roles_sql` creates a role for the API's write path with SELECT and INSERT on the
   store, but no UPDATE, DELETE or TRUNCATE grant (`oversight db-roles`).

Neither is the evidence: a database superuser can disable a trigger and grant itself
anything. The evidence is the signed Merkle tree (docs/ledger.md), which the key kept
outside the database makes impossible to re-sign.
"""

from __future__ import annotations

from typing import Any

import psycopg
import structlog
from eventsourcing.persistence import PersistenceError
from psycopg import sql

log = structlog.get_logger(__name__)

FUNCTION = "oversight_refuse_event_change"
ROW_TRIGGER = "oversight_events_append_only"
TRUNCATE_TRIGGER = "oversight_events_no_truncate"

_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION {schema}.{function}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stored events are append-only: % on %.% refused', TG_OP,
        TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'the ledger (docs/ledger.md) would show the change anyway';
END
$$
"""


def _enabled_triggers(curs: Any, schema: str, table: str) -> set[str]:
    curs.execute(
        "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s AND t.tgenabled IN ('O', 'A') "
        "AND t.tgname = ANY(%s)",
        (schema, table, [ROW_TRIGGER, TRUNCATE_TRIGGER]),
    )
    return {row["tgname"] if isinstance(row, dict) else row[0] for row in curs.fetchall()}


def install_statements(schema: str, table: str) -> list[sql.Composed]:
    ids = {
        "schema": sql.Identifier(schema),
        "table": sql.Identifier(table),
        "function": sql.Identifier(FUNCTION),
        "row_trigger": sql.Identifier(ROW_TRIGGER),
        "truncate_trigger": sql.Identifier(TRUNCATE_TRIGGER),
    }
    return [
        sql.SQL(_FUNCTION_SQL).format(**ids),
        sql.SQL("DROP TRIGGER IF EXISTS {row_trigger} ON {schema}.{table}").format(**ids),
        sql.SQL(
            "CREATE TRIGGER {row_trigger} BEFORE UPDATE OR DELETE ON {schema}.{table} "
            "FOR EACH ROW EXECUTE FUNCTION {schema}.{function}()"
        ).format(**ids),
        sql.SQL("DROP TRIGGER IF EXISTS {truncate_trigger} ON {schema}.{table}").format(**ids),
        sql.SQL(
            "CREATE TRIGGER {truncate_trigger} BEFORE TRUNCATE ON {schema}.{table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION {schema}.{function}()"
        ).format(**ids),
    ]


def install_write_guard(curs: Any, schema: str, table: str) -> bool:
    """Install the triggers unless both are present and enabled; True if it did."""
    if _enabled_triggers(curs, schema, table) == {ROW_TRIGGER, TRUNCATE_TRIGGER}:
        return False
    curs.execute("SELECT pg_advisory_xact_lock(hashtext('oversight.write_guard'))")
    found = _enabled_triggers(curs, schema, table)
    if found == {ROW_TRIGGER, TRUNCATE_TRIGGER}:
        return False
    curs.execute(
        "SELECT count(*) AS n FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s AND t.tgname = ANY(%s)",
        (schema, table, [ROW_TRIGGER, TRUNCATE_TRIGGER]),
    )
    row = curs.fetchone()
    existing = row["n"] if isinstance(row, dict) else row[0]
    if existing:
        log.warning("write_guard_was_disabled", table=f"{schema}.{table}")
    for statement in install_statements(schema, table):
        curs.execute(statement)
    return True


def protect_event_store(app: Any) -> Any:
    """Make the application's events table append-only (idempotent); returns `app`.

    A role that may not create triggers (not the table's owner) leaves it to the owner:
    logged, not fatal.
    """
    recorder = app.recorder
    schema, table = recorder.datastore.schema or "public", recorder.events_table_name
    try:
        with recorder.datastore.transaction(commit=True) as curs:
            if install_write_guard(curs, schema, table):
                log.info("write_guard_installed", table=f"{schema}.{table}")
    except PersistenceError as e:
        if not isinstance(e.__cause__, psycopg.errors.InsufficientPrivilege):
            raise
        log.warning("write_guard_not_installed", table=f"{schema}.{table}", reason=str(e))
    return app


def roles_sql(
    role: str,
    *,
    database: str,
    schema: str = "public",
    events_table: str = "oversight_events",
    server_version: int,
) -> str:
    """SQL that creates `role` for the API: reads and appends events, never changes them.

    The eventsourcing recorder takes `LOCK TABLE ... IN EXCLUSIVE MODE` on every insert.
    PostgreSQL 17+ grants that lock through the MAINTAIN privilege; before 17 only
    UPDATE, DELETE or TRUNCATE would, so on 16 the role cannot write (use 17+).
    """
    stem = events_table.removesuffix("_events")
    store_tables = [events_table, f"{stem}_event_times", f"{stem}_snapshots"]
    q = _quote_ident
    lines = [
        "-- Oversight: a role for the API's write path (docs/ledger.md).",
        "-- Run as the owner of the event store (a superuser or the role that created it).",
        "DO $$ BEGIN",
        f"    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_quote_literal(role)}) THEN",
        f"        CREATE ROLE {q(role)} LOGIN;",
        "    END IF;",
        "END $$;",
        "-- CREATE on the database: `CREATE SCHEMA IF NOT EXISTS views` checks it first.",
        f"GRANT CONNECT, CREATE ON DATABASE {q(database)} TO {q(role)};",
        f"GRANT USAGE, CREATE ON SCHEMA {q(schema)} TO {q(role)};",
    ]
    for table in store_tables:
        target = f"{q(schema)}.{q(table)}"
        lines.append(f"REVOKE ALL ON {target} FROM {q(role)};")
        lines.append(f"GRANT SELECT, INSERT ON {target} TO {q(role)};")
    if server_version >= 170000:
        lines.append(f"GRANT MAINTAIN ON {q(schema)}.{q(events_table)} TO {q(role)};")
    else:
        lines.append(
            "-- PostgreSQL < 17: LOCK TABLE ... IN EXCLUSIVE MODE needs UPDATE, DELETE or "
            "TRUNCATE, which this role must not have: use PostgreSQL 17 or later."
        )
    lines += [
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q(schema)} TO {q(role)};",
        "-- The read side is derived data: the role owns the views schema, so the API",
        "-- (and a projection runner in the same process) can create and migrate views.",
        "CREATE SCHEMA IF NOT EXISTS views;",
        f"ALTER SCHEMA views OWNER TO {q(role)};",
        "DO $$ DECLARE t record; BEGIN",
        "    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'views' LOOP",
        f"        EXECUTE format('ALTER TABLE views.%I OWNER TO %I', t.tablename, "
        f"{_quote_literal(role)});",
        "    END LOOP;",
        "END $$;",
        "",
    ]
    return "\n".join(lines)


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
