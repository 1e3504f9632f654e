"""The bureau's reference data as the pages offer it (issue 15's organisations): the
departments a case may be transferred to and the complaint categories, read from their
view (projections/identity.py), active on today's date in Beijing.

With none registered (a store from before issue 15, or `OVERSIGHT_DEPARTMENTS=free`
with nothing loaded) the transfer form asks for a department's code as text and the
lodging form offers the categories the demo and the API use (api/pages/vocab.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from api.pages import vocab
from api.pages.forms import Field
from api.pages.moves import PageMove
from api.services import Services
from projections.identity import department_names, list_entries


def _active(rows: Iterable[dict[str, Any]], today: date) -> list[tuple[str, str]]:
    return [
        (r["code"], r["name"])
        for r in rows
        if (r["active_from"] is None or r["active_from"] <= today)
        and (r["active_until"] is None or today <= r["active_until"])
    ]


def _today(services: Services) -> date:
    return services.now().astimezone(services.app.calendar.timezone).date()


async def departments(services: Services) -> list[tuple[str, str]]:
    """(code, name) of every department active today, by code."""
    async with services.pool.acquire() as conn:
        rows = await list_entries(conn, "views.departments")
    return _active(rows, _today(services))


async def categories(services: Services) -> list[tuple[str, str]]:
    """(code, label) of the categories to offer: the registered ones active today (a
    code the pages know keeps its translated label), else the pages' own list."""
    async with services.pool.acquire() as conn:
        rows = await list_entries(conn, "views.categories")
    registered = _active(rows, _today(services))
    if not registered:
        return list(vocab.CATEGORIES.items())
    return [(code, vocab.CATEGORIES.get(code, name)) for code, name in registered]


async def names_of_departments(services: Services, codes: Sequence[str | None]) -> dict[str, str]:
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    async with services.pool.acquire() as conn:
        return await department_names(conn, wanted)


def offer_departments(moves: list[PageMove], choices: list[tuple[str, str]]) -> list[PageMove]:
    """The moves with their 承办部门 field as a choice of `choices` (when there are any)."""
    if not choices:
        return moves

    def chosen(field: Field) -> Field:
        if field.name != "department":
            return field
        options = tuple((code, f"{name}（{code}）") for code, name in choices)
        return replace(field, widget="select", options=options, hint=None, width=None)

    return [replace(m, fields=tuple(chosen(f) for f in m.fields)) for m in moves]
