"""The identity commands on the Oversight application's event store: organisations
(departments, complaint categories) and accounts.

They do not fit the case machinery (domain/cases.py): their ids come from their codes
and logins, nobody "sees" an account as a case, and the secrets that go with an account
live outside the store. So this small application service does for them what
`Oversight.create`/`move` do for the cases: load, decide (domain/organisation.py,
domain/account.py), save once, and return the aggregate with the position of its last
event. Synchronous, like the application: the API calls it in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import RecordConflictError

from domain import account as acc
from domain import organisation as org
from domain.application import CommandResult, Oversight
from domain.errors import CaseNotFound, ConcurrentUpdate, RuleViolated, VersionConflict
from domain.values import Actor


class Identity:
    def __init__(self, app: Oversight) -> None:
        self.app = app

    # --- reads -------------------------------------------------------------------------------

    def department(self, code: str) -> org.Department | None:
        return org.find_department(self.app.load, code)

    def category(self, code: str) -> org.Category | None:
        return org.find_category(self.app.load, code)

    def account(self, login: str) -> acc.Account | None:
        try:
            found = self.app.load(acc.account_id(login))
        except CaseNotFound:
            return None
        return found if isinstance(found, acc.Account) else None

    def _existing_account(self, login: str) -> acc.Account:
        found = self.account(login)
        if found is None:
            raise CaseNotFound(f"no account {login}")
        return found

    # --- organisations -----------------------------------------------------------------------

    def register_department(
        self, actor: Actor, at: datetime, c: org.RegisterDepartment
    ) -> CommandResult[org.Department]:
        return self._save(org.register_department(self.app.load, actor, at, c))

    def change_department(
        self,
        actor: Actor,
        at: datetime,
        code: str,
        c: org.ChangeDepartment,
        *,
        expected_version: int | None = None,
    ) -> CommandResult[org.Department]:
        department = self.department(code)
        if department is None:
            raise CaseNotFound(f"no department {code}")
        _expect(department, expected_version, at)
        org.change_department(self.app.load, department, actor, at, c)
        return self._save(department)

    def register_category(
        self, actor: Actor, at: datetime, c: org.RegisterCategory
    ) -> CommandResult[org.Category]:
        return self._save(org.register_category(self.app.load, actor, at, c))

    def change_category(
        self,
        actor: Actor,
        at: datetime,
        code: str,
        c: org.ChangeCategory,
        *,
        expected_version: int | None = None,
    ) -> CommandResult[org.Category]:
        category = self.category(code)
        if category is None:
            raise CaseNotFound(f"no category {code}")
        _expect(category, expected_version, at)
        org.change_category(category, actor, at, c)
        return self._save(category)

    # --- accounts ------------------------------------------------------------------------------

    def create_account(
        self, actor: Actor, at: datetime, c: acc.CreateAccount
    ) -> CommandResult[acc.Account]:
        """A staff or service account; with `one_time_password` recorded (the API has
        stored its hash) unless it is a service account (API keys only)."""
        if self.account(c.login) is not None:
            raise RuleViolated("login", f"an account '{c.login}' already exists")
        department = self.department(c.org) if c.org else None
        account = acc.create_account(actor, at, c, name=c.name or c.login, department=department)
        if c.kind is not acc.AccountKind.SERVICE:
            acc.password_set(account, actor, at, one_time=True)
        return self._save(account)

    def create_first_administrator(
        self, actor: Actor, at: datetime, login: str, name: str
    ) -> CommandResult[acc.Account]:
        if self.account(login) is not None:
            raise RuleViolated("login", f"an account '{login}' already exists")
        account = acc.first_administrator(actor, at, login, name)
        acc.password_set(account, actor, at, one_time=True)
        return self._save(account)

    def register_enterprise(
        self, at: datetime, c: acc.RegisterEnterprise
    ) -> CommandResult[acc.Account]:
        if self.account(c.credit_code) is not None:
            raise RuleViolated("credit_code", "this enterprise is already registered")
        return self._save(acc.register_enterprise(at, c))

    def grant_role(
        self,
        actor: Actor,
        at: datetime,
        login: str,
        c: acc.GrantRole,
        *,
        expected_version: int | None = None,
    ) -> CommandResult[acc.Account]:
        department = self.department(c.org) if c.org else None
        return self._change(
            login, at, expected_version, lambda a: acc.grant_role(a, actor, at, c, department)
        )

    def withdraw_role(
        self,
        actor: Actor,
        at: datetime,
        login: str,
        c: acc.WithdrawRole,
        *,
        expected_version: int | None = None,
    ) -> CommandResult[acc.Account]:
        return self._change(
            login, at, expected_version, lambda a: acc.withdraw_role(a, actor, at, c)
        )

    def change_organisation(
        self,
        actor: Actor,
        at: datetime,
        login: str,
        c: acc.ChangeOrganisation,
        *,
        expected_version: int | None = None,
    ) -> CommandResult[acc.Account]:
        department = self.department(c.org) if c.org else None
        return self._change(
            login,
            at,
            expected_version,
            lambda a: acc.change_organisation(a, actor, at, c, department),
        )

    def lock(
        self,
        actor: Actor,
        at: datetime,
        login: str,
        c: acc.Lock,
        *,
        expected_version: int | None = None,
    ) -> CommandResult[acc.Account]:
        return self._change(login, at, expected_version, lambda a: acc.lock(a, actor, at, c))

    def unlock(
        self,
        actor: Actor,
        at: datetime,
        login: str,
        c: acc.AccountNote,
        *,
        expected_version: int | None = None,
    ) -> CommandResult[acc.Account]:
        return self._change(login, at, expected_version, lambda a: acc.unlock(a, actor, at, c))

    def disable(
        self,
        actor: Actor,
        at: datetime,
        login: str,
        c: acc.Disable,
        *,
        expected_version: int | None = None,
    ) -> CommandResult[acc.Account]:
        return self._change(login, at, expected_version, lambda a: acc.disable(a, actor, at, c))

    def enable(
        self,
        actor: Actor,
        at: datetime,
        login: str,
        c: acc.AccountNote,
        *,
        expected_version: int | None = None,
    ) -> CommandResult[acc.Account]:
        return self._change(login, at, expected_version, lambda a: acc.enable(a, actor, at, c))

    def password_set(
        self, actor: Actor, at: datetime, login: str, *, one_time: bool
    ) -> CommandResult[acc.Account]:
        return self._change(
            login, at, None, lambda a: acc.password_set(a, actor, at, one_time=one_time)
        )

    def password_reset(self, actor: Actor, at: datetime, login: str) -> CommandResult[acc.Account]:
        return self._change(login, at, None, lambda a: acc.password_reset(a, actor, at))

    def totp_enabled(self, actor: Actor, at: datetime, login: str) -> CommandResult[acc.Account]:
        return self._change(login, at, None, lambda a: acc.totp_enabled(a, actor, at))

    def totp_disabled(
        self, actor: Actor, at: datetime, login: str, reason: str | None = None
    ) -> CommandResult[acc.Account]:
        return self._change(login, at, None, lambda a: acc.totp_disabled(a, actor, at, reason))

    # --- the steps every command shares ----------------------------------------------------------

    def _change(
        self,
        login: str,
        at: datetime,
        expected_version: int | None,
        decide: Callable[[acc.Account], None],
    ) -> CommandResult[acc.Account]:
        account = self._existing_account(login)
        _expect(account, expected_version, at)
        decide(account)
        return self._save(account)

    def _save[A: Aggregate](self, aggregate: A) -> CommandResult[A]:
        try:
            recordings = self.app.save(aggregate)
        except RecordConflictError:
            raise ConcurrentUpdate(
                "another change to this record was stored first; reload and retry"
            ) from None
        return CommandResult(case=aggregate, position=recordings[-1].notification.id)


def _expect(aggregate: Aggregate, expected_version: int | None, at: datetime) -> None:
    if expected_version is not None and expected_version != aggregate.version:
        raise VersionConflict(expected_version, aggregate.version)
    if at < aggregate.modified_on:
        raise RuleViolated("at", "a change cannot be dated before the record's last event")


def load_organisation(
    identity: Identity, actor: Actor, at: datetime, file: org.OrganisationFile
) -> dict[str, int]:
    """Register what the file has and the store has not; change what differs; leave
    the rest. Returns how many of each (`registered`, `changed`, `unchanged`). Each entry
    is its own save: a failure stops the load, and loading the file again resumes it."""
    counts = {"registered": 0, "changed": 0, "unchanged": 0}
    for d in org.departments_in_order(file.departments):
        department = identity.department(d.code)
        if department is None:
            identity.register_department(actor, at, d)
            counts["registered"] += 1
        elif _department_fields(department) == (d.name, d.parent, d.active_from, d.active_until):
            counts["unchanged"] += 1
        else:
            change = org.ChangeDepartment(
                name=d.name, parent=d.parent, active_from=d.active_from, active_until=d.active_until
            )
            identity.change_department(actor, at, d.code, change)
            counts["changed"] += 1
    for c in file.categories:
        category = identity.category(c.code)
        if category is None:
            identity.register_category(actor, at, c)
            counts["registered"] += 1
        elif (category.name, category.active_from, category.active_until) == (
            c.name, c.active_from, c.active_until,
        ):  # fmt: skip
            counts["unchanged"] += 1
        else:
            change_c = org.ChangeCategory(
                name=c.name, active_from=c.active_from, active_until=c.active_until
            )
            identity.change_category(actor, at, c.code, change_c)
            counts["changed"] += 1
    return counts


def _department_fields(d: org.Department) -> tuple[object, ...]:
    return (d.name, d.parent, d.active_from, d.active_until)
