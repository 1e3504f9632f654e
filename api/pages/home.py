"""`/`: what the service is, 登录 and 企业注册 (or, signed in, the way on), and for
developers the API's docs, health and version (what api/home.py's page showed before
the pages existed). `/language/{code}`: the language switch.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Request, Response, get
from litestar.datastructures import Cookie
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from api.config import ApiConfig
from api.home import PUBLIC, meta_of
from api.pages import i18n
from api.pages.access import signed_in
from api.pages.i18n import N_
from api.pages.render import landing, page, safe_next

HOME_TITLE: Final[str] = N_("企业投诉、诉求与举报")


def home_handlers(config: ApiConfig) -> list[HTTPRouteHandler]:
    meta = meta_of(config)

    @get("/", opt=PUBLIC, name="home")
    async def home(
        request: Request[Any, Any, Any],
        done: FromQuery[str | None] = None,  # a step that led here (render.NOTICES)
    ) -> Response[Any]:
        actor = await signed_in(request)
        start = landing(actor) if actor else "/login"
        return page(
            request, "home.html", {"meta": meta, "start": start}, actor=actor, title=HOME_TITLE
        )

    @get("/language/{code:str}", opt=PUBLIC)
    async def switch_language(
        code: FromPath[str],
        next: FromQuery[str | None] = None,  # the page to go back to
    ) -> Response[Any]:
        """Remember the language in a cookie and go back to the page (a plain link: the
        switch works without JavaScript)."""
        target = safe_next(next)
        if code not in i18n.LANGUAGES:
            return Redirect(target, status_code=303)
        cookie = Cookie(
            key=i18n.LANG_COOKIE,
            value=code,
            max_age=i18n.LANG_COOKIE_MAX_AGE,
            httponly=True,
            samesite="lax",
            path="/",
        )
        return Redirect(target, status_code=303, cookies=[cookie])

    return [home, switch_language]
