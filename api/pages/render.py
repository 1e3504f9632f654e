"""Rendering a page: the Jinja environment (templates from the package, autoescaped, the
i18n extension translating into each request's language), the filters every page uses
(Beijing time, deadlines in working days) and what every page's context carries (the
language, who is signed in and what they may open, the CSRF field).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig

from api.pages import i18n, vocab
from api.pages.deadlines import DeadlineState
from domain.values import Actor, Role

PACKAGE_DIR: Final[Path] = Path(__file__).resolve().parent
TEMPLATE_DIR: Final[Path] = PACKAGE_DIR / "templates"
STATIC_DIR: Final[Path] = PACKAGE_DIR / "static"
STATIC_PATH: Final[str] = "/static/pages"
# Personal data on every signed-in page: no cache keeps it (the API's answers get this
# header from api/security_headers.py when they carry a token; pages carry a cookie).
NO_STORE: Final[dict[str, str]] = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # msgid


# The links of the header by role. Part 2 (issue 17) adds the supervisor's and the
# inspector's pages here.
NAV: Final[dict[Role, tuple[NavItem, ...]]] = {
    Role.ENTERPRISE: (
        NavItem("/cases", i18n.N_("我的案件")),
        NavItem("/cases/new", i18n.N_("新建案件")),
    ),
    Role.CLERK: (NavItem("/desk", i18n.N_("待办")), NavItem("/cases", i18n.N_("案件"))),
    Role.DEPARTMENT: (NavItem("/desk", i18n.N_("待办")), NavItem("/cases", i18n.N_("案件"))),
    # Issue 17: the supervisor's desk and the inspector's pages.
    Role.SUPERVISOR: (
        NavItem("/desk", i18n.N_("待办")),
        NavItem("/dashboard", i18n.N_("监督看板")),
        NavItem("/warnings", i18n.N_("预警")),
        NavItem("/ranking", i18n.N_("部门排名")),
        NavItem("/cases", i18n.N_("案件")),
        NavItem("/projects", i18n.N_("重大项目")),
        NavItem("/commitments", i18n.N_("信用承诺")),
        NavItem("/credit-repairs", i18n.N_("信用修复")),
        NavItem("/audit", i18n.N_("审计记录")),
    ),
    Role.INSPECTOR: (
        NavItem("/cases", i18n.N_("案件")),
        NavItem("/audit", i18n.N_("审计记录")),
        NavItem("/dashboard", i18n.N_("监督看板")),
        NavItem("/projects", i18n.N_("重大项目")),
        NavItem("/commitments", i18n.N_("信用承诺")),
        NavItem("/credit-repairs", i18n.N_("信用修复")),
    ),
}


# What a page says after a step that led to it (`?done=...`): registration, a new password.
NOTICES: Final[dict[str, str]] = {
    "registered": i18n.N_("注册成功，您已登录"),
    "password": i18n.N_("密码已修改"),
    "totp": i18n.N_("动态口令已启用，请用密码和动态口令重新登录"),
}


def landing(actor: Actor) -> str:
    """Where a person goes after signing in: their first page."""
    items = NAV.get(actor.role)
    return items[0].path if items else "/"


# --- filters -------------------------------------------------------------------------------

_MONTHS_EN: Final[tuple[str, ...]] = (
    "", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip


def format_instant(lang: str, moment: datetime | None, tz: Any, *, with_time: bool = True) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    clock = f" {local:%H:%M}" if with_time else ""
    if lang == "zh-CN":
        return f"{local.year}年{local.month}月{local.day}日{clock}"
    return f"{local.day} {_MONTHS_EN[local.month]} {local.year}{clock}"


@pass_context
def _beijing(context: Any, moment: datetime | None, with_time: bool = True) -> str:
    return format_instant(context["lang"], moment, context["tz"], with_time=with_time)


@pass_context
def _deadline_text(context: Any, state: DeadlineState | None) -> str:
    """ "还剩 3 个工作日", "今天到期", "已超期 2 个工作日", "今天已超期"."""
    if state is None:
        return ""
    lang, n = context["lang"], state.working_days
    if state.state == "overdue":
        if n == 0:
            return i18n.gettext(lang, i18n.N_("今天已超期"))
        return i18n.ngettext(lang, "已超期 %(num)d 个工作日", "已超期 %(num)d 个工作日", n)
    if n == 0:
        return i18n.gettext(lang, i18n.N_("今天到期"))
    return i18n.ngettext(lang, "还剩 %(num)d 个工作日", "还剩 %(num)d 个工作日", n)


@pass_context
def _label(context: Any, value: object, table: str) -> str:
    return i18n.gettext(context["lang"], vocab.label(getattr(vocab, table), value))


@pass_context
def _translated(context: Any, text: str) -> str:
    """A label that may be a msgid or data (a registered department's name): translated
    when the catalogue has it, never %-formatted (unlike `_()`)."""
    return i18n.translations(context["lang"]).gettext(text)


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=StrictUndefined,  # a misspelt name fails the test that renders it
        trim_blocks=True,
        lstrip_blocks=True,
    )
    i18n.install(env)
    env.filters.update(
        beijing=_beijing, deadline=_deadline_text, label=_label, iso=_iso, tr=_translated
    )
    return env


ENVIRONMENT: Final[Environment] = environment()
TEMPLATE_CONFIG: Final[TemplateConfig[JinjaTemplateEngine]] = TemplateConfig(
    instance=JinjaTemplateEngine.from_environment(ENVIRONMENT)
)


# --- the page --------------------------------------------------------------------------


def language(request: Request[Any, Any, Any]) -> str:
    lang = request.scope.get("oversight_lang")  # negotiated once per request
    if lang is None:
        lang = i18n.negotiate(request.cookies, request.headers.get("accept-language"))
        request.scope["oversight_lang"] = lang  # type: ignore[typeddict-unknown-key]
    return str(lang)


def safe_next(target: str | None, default: str = "/") -> str:
    """A path on this site to go to next; anything else (another site, `//host`, a
    backslash trick) is the default, so the sign-in form is no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(c) < 32 for c in target):
        return default
    return target


def here(request: Request[Any, Any, Any]) -> str:
    query = request.scope.get("query_string", b"").decode("latin-1")
    return request.url.path + (f"?{query}" if query else "")


def page(
    request: Request[Any, Any, Any],
    template: str,
    context: Mapping[str, Any],
    *,
    actor: Actor | None = None,
    status: int = 200,
    title: str,
    headers: Mapping[str, str] | None = None,
) -> Template:
    """`template` rendered in the request's language. `title`: the page's name (msgid),
    for <title> and the main heading; `actor`: who is signed in (None on public pages
    seen by nobody signed in)."""
    lang = language(request)
    services = request.app.state.get("services")
    tz = services.app.calendar.timezone if services else None
    path = request.url.path
    other = next(code for code in i18n.LANGUAGES if code != lang)
    return Template(
        template_name=template,
        context={
            "lang": lang,
            "tz": tz,
            "title": title,
            "actor": actor,
            "nav": NAV.get(actor.role, ()) if actor else (),
            "path": path,
            "switch_lang": other,
            "switch_label": i18n.LANGUAGES[other],
            "switch_url": f"/language/{other}?next={quote(here(request), safe='/')}",
            "static": STATIC_PATH,
            "vocab": vocab,
            "flash": NOTICES.get(request.query_params.get("done") or ""),
            **context,
        },
        status_code=status,
        headers={**NO_STORE, **(headers or {})},
        media_type="text/html; charset=utf-8",
    )
