"""The identity API: signing in (`/api/v1/auth/...`), who I am (`/api/v1/me`), the
administrators' accounts (`/api/v1/accounts`) and API keys (`/api/v1/api-keys`).

Thin handlers over api/identity.py. Failed sign-ins answer 401 with one message
whatever was wrong, 429 with `Retry-After` while the login is locked, 403 when the
password was right but the account may not sign in (disabled, locked by an
administrator, no role).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
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


def _account_response(
    result: CommandResult[acc.Account], services: Services, *, status: int = 200, **extra: Any
) -> Response[Any]:
    body = identity.present_account(result.case, services.now())
    body["position"] = result.position
    body |= extra
    headers = {"ETag": f'"{result.case.version}"', "X-Position": str(result.position)}
    if status == 201:
        headers["Location"] = f"/api/v1/accounts/{result.case.login}"
    return Response(body, status_code=status, headers=headers)


def _access_token(
    request: Request[Any, Any, Any], services: Services, actor: Actor, scope: str | None
) -> dict[str, Any]:
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
    return {"access_token": token, "token_type": "Bearer", "expires_in": seconds}


# --- /api/v1/auth ---------------------------------------------------------------------------------


@post("/register", status_code=201, security=[], summary="An enterprise registers itself")
async def register(
    data: JSONBody[acc.RegisterEnterprise], services: NamedDependency[Services]
) -> Any:
    """The credit code (its check character verified) is the login; the password must
    have at least 10 characters mixing three kinds and not contain the credit code."""
    result = await identity.register_enterprise(services, data)
    return _account_response(result, services, status=201)


# The statuses the OpenAPI document cannot derive (api/contract.py `statuses`).
_NO_ACCOUNT = {404: "This token names no account (an API key, a token of a removed account)."}


@post(
    "/login",
    status_code=200,
    security=[],
    summary="Sign in (OAuth 2.0 token response)",
    opt={
        "statuses": {
            401: "The login, password or code is not right, or a second factor is required"
            " (`totp-required`).",
            403: "The account is locked by an administrator or disabled.",
            429: "Too many failed sign-ins (`Retry-After`).",
        }
    },
)
async def login(
    request: Request[Any, Any, Any], data: JSONBody[SignIn], services: NamedDependency[Services]
) -> Response[Any]:
    """`access_token` (a JWT, `expires_in` seconds), `token_type` "Bearer" and a rotating
    `refresh_token`. After a one-time password the access token only allows
    `POST /api/v1/auth/password` (`scope` "password") and there is no refresh token."""
    signed = await _signed_in(services, data)
    body = _access_token(request, services, signed.actor, signed.scope)
    if signed.scope is None:
        body["refresh_token"] = await identity.new_refresh_family(services, signed)
    else:
        body["scope"] = signed.scope
    return Response(body, headers={"Cache-Control": "no-store"})


@post(
    "/refresh",
    status_code=200,
    security=[],
    summary="New tokens for a refresh token",
    opt={"statuses": {401: "The refresh token is not valid (unknown, used, expired)."}},
)
async def refresh(
    request: Request[Any, Any, Any], data: JSONBody[RefreshIn], services: NamedDependency[Services]
) -> Response[Any]:
    """The refresh token is used up and a new one returned (rotation); presenting a used
    one again revokes every token of its family."""
    try:
        refreshed = await identity.refresh(services, data.refresh_token)
    except InvalidCredential as e:
        raise unauthenticated(str(e)) from None
    body = _access_token(request, services, refreshed.actor, None)
    body["refresh_token"] = refreshed.refresh_token
    return Response(body, headers={"Cache-Control": "no-store"})


@post("/logout", status_code=204, security=[], summary="Revoke a refresh token's family")
async def logout(data: JSONBody[LogoutIn], services: NamedDependency[Services]) -> None:
    """Access tokens already issued stay valid until they expire (5 minutes by default)."""
    await identity.revoke_refresh(services, data.refresh_token)


@post("/password", status_code=200, summary="Change my password")
async def change_password(
    request: Request[Actor, Credential, Any],
    data: JSONBody[PasswordChange],
    services: NamedDependency[Services],
) -> Response[Any]:
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
    return _account_response(result, services)


@post("/totp", status_code=201, summary="Enrol a TOTP second factor", opt={"statuses": _NO_ACCOUNT})
async def enrol_totp(
    request: Request[Actor, Any, Any], services: NamedDependency[Services]
) -> Response[Any]:
    """A new secret (and its otpauth:// URI for an authenticator app), not in force until
    confirmed with a code (`POST /api/v1/auth/totp/confirm`)."""
    try:
        enrolment = await identity.enrol_totp(services, request.user.id)
    except InvalidCredential:
        raise ApiError(404, "not-found", "Not found", "this token names no account") from None
    return Response(
        {"secret": enrolment.secret, "otpauth_uri": enrolment.uri},
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


@post(
    "/totp/confirm",
    status_code=200,
    summary="Turn the second factor on",
    opt={"statuses": _NO_ACCOUNT},
)
async def confirm_totp(
    request: Request[Actor, Any, Any],
    data: JSONBody[TotpConfirm],
    services: NamedDependency[Services],
) -> Response[Any]:
    try:
        result = await identity.confirm_totp(services, request.user.id, data.code)
    except InvalidCredential:
        raise ApiError(404, "not-found", "Not found", "this token names no account") from None
    return _account_response(result, services)


@get("/counts", guards=[roles_guard(ADMINS, "read the sign-in counts")], summary="Sign-in counts")
async def sign_in_counts(
    services: NamedDependency[Services],
    since: Annotated[date | None, QueryParameter(name="from")] = None,
) -> dict[str, Any]:
    """Sign-ins, failures, locks, logouts, refreshes, reuses... since a day (UTC; default
    today)."""
    day = check_day("from", since) if since else services.now().date()
    start = datetime.combine(day, time(), tzinfo=services.now().tzinfo)
    return {"from": day, "counts": await identity.counts(services, start)}


auth_router = Router(
    path="/api/v1/auth",
    route_handlers=[
        register, login, refresh, logout, change_password, enrol_totp, confirm_totp,
        sign_in_counts,
    ],
    tags=["accounts"],
)  # fmt: skip


@get("/", summary="Who I am")
async def me(
    request: Request[Actor, Credential, Any], services: NamedDependency[Services]
) -> dict[str, Any]:
    """The actor this request acts as and, when it is an account, the account."""
    actor = request.user
    account = await identity.load_account(services, actor.id)
    return {
        "login": actor.id,
        "role": actor.role.value,
        "org": actor.org,
        "credential": request.auth.kind,
        "scope": request.auth.scope,
        "account": None if account is None else identity.present_account(account, services.now()),
    }


me_router = Router(path="/api/v1/me", route_handlers=[me], tags=["accounts"])


# --- /api/v1/accounts (administrators) ------------------------------------------------------------


@post("/", status_code=201, before_request=roles_check(ADMINS, "create accounts"))
async def create_account(
    request: Request[Actor, Any, Any],
    data: JSONBody[acc.CreateAccount],
    services: NamedDependency[Services],
) -> Response[Any]:
    """A bureau staff account with a one-time `password` (in this answer only: give it to
    the person, who must change it at first sign-in), or a service account (`kind`
    service) for an integration's API keys."""
    created = await identity.create_account(services, request.user, data)
    response = _account_response(created.result, services, status=201, password=created.password)
    response.headers["Cache-Control"] = "no-store"
    return response


@get("/", guards=[roles_guard(ADMINS, "list accounts")])
async def accounts(
    services: NamedDependency[Services],
    role: FromQuery[Role | None] = None,
    kind: FromQuery[acc.AccountKind | None] = None,
    after: Annotated[str | None, QueryParameter(max_length=64)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """By login; pass the last login you got as `after` for the next page."""
    async with services.pool.acquire() as conn:
        items = await list_accounts(
            conn,
            role=None if role is None else role.value,
            kind=None if kind is None else kind.value,
            after=after,
            limit=limit,
        )
    return {"items": items, "next_after": items[-1]["login"] if len(items) == limit else None}


@get("/{login:str}", guards=[roles_guard(ADMINS, "read accounts")])
async def account(login: FromPath[str], services: NamedDependency[Services]) -> Response[Any]:
    found = await identity.load_account(services, login)
    if found is None:
        raise CaseNotFound(f"no account {login}")
    body = identity.present_account(found, services.now())
    return Response(body, headers={"ETag": f'"{found.version}"'})


def _change(name: str, body: type[Body], summary: str) -> Any:
    """`POST /api/v1/accounts/{login}/<name>`: one administrator's change, If-Match optional."""

    async def handler(
        request: Request[Actor, Any, Any],
        login: FromPath[str],
        data: Any,
        services: NamedDependency[Services],
    ) -> Response[Any]:
        actor, expected = request.user, expected_version(request)
        result = await _apply(services, name, actor, login, data, expected)
        await identity.after_account_change(services, result)
        return _account_response(result, services)

    handler.__annotations__ = {**handler.__annotations__, "data": _JSON_BODY[body]}
    handler.__name__ = handler.__qualname__ = name.replace("-", "_")
    return post(
        f"/{{login:str}}/{name}",
        status_code=200,
        before_request=roles_check(ADMINS, f"{name} accounts"),
        summary=summary,
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
    _change("grant-role", acc.GrantRole, "Grant a role (replacing the current one)"),
    _change("withdraw-role", acc.WithdrawRole, "Withdraw the role"),
    _change("change-organisation", acc.ChangeOrganisation, "Change the department"),
    _change("lock", acc.Lock, "Lock the account (until a time, or until unlocked)"),
    _change("unlock", acc.AccountNote, "Unlock the account"),
    _change("disable", acc.Disable, "Disable the account"),
    _change("enable", acc.AccountNote, "Enable a disabled account"),
    _change("disable-totp", Note, "Turn the account's second factor off"),
]


@post(
    "/{login:str}/reset-password",
    status_code=200,
    before_request=roles_check(ADMINS, "reset passwords"),
    summary="A new one-time password",
)
async def reset_password(
    request: Request[Actor, Any, Any], login: FromPath[str], services: NamedDependency[Services]
) -> Response[Any]:
    """A new one-time `password` (in this answer only); the account's sessions end and
    its refresh tokens are revoked."""
    result, password = await identity.reset_password(services, request.user, login)
    response = _account_response(result, services, password=password)
    response.headers["Cache-Control"] = "no-store"
    return response


accounts_router = Router(
    path="/api/v1/accounts",
    route_handlers=[create_account, accounts, account, *CHANGES, reset_password],
    tags=["accounts"],
)


# --- /api/v1/api-keys (administrators) ------------------------------------------------------


@post("/", status_code=201, before_request=roles_check(ADMINS, "issue API keys"))
async def create_api_key(
    request: Request[Actor, Any, Any], data: JSONBody[ApiKeyIn], services: NamedDependency[Services]
) -> Response[Any]:
    """A key for a service account, bound to its role. `key` is in this answer only;
    send it as `Authorization: Bearer <key>`."""
    body = await identity.create_api_key(services, request.user, data.login, data.name)
    return Response(body, status_code=201, headers={"Cache-Control": "no-store"})


@get("/", guards=[roles_guard(ADMINS, "list API keys")])
async def api_keys(
    services: NamedDependency[Services],
    login: Annotated[str | None, QueryParameter(max_length=64)] = None,
) -> dict[str, Any]:
    """Every key (never the key itself): its account, role, name, creation, last use,
    revocation."""
    return {"items": await identity.list_api_keys(services, login)}


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
