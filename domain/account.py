"""Accounts: who may sign in, with which role, for which organisation.

An account's lifecycle is events like a case's (created, role granted or withdrawn,
organisation changed, locked, unlocked, disabled, enabled, password set or reset, TOTP
enabled or disabled), each by an administrator, the account's owner or the system, so
"who gave this officer supervisor rights, and when" is in the audit trail and the
ledger. Secrets never are: password hashes, TOTP secrets, refresh tokens, sessions and
API keys live in ordinary tables (api/identity.py); an event records only that a
password was set or reset.

The id is derived from the login (`account_id`), so a second account with the same
login is refused by the store itself and a sign-in finds its account without an index.
Logins never change; `Actor.id` of an account is its login.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID, uuid5

import msgspec
from eventsourcing.domain import Aggregate, event

from domain.commands import Code, Command, Phone, Reason, ShortText
from domain.credit_code import InvalidCreditCode, validate_credit_code
from domain.errors import Forbidden, MoveNotAllowed, RuleViolated
from domain.organisation import Department
from domain.values import Actor, Role

_ID_NAMESPACE = UUID("4a4f6a1e-2f0b-4d53-9d7e-2b8c0f6e5a17")

# Who the sign-in guard acts as when it locks an account after failed sign-ins.
SIGN_IN_GUARD = Actor(id="sign-in-guard", role=Role.SYSTEM)

ACCOUNT_ADMIN_ROLES = frozenset({Role.ADMIN})
# Roles an administrator may grant to bureau staff and service accounts; enterprises
# register themselves and always act as their enterprise; the system role is internal.
STAFF_ROLES = frozenset(
    {
        Role.CLERK,
        Role.DEPARTMENT,
        Role.SUPERVISOR,
        Role.INSPECTOR,
        Role.ADMIN,
        Role.SERVICE_OFFICER,
    }
)
# Staff logins: lower case, as people type them; enterprises sign in with their credit code.
STAFF_LOGIN = re.compile(r"^[a-z][a-z0-9._-]{2,63}$")
StaffLogin = Annotated[str, msgspec.Meta(pattern=STAFF_LOGIN.pattern)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
MIN_PASSWORD_LENGTH = 10


def account_id(login: str) -> UUID:
    return uuid5(_ID_NAMESPACE, f"account|{login}")


class AccountKind(StrEnum):
    STAFF = "staff"  # bureau staff, created by an administrator
    ENTERPRISE = "enterprise"  # registered itself; the login is its credit code
    SERVICE = "service"  # an integration (12345 hotline, credit centre): API keys only


class AccountState(StrEnum):
    ACTIVE = "active"
    LOCKED = "locked"
    DISABLED = "disabled"


def password_rule(password: str, login: str) -> str | None:
    """The rule a new password breaks, or None. At least 10 characters with three of
    lower case, upper case, digits and other characters, and not containing the login
    (docs/decisions.md)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"must have at least {MIN_PASSWORD_LENGTH} characters"
    classes = sum(
        (
            any(c.isascii() and c.islower() for c in password),
            any(c.isascii() and c.isupper() for c in password),
            any(c.isascii() and c.isdigit() for c in password),
            # Everything else, Chinese characters included, is "other".
            any(not (c.isascii() and c.isalnum()) for c in password),
        )
    )
    if classes < 3:
        return "must mix at least three of: lower case, upper case, digits, other characters"
    if login.lower() in password.lower():
        return "must not contain the login"
    return None


class Account(Aggregate):
    login: str
    name: str
    kind: AccountKind
    role: Role | None
    org: str | None
    contact: str | None
    phone: str | None
    disabled: bool
    locked: bool
    locked_until: datetime | None  # with `locked`: None until an administrator unlocks
    has_password: bool
    one_time_password: bool  # must be changed at the next sign-in
    totp_enabled: bool

    @staticmethod
    def create_id(login: str) -> UUID:
        return account_id(login)

    @event("Created")
    def __init__(
        self,
        actor: Actor,
        timestamp: datetime,
        login: str,
        name: str,
        kind: AccountKind,
        role: Role | None,
        org: str | None,
        contact: str | None,
        phone: str | None,
    ) -> None:
        self.login = login
        self.name = name
        self.kind = kind
        self.role = role
        self.org = org
        self.contact = contact
        self.phone = phone
        self.disabled = False
        self.locked = False
        self.locked_until = None
        self.has_password = False
        self.one_time_password = False
        self.totp_enabled = False

    # --- reads ---------------------------------------------------------------------------

    def is_locked(self, at: datetime) -> bool:
        return self.locked and (self.locked_until is None or at < self.locked_until)

    def state(self, at: datetime) -> AccountState:
        if self.disabled:
            return AccountState.DISABLED
        return AccountState.LOCKED if self.is_locked(at) else AccountState.ACTIVE

    def actor(self) -> Actor | None:
        """Who this account acts as, or None without a role."""
        return None if self.role is None else Actor(id=self.login, role=self.role, org=self.org)

    # --- events --------------------------------------------------------------------------

    @event("RoleGranted")
    def _on_role_granted(
        self, actor: Actor, timestamp: datetime, role: Role, previous: Role | None, org: str | None
    ) -> None:
        self.role = role
        self.org = org

    @event("RoleWithdrawn")
    def _on_role_withdrawn(
        self, actor: Actor, timestamp: datetime, role: Role, reason: str | None
    ) -> None:
        self.role = None

    @event("OrganisationChanged")
    def _on_organisation_changed(
        self, actor: Actor, timestamp: datetime, org: str | None, previous: str | None
    ) -> None:
        self.org = org

    @event("Locked")
    def _on_locked(
        self, actor: Actor, timestamp: datetime, until: datetime | None, reason: str
    ) -> None:
        self.locked = True
        self.locked_until = until

    @event("Unlocked")
    def _on_unlocked(self, actor: Actor, timestamp: datetime, reason: str | None) -> None:
        self.locked = False
        self.locked_until = None

    @event("Disabled")
    def _on_disabled(self, actor: Actor, timestamp: datetime, reason: str) -> None:
        self.disabled = True

    @event("Enabled")
    def _on_enabled(self, actor: Actor, timestamp: datetime, reason: str | None) -> None:
        self.disabled = False

    @event("PasswordSet")
    def _on_password_set(self, actor: Actor, timestamp: datetime, one_time: bool) -> None:
        self.has_password = True
        self.one_time_password = one_time

    @event("PasswordReset")
    def _on_password_reset(self, actor: Actor, timestamp: datetime) -> None:
        self.has_password = True
        self.one_time_password = True

    @event("TotpEnabled")
    def _on_totp_enabled(self, actor: Actor, timestamp: datetime) -> None:
        self.totp_enabled = True

    @event("TotpDisabled")
    def _on_totp_disabled(self, actor: Actor, timestamp: datetime, reason: str | None) -> None:
        self.totp_enabled = False


# --- commands (request bodies) -------------------------------------------------------------


class CreateAccount(Command):
    """A bureau staff or service account, by an administrator."""

    login: StaffLogin
    role: Role
    name: ShortText | None = None
    org: Code | None = None
    kind: AccountKind = AccountKind.STAFF

    def check(self) -> None:
        if self.kind is AccountKind.ENTERPRISE:
            raise ValueError("kind: enterprises register themselves (POST /api/v1/auth/register)")


class RegisterEnterprise(Command):
    """An enterprise registering itself; its credit code is its login."""

    credit_code: Annotated[str, msgspec.Meta(min_length=18, max_length=18)]
    name: ShortText
    contact: ShortText
    phone: Phone
    password: Password

    def check(self) -> None:
        try:
            validate_credit_code(self.credit_code)
        except InvalidCreditCode as e:
            raise ValueError(f"credit_code: {e}") from None


class GrantRole(Command):
    role: Role
    org: Code | None = None


class WithdrawRole(Command):
    reason: Reason | None = None


class ChangeOrganisation(Command):
    org: Code | None


class Lock(Command):
    reason: Reason
    until: Annotated[datetime, msgspec.Meta(tz=True)] | None = None


class AccountNote(Command):
    """Unlock, disable, enable: why."""

    reason: Reason | None = None


class Disable(Command):
    reason: Reason


# --- decisions -----------------------------------------------------------------------------


def _require_admin(actor: Actor, what: str) -> None:
    if actor.role not in ACCOUNT_ADMIN_ROLES:
        raise Forbidden(f"role {actor.role} may not {what}")


def _check_role_and_org(
    kind: AccountKind, role: Role, org: str | None, department: Department | None
) -> None:
    """A role fits the account: staff roles for staff and service accounts (never admin
    for a service account: its API keys would administer accounts); a department
    officer acts for a registered department (`department`, found by the caller; None:
    not registered); no other staff role has an organisation."""
    if role not in STAFF_ROLES:
        raise RuleViolated("role", f"'{role}' cannot be granted (one of: {_roles()})")
    if kind is AccountKind.SERVICE and role is Role.ADMIN:
        raise RuleViolated("role", "a service account cannot be an administrator")
    if role is Role.DEPARTMENT:
        if org is None:
            raise RuleViolated("org", "a department officer needs the department's code")
        if department is None:
            raise RuleViolated("org", f"no registered department '{org}'")
    elif org is not None:
        raise RuleViolated("org", f"a {role} acts for the bureau: give no org")


def _roles() -> str:
    return ", ".join(sorted(STAFF_ROLES))


def create_account(
    actor: Actor, at: datetime, c: CreateAccount, *, name: str, department: Department | None
) -> Account:
    _require_admin(actor, "create accounts")
    _check_role_and_org(c.kind, c.role, c.org, department)
    return Account(actor, at, c.login, name, c.kind, c.role, c.org, None, None)


def first_administrator(actor: Actor, at: datetime, login: str, name: str) -> Account:
    """`oversight admin create`: the system creates the first administrator."""
    if not STAFF_LOGIN.match(login):
        raise RuleViolated("login", f"must match {STAFF_LOGIN.pattern}")
    return Account(actor, at, login, name, AccountKind.STAFF, Role.ADMIN, None, None, None)


def register_enterprise(at: datetime, c: RegisterEnterprise) -> Account:
    """The enterprise registers itself: it is the actor of its own creation."""
    rule = password_rule(c.password, c.credit_code)
    if rule is not None:
        raise RuleViolated("password", rule)
    me = Actor(id=c.credit_code, role=Role.ENTERPRISE, org=c.credit_code)
    account = Account(
        me, at, c.credit_code, c.name, AccountKind.ENTERPRISE, Role.ENTERPRISE,
        c.credit_code, c.contact, c.phone,
    )  # fmt: skip
    account._on_password_set(me, at, one_time=False)
    return account


def grant_role(
    account: Account, actor: Actor, at: datetime, c: GrantRole, department: Department | None
) -> None:
    _require_admin(actor, "grant roles")
    if account.kind is AccountKind.ENTERPRISE:
        raise RuleViolated("role", "an enterprise account always acts as its enterprise")
    _check_role_and_org(account.kind, c.role, c.org, department)
    if account.role == c.role and account.org == c.org:
        raise MoveNotAllowed("grant-role", str(account.role), "the account already has this role")
    account._on_role_granted(actor, at, c.role, account.role, c.org)


def withdraw_role(account: Account, actor: Actor, at: datetime, c: WithdrawRole) -> None:
    _require_admin(actor, "withdraw roles")
    if account.role is None:
        raise MoveNotAllowed("withdraw-role", "without a role", "there is no role to withdraw")
    if account.kind is AccountKind.ENTERPRISE:
        raise RuleViolated("role", "an enterprise's role cannot be withdrawn: disable it")
    account._on_role_withdrawn(actor, at, account.role, c.reason)


def change_organisation(
    account: Account,
    actor: Actor,
    at: datetime,
    c: ChangeOrganisation,
    department: Department | None,
) -> None:
    _require_admin(actor, "change an account's organisation")
    if account.kind is AccountKind.ENTERPRISE:
        raise RuleViolated("org", "an enterprise account always acts for its own credit code")
    if account.role is not None:
        _check_role_and_org(account.kind, account.role, c.org, department)
    if c.org == account.org:
        raise MoveNotAllowed("change-organisation", str(account.org), "already its organisation")
    account._on_organisation_changed(actor, at, c.org, account.org)


def lock(account: Account, actor: Actor, at: datetime, c: Lock) -> None:
    if actor.role is not Role.SYSTEM:
        _require_admin(actor, "lock accounts")
    if c.until is not None and c.until <= at:
        raise RuleViolated("until", "must be in the future")
    if account.disabled:
        raise MoveNotAllowed("lock", AccountState.DISABLED)
    account._on_locked(actor, at, c.until, c.reason)


def unlock(account: Account, actor: Actor, at: datetime, c: AccountNote) -> None:
    _require_admin(actor, "unlock accounts")
    if not account.is_locked(at):
        raise MoveNotAllowed("unlock", account.state(at), "the account is not locked")
    account._on_unlocked(actor, at, c.reason)


def disable(account: Account, actor: Actor, at: datetime, c: Disable) -> None:
    _require_admin(actor, "disable accounts")
    if account.login == actor.id:
        raise RuleViolated("login", "an administrator cannot disable their own account")
    if account.disabled:
        raise MoveNotAllowed("disable", AccountState.DISABLED, "already disabled")
    account._on_disabled(actor, at, c.reason)


def enable(account: Account, actor: Actor, at: datetime, c: AccountNote) -> None:
    _require_admin(actor, "enable accounts")
    if not account.disabled:
        raise MoveNotAllowed("enable", account.state(at), "the account is not disabled")
    account._on_enabled(actor, at, c.reason)


def password_set(account: Account, actor: Actor, at: datetime, *, one_time: bool) -> None:
    """A password was set: by its owner (changing theirs: never one-time), or a first
    one-time password given with a new account by an administrator or the system."""
    if actor.id != account.login and actor.role not in (Role.ADMIN, Role.SYSTEM):
        raise Forbidden("only the account's owner may set its password")
    if actor.id == account.login and one_time:
        raise RuleViolated("password", "a password one sets oneself is not one-time")
    account._on_password_set(actor, at, one_time)


def password_reset(account: Account, actor: Actor, at: datetime) -> None:
    """An administrator gives the account a new one-time password."""
    _require_admin(actor, "reset passwords")
    if account.kind is AccountKind.SERVICE:
        raise RuleViolated("login", "a service account signs in with API keys, not a password")
    account._on_password_reset(actor, at)


def totp_enabled(account: Account, actor: Actor, at: datetime) -> None:
    if actor.id != account.login:
        raise Forbidden("only the account's owner may enable a second factor")
    if account.kind is not AccountKind.STAFF:
        raise RuleViolated("totp", "a second factor is for bureau staff accounts")
    if account.totp_enabled:
        raise MoveNotAllowed("enable-totp", "totp enabled", "already enabled")
    account._on_totp_enabled(actor, at)


def totp_disabled(account: Account, actor: Actor, at: datetime, reason: str | None) -> None:
    """By the owner, or by an administrator (a lost phone)."""
    if actor.id != account.login:
        _require_admin(actor, "turn off another account's second factor")
    if not account.totp_enabled:
        raise MoveNotAllowed("disable-totp", "totp disabled", "not enabled")
    account._on_totp_disabled(actor, at, reason)
