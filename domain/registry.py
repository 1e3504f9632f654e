"""Every case type the application knows (one per line: each type adds itself here)."""

from __future__ import annotations

from domain.cases import AnyCaseType
from domain.commitment_case import COMMITMENT
from domain.complaint_case import COMPLAINT
from domain.credit_repair_case import CREDIT_REPAIR
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
