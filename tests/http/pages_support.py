"""Helpers of the web pages' tests (issue 16): reading a page served by the real app
(its text, the text of an element by id, its forms and their hidden fields), and
signing people in.

Signing in: the pages take who is signed in from the one authentication middleware
(api/auth.py), which reads a bearer token or the session cookie of the accounts
(issue 15). These tests that do not test signing in itself use a bearer token
(`as_user`); the course through the browser signs in with the forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any

from domain import account as acc
from domain.application import Oversight
from domain.identity import Identity
from tests.conftest import bearer

VOID = {"input", "br", "img", "meta", "link", "hr", "source", "area", "col", "wbr"}


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # hidden and filled-in values


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.by_id: dict[str, list[str]] = {}
        self.open_ids: list[tuple[str, int]] = []  # (id, depth)
        self.depth = 0
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.attrs: list[dict[str, str]] = []
        self.in_title = False
        self.title = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.attrs.append({"tag": tag, **a})
        if tag == "title":
            self.in_title = True
        if tag == "form":
            self.form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self.form)
        chosen = a.get("type") not in ("radio", "checkbox") or "checked" in a
        if tag == "input" and self.form is not None and "name" in a and chosen:
            self.form.fields[a["name"]] = a.get("value", "")
        if tag in VOID:
            return
        self.depth += 1
        if "id" in a:
            self.open_ids.append((a["id"], self.depth))
            self.by_id.setdefault(a["id"], [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag == "form":
            self.form = None
        if tag in VOID:
            return
        while self.open_ids and self.open_ids[-1][1] >= self.depth:
            self.open_ids.pop()
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
        self.text.append(data)
        for element_id, _ in self.open_ids:
            self.by_id[element_id].append(data)


class Page:
    """A page as the tests read it."""

    def __init__(self, html: str) -> None:
        self.html = html
        parser = _Parser()
        parser.feed(html)
        self.title = parser.title.strip()
        self.text = _squash("".join(parser.text))
        self._by_id = parser.by_id
        self.forms = parser.forms
        self.elements = parser.attrs

    def by_id(self, element_id: str) -> str:
        assert element_id in self._by_id, f"no element #{element_id}"
        return _squash("".join(self._by_id[element_id]))

    def has_id(self, element_id: str) -> bool:
        return element_id in self._by_id

    def form(self, action: str) -> Form:
        found = [f for f in self.forms if f.action == action]
        assert found, f"no form posting to {action}: {[f.action for f in self.forms]}"
        return found[0]

    def buttons(self) -> list[str]:
        return re.findall(r"<button[^>]*>([^<]*)</button>", self.html)

    def labels(self) -> list[str]:
        found = re.findall(r"<(label|legend)\b[^>]*>(.*?)</\1>", self.html, re.S)
        return [_squash(re.sub(r"<[^>]+>", "", inner)) for _, inner in found]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def page_of(response: Any, status: int = 200) -> Page:
    assert response.status_code == status, (response.status_code, response.text[-3000:])
    assert response.headers["content-type"].startswith("text/html"), response.headers
    return Page(response.text)


def as_user(role: str, sub: str, org: str | None = None) -> dict[str, str]:
    """Signed in as this user (a bearer token of the same secret as the sessions')."""
    return bearer(role, sub, org)


def register_enterprise(
    application: Oversight,
    code: str,
    name: str = "黑龙江某某建设有限公司",
    at: datetime | None = None,
) -> None:
    """An enterprise's registration, as the register page makes it (through the same
    domain service, without the password's hash: these tests sign in with a token)."""
    from datetime import UTC

    Identity(application).register_enterprise(
        at or datetime(2024, 9, 1, tzinfo=UTC),
        acc.RegisterEnterprise(
            credit_code=code,
            name=name,
            contact="张经理",
            phone="13800000000",
            password="a long enough passphrase 1",
        ),
    )


def desk_lists(client: Any, headers: dict[str, str], case_id: Any, pages: int = 50) -> bool:
    """Whether the desk lists the case on one of its pages (following 下一页): the
    shared test database holds other tests' cases, some with earlier deadlines."""
    url = "/desk"
    for _ in range(pages):
        desk = page_of(client.get(url, headers=headers))
        if f'href="/cases/{case_id}"' in desk.html:
            return True
        found = re.search(r'class="pagination__next" href="([^"]+)"', desk.html)
        if found is None:
            return False
        url = unescape(found.group(1))
    return False
