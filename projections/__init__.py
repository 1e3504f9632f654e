"""The read side: views built from the event store by the projection runner."""

from projections.audit_trail import AuditTrail
from projections.complaint_summary import ComplaintSummary

PROJECTIONS = (ComplaintSummary(), AuditTrail())
