"""Who may see which case. A case an actor may not see does not exist for them (404)."""

from __future__ import annotations

from domain.complaint import Complaint
from domain.values import Actor, Role

SEE_ALL = frozenset({Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR})


def can_see(actor: Actor, case: Complaint) -> bool:
    if actor.role in SEE_ALL:
        return True
    if actor.role is Role.ENTERPRISE:
        return actor.org is not None and actor.org == case.complainant.credit_code
    if actor.role is Role.DEPARTMENT:
        return actor.org is not None and actor.org in case.departments
    return False


def hides_complainant(actor: Actor, case: Complaint) -> bool:
    """A confidential case never shows who lodged it to a department."""
    return case.confidential and actor.role is Role.DEPARTMENT
