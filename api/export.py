"""CSV export of any list or figure set, on `Accept: text/csv`.

A list answers with every page of the list its filters select, streamed page by page as
the views give them (the same handler, the same checks, each next page read with the
cursor the previous one gave). The columns come from the list's row type, so every row
has the same columns whatever is null in it: nested objects become dotted names
(`complainant.name`), lists are joined with `;`.

`Accept-Language: zh-CN` (or any `zh`) gets the headers and the enumerated values in
Chinese (api/labels.py), anything else English: the JSON names and values. Instants are
written as in JSON bodies (RFC 3339, UTC, `Z`), dates as dates. UTF-8 with a byte-order
mark, so spreadsheet programs open Chinese text correctly; one `charset` parameter.
"""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, Literal, get_args, get_origin, get_type_hints
from urllib.parse import parse_qsl, urlencode

import msgspec
import msgspec.inspect
from litestar import Request, Response
from litestar.types import ASGIApp
from litestar.utils.scope.state import CONNECTION_STATE_KEY

from api.labels import ZH_FIGURE_KEYS, ZH_FIGURES, ZH_HEADERS, zh_value
from api.representation import utc

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_CSV = "text/csv"  # Litestar adds the charset of a text/* media type itself
BOM = "\ufeff"
TRUE_FALSE = {"en": ("true", "false"), "zh": ("是", "否")}


def wants_csv(request: Request[Any, Any, Any]) -> bool:
    return accepts_csv(request.headers.get("accept", ""))


def accepts_csv(accept: str) -> bool:
    return any(part.split(";")[0].strip().lower() == "text/csv" for part in accept.split(","))


def language(accept_language: str) -> Literal["zh", "en"]:
    """`zh` when the caller prefers Chinese (`zh`, `zh-CN`, `zh-Hans`...) to English,
    by the `Accept-Language` weights (RFC 9110); `en` otherwise."""
    best: tuple[float, int] = (0.0, 0)
    choice: Literal["zh", "en"] = "en"
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in ("zh", "en"):
            continue
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        rank = (weight, -position)
        if weight > 0 and rank > best:
            best, choice = rank, "zh" if primary == "zh" else "en"
    return choice


def content_language(lang: str) -> str:
    return "zh-CN" if lang == "zh" else "en"


def instant_text(value: datetime) -> str:
    """An instant as JSON bodies write it (RFC 3339, UTC, `Z`)."""
    return msgspec.json.encode(utc(value)).decode()[1:-1]


# --- the columns of a row type ----------------------------------------------------------


@dataclass(frozen=True)
class Column:
    path: tuple[str, ...]  # the JSON names, outermost first
    # The values it may take, when the type says: an Enum class, or a Literal's values.
    values: type[enum.Enum] | tuple[str, ...] | None

    @property
    def name(self) -> str:
        return ".".join(self.path)

    @property
    def enumeration(self) -> type[enum.Enum] | None:
        return self.values if isinstance(self.values, type) else None


def _unwrap(t: Any) -> Any:
    """A field's type without its metadata and without `None`."""
    while True:
        if isinstance(t, msgspec.inspect.Metadata):
            t = t.type
        elif isinstance(t, msgspec.inspect.UnionType):
            rest = [u for u in t.types if not isinstance(u, msgspec.inspect.NoneType)]
            if len(rest) != 1:
                return t
            t = rest[0]
        else:
            return t


@cache
def columns_of(row_type: type[msgspec.Struct]) -> tuple[Column, ...]:
    """Every leaf of the row type, nested Structs flattened."""
    info = msgspec.inspect.type_info(row_type)
    assert isinstance(info, msgspec.inspect.StructType)
    found: list[Column] = []

    def walk(fields: Sequence[msgspec.inspect.Field], prefix: tuple[str, ...]) -> None:
        for field in fields:
            t = _unwrap(field.type)
            path = (*prefix, field.encode_name)
            if isinstance(t, msgspec.inspect.StructType):
                walk(t.fields, path)
            elif isinstance(t, msgspec.inspect.EnumType):
                found.append(Column(path, t.cls))
            elif isinstance(t, msgspec.inspect.LiteralType):
                found.append(Column(path, tuple(str(v) for v in t.values)))
            else:
                found.append(Column(path, None))

    walk(info.fields, ())
    return tuple(found)


def row_type_of(page_type: Any) -> type[msgspec.Struct] | None:
    """The row Struct of a page Struct (its `items: list[Row]`)."""
    if not (isinstance(page_type, type) and issubclass(page_type, msgspec.Struct)):
        return None
    items = get_type_hints(page_type).get("items")
    if get_origin(items) is not list:
        return None
    (row,) = get_args(items)
    return row if isinstance(row, type) and issubclass(row, msgspec.Struct) else None


def header(column: Column, lang: str) -> str:
    if lang != "zh":
        return column.name
    return ".".join(ZH_HEADERS.get(part, part) for part in column.path)


def _value_at(item: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(item, Mapping):
            return None
        item = item.get(part)
    return item


def cell(value: Any, lang: str = "en", column: Column | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        yes, no = TRUE_FALSE["zh" if lang == "zh" else "en"]
        return yes if value else no
    if isinstance(value, datetime):
        return instant_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ";".join(cell(v, lang, column) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = str(value)
    if lang == "zh" and column is not None:
        text = zh_value(column.path[-1], column.enumeration, text)
    # Cells starting like a formula are shown as text (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _line(cells: Iterable[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()


def to_csv(rows: Iterable[Mapping[str, Any]], lang: str = "en") -> str:
    """Rows of plain values as CSV text (a byte-order mark, one header line of the
    dotted names of the first row's values, then the rows), cells as in the exports."""
    flat = [flatten(r) for r in rows]
    names: list[str] = []
    for row in flat:
        names.extend(n for n in row if n not in names)
    lines = [_line(names), *(_line(cell(row.get(n), lang) for n in names) for row in flat)]
    return BOM + "".join(lines)


def csv_lines(columns: Sequence[Column], items: Iterable[Any], lang: str) -> str:
    return "".join(_line(cell(_value_at(item, c.path), lang, c) for c in columns) for item in items)


# --- figure sets (the dashboard) --------------------------------------------------------


def flatten(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def _leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield from _leaves(child, (*path, str(key)))
    else:
        yield path, value


def _zh_figure(path: tuple[str, ...]) -> str:
    parts = []
    for i, part in enumerate(path):
        enumeration = ZH_FIGURE_KEYS.get(path[:i])
        if enumeration is not None:
            parts.append(zh_value(part, enumeration, part))
        else:
            parts.append(ZH_FIGURES.get(part, ZH_HEADERS.get(part, part)))
    return ".".join(parts)


def figures_as_rows(figures: Mapping[str, Any], request: Request[Any, Any, Any]) -> list[list[str]]:
    """A nested figure set as (figure, value) rows: `complaints.acceptance.rate, 97.5`;
    in Chinese the figure names too (`投诉.受理.比率（%）`), and the values of the
    enumerations counted (`投诉.按状态.已登记`). Codes (categories, departments) stay."""
    lang = language(request.headers.get("accept-language", ""))
    rows = [["指标", "数值"] if lang == "zh" else ["figure", "value"]]
    for path, value in _leaves(figures):
        shown = _zh_figure(path) if lang == "zh" else ".".join(path)
        rows.append([shown, cell(value, lang)])
    return rows


def csv_response(
    rows: Sequence[Sequence[str]], filename: str, request: Request[Any, Any, Any]
) -> Response[bytes]:
    lang = language(request.headers.get("accept-language", ""))
    text = BOM + "".join(_line(r) for r in rows)
    return Response(
        text.encode("utf-8"),
        media_type=_CSV,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}.csv"',
            "Content-Language": content_language(lang),
            "Vary": "Accept, Accept-Language",
        },
    )


# --- every page of a list ---------------------------------------------------------------


class ExportFailed(RuntimeError):
    """A page after the first could not be read: the stream is cut (no final chunk), so
    the client sees an incomplete transfer, never a short file that looks whole."""


# Raw ASGI messages are plain dicts here (Litestar types them as TypedDict unions that
# mypy does not narrow on their "type").
async def _empty_body() -> Any:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _call(app: Any, scope: Any, receive: Any) -> tuple[dict[str, Any], bytes]:
    """One request through the app: its response start message and whole body."""
    start: dict[str, Any] = {}
    body = bytearray()

    async def capture(message: Any) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, capture)
    return start, bytes(body)


def _is_json(start: Mapping[str, Any]) -> bool:
    headers = dict(start.get("headers", []))
    return headers.get(b"content-type", b"").decode("latin-1").startswith("application/json")


def _page_scope(scope: Any, cursor: str, limit: int | None) -> Any:
    """The request for the page after `cursor`: the same filters, the largest page."""
    query = [
        (k, v)
        for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"), True)
        if k not in ("cursor", "limit")
    ]
    query.append(("cursor", cursor))
    if limit is not None:
        query.append(("limit", str(limit)))
    # A fresh connection state: Litestar caches the parsed query there.
    state = {k: v for k, v in scope.get("state", {}).items() if k != CONNECTION_STATE_KEY}
    return {**scope, "query_string": urlencode(query).encode("latin-1"), "state": state}


def _largest_page(handler: Any) -> int | None:
    field = handler.parsed_fn_signature.parameters.get("limit")
    return getattr(getattr(field, "kwarg_definition", None), "le", None)


def csv_lists_middleware(app: ASGIApp) -> ASGIApp:
    """Every list endpoint (route option `csv`, api/lists.py `LIST_OPT`) answers
    `Accept: text/csv` with all its pages as CSV. Endpoints that build their own CSV
    (the dashboard) and errors are passed through untouched."""

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await app(scope, receive, send)
            return
        handler = scope.get("route_handler")
        headers = dict(scope["headers"])
        if (
            handler is None
            or handler.opt.get("csv") is not True
            or not accepts_csv(headers.get(b"accept", b"").decode("latin-1"))
        ):
            await app(scope, receive, send)
            return
        row_type = row_type_of(handler.parsed_fn_signature.return_type.annotation)
        start, body = await _call(app, scope, receive)
        if start.get("status") != 200 or not _is_json(start) or row_type is None:
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        lang = language(headers.get(b"accept-language", b"").decode("latin-1"))
        columns = columns_of(row_type)
        name = scope["path"].rstrip("/").rsplit("/", 1)[-1] or "export"
        kept = [
            (k, v)
            for k, v in start.get("headers", [])
            if k.lower() not in (b"content-type", b"content-length", b"vary")
        ]
        await send(
            {
                **start,
                "headers": [
                    *kept,
                    (b"content-type", CSV_MEDIA_TYPE.encode()),
                    (b"content-disposition", f'attachment; filename="{name}.csv"'.encode()),
                    (b"content-language", content_language(lang).encode()),
                    (b"vary", b"Accept, Accept-Language"),
                ],
            }
        )
        async for chunk in _pages(app, scope, body, columns, lang, _largest_page(handler)):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return middleware


async def _pages(
    app: Any,
    scope: Any,
    first: bytes,
    columns: Sequence[Column],
    lang: str,
    limit: int | None,
) -> AsyncIterator[bytes]:
    document = json.loads(first)
    head = BOM + _line(header(c, lang) for c in columns)
    yield (head + csv_lines(columns, document["items"], lang)).encode("utf-8")
    page = 1
    while document.get("next_cursor"):
        page += 1
        start, body = await _call(
            app, _page_scope(scope, document["next_cursor"], limit), _empty_body
        )
        if start.get("status") != 200 or not _is_json(start):
            raise ExportFailed(f"page {page} answered {start.get('status')}")
        document = json.loads(body)
        yield csv_lines(columns, document["items"], lang).encode("utf-8")
