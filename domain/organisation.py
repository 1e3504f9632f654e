"""Organisations as reference data: the handling departments and the complaint categories.

Both are event-sourced like the cases (registered and changed by an administrator, in
the audit trail and the ledger), one aggregate per code with an id derived from the
code (`department_id`), so the store itself refuses a second registration of a code and
a decision finds a department without an index. A department is active from and until
days in the bureau's time zone (both inclusive; None: open-ended).

A complaint's transfer checks its department through a `DepartmentDirectory` given to
the decision (`require_active_department`): unknown or inactive is 422. Where no
directory is given (a context without one, or an installation that keeps free-text
departments: docs/decisions.md) the code is taken as it is, as before issue 15.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Protocol, runtime_checkable
from uuid import UUID, uuid5

import msgspec
from eventsourcing.domain import Aggregate, event

from domain.commands import Code, Command, ShortText
from domain.errors import CaseNotFound, Forbidden, RuleViolated
from domain.values import Actor, Role

_ID_NAMESPACE = UUID("0b7f1d52-8c36-4a8e-9e0e-6f3f3d7a2c41")

# Who manages reference data.
ORGANISATION_ROLES = frozenset({Role.ADMIN})
# Codes a URL under /api/v1/departments already uses (api/dashboard.py's ranking).
RESERVED_CODES = frozenset({"ranking"})
MAX_PARENT_DEPTH = 16


def department_id(code: str) -> UUID:
    return uuid5(_ID_NAMESPACE, f"department|{code}")


def category_id(code: str) -> UUID:
    return uuid5(_ID_NAMESPACE, f"category|{code}")


def _check_period(active_from: date | None, active_until: date | None) -> None:
    if active_from is not None and active_until is not None and active_until < active_from:
        raise RuleViolated("active_until", "must not be before active_from")


class _Entry(Aggregate):
    """What a department and a category share: a code, a Chinese name, active days."""

    code: str
    name: str
    active_from: date | None
    active_until: date | None

    def active_on(self, day: date) -> bool:
        return (self.active_from is None or self.active_from <= day) and (
            self.active_until is None or day <= self.active_until
        )


class Department(_Entry):
    parent: str | None

    @staticmethod
    def create_id(code: str) -> UUID:
        return department_id(code)

    @event("Registered")
    def __init__(
        self,
        actor: Actor,
        timestamp: datetime,
        code: str,
        name: str,
        parent: str | None,
        active_from: date | None,
        active_until: date | None,
    ) -> None:
        self.code = code
        self.name = name
        self.parent = parent
        self.active_from = active_from
        self.active_until = active_until

    @event("Changed")
    def _on_changed(
        self,
        actor: Actor,
        timestamp: datetime,
        name: str,
        parent: str | None,
        active_from: date | None,
        active_until: date | None,
    ) -> None:
        self.name = name
        self.parent = parent
        self.active_from = active_from
        self.active_until = active_until


class Category(_Entry):
    @staticmethod
    def create_id(code: str) -> UUID:
        return category_id(code)

    @event("Registered")
    def __init__(
        self,
        actor: Actor,
        timestamp: datetime,
        code: str,
        name: str,
        active_from: date | None,
        active_until: date | None,
    ) -> None:
        self.code = code
        self.name = name
        self.active_from = active_from
        self.active_until = active_until

    @event("Changed")
    def _on_changed(
        self,
        actor: Actor,
        timestamp: datetime,
        name: str,
        active_from: date | None,
        active_until: date | None,
    ) -> None:
        self.name = name
        self.active_from = active_from
        self.active_until = active_until


# --- commands ----------------------------------------------------------------------------

Day = Annotated[date, msgspec.Meta(description="a day in the bureau's time zone, YYYY-MM-DD")]


class RegisterDepartment(Command):
    code: Code
    name: ShortText
    parent: Code | None = None
    active_from: Day | None = None
    active_until: Day | None = None

    def check(self) -> None:
        if self.code in RESERVED_CODES:
            raise ValueError(f"code: '{self.code}' is reserved (a URL under /departments)")
        if self.parent == self.code:
            raise ValueError("parent: a department cannot be its own parent")


class ChangeDepartment(Command):
    """A partial change: fields left out keep their value; null clears an optional one."""

    name: ShortText | msgspec.UnsetType = msgspec.UNSET
    parent: Code | msgspec.UnsetType | None = msgspec.UNSET
    active_from: Day | msgspec.UnsetType | None = msgspec.UNSET
    active_until: Day | msgspec.UnsetType | None = msgspec.UNSET


class RegisterCategory(Command):
    code: Code
    name: ShortText
    active_from: Day | None = None
    active_until: Day | None = None


class ChangeCategory(Command):
    name: ShortText | msgspec.UnsetType = msgspec.UNSET
    active_from: Day | msgspec.UnsetType | None = msgspec.UNSET
    active_until: Day | msgspec.UnsetType | None = msgspec.UNSET


def _kept[T](value: T | msgspec.UnsetType, current: T) -> T:
    return current if isinstance(value, msgspec.UnsetType) else value


# --- decisions -----------------------------------------------------------------------------

# Another aggregate by id (the application's `load`): CaseNotFound when there is none.
type Load = Callable[[UUID], Aggregate]


def _require_admin(actor: Actor, what: str) -> None:
    if actor.role not in ORGANISATION_ROLES:
        raise Forbidden(f"role {actor.role} may not {what}")


def find_department(load: Load, code: str) -> Department | None:
    try:
        found = load(department_id(code))
    except CaseNotFound:
        return None
    return found if isinstance(found, Department) else None


def find_category(load: Load, code: str) -> Category | None:
    try:
        found = load(category_id(code))
    except CaseNotFound:
        return None
    return found if isinstance(found, Category) else None


def _check_parent(load: Load, code: str, parent: str | None) -> None:
    """The parent is a registered department and the chain up from it never reaches `code`."""
    seen = {code}
    current = parent
    for _ in range(MAX_PARENT_DEPTH):
        if current is None:
            return
        if current in seen:
            raise RuleViolated("parent", f"'{parent}' would make a circle of parents")
        found = find_department(load, current)
        if found is None:
            raise RuleViolated("parent", f"no registered department '{current}'")
        seen.add(current)
        current = found.parent
    raise RuleViolated("parent", f"departments nest at most {MAX_PARENT_DEPTH} deep")


def register_department(
    load: Load, actor: Actor, at: datetime, c: RegisterDepartment
) -> Department:
    _require_admin(actor, "register a department")
    _check_period(c.active_from, c.active_until)
    if find_department(load, c.code) is not None:
        raise RuleViolated("code", f"department '{c.code}' is already registered")
    _check_parent(load, c.code, c.parent)
    return Department(actor, at, c.code, c.name, c.parent, c.active_from, c.active_until)


def change_department(
    load: Load, department: Department, actor: Actor, at: datetime, c: ChangeDepartment
) -> None:
    _require_admin(actor, "change a department")
    name = _kept(c.name, department.name)
    parent = _kept(c.parent, department.parent)
    active_from = _kept(c.active_from, department.active_from)
    active_until = _kept(c.active_until, department.active_until)
    _check_period(active_from, active_until)
    if parent != department.parent:
        _check_parent(load, department.code, parent)
    department._on_changed(actor, at, name, parent, active_from, active_until)


def register_category(load: Load, actor: Actor, at: datetime, c: RegisterCategory) -> Category:
    _require_admin(actor, "register a complaint category")
    _check_period(c.active_from, c.active_until)
    if find_category(load, c.code) is not None:
        raise RuleViolated("code", f"category '{c.code}' is already registered")
    return Category(actor, at, c.code, c.name, c.active_from, c.active_until)


def change_category(category: Category, actor: Actor, at: datetime, c: ChangeCategory) -> None:
    _require_admin(actor, "change a complaint category")
    active_from = _kept(c.active_from, category.active_from)
    active_until = _kept(c.active_until, category.active_until)
    _check_period(active_from, active_until)
    category._on_changed(actor, at, _kept(c.name, category.name), active_from, active_until)


# --- what a transfer checks ------------------------------------------------------------------


class DepartmentDirectory(Protocol):
    """The departments as a decision may read them (the store's, always current)."""

    def department(self, code: str) -> Department | None: ...


@runtime_checkable
class KnowsDepartments(Protocol):
    """A decision context that can name the departments (the Oversight application);
    None there: departments are free text (docs/decisions.md)."""

    departments: DepartmentDirectory | None


class StoredDepartments:
    """The directory on an application's `load`."""

    def __init__(self, load: Load) -> None:
        self._load = load

    def department(self, code: str) -> Department | None:
        return find_department(self._load, code)


def directory_of(context: object) -> DepartmentDirectory | None:
    return context.departments if isinstance(context, KnowsDepartments) else None


def require_active_department(
    directory: DepartmentDirectory | None, code: str, day: date, field: str = "department"
) -> None:
    """422 unless `code` names a department active on `day` (nothing checked without a
    directory)."""
    if directory is None:
        return
    department = directory.department(code)
    if department is None:
        raise RuleViolated(field, f"no registered department '{code}'")
    if not department.active_on(day):
        raise RuleViolated(field, f"department '{code}' is not active on {day.isoformat()}")


# --- a new installation's reference data, from a file (`oversight org load`) ------------------


class CategoryEntry(RegisterCategory):
    pass


class DepartmentEntry(RegisterDepartment):
    pass


class OrganisationFile(msgspec.Struct, forbid_unknown_fields=True):
    """`{"departments": [...], "categories": [...]}` (domain/data/organisation-demo.json);
    each entry as the API's register body. `about` is a free comment."""

    departments: list[DepartmentEntry] = []
    categories: list[CategoryEntry] = []
    about: str | None = None


class OrganisationFileError(ValueError):
    """The file cannot be loaded; the message says where and why."""


def parse_organisation_file(data: bytes) -> OrganisationFile:
    """Decode and check a whole file before anything is stored: each entry's rules, no
    code twice, no circle of parents (entries may come in any order:
    `departments_in_order` puts parents first)."""
    try:
        parsed = msgspec.json.decode(data, type=OrganisationFile)
    except (msgspec.DecodeError, msgspec.ValidationError) as e:
        raise OrganisationFileError(str(e)) from None
    for kind, codes in (
        ("department", [d.code for d in parsed.departments]),
        ("category", [c.code for c in parsed.categories]),
    ):
        seen: set[str] = set()
        for code in codes:
            if code in seen:
                raise OrganisationFileError(f"{kind} '{code}' is in the file twice")
            seen.add(code)
    for d in parsed.departments:
        _check_file_period(d.code, d.active_from, d.active_until)
    for c in parsed.categories:
        _check_file_period(c.code, c.active_from, c.active_until)
    departments_in_order(parsed.departments)
    return parsed


def _check_file_period(code: str, active_from: date | None, active_until: date | None) -> None:
    try:
        _check_period(active_from, active_until)
    except RuleViolated as e:
        raise OrganisationFileError(f"'{code}': {e}") from None


def departments_in_order(entries: list[DepartmentEntry]) -> list[DepartmentEntry]:
    """Parents before their children (a parent outside the file must be registered
    already: the register decision says so); a circle is an error."""
    in_file = {d.code: d for d in entries}
    ordered: list[DepartmentEntry] = []
    placed: set[str] = set()

    def place(d: DepartmentEntry, path: tuple[str, ...]) -> None:
        if d.code in placed:
            return
        if d.code in path:
            raise OrganisationFileError(f"departments {' -> '.join((*path, d.code))} circle")
        parent = in_file.get(d.parent) if d.parent else None
        if parent is not None:
            place(parent, (*path, d.code))
        placed.add(d.code)
        ordered.append(d)

    for d in entries:
        place(d, ())
    return ordered
