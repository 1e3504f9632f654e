"""导出 CSV of the pages' lists (issue 17): `/cases.csv`, `/projects.csv`,
`/commitments.csv` and `/credit-repairs.csv`, with the list page's filters (the API's).

The whole filtered list, every page of it, read with the list's own query and cursor,
and written as the API's CSV of that list (api/export.py, issue 14): its columns from
the API's row type, the headers and enumerated values in Chinese for a Chinese page,
a byte-order mark, so the file equals `GET /api/v1/...` with `Accept: text/csv` and the
page's language as `Accept-Language` (tests/http/test_page_exports.py).
"""

from __future__ import annotations

import csv
import io
import typing
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from functools import partial
from typing import Any, Final

import asyncpg
import msgspec
from litestar import Request, Response, get
from litestar.exceptions import PermissionDeniedException
from litestar.response import Redirect, Stream

from api import complaints as complaints_api
from api import export
from api.pages.filters import COMPLAINT_LIST_ROLES, complaint_filters, read_filters
from api.pages.registers import REGISTERS, Register, Text, show_register
from api.pages.render import language
from api.services import Services
from domain.values import Actor
from projections import complaint_summary

EXPORT_BATCH: Final[int] = 1000


def _services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


def row_type(body: Callable[..., Any]) -> type[msgspec.Struct]:
    """The API's row Struct of a list: what its row body returns."""
    row: type[msgspec.Struct] = typing.get_type_hints(body)["return"]
    return row


def _plain(value: Any) -> Any:
    return value if isinstance(value, dict) else msgspec.to_builtins(value)


async def every_row(
    pool: asyncpg.Pool,
    fetch: Callable[..., Awaitable[list[dict[str, Any]]]],
    encode: Callable[[dict[str, Any]], str],
    decode: Callable[[str], Any],
    **query: Any,
) -> AsyncIterator[list[dict[str, Any]]]:
    """The list's rows in batches, page after page with the list's own cursor (one
    connection per batch: a long export never holds a connection between batches)."""
    cursor = None
    while True:
        async with pool.acquire() as conn:
            rows = await fetch(conn, limit=EXPORT_BATCH, cursor=cursor, **query)
        if rows:
            yield rows
        if len(rows) < EXPORT_BATCH:
            return
        cursor = decode(encode(rows[-1]))


def _csv_line(cells: Iterable[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()


def csv_stream(
    batches: AsyncIterator[list[dict[str, Any]]],
    body: Callable[[dict[str, Any]], Any],
    row_type: type[msgspec.Struct],
    lang: str,
) -> AsyncIterator[bytes]:
    """The API's CSV of the list (api/export.py: its columns from the row type, headers
    and enumerated values in Chinese for a Chinese page, a byte-order mark), written
    batch by batch: the same file as `GET /api/v1/...` with `Accept: text/csv`."""
    columns = export.columns_of(row_type)
    csv_lang = export.language(lang)

    async def stream() -> AsyncIterator[bytes]:
        yield (export.BOM + _csv_line(export.header(c, csv_lang) for c in columns)).encode()
        async for rows in batches:
            items = [_plain(body(r)) for r in rows]
            yield export.csv_lines(columns, items, csv_lang).encode("utf-8")

    return stream()


def csv_answer(chunks: AsyncIterator[bytes], name: str, lang: str) -> Stream:
    return Stream(
        chunks,
        # Litestar adds the charset of a text/* type itself: "text/csv; charset=utf-8".
        media_type="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}.csv"',
            "Content-Language": export.content_language(export.language(lang)),
            "Cache-Control": "no-store",
        },
    )


async def export_register(
    request: Request[Actor, Any, Any], register: Register, given: Mapping[str, str | None]
) -> Response[Any]:
    actor, services = request.user, _services(request)
    if actor.role not in register.roles:
        raise PermissionDeniedException(f"role {actor.role} may not export {register.path}")
    chosen = read_filters(request, register.filters, given)
    if chosen.errors:  # the list page says what is wrong, next to the filter
        return await show_register(request, register, given)
    batches = every_row(
        services.pool,
        partial(register.fetch, actor=actor),
        register.encode,
        register.decode,
        **chosen.query,
    )
    lang = language(request)
    return csv_answer(
        csv_stream(batches, lambda row: register.body(row, actor), register.row_type(), lang),
        register.export_name,
        lang,
    )


@get("/projects.csv")
async def export_projects(
    request: Request[Actor, Any, Any],
    classification: Text = None,
    city: Text = None,
    has_open_problems: Text = None,
) -> Response[Any]:
    given = {"classification": classification, "city": city,
             "has_open_problems": has_open_problems}  # fmt: skip
    return await export_register(request, REGISTERS["projects"], given)


@get("/commitments.csv")
async def export_commitments(
    request: Request[Actor, Any, Any],
    status: Text = None,
    matter: Text = None,
    enterprise: Text = None,
) -> Response[Any]:
    given = {"status": status, "matter": matter, "enterprise": enterprise}
    return await export_register(request, REGISTERS["commitments"], given)


@get("/credit-repairs.csv")
async def export_credit_repairs(
    request: Request[Actor, Any, Any],
    status: Text = None,
    severity: Text = None,
    on_time: Text = None,
) -> Response[Any]:
    given = {"status": status, "severity": severity, "on_time": on_time}
    return await export_register(request, REGISTERS["credit-repairs"], given)


# --- the complaints (the list page itself is part 1's /cases) ---------------------------


@get("/cases.csv")
async def export_cases(
    request: Request[Actor, Any, Any],
    status: Text = None,
    kind: Text = None,
    department: Text = None,
    overdue: Text = None,
    escalated: Text = None,
    urgent: Text = None,
) -> Response[Any]:
    """Every complaint of the filtered list, as the API's CSV rows."""
    actor, services = request.user, _services(request)
    if actor.role not in COMPLAINT_LIST_ROLES:
        raise PermissionDeniedException(f"role {actor.role} may not export complaints")
    given = {"status": status, "kind": kind, "department": department, "overdue": overdue,
             "escalated": escalated, "urgent": urgent}  # fmt: skip
    chosen = complaint_filters(request, given)
    if chosen.errors:  # the list's own page says what is wrong, next to the filter
        return Redirect(chosen.link("/cases"), status_code=303)
    now = services.now()
    batches = every_row(
        services.pool,
        partial(complaint_summary.list_complaints, actor=actor, now=now),
        complaint_summary.encode_cursor,
        complaint_summary.decode_cursor,
        **chosen.query,
    )
    lang = language(request)
    body = complaints_api.summary_body
    stream = csv_stream(batches, lambda row: body(row, actor), row_type(body), lang)
    return csv_answer(stream, "complaints", lang)


HANDLERS: Final[list[Any]] = [
    export_cases,
    export_projects,
    export_commitments,
    export_credit_repairs,
]
