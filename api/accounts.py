"""The identity API: signing in (`/api/v1/auth/...`), who I am (`/api/v1/me`), the
administrators' accounts (`/api/v1/accounts`) and API keys (`/api/v1/api-keys`).

Thin handlers over api/identity.py. Failed sign-ins answer 401 with one message
whatever was wrong, 429 with `Retry-After` while the login is locked, 403 when the
password was right but the account may not sign in (disabled, locked by an
administrator, no role).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Request, Response, Router, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api import identity
from api.auth import Credential, issue_token
from api.errors import ApiError
from api.guards import roles_check, roles_guard
from api.identity import (
    AccountUnavailable,
    InvalidCredential,
    SignInFailed,
    SignInLocked,
    TotpRequired,
)
from api.inputs import check_day, expected_version
from api.representation import Instant, Position, Representation, Version
from api.services import Services
from domain import account as acc
from domain.application import CommandResult
from domain.commands import Body, Reason, ShortText
from domain.errors import CaseNotFound
from domain.values import Actor, Role
from projections.identity import list_accounts

ADMINS = frozenset({Role.ADMIN})
# Subscripted at run time with a change's body class (as api/cases.py does).
_JSON_BODY: Any = JSONBody
Login = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Secret = Annotated[str, msgspec.Meta(min_length=1, max_length=512)]
TotpCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$")]


# --- bodies ------------------------------------------------------------------------------------


class SignIn(Body):
    login: Login
    password: acc.Password
    totp: TotpCode | None = None


class RefreshIn(Body):
    refresh_token: Secret


class LogoutIn(Body):
    refresh_token: Secret


class PasswordChange(Body):
    old_password: acc.Password
    new_password: acc.Password


class TotpConfirm(Body):
    code: TotpCode


class ApiKeyIn(Body):
    login: acc.StaffLogin
    name: ShortText


class Note(Body):
    reason: Reason | None = None


# Examples of the request bodies (api/contract.py `body_examples`): each one is valid.
_STRONG = "Correct-Horse-7-battery"
_EXAMPLE_LOCK_UNTIL = "2030-01-01T00:00:00Z"


def _example(value: dict[str, Any], **opt: Any) -> dict[str, Any]:
    """Route options with an example of the request body."""
    return {**opt, "body_examples": {"example": value}}


# --- answers -------------------------------------------------------------------------------------

LoginShown = Annotated[str, msgspec.Meta(description="The login: a credit code or a staff login.")]


class AccountRead(Representation):
    """An account as administrators (and its holder) see it; never its password."""

    login: LoginShown
    name: str
    kind: acc.AccountKind
    role: Annotated[Role | None, msgspec.Meta(description="Null: the account has no role.")]
    org: Annotated[
        str | None,
        msgspec.Meta(description="The organisation it acts for: a credit code or a department."),
    ]
    state: acc.AccountState
    locked_until: Annotated[
        Instant | None,
        msgspec.Meta(description="While locked for a time: until when (null otherwise)."),
    ]
    must_change_password: Annotated[
        bool, msgspec.Meta(description="The password is a one-time one: change it first.")
    ]
    totp_enabled: bool
    version: Version


class AccountAnswer(AccountRead):
    """The account after a change, with the `position` of its last event."""

    position: Position


class AccountCreated(AccountAnswer):
    """The account with its new one-time password (in this answer only)."""

    password: Annotated[
        str | None,
        msgspec.Meta(description="The one-time password (null for a service account)."),
    ]


class TokenResponse(Representation):
    """An OAuth 2.0 token response (RFC 6749 5.1). `refresh_token` after a full sign-in;
    `scope` (and no refresh token) when the access token only allows changing the
    password."""

    access_token: Annotated[str, msgspec.Meta(description="A JWT: `Authorization: Bearer`.")]
    token_type: Literal["Bearer"]
    expires_in: Annotated[
        int, msgspec.Meta(ge=1, description="Seconds the access token is valid for.")
    ]
    refresh_token: Annotated[
        str | msgspec.UnsetType,
        msgspec.Meta(description="For `POST /api/v1/auth/refresh`, once (it rotates)."),
    ] = msgspec.UNSET
    scope: Annotated[
        str | msgspec.UnsetType,
        msgspec.Meta(description="`password`: the token only allows changing the password."),
    ] = msgspec.UNSET


class TotpEnrolmentOut(Representation):
    """A second factor's new secret, in this answer only."""

    secret: Annotated[str, msgspec.Meta(description="The TOTP secret (base32).")]
    otpauth_uri: Annotated[str, msgspec.Meta(description="An otpauth:// URI for an app.")]


class SignInFigures(Representation):
    """How many of each outcome."""

    sign_in: int
    failure: int
    locked: int
    logout: int
    refresh: int
    refresh_reuse: int
    password_changed: int
    api_key_refused: int


# One field per outcome counted (api/identity.py OUTCOMES), in its order.
assert SignInFigures.__struct_fields__ == identity.OUTCOMES


class SignInCounts(Representation):
    """Sign-in outcomes since a day (UTC)."""

    since: Annotated[date, msgspec.Meta(description="The first day counted.")] = msgspec.field(
        name="from"
    )
    counts: SignInFigures


class Me(Representation):
    """Who this request acts as."""

    login: Annotated[str, msgspec.Meta(description="The user id (the token's `sub`).")]
    role: Role
    org: str | None
    credential: Annotated[
        Literal["jwt", "api_key", "session"],
        msgspec.Meta(description="How the request authenticated."),
    ]
    scope: Annotated[
        str | None, msgspec.Meta(description="`password`: limited to changing the password.")
    ]
    account: Annotated[
        AccountRead | None, msgspec.Meta(description="The account (null: a token of no account).")
    ]


class AccountRow(Representation):
    """An account in the administrators' list."""

    login: LoginShown
    name: str
    kind: acc.AccountKind
    role: Role | None
    org: str | None
    disabled: bool
    locked: bool
    locked_until: Instant | None
    one_time_password: bool
    totp_enabled: bool
    created_at: Instant
    version: Version


class AccountPage(Representation):
    """Accounts by login."""

    items: list[AccountRow]
    next_cursor: Annotated[
        str | None,
        msgspec.Meta(description="Pass it as `cursor` for the next page; null on the last."),
    ]


class ApiKeyCreated(Representation):
    """A new API key: `key` is in this answer only."""

    id: UUID
    key: Annotated[str, msgspec.Meta(description="Send it as `Authorization: Bearer <key>`.")]
    login: str
    role: Role
    name: str
    created_at: Instant


class ApiKeyRow(Representation):
    """An API key (never the key itself)."""

    id: UUID
    login: str
    role: Role
    name: str
    created_at: Instant
    created_by: str
    last_used_at: Instant | None
    revoked_at: Instant | None
    revoked_by: str | None


class ApiKeyList(Representation):
    """Every API key, oldest first."""

    items: list[ApiKeyRow]


def account_body(account: acc.Account, now: datetime) -> AccountRead:
    """The account as `identity.present_account` shows it, as a body."""
    return msgspec.convert(identity.present_account(account, now), AccountRead)


# --- errors --------------------------------------------------------------------------------------


def unauthenticated(detail: str) -> ApiError:
    return ApiError(
        401,
        "unauthenticated",
        "Unauthenticated",
        detail,
        headers={"WWW-Authenticate": 'Bearer realm="oversight"'},
    )


async def _signed_in(services: Services, data: SignIn) -> identity.SignedIn:
    try:
        return await identity.authenticate(services, data.login, data.password, data.totp)
    except SignInFailed as e:
        raise unauthenticated(str(e)) from None
    except TotpRequired as e:
        raise ApiError(
            401, "totp-required", "Second factor required", str(e),
            headers={"WWW-Authenticate": 'Bearer realm="oversight"'},
        ) from None  # fmt: skip
    except SignInLocked as e:
        raise ApiError(
            429, "too-many-sign-ins", "Too many failed sign-ins", str(e),
            headers={"Retry-After": str(e.retry_after)},
        ) from None  # fmt: skip
    except AccountUnavailable as e:
        raise ApiError(403, "account-unavailable", "Account unavailable", str(e)) from None


def _account_response[A: AccountAnswer](
    result: CommandResult[acc.Account],
    services: Services,
    answer: type[A],
    *,
    status: int = 200,
    **extra: Any,
) -> Response[A]:
    """The account after a command as `answer` (with its `position`), its version as the
    `ETag`, the position as `X-Position` and, when created, its `Location`."""
    read = account_body(result.case, services.now())
    body = answer(**msgspec.structs.asdict(read), position=result.position, **extra)
    headers = {"ETag": f'"{result.case.version}"', "X-Position": str(result.position)}
    if status == 201:
        headers["Location"] = f"/api/v1/accounts/{result.case.login}"
    return Response(body, status_code=status, headers=headers)


def _access_token(
    request: Request[Any, Any, Any], services: Services, actor: Actor, scope: str | None
) -> TokenResponse:
    """The OAuth 2.0 token response's access token (RFC 6749 5.1): a JWT with the
    account's role as it is now, `expires_in` seconds (wall clock: PyJWT checks it so)."""
    seconds = services.settings.identity.access_token_seconds
    token = issue_token(
        request.app.state.jwt_secret,
        sub=actor.id,
        role=actor.role,
        org=actor.org,
        now=datetime.now(UTC),
        ttl=timedelta(seconds=seconds),
        scope=scope,
        signed_in=True,
    )
    # "Bearer" is the OAuth 2.0 token type (RFC 6750), not a secret.
    return TokenResponse(access_token=token, token_type="Bearer", expires_in=seconds)  # noqa: S106


# Route options the contract reads (api/contract.py): the headers a command on an
# account (or a new account) sets, and a change's If-Match.
_CREATED_OPT: dict[str, Any] = {"response_headers": ("ETag", "X-Position", "Location")}
_CHANGED_OPT: dict[str, Any] = {"response_headers": ("ETag", "X-Position")}
_CHANGE_OPT: dict[str, Any] = {"request_headers": ("If-Match",), **_CHANGED_OPT}


# --- /api/v1/auth ---------------------------------------------------------------------------------


@post(
    "/register",
    status_code=201,
    security=[],
    summary="An enterprise registers itself",
    opt=_example(
        {
            "credit_code": "91230100MA1C2B3D4L",
            "name": "哈尔滨某某建设有限公司",
            "contact": "张三",
            "phone": "0451-86000000",
            "password": _STRONG,
        },
        **_CREATED_OPT,
    ),
)
async def register(
    data: JSONBody[acc.RegisterEnterprise], services: NamedDependency[Services]
) -> Response[AccountAnswer]:
    """The credit code (its check character verified) is the login; the password must
    have at least 10 characters mixing three kinds and not contain the credit code."""
    result = await identity.register_enterprise(services, data)
    return _account_response(result, services, AccountAnswer, status=201)


# The statuses the OpenAPI document cannot derive (api/contract.py `statuses`).
_NO_ACCOUNT = {404: "This token names no account (an API key, a token of a removed account)."}


@post(
    "/login",
    status_code=200,
    security=[],
    summary="Sign in (OAuth 2.0 token response)",
    opt=_example(
        {"login": "zhang.san", "password": _STRONG},
        statuses={
            401: "The login, password or code is not right, or a second factor is required"
            " (`totp-required`).",
            403: "The account is locked by an administrator or disabled.",
            429: "Too many failed sign-ins (`Retry-After`).",
        },
    ),
)
async def login(
    request: Request[Any, Any, Any], data: JSONBody[SignIn], services: NamedDependency[Services]
) -> Response[TokenResponse]:
    """`access_token` (a JWT, `expires_in` seconds), `token_type` "Bearer" and a rotating
    `refresh_token`. After a one-time password the access token only allows
    `POST /api/v1/auth/password` (`scope` "password") and there is no refresh token."""
    signed = await _signed_in(services, data)
    body = _access_token(request, services, signed.actor, signed.scope)
    if signed.scope is None:
        body.refresh_token = await identity.new_refresh_family(services, signed)
    else:
        body.scope = signed.scope
    return Response(body, headers={"Cache-Control": "no-store"})


_REFRESH_EXAMPLE = {"refresh_token": "rt_6qkDNBaK1q2n0N8eVz3xYw4hUoLmP7sT9cR2fJ5gA0E"}


@post(
    "/refresh",
    status_code=200,
    security=[],
    summary="New tokens for a refresh token",
    opt=_example(
        _REFRESH_EXAMPLE,
        statuses={401: "The refresh token is not valid (unknown, used, expired)."},
    ),
)
async def refresh(
    request: Request[Any, Any, Any], data: JSONBody[RefreshIn], services: NamedDependency[Services]
) -> Response[TokenResponse]:
    """The refresh token is used up and a new one returned (rotation); presenting a used
    one again revokes every token of its family."""
    try:
        refreshed = await identity.refresh(services, data.refresh_token)
    except InvalidCredential as e:
        raise unauthenticated(str(e)) from None
    body = _access_token(request, services, refreshed.actor, None)
    body.refresh_token = refreshed.refresh_token
    return Response(body, headers={"Cache-Control": "no-store"})


@post(
    "/logout",
    status_code=204,
    security=[],
    summary="Revoke a refresh token's family",
    opt=_example(_REFRESH_EXAMPLE),
)
async def logout(data: JSONBody[LogoutIn], services: NamedDependency[Services]) -> None:
    """Access tokens already issued stay valid until they expire (5 minutes by default)."""
    await identity.revoke_refresh(services, data.refresh_token)


@post(
    "/password",
    status_code=200,
    summary="Change my password",
    opt=_example({"old_password": "k7Rw-2mQx-9Tzp", "new_password": _STRONG}, **_CHANGED_OPT),
)
async def change_password(
    request: Request[Actor, Credential, Any],
    data: JSONBody[PasswordChange],
    services: NamedDependency[Services],
) -> Response[AccountAnswer]:
    """The old password (the one-time one at first sign-in) and a new one. Every
    refresh token and every other session of the account end; sign in again with the
    new password (a token limited to this call stays limited)."""
    keep = request.cookies.get(identity.SESSION_COOKIE) if request.auth.kind == "session" else None
    try:
        result = await identity.change_password(
            services,
            request.user.id,
            old_password=data.old_password,
            new_password=data.new_password,
            keep_session=keep,
        )
    except SignInFailed:
        raise unauthenticated("the old password is not right") from None
    return _account_response(result, services, AccountAnswer)


@post("/totp", status_code=201, summary="Enrol a TOTP second factor", opt={"statuses": _NO_ACCOUNT})
async def enrol_totp(
    request: Request[Actor, Any, Any], services: NamedDependency[Services]
) -> Response[TotpEnrolmentOut]:
    """A new secret (and its otpauth:// URI for an authenticator app), not in force until
    confirmed with a code (`POST /api/v1/auth/totp/confirm`)."""
    try:
        enrolment = await identity.enrol_totp(services, request.user.id)
    except InvalidCredential:
        raise ApiError(404, "not-found", "Not found", "this token names no account") from None
    return Response(
        TotpEnrolmentOut(secret=enrolment.secret, otpauth_uri=enrolment.uri),
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


@post(
    "/totp/confirm",
    status_code=200,
    summary="Turn the second factor on",
    opt=_example({"code": "492039"}, statuses=_NO_ACCOUNT, **_CHANGED_OPT),
)
async def confirm_totp(
    request: Request[Actor, Any, Any],
    data: JSONBody[TotpConfirm],
    services: NamedDependency[Services],
) -> Response[AccountAnswer]:
    try:
        result = await identity.confirm_totp(services, request.user.id, data.code)
    except InvalidCredential:
        raise ApiError(404, "not-found", "Not found", "this token names no account") from None
    return _account_response(result, services, AccountAnswer)


@get("/counts", guards=[roles_guard(ADMINS, "read the sign-in counts")], summary="Sign-in counts")
async def sign_in_counts(
    services: NamedDependency[Services],
    since: Annotated[date | None, QueryParameter(name="from")] = None,
) -> SignInCounts:
    """Sign-ins, failures, locks, logouts, refreshes, reuses... since a day (UTC; default
    today)."""
    day = check_day("from", since) if since else services.now().date()
    start = datetime.combine(day, time(), tzinfo=services.now().tzinfo)
    figures = msgspec.convert(await identity.counts(services, start), SignInFigures)
    return SignInCounts(since=day, counts=figures)


auth_router = Router(
    path="/api/v1/auth",
    route_handlers=[
        register, login, refresh, logout, change_password, enrol_totp, confirm_totp,
        sign_in_counts,
    ],
    tags=["accounts"],
)  # fmt: skip


@get("/", summary="Who I am")
async def me(request: Request[Actor, Credential, Any], services: NamedDependency[Services]) -> Me:
    """The actor this request acts as and, when it is an account, the account."""
    actor = request.user
    account = await identity.load_account(services, actor.id)
    return Me(
        login=actor.id,
        role=actor.role,
        org=actor.org,
        credential=request.auth.kind,  # type: ignore[arg-type]  # one of Credential's kinds
        scope=request.auth.scope,
        account=None if account is None else account_body(account, services.now()),
    )


me_router = Router(path="/api/v1/me", route_handlers=[me], tags=["accounts"])


# --- /api/v1/accounts (administrators) ------------------------------------------------------------


@post(
    "/",
    status_code=201,
    before_request=roles_check(ADMINS, "create accounts"),
    opt=_example({"login": "zhang.san", "role": "clerk", "name": "张三"}, **_CREATED_OPT),
)
async def create_account(
    request: Request[Actor, Any, Any],
    data: JSONBody[acc.CreateAccount],
    services: NamedDependency[Services],
) -> Response[AccountCreated]:
    """A bureau staff account with a one-time `password` (in this answer only: give it to
    the person, who must change it at first sign-in), or a service account (`kind`
    service) for an integration's API keys."""
    created = await identity.create_account(services, request.user, data)
    response = _account_response(
        created.result, services, AccountCreated, status=201, password=created.password
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@get(
    "/",
    guards=[roles_guard(ADMINS, "list accounts")],
    opt={"renamed_parameters": {"after": "cursor"}},
)
async def accounts(
    services: NamedDependency[Services],
    role: FromQuery[Role | None] = None,
    kind: FromQuery[acc.AccountKind | None] = None,
    cursor: Annotated[
        str | None,
        QueryParameter(
            max_length=64,
            description="The `next_cursor` of the previous page (opaque); none for the first.",
        ),
    ] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> AccountPage:
    """By login, `limit` at a time; pass `next_cursor` as `cursor` for the next page."""
    async with services.pool.acquire() as conn:
        rows = await list_accounts(
            conn,
            role=None if role is None else role.value,
            kind=None if kind is None else kind.value,
            after=cursor,
            limit=limit,
        )
    items = [msgspec.convert(row, AccountRow) for row in rows]
    return AccountPage(items=items, next_cursor=items[-1].login if len(items) == limit else None)


@get(
    "/{login:str}",
    guards=[roles_guard(ADMINS, "read accounts")],
    opt={"response_headers": ("ETag",)},
)
async def account(
    login: FromPath[str], services: NamedDependency[Services]
) -> Response[AccountRead]:
    found = await identity.load_account(services, login)
    if found is None:
        raise CaseNotFound(f"no account {login}")
    return Response(account_body(found, services.now()), headers={"ETag": f'"{found.version}"'})


def _change(name: str, body: type[Body], summary: str, example: dict[str, Any]) -> Any:
    """`POST /api/v1/accounts/{login}/<name>`: one administrator's change, If-Match optional."""

    async def handler(
        request: Request[Actor, Any, Any],
        login: FromPath[str],
        data: Any,
        services: NamedDependency[Services],
    ) -> Response[AccountAnswer]:
        actor, expected = request.user, expected_version(request)
        result = await _apply(services, name, actor, login, data, expected)
        await identity.after_account_change(services, result)
        return _account_response(result, services, AccountAnswer)

    handler.__annotations__ = {**handler.__annotations__, "data": _JSON_BODY[body]}
    handler.__name__ = handler.__qualname__ = name.replace("-", "_")
    return post(
        f"/{{login:str}}/{name}",
        status_code=200,
        before_request=roles_check(ADMINS, f"{name} accounts"),
        summary=summary,
        opt=_example(example, **_CHANGE_OPT),
    )(handler)


async def _apply(
    services: Services,
    name: str,
    actor: Actor,
    login: str,
    data: JSONBody[Any],
    expected: int | None,
) -> CommandResult[acc.Account]:
    ident = identity.identity(services)
    now = services.now()
    if name == "unlock":
        return await identity.unlock(services, actor, login, data)
    if name == "disable-totp":
        return await identity.disable_totp(services, actor, login, data.reason)
    method: Any = {
        "grant-role": ident.grant_role,
        "withdraw-role": ident.withdraw_role,
        "change-organisation": ident.change_organisation,
        "lock": ident.lock,
        "disable": ident.disable,
        "enable": ident.enable,
    }[name]
    return await identity.in_thread(
        lambda: method(actor, now, login, data, expected_version=expected)
    )


CHANGES = [
    _change(
        "grant-role",
        acc.GrantRole,
        "Grant a role (replacing the current one)",
        {"role": "department", "org": "hlj-zjt"},
    ),
    _change("withdraw-role", acc.WithdrawRole, "Withdraw the role", {"reason": "调离岗位"}),
    _change(
        "change-organisation", acc.ChangeOrganisation, "Change the department", {"org": "hlj-fgw"}
    ),
    _change(
        "lock",
        acc.Lock,
        "Lock the account (until a time, or until unlocked)",
        {"reason": "疑似账号被盗用", "until": _EXAMPLE_LOCK_UNTIL},
    ),
    _change("unlock", acc.AccountNote, "Unlock the account", {"reason": "已核实本人"}),
    _change("disable", acc.Disable, "Disable the account", {"reason": "离职"}),
    _change("enable", acc.AccountNote, "Enable a disabled account", {"reason": "复职"}),
    _change(
        "disable-totp",
        Note,
        "Turn the account's second factor off",
        {"reason": "手机遗失，已核实本人"},
    ),
]


@post(
    "/{login:str}/reset-password",
    status_code=200,
    before_request=roles_check(ADMINS, "reset passwords"),
    summary="A new one-time password",
    opt=_CHANGED_OPT,
)
async def reset_password(
    request: Request[Actor, Any, Any], login: FromPath[str], services: NamedDependency[Services]
) -> Response[AccountCreated]:
    """A new one-time `password` (in this answer only); the account's sessions end and
    its refresh tokens are revoked."""
    result, password = await identity.reset_password(services, request.user, login)
    response = _account_response(result, services, AccountCreated, password=password)
    response.headers["Cache-Control"] = "no-store"
    return response


accounts_router = Router(
    path="/api/v1/accounts",
    route_handlers=[create_account, accounts, account, *CHANGES, reset_password],
    tags=["accounts"],
)


# --- /api/v1/api-keys (administrators) ------------------------------------------------------


@post(
    "/",
    status_code=201,
    before_request=roles_check(ADMINS, "issue API keys"),
    opt=_example({"login": "svc.data-exchange", "name": "省数据共享平台"}),
)
async def create_api_key(
    request: Request[Actor, Any, Any], data: JSONBody[ApiKeyIn], services: NamedDependency[Services]
) -> Response[ApiKeyCreated]:
    """A key for a service account, bound to its role. `key` is in this answer only;
    send it as `Authorization: Bearer <key>`."""
    body = await identity.create_api_key(services, request.user, data.login, data.name)
    return Response(
        msgspec.convert(body, ApiKeyCreated),
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


@get("/", guards=[roles_guard(ADMINS, "list API keys")])
async def api_keys(
    services: NamedDependency[Services],
    login: Annotated[str | None, QueryParameter(max_length=64)] = None,
) -> ApiKeyList:
    """Every key (never the key itself): its account, role, name, creation, last use,
    revocation."""
    rows = await identity.list_api_keys(services, login)
    return ApiKeyList(items=[msgspec.convert(row, ApiKeyRow) for row in rows])


@delete("/{key_id:uuid}", status_code=204, before_request=roles_check(ADMINS, "revoke API keys"))
async def revoke_api_key(
    request: Request[Actor, Any, Any], key_id: FromPath[UUID], services: NamedDependency[Services]
) -> None:
    if not await identity.revoke_api_key(services, request.user, key_id):
        raise CaseNotFound(f"no API key {key_id} in force")


api_keys_router = Router(
    path="/api/v1/api-keys",
    route_handlers=[create_api_key, api_keys, revoke_api_key],
    tags=["accounts"],
)

ROUTERS = [auth_router, me_router, accounts_router, api_keys_router]
