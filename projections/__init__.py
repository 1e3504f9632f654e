"""The read side: views built from the event store by the projection runner.

Every projection the runner keeps (one per line: each view adds itself here).
"""

from projections.audit_trail import AuditTrail
from projections.case_facts import CaseFacts
from projections.commitment_register import CommitmentRegister
from projections.complaint_summary import ComplaintSummary
from projections.credit_repair_register import CreditRepairRegister
from projections.ledger import LEDGER
from projections.project_board import ProjectBoard

PROJECTIONS = (
    ComplaintSummary(),
    CommitmentRegister(),
    CreditRepairRegister(),
    ProjectBoard(),
    AuditTrail(),
    CaseFacts(),
    LEDGER,
)
