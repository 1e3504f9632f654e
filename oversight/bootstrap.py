"""Builds the write-side application for a database URL (the composition root)."""

from __future__ import annotations

from domain.application import Oversight
from domain.sla import calendar_for, load_sla_policy
from ledger.guard import protect_event_store
from oversight.database import eventsourcing_env
from oversight.settings import Settings


def build_application(database_url: str, settings: Settings) -> Oversight:
    """The Oversight application on that database; creates the event store's tables
    if they are missing (idempotent)."""
    sla = load_sla_policy(settings.sla_file)
    calendar = calendar_for(sla, [settings.calendar_dir])
    env = {**eventsourcing_env(database_url), "CREATE_TABLE": "y"}
    return protect_event_store(Oversight(env, calendar=calendar, sla=sla))
