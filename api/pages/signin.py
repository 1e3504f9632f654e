"""Signing in, registering and changing the password: the pages over the accounts'
service functions (api/sessions.py, api/identity.py, issue 15), with no HTTP to
ourselves.

- `/login` (账号, 密码; 登录): opens a session (the cookie `sessions.sign_in` gives) and
  goes on to where the person was going, or to their first page; after a one-time
  password, to `/password` first (the session reaches nothing else until then).
  A failed sign-in says one thing whatever was wrong (api/identity.py SignInFailed).
- `/register` (统一社会信用代码, 企业名称, 联系人, 手机号, 密码; 注册): the enterprise
  registers itself through the same command and rules as `POST /api/v1/auth/register`,
  then is signed in.
- `/password` (当前密码, 新密码; 修改密码): this session stays open (and loses its
  restriction), every other one ends.
- 退出 posts to `/logout` (api/sessions.py `post_logout`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

from litestar import Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect

from api import identity, sessions
from api.home import PUBLIC
from api.pages.access import signed_in
from api.pages.cases import form_values
from api.pages.forms import Field, FieldError, FormState, decode, message_for
from api.pages.i18n import N_, gettext
from api.pages.render import landing, language, page, safe_next
from api.services import Services
from domain import account as acc
from domain.credit_code import InvalidCreditCode, validate_credit_code
from domain.errors import RuleViolated
from domain.values import Actor


@dataclass(frozen=True)
class Link:
    path: str
    label: str  # msgid


LOGIN_FIELDS: Final[tuple[Field, ...]] = (
    Field("login", N_("账号"), hint=N_("企业请填写统一社会信用代码"), autocomplete="username"),
    Field("password", N_("密码"), "password", autocomplete="current-password"),
)
TOTP_FIELD: Final[Field] = Field(
    "totp",
    N_("动态口令"),
    hint=N_("身份验证器应用中显示的 6 位数字"),
    autocomplete="one-time-code",
    width="w-10",
)
PASSWORD_HINT: Final[str] = N_(
    "至少 10 个字符，包含小写字母、大写字母、数字和其他字符中的至少三种，不能包含账号"
)
REGISTER_FIELDS: Final[tuple[Field, ...]] = (
    Field(
        "credit_code",
        N_("统一社会信用代码"),
        hint=N_("18 位，登录时作为账号使用"),
        autocomplete="off",
        width="w-20",
    ),
    Field("name", N_("企业名称"), hint=N_("与营业执照一致"), autocomplete="organization"),
    Field("contact", N_("联系人"), autocomplete="name"),
    Field("phone", N_("手机号"), autocomplete="tel", width="w-20"),
    Field("password", N_("密码"), "password", hint=PASSWORD_HINT, autocomplete="new-password"),
)
PASSWORD_FIELDS: Final[tuple[Field, ...]] = (
    Field("old_password", N_("当前密码"), "password", autocomplete="current-password"),
    Field(
        "new_password", N_("新密码"), "password", hint=PASSWORD_HINT, autocomplete="new-password"
    ),
)


def _services(request: Request[Any, Any, Any]) -> Services:
    services: Services = request.app.state.services
    return services


def _form_page(
    request: Request[Any, Any, Any],
    *,
    title: str,
    action: str,
    fields: tuple[Field, ...],
    button: str,
    state: FormState,
    actor: Actor | None = None,
    intro: str | None = None,
    notice: str | None = None,
    hidden: dict[str, str] | None = None,
    links: tuple[Link, ...] = (),
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    return page(
        request,
        "form.html",
        {
            "action": action,
            "fields": fields,
            "button": button,
            "state": state,
            "errors": state.errors,
            "intro": intro,
            "notice": notice,
            "hidden": hidden or {},
            "links": links,
        },
        actor=actor,
        status=status,
        title=title,
        headers=headers,
    )


def _missing(lang: str, fields: tuple[Field, ...], form: dict[str, str]) -> list[FieldError]:
    return [
        message_for(lang, fields, {"field": f.name, "rule": "is required"})
        for f in fields
        if f.required and not form.get(f.name, "").strip()
    ]


# --- signing in --------------------------------------------------------------------------------


def _login_page(
    request: Request[Any, Any, Any],
    state: FormState,
    target: str,
    *,
    with_totp: bool = False,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    state.values.pop("password", None)  # never sent back
    return _form_page(
        request,
        title=N_("登录"),
        action="/login",
        fields=(*LOGIN_FIELDS, TOTP_FIELD) if with_totp else LOGIN_FIELDS,
        button=N_("登录"),
        state=state,
        hidden={"next": target},
        links=(Link("/register", N_("还没有账号？企业注册")),),
        status=status,
        headers=headers,
    )


@get("/login", opt=PUBLIC)
async def login_form(
    request: Request[Any, Any, Any],
    next: FromQuery[str | None] = None,  # the page to go on to
    done: FromQuery[str | None] = None,  # a step that led here (render.NOTICES)
) -> Response[Any]:
    actor = await signed_in(request)
    if actor is not None:
        return Redirect(safe_next(next, landing(actor)), status_code=303)
    return _login_page(request, FormState(), safe_next(next, ""))


@post("/login", opt=PUBLIC)
async def sign_in(request: Request[Any, Any, Any]) -> Response[Any]:
    lang = language(request)
    form = await form_values(request)
    target = safe_next(form.get("next"), "")
    state = FormState(values=form)
    with_totp = bool(form.get("totp"))
    state.errors = _missing(lang, LOGIN_FIELDS, form)
    if state.errors:
        return _login_page(request, state, target, with_totp=with_totp, status=422)
    login = form["login"].strip()
    try:
        done = await sessions.sign_in(
            request, login=login, password=form["password"], totp=form.get("totp") or None
        )
    except identity.SignInLocked as e:
        minutes = max(1, math.ceil(e.retry_after / 60))
        message = gettext(
            lang, N_("登录失败次数过多，账号已暂时锁定。请 %(n)s 分钟后再试。"), n=minutes
        )
        state.errors = [FieldError("login", message)]
        headers = {"Retry-After": str(e.retry_after)}
        return _login_page(request, state, target, status=429, headers=headers)
    except identity.TotpRequired:
        message = gettext(lang, N_("请填写动态口令"))
        if with_totp:  # a code was given and was wrong: SignInFailed says so; this is none
            message = gettext(lang, N_("动态口令不正确"))
        state.errors = [FieldError("totp", message)]
        return _login_page(request, state, target, with_totp=True, status=401)
    except identity.SignInFailed:
        message = gettext(lang, N_("账号、密码或动态口令不正确"))
        state.errors = [FieldError("login", message)]
        return _login_page(request, state, target, with_totp=with_totp, status=401)
    except identity.AccountUnavailable:
        message = gettext(lang, N_("这个账号已停用或被锁定，请联系管理员。"))
        state.errors = [FieldError("login", message)]
        return _login_page(request, state, target, status=403)
    if done.must_change_password:
        destination = "/password"
    elif done.signed.scope == "totp":
        destination = "/totp"
    else:
        destination = safe_next(target, landing(done.actor)) if target else landing(done.actor)
    return Redirect(destination, status_code=303, cookies=[done.cookie])


# --- registering -------------------------------------------------------------------------------


def _register_page(
    request: Request[Any, Any, Any], state: FormState, status: int = 200
) -> Response[Any]:
    state.values.pop("password", None)
    return _form_page(
        request,
        title=N_("企业注册"),
        action="/register",
        fields=REGISTER_FIELDS,
        button=N_("注册"),
        state=state,
        intro=N_("注册后，使用统一社会信用代码和密码登录，提交和查看本企业的投诉、诉求和举报。"),
        links=(Link("/login", N_("已经注册？登录")),),
        status=status,
    )


@get("/register", opt=PUBLIC)
async def register_form(request: Request[Any, Any, Any]) -> Response[Any]:
    return _register_page(request, FormState())


@post("/register", opt=PUBLIC)
async def register(request: Request[Any, Any, Any]) -> Response[Any]:
    lang, services = language(request), _services(request)
    form = await form_values(request)
    state = FormState(values=form)
    values = {f.name: form.get(f.name, "").strip() for f in REGISTER_FIELDS}
    values["password"] = form.get("password", "")
    values["credit_code"] = values["credit_code"].upper()
    state.values["credit_code"] = values["credit_code"]
    command, problems = decode(request, acc.RegisterEnterprise, values)
    code = values["credit_code"]
    if problems and code and not any(p["field"] == "credit_code" for p in problems):
        # The body checks the code after its fields (msgspec stops at the first error):
        # the same rule now, so that every mistake shows at once.
        try:
            validate_credit_code(code)
        except InvalidCreditCode as e:
            problems.insert(0, {"field": "credit_code", "rule": str(e)})
    if problems or command is None:
        state.errors = [message_for(lang, REGISTER_FIELDS, p) for p in problems]
        return _register_page(request, state, 422)
    try:
        await identity.register_enterprise(services, command)
    except RuleViolated as e:
        state.errors = [message_for(lang, REGISTER_FIELDS, {"field": e.field, "rule": e.rule})]
        return _register_page(request, state, 422)
    done = await sessions.sign_in(request, login=command.credit_code, password=command.password)
    return Redirect("/cases?done=registered", status_code=303, cookies=[done.cookie])


# --- changing the password ---------------------------------------------------------------------


def _password_page(
    request: Request[Any, Any, Any], state: FormState, status: int = 200
) -> Response[Any]:
    restricted = getattr(request.auth, "scope", None) == "password"
    state.values.clear()  # passwords are never sent back
    return _form_page(
        request,
        title=N_("修改密码"),
        action="/password",
        fields=PASSWORD_FIELDS,
        button=N_("修改密码"),
        state=state,
        actor=request.user,
        notice=N_("首次登录，请先修改初始密码") if restricted else None,
        intro=N_("修改后，您在其他设备上的登录将全部退出。"),
        status=status,
    )


@get("/password")
async def password_form(request: Request[Actor, Any, Any]) -> Response[Any]:
    return _password_page(request, FormState())


@post("/password")
async def change_password(request: Request[Actor, Any, Any]) -> Response[Any]:
    lang, services = language(request), _services(request)
    form = await form_values(request)
    state = FormState(values=form)
    state.errors = _missing(lang, PASSWORD_FIELDS, form)
    if state.errors:
        return _password_page(request, state, 422)
    try:
        await identity.change_password(
            services,
            request.user.id,
            old_password=form["old_password"],
            new_password=form["new_password"],
            keep_session=request.cookies.get(identity.SESSION_COOKIE),
        )
    except identity.SignInFailed:
        state.errors = [FieldError("old_password", gettext(lang, N_("当前密码不正确")))]
        return _password_page(request, state, 422)
    except identity.SignInLocked as e:
        minutes = max(1, math.ceil(e.retry_after / 60))
        message = gettext(
            lang, N_("登录失败次数过多，账号已暂时锁定。请 %(n)s 分钟后再试。"), n=minutes
        )
        state.errors = [FieldError("old_password", message)]
        return _password_page(request, state, 429)
    except RuleViolated as e:
        state.errors = [message_for(lang, PASSWORD_FIELDS, {"field": e.field, "rule": e.rule})]
        return _password_page(request, state, 422)
    return Redirect(f"{landing(request.user)}?done=password", status_code=303)


# --- the second factor ------------------------------------------------------------------------

CODE_FIELD: Final[Field] = Field(
    "code",
    N_("验证码"),
    hint=N_("添加密钥后，身份验证器应用中显示的 6 位数字"),
    autocomplete="one-time-code",
    width="w-10",
)


def _totp_page(
    request: Request[Any, Any, Any],
    state: FormState,
    *,
    secret: str | None = None,
    uri: str | None = None,
    status: int = 200,
) -> Response[Any]:
    return page(
        request,
        "totp.html",
        {
            "secret": secret,
            "grouped": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
            if secret
            else None,
            "uri": uri,
            "field": CODE_FIELD,
            "state": state,
            "errors": state.errors,
        },
        actor=request.user,
        status=status,
        title=N_("启用动态口令"),
    )


@get("/totp")
async def totp_form(request: Request[Actor, Any, Any]) -> Response[Any]:
    """A role that must have a second factor (OVERSIGHT_TOTP_REQUIRED) enrols here first
    (the session reaches nothing else until then); anyone on staff may too."""
    return _totp_page(request, FormState())


@post("/totp")
async def totp(request: Request[Actor, Any, Any]) -> Response[Any]:
    """One path for both steps (a restricted session reaches only /password and /totp):
    `step=enrol` makes a new secret and shows it; `step=confirm` turns the second factor
    on with the first code, then signs out, so the next sign-in asks for a code."""
    lang, services, login = language(request), _services(request), request.user.id
    form = await form_values(request)
    state = FormState(values={"code": form.get("code", "")})
    if form.get("step") != "confirm":
        try:
            enrolment = await identity.enrol_totp(services, login)
        except (RuleViolated, identity.InvalidCredential) as e:
            already = isinstance(e, RuleViolated) and "already enabled" in e.rule
            message = N_("动态口令已经启用") if already else N_("只有工作人员账号可以启用动态口令")
            state.errors = [FieldError("", gettext(lang, message))]
            return _totp_page(request, state, status=422)
        return _totp_page(request, FormState(), secret=enrolment.secret, uri=enrolment.uri)
    secret, uri = form.get("secret", ""), form.get("uri", "")
    code = form.get("code", "").strip()
    if not code:
        state.errors = [FieldError("code", gettext(lang, N_("请填写验证码")))]
        return _totp_page(request, state, secret=secret, uri=uri, status=422)
    try:
        await identity.confirm_totp(services, login, code)
    except RuleViolated:
        state.errors = [
            FieldError("code", gettext(lang, N_("验证码不正确，请输入应用中当前显示的数字")))
        ]
        return _totp_page(request, state, secret=secret, uri=uri, status=422)
    cookie = await sessions.sign_out(request)
    return Redirect("/login?done=totp", status_code=303, cookies=[cookie])


HANDLERS: Final[list[Any]] = [
    login_form,
    sign_in,
    register_form,
    register,
    password_form,
    change_password,
    totp_form,
    totp,
]
