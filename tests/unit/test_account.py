"""Accounts and organisations on events (issue 15): Given/When/Then on the decisions of
domain/account.py and domain/organisation.py, the password rule, the department a
transfer names, and a file of reference data. No I/O: the clock is passed in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest

from domain import account as acc
from domain import organisation as org
from domain.errors import CaseNotFound, Forbidden, MoveNotAllowed, RuleViolated
from domain.values import Actor, Role
from tests.gwt import given, then, then_raises

T0 = datetime(2024, 9, 23, 1, 0, tzinfo=UTC)
ADMIN = Actor(id="root", role=Role.ADMIN)
CLERK = Actor(id="c1", role=Role.CLERK)


def department(code: str = "hlj-zjt", **kw: object) -> org.Department:
    return org.Department(
        ADMIN,
        T0,
        code,
        "省住房和城乡建设厅",
        kw.get("parent"),
        kw.get("active_from"),
        kw.get("active_until"),
    )


def staff(role: Role = Role.CLERK, *, login: str = "clerk-1") -> tuple[acc.Account, list]:
    account = acc.create_account(
        ADMIN, T0, acc.CreateAccount(login=login, role=role), name="张三", department=None
    )
    acc.password_set(account, ADMIN, T0, one_time=True)
    history = account.collect_events()
    return given(*history), history


@pytest.mark.parametrize(
    ("password", "broken"),
    [
        ("Aa1-short", "at least 10"),
        ("onlylowercase", "three of"),
        ("ONLYUPPER123", "three of"),
        ("Clerk-1-Password", "login"),  # contains the login, whatever its case
        ("Fine-Password-2024", None),
        ("长长的中文口令加数字123A", None),
    ],
)
def test_the_password_rule(password: str, broken: str | None) -> None:
    rule = acc.password_rule(password, "clerk-1")
    assert (rule is None) if broken is None else (broken in (rule or ""))


def test_an_administrator_creates_a_staff_account_with_a_one_time_password() -> None:
    account = acc.create_account(
        ADMIN,
        T0,
        acc.CreateAccount(login="sup-1", role=Role.SUPERVISOR),
        name="李四",
        department=None,
    )
    acc.password_set(account, ADMIN, T0, one_time=True)
    then(
        account,
        (
            "Created",
            {
                "originator_topic": "domain.account:Account",
                "actor": ADMIN,
                "timestamp": T0,
                "login": "sup-1",
                "name": "李四",
                "kind": acc.AccountKind.STAFF,
                "role": Role.SUPERVISOR,
                "org": None,
                "contact": None,
                "phone": None,
            },
        ),
        ("PasswordSet", {"actor": ADMIN, "timestamp": T0, "one_time": True}),
    )
    assert account.one_time_password and account.actor() == Actor(id="sup-1", role=Role.SUPERVISOR)


@pytest.mark.parametrize(
    ("command", "found", "field"),
    [
        (acc.CreateAccount(login="d-1", role=Role.DEPARTMENT), None, "org"),
        (acc.CreateAccount(login="d-1", role=Role.DEPARTMENT, org="nowhere"), None, "org"),
        (acc.CreateAccount(login="c-1", role=Role.CLERK, org="hlj-zjt"), department(), "org"),
        (acc.CreateAccount(login="s-1", role=Role.SYSTEM), None, "role"),
        (acc.CreateAccount(login="e-1", role=Role.ENTERPRISE), None, "role"),
        (
            acc.CreateAccount(login="k-1", role=Role.ADMIN, kind=acc.AccountKind.SERVICE),
            None,
            "role",
        ),
    ],
)
def test_a_role_must_fit_the_account(command, found, field) -> None:
    with pytest.raises(RuleViolated) as refused:
        acc.create_account(ADMIN, T0, command, name="x", department=found)
    assert refused.value.field == field


def test_only_an_administrator_creates_and_changes_accounts() -> None:
    with pytest.raises(Forbidden):
        acc.create_account(
            CLERK, T0, acc.CreateAccount(login="x-1", role=Role.CLERK), name="x", department=None
        )
    account, history = staff()
    with then_raises(Forbidden, account, history):
        acc.grant_role(account, CLERK, T0, acc.GrantRole(role=Role.ADMIN), None)


def test_granting_and_withdrawing_a_role_say_what_it_was() -> None:
    account, history = staff()
    at = T0 + timedelta(hours=1)
    acc.grant_role(account, ADMIN, at, acc.GrantRole(role=Role.SUPERVISOR), None)
    acc.withdraw_role(account, ADMIN, at, acc.WithdrawRole(reason="调岗"))
    history += then(
        account,
        (
            "RoleGranted",
            {
                "actor": ADMIN,
                "timestamp": at,
                "role": Role.SUPERVISOR,
                "previous": Role.CLERK,
                "org": None,
            },
        ),
        (
            "RoleWithdrawn",
            {"actor": ADMIN, "timestamp": at, "role": Role.SUPERVISOR, "reason": "调岗"},
        ),
    )
    assert account.role is None and account.actor() is None
    with then_raises(MoveNotAllowed, account, history):
        acc.withdraw_role(account, ADMIN, at, acc.WithdrawRole())


def test_an_enterprise_registers_itself_and_keeps_its_role() -> None:
    code = "91350100M000100Y43"
    body = acc.RegisterEnterprise(
        credit_code=code, name="某公司", contact="王", phone="13900001111", password="Good-Pass-123"
    )
    account = acc.register_enterprise(T0, body)
    me = Actor(id=code, role=Role.ENTERPRISE, org=code)
    events = then(
        account,
        (
            "Created",
            {
                "originator_topic": "domain.account:Account",
                "actor": me,
                "timestamp": T0,
                "login": code,
                "name": "某公司",
                "kind": acc.AccountKind.ENTERPRISE,
                "role": Role.ENTERPRISE,
                "org": code,
                "contact": "王",
                "phone": "13900001111",
            },
        ),
        ("PasswordSet", {"actor": me, "timestamp": T0, "one_time": False}),
    )
    assert "Good-Pass-123" not in str([vars(e) for e in events])  # the event says "set" only
    with then_raises(RuleViolated, account, events):
        acc.grant_role(account, ADMIN, T0, acc.GrantRole(role=Role.CLERK), None)
    with pytest.raises(msgspec.ValidationError, match="check character"):
        msgspec.convert(
            {**msgspec.to_builtins(body), "credit_code": code[:-1] + "4"}, acc.RegisterEnterprise
        )


def test_a_lock_with_an_end_expires_with_time_and_one_without_needs_an_administrator() -> None:
    account, _ = staff()
    until = T0 + timedelta(minutes=15)
    acc.lock(account, acc.SIGN_IN_GUARD, T0, acc.Lock(reason="5 failed sign-ins", until=until))
    assert account.state(T0) is acc.AccountState.LOCKED
    assert account.state(until - timedelta(seconds=1)) is acc.AccountState.LOCKED
    assert account.state(until) is acc.AccountState.ACTIVE
    with pytest.raises(MoveNotAllowed):
        acc.unlock(account, ADMIN, until, acc.AccountNote())
    with pytest.raises(RuleViolated):
        acc.lock(account, ADMIN, until, acc.Lock(reason="x", until=until))
    acc.lock(account, ADMIN, until, acc.Lock(reason="调查"))
    assert account.state(until + timedelta(days=365)) is acc.AccountState.LOCKED
    acc.unlock(account, ADMIN, until, acc.AccountNote(reason="查清"))
    assert account.state(until) is acc.AccountState.ACTIVE
    with pytest.raises(Forbidden):
        acc.lock(account, CLERK, until, acc.Lock(reason="x"))


def test_disabling_and_enabling() -> None:
    account, history = staff(Role.ADMIN, login="admin-2")
    with then_raises(RuleViolated, account, history):  # never oneself
        acc.disable(account, Actor(id="admin-2", role=Role.ADMIN), T0, acc.Disable(reason="x"))
    acc.disable(account, ADMIN, T0, acc.Disable(reason="离职"))
    assert account.state(T0) is acc.AccountState.DISABLED
    with pytest.raises(MoveNotAllowed):
        acc.disable(account, ADMIN, T0, acc.Disable(reason="x"))
    acc.enable(account, ADMIN, T0, acc.AccountNote())
    assert account.state(T0) is acc.AccountState.ACTIVE


def test_only_the_owner_sets_their_password_and_turns_totp_on() -> None:
    account, history = staff()
    owner = Actor(id="clerk-1", role=Role.CLERK)
    with then_raises(Forbidden, account, history):
        acc.password_set(account, Actor(id="c2", role=Role.CLERK), T0, one_time=False)
    with then_raises(Forbidden, account, history):
        acc.totp_enabled(account, ADMIN, T0)
    acc.password_set(account, owner, T0, one_time=False)
    acc.totp_enabled(account, owner, T0)
    acc.totp_disabled(account, ADMIN, T0, "手机丢失")
    then(
        account,
        ("PasswordSet", {"actor": owner, "timestamp": T0, "one_time": False}),
        ("TotpEnabled", {"actor": owner, "timestamp": T0}),
        ("TotpDisabled", {"actor": ADMIN, "timestamp": T0, "reason": "手机丢失"}),
    )


def test_replaying_an_accounts_events_gives_the_live_account() -> None:
    account, history = staff()
    at = T0 + timedelta(hours=2)
    acc.grant_role(
        account, ADMIN, at, acc.GrantRole(role=Role.DEPARTMENT, org="hlj-zjt"), department()
    )
    acc.lock(account, acc.SIGN_IN_GUARD, at, acc.Lock(reason="r", until=at + timedelta(hours=1)))
    acc.password_reset(account, ADMIN, at)
    events = [*history, *account.collect_events()]
    assert given(*events) == account
    assert account.actor() == Actor(id="clerk-1", role=Role.DEPARTMENT, org="hlj-zjt")


# --- organisations ---------------------------------------------------------------------------


class Store:
    """`load` over aggregates made in the test (a decision's view of the store)."""

    def __init__(self, *aggregates: object) -> None:
        self.by_id = {a.id: a for a in aggregates}  # type: ignore[attr-defined]

    def load(self, case_id):
        if case_id not in self.by_id:
            raise CaseNotFound(str(case_id))
        return self.by_id[case_id]


def test_departments_are_registered_once_with_a_registered_parent() -> None:
    parent = department("hrb")
    store = Store(parent)
    child = org.register_department(
        store.load, ADMIN, T0, org.RegisterDepartment(code="hrb-zjj", name="住建局", parent="hrb")
    )
    assert org.department_id("hrb-zjj") == child.id
    store = Store(parent, child)
    for body, field in (
        (org.RegisterDepartment(code="hrb-zjj", name="again"), "code"),
        (org.RegisterDepartment(code="x", name="x", parent="none"), "parent"),
        (
            org.RegisterDepartment(
                code="x", name="x", active_from=date(2024, 2, 1), active_until=date(2024, 1, 1)
            ),
            "active_until",
        ),
    ):
        with pytest.raises(RuleViolated) as refused:
            org.register_department(store.load, ADMIN, T0, body)
        assert refused.value.field == field


def test_a_circle_of_parents_is_refused_and_changes_record_the_whole_entry() -> None:
    parent = department("hrb")
    history = parent.collect_events()
    parent = given(*history)
    child = given(*department("hrb-zjj", parent="hrb").collect_events())
    store = Store(parent, child)
    with then_raises(RuleViolated, parent, history):
        org.change_department(store.load, parent, ADMIN, T0, org.ChangeDepartment(parent="hrb-zjj"))
    org.change_department(
        store.load, parent, ADMIN, T0, org.ChangeDepartment(active_until=date(2024, 12, 31))
    )
    then(
        parent,
        (
            "Changed",
            {
                "actor": ADMIN,
                "timestamp": T0,
                "name": "省住房和城乡建设厅",
                "parent": None,
                "active_from": None,
                "active_until": date(2024, 12, 31),
            },
        ),
    )


def test_a_transfer_names_a_department_active_that_day() -> None:
    store = Store(department(active_from=date(2024, 1, 1), active_until=date(2024, 12, 31)))
    directory = org.StoredDepartments(store.load)
    org.require_active_department(directory, "hlj-zjt", date(2024, 12, 31))
    for code, day, rule in (
        ("hlj-zjf", date(2024, 6, 1), "no registered department"),
        ("hlj-zjt", date(2025, 1, 1), "not active on 2025-01-01"),
        ("hlj-zjt", date(2023, 12, 31), "not active on 2023-12-31"),
    ):
        with pytest.raises(RuleViolated, match=rule):
            org.require_active_department(directory, code, day)
    org.require_active_department(None, "anything", date(2024, 6, 1))  # free text


def test_a_file_of_reference_data_is_checked_whole_and_ordered_parents_first() -> None:
    parsed = org.parse_organisation_file(
        b'{"departments": [{"code": "b", "name": "\\u4e59", "parent": "a"},'
        b' {"code": "a", "name": "\\u7532"}], "categories": [{"code": "c", "name": "x"}]}'
    )
    assert [d.code for d in org.departments_in_order(parsed.departments)] == ["a", "b"]
    for text, fault in (
        (b'{"departments": [{"code": "a", "name": "x"}, {"code": "a", "name": "y"}]}', "twice"),
        (
            b'{"departments": [{"code": "a", "name": "x", "parent": "b"},'
            b' {"code": "b", "name": "y", "parent": "a"}]}',
            "circle",
        ),
        (b'{"departments": [{"code": "a b", "name": "x"}]}', "code"),
        (b'{"people": []}', "unknown field"),
    ):
        with pytest.raises(org.OrganisationFileError, match=fault):
            org.parse_organisation_file(text)
