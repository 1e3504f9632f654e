"""The read side: views built from the event store by the projection runner.

`shared_views` are the views over every case type; the composition root
(oversight/runtime.py) adds each case type's list view (oversight/registry.py) and the
ledger's view (ledger/view.py) and hands the runner the whole list.
"""

from __future__ import annotations

from domain.calendar import WorkingCalendar
from projections.audit_trail import AuditTrail
from projections.case_facts import CaseFacts
from projections.identity import Identity
from projections.runner import Projection


def shared_views(calendar: WorkingCalendar | None = None) -> tuple[Projection, ...]:
    """The views over every case type: the audit trail and the facts the statistics
    count (`calendar` counts their working days; None: the shipped one,
    projections/case_facts.py). Each case type's list view is registered with the case
    type (oversight/registry.py)."""
    return (AuditTrail(), CaseFacts(calendar), Identity())  # Identity: accounts, departments
