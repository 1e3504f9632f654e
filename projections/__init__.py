"""The read side: views built from the event store by the projection runner.

`read_views` lists every view of the cases (one per line: each view adds itself here);
the composition root (oversight/runtime.py) adds the ledger's view (ledger/view.py) and
hands the runner the whole list.
"""

from __future__ import annotations

from domain.calendar import WorkingCalendar
from projections.audit_trail import AuditTrail
from projections.case_facts import CaseFacts
from projections.commitment_register import CommitmentRegister
from projections.complaint_summary import ComplaintSummary
from projections.credit_repair_register import CreditRepairRegister
from projections.project_board import ProjectBoard
from projections.runner import Projection


def read_views(calendar: WorkingCalendar | None = None) -> tuple[Projection, ...]:
    """The views of the cases; `calendar` counts the working days of the statistics
    (None: the shipped one, projections/case_facts.py)."""
    return (
        ComplaintSummary(),
        CommitmentRegister(),
        CreditRepairRegister(),
        ProjectBoard(),
        AuditTrail(),
        CaseFacts(calendar),
    )
