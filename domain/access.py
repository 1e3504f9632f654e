"""Who sees what: the roles that see every case of every type (inspectors read, clerks
and supervisors act), the roles that see only a case's public course, and the roles an
actor is named by its organisation for."""

from __future__ import annotations

from domain.values import Role

SEE_ALL = frozenset({Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR, Role.SYSTEM})

# Who sees only the public course of the cases it may read (domain/public_course.py):
# no internal notes, drafts, reminders, escalations, send-backs or staff user ids.
# Every other reader (the bureau's roles, departments, service officers, inspectors)
# sees every event.
PUBLIC_COURSE_ONLY = frozenset({Role.ENTERPRISE})

# In the public course an actor is shown by its role, and by its organisation when it
# acts for one the enterprise may know: a department, or an enterprise.
NAMED_BY_ORG = frozenset({Role.DEPARTMENT, Role.ENTERPRISE})
# ... and by its user id only when it is one of the enterprise's own users (an
# enterprise actor on a case an enterprise may read is that enterprise): staff never.
OWN_USERS = frozenset({Role.ENTERPRISE})
