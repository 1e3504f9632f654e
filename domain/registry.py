"""Every case type the application knows (one per line: each type adds itself here)."""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from domain.account import Account
from domain.cases import AnyCaseType
from domain.commitment_case import COMMITMENT
from domain.complaint_case import COMPLAINT
from domain.credit_repair_case import CREDIT_REPAIR
from domain.organisation import Category, Department
from domain.project_case import PROBLEM, PROJECT
from domain.service_statistics import SERVICE_STATISTICS

ALL_CASE_TYPES: tuple[AnyCaseType, ...] = (
    COMPLAINT,
    COMMITMENT,
    CREDIT_REPAIR,
    PROJECT,
    PROBLEM,
    SERVICE_STATISTICS,
)

# The identity records (domain/identity.py), stored beside the cases and named like them
# in the audit trail (`account`, `department`, `category`).
IDENTITY_RECORDS: dict[type[Aggregate], str] = {
    Account: "account",
    Department: "department",
    Category: "category",
}
