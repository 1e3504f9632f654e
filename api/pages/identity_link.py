"""What the pages read of the accounts (issue 15): the signed-in enterprise's name and
phone, which a complaint carries as its complainant. The lodging form does not ask for
them again: they are what the enterprise registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from litestar.exceptions import PermissionDeniedException

from api.cases import in_thread
from api.services import Services
from domain.identity import Identity
from domain.values import Actor


@dataclass(frozen=True)
class EnterpriseProfile:
    name: str
    phone: str | None


def _profile(services: Services, login: str) -> EnterpriseProfile | None:
    account = Identity(services.app).account(login)
    if account is None:
        return None
    return EnterpriseProfile(name=account.name, phone=account.phone)


async def enterprise(services: Services, actor: Actor) -> EnterpriseProfile:
    """The registered enterprise `actor` signs in for (403 without a registration:
    a development token of `oversight token` names no account)."""
    found = await in_thread(partial(_profile, services, actor.id))
    if found is None:
        raise PermissionDeniedException("no registered enterprise account for this user")
    return found
