"""The case types the service runs, one line each: the domain's case type with the view
that lists it (projections/) and the router that serves it (api/).

Adding a case type is its domain module, its view, its API module and one line here
(docs/adding-a-case-type.md); the composition root (oversight/runtime.py) hands the
views to the projection runner and the routers to the API. The domain's own list,
`domain.registry.ALL_CASE_TYPES`, is derived from nothing above it: the case types
named here must be exactly those (tests/unit/test_registry.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from litestar import Router

from api import commitments, complaints, credit_repairs, projects, service_statistics
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


@dataclass(frozen=True)
class Registered:
    case_type: AnyCaseType
    # Its list view; None when another type's view lists it or it has none.
    view: Callable[[], Projection] | None = None
    # Its API module's router; None when another type's router serves it.
    router: Router | None = None


CASE_TYPES: tuple[Registered, ...] = (
    Registered(COMPLAINT, ComplaintSummary, complaints.router),
    Registered(COMMITMENT, CommitmentRegister, commitments.router),
    Registered(CREDIT_REPAIR, CreditRepairRegister, credit_repairs.router),
    # The project board lists projects with their problems.
    Registered(PROJECT, ProjectBoard, projects.projects_router),
    Registered(PROBLEM, router=projects.problems_router),
    # Figures a supervisor records; no list view (the dashboard reads them).
    Registered(SERVICE_STATISTICS, router=service_statistics.router),
)


def case_views() -> tuple[Projection, ...]:
    """A fresh instance of every case type's list view."""
    return tuple(r.view() for r in CASE_TYPES if r.view is not None)


def case_routers() -> tuple[Router, ...]:
    return tuple(r.router for r in CASE_TYPES if r.router is not None)
