"""CSV export of any list or figure set, on `Accept: text/csv`.

UTF-8 with a byte-order mark, so spreadsheet programs open Chinese text correctly.
Nested objects become dotted column names (`complainant.name`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from litestar import Request, Response

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"


def wants_csv(request: Request[Any, Any, Any]) -> bool:
    accept = request.headers.get("accept", "")
    return any(part.split(";")[0].strip() == "text/csv" for part in accept.split(","))


def flatten(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ";".join(_cell(v) for v in value)
    text = str(value)
    # Cells starting like a formula are shown as text (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    flat = [flatten(r) for r in rows]
    columns: list[str] = []
    for row in flat:
        columns.extend(c for c in row if c not in columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in flat:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return BOM + out.getvalue()


def csv_response(rows: Iterable[Mapping[str, Any]], filename: str) -> Response[bytes]:
    return Response(
        to_csv(rows).encode("utf-8"),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def figures_as_rows(figures: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A nested figure set as (figure, value) rows: `complaints.acceptance.rate, 97.5`."""
    return [{"figure": k, "value": v} for k, v in flatten(figures).items()]


def csv_lists_middleware(app: Any) -> Any:
    """Every list endpoint (a JSON object with an `items` list) answers `Accept:
    text/csv` with its items as CSV. Endpoints that build their own CSV (the dashboard)
    are passed through untouched."""

    async def middleware(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await app(scope, receive, send)
            return
        accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1")
        if not any(p.split(";")[0].strip() == "text/csv" for p in accept.split(",")):
            await app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        body = bytearray()

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            else:
                body.extend(message.get("body", b""))

        await app(scope, receive, capture)
        headers = dict(start.get("headers", []))
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        converted = None
        if start.get("status") == 200 and content_type.startswith("application/json"):
            document = json.loads(body)
            if isinstance(document, dict) and isinstance(document.get("items"), list):
                converted = to_csv(document["items"]).encode("utf-8")
        if converted is None:
            await send(start)
            await send({"type": "http.response.body", "body": bytes(body)})
            return
        name = scope["path"].rstrip("/").rsplit("/", 1)[-1] or "export"
        kept = [
            (k, v)
            for k, v in start.get("headers", [])
            if k.lower() not in (b"content-type", b"content-length")
        ]
        await send(
            {
                **start,
                "headers": [
                    *kept,
                    (b"content-type", CSV_MEDIA_TYPE.encode()),
                    (b"content-length", str(len(converted)).encode()),
                    (b"content-disposition", f'attachment; filename="{name}.csv"'.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": converted})

    return middleware
