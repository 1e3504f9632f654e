"""What a person sees when a page cannot be shown: a page in words, never problem+json.

The pages' router maps the API's error family (api/errors.py) to these: not signed in
goes to the sign-in page (and back afterwards), a refused role or a failed CSRF check
is "no permission", an unknown or invisible case is "not found" (the same 404 the API
gives, so a case of another enterprise cannot be told from no case), an outage is
"try again shortly" with Retry-After, anything else is logged and "something went
wrong". Form errors and stale versions are not errors here: the form's page shows them
(api/pages/cases.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import structlog
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.response import Redirect

from api.auth import RESTRICTED_WHY
from api.errors import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, ApiError
from api.pages.i18n import N_
from api.pages.render import here, page
from domain.errors import CaseNotFound, DomainError, Forbidden

log = structlog.get_logger(__name__)


def _actor(request: Request[Any, Any, Any]) -> Any:
    user = request.scope.get("user")
    return user if user is not None and hasattr(user, "role") else None


def error_page(
    request: Request[Any, Any, Any],
    status: int,
    title: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    return page(
        request,
        "error.html",
        {"message": message, "status": status},
        actor=_actor(request),
        status=status,
        title=title,
        headers=headers,
    )


def to_sign_in(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Not signed in (or the session ended): the sign-in page, then back here."""
    target = here(request) if request.method == "GET" else request.url.path
    return Redirect(f"/login?next={quote(target, safe='/')}", status_code=303)


def forbidden(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    detail = str(getattr(exc, "detail", "") or exc)
    if detail == RESTRICTED_WHY["password"]:
        # Signed in with a one-time password: nothing else until it is changed.
        return Redirect("/password", status_code=303)
    if detail == RESTRICTED_WHY["totp"]:
        # A role that must have a second factor: nothing else until it is enrolled.
        return Redirect("/totp", status_code=303)
    if "CSRF" in detail:
        return error_page(
            request,
            403,
            N_("表单已失效"),
            N_("为了您的安全，这个表单已失效。请返回上一页，刷新后重新提交。"),
        )
    return error_page(
        request, 403, N_("没有权限"), N_("您的账号没有权限进行这项操作或查看这个页面。")
    )


def not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return error_page(
        request, 404, N_("找不到页面"), N_("您要找的页面或案件不存在，或者您没有权限查看。")
    )


def unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.warning("database_unavailable", error=type(exc).__name__, status=503)
    return error_page(
        request,
        503,
        N_("服务暂时不可用"),
        N_("服务暂时不可用，请稍后再试。您填写的内容没有保存。"),
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def api_error(request: Request[Any, Any, Any], exc: ApiError) -> Response[Any]:
    if exc.status == 404:
        return not_found(request, exc)
    if exc.status == 403:
        return forbidden(request, exc)
    if exc.status >= 500:
        return unavailable(request, exc)
    return error_page(
        request, exc.status, N_("请求有误"), N_("这个请求无法处理，请返回上一页重试。")
    )


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    by_status = {401: to_sign_in, 403: forbidden, 404: not_found}
    if exc.status_code in by_status:
        return by_status[exc.status_code](request, exc)
    if exc.status_code >= 500:
        return internal(request, exc)
    return error_page(
        request, exc.status_code, N_("请求有误"), N_("这个请求无法处理，请返回上一页重试。")
    )


def domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    """A move refused outside a form's own handling (the form pages catch their own)."""
    return error_page(
        request,
        409,
        N_("操作未完成"),
        N_("案件已被他人更新，这项操作现在不能进行。请返回案件页面查看。"),
    )


def internal(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled_error", error=type(exc).__name__)
    return error_page(
        request, 500, N_("出现错误"), N_("系统出现错误，请稍后再试。如果问题持续，请联系管理员。")
    )


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    **dict.fromkeys(DATABASE_UNAVAILABLE, unavailable),
    NotAuthorizedException: to_sign_in,
    PermissionDeniedException: forbidden,
    Forbidden: forbidden,
    CaseNotFound: not_found,
    NotFoundException: not_found,
    DomainError: domain_error,
    ApiError: api_error,
    HTTPException: http_error,
    Exception: internal,
}
