"""Roles that see every case of every type (inspectors read, clerks and supervisors act)."""

from __future__ import annotations

from domain.values import Role

SEE_ALL = frozenset({Role.CLERK, Role.SUPERVISOR, Role.INSPECTOR, Role.SYSTEM})
