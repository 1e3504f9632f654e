"""The case types the service runs, one line each: the domain's case type with the view
that lists it (projections/) and the router that serves it (api/).

Adding a case type is its domain module, its view, its API module and one line here
(docs/adding-a-case-type.md); the composition root (oversight/runtime.py) hands the
views to the projection runner and the routers to the API. The domain's own list,
`domain.registry.ALL_CASE_TYPES`, is derived from nothing above it: the case types
named here must be exactly those (tests/unit/test_registry.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.cases import AnyCaseType
from domain.commitment_case import COMMITMENT
from domain.complaint_case import COMPLAINT
from domain.credit_repair_case import CREDIT_REPAIR
from domain.project_case import PROBLEM, PROJECT
from domain.service_statistics import SERVICE_STATISTICS
from projections.commitment_register import CommitmentRegister
from projections.complaint_summary import ComplaintSummary
from projections.credit_repair_register import CreditRepairRegister
from projections.project_board import ProjectBoard
from projections.runner import Projection

if TYPE_CHECKING:
    from litestar import Router


@dataclass(frozen=True)
class Registered:
    case_type: AnyCaseType
    # Its list view; None when another type's view lists it or it has none.
    view: Callable[[], Projection] | None = None
    # Its API module's router as `module:name`, imported only by the API (`case_routers`):
    # `oversight rebuild` and its workers need the views alone, and importing the API
    # (Litestar and every handler) cost each of them about 20 MiB (docs/performance.md).
    # None when another type's router serves it.
    router: str | None = None


CASE_TYPES: tuple[Registered, ...] = (
    Registered(COMPLAINT, ComplaintSummary, "api.complaints:router"),
    Registered(COMMITMENT, CommitmentRegister, "api.commitments:router"),
    Registered(CREDIT_REPAIR, CreditRepairRegister, "api.credit_repairs:router"),
    # The project board lists projects with their problems.
    Registered(PROJECT, ProjectBoard, "api.projects:projects_router"),
    Registered(PROBLEM, router="api.projects:problems_router"),
    # Figures a supervisor records; no list view (the dashboard reads them).
    Registered(SERVICE_STATISTICS, router="api.service_statistics:router"),
)


def case_views() -> tuple[Projection, ...]:
    """A fresh instance of every case type's list view."""
    return tuple(r.view() for r in CASE_TYPES if r.view is not None)


def case_routers() -> tuple[Router, ...]:
    """Every case type's router, imported now."""
    routers = []
    for registered in CASE_TYPES:
        if registered.router is not None:
            module, name = registered.router.split(":")
            routers.append(getattr(importlib.import_module(module), name))
    return tuple(routers)
