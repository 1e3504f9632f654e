"""What the API reads of the configuration, as plain data. The composition root
(oversight/runtime.py) builds it from the settings; the API never reads the
environment itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from api.identity_config import IdentityConfig
from ledger.config import LedgerConfig


class RateLimit(NamedTuple):
    """At most `count` requests per `seconds` (a fixed window opened by the first)."""

    count: int  # type: ignore[assignment]  # hides tuple.count, which nothing here calls
    seconds: float


# The rules a rate limit may name (api/ratelimit.py applies them): lodge: creating a
# case, per account; lodge_address: creating a case, per client address; anonymous: the
# token-less endpoints (health, docs, static files), per address.
RATE_LIMIT_RULES = ("lodge", "lodge_address", "anonymous")
HSTS_MODES = ("auto", "on", "off")


@dataclass(frozen=True)
class ApiConfig:
    ledger: LedgerConfig  # the ledger endpoints sign a head on demand
    min_position_wait_seconds: float = 5.0  # a list waits this long for X-Min-Position
    # Outages answer 503 quickly: seconds to get a connection (both pools).
    db_connect_timeout: float = 4.0
    view_stall_seconds: float = 30.0  # /readyz: a view behind without progress this long
    # Abuse controls (api/ratelimit.py, api/security_headers.py, api/auth.py).
    rate_limits: dict[str, RateLimit] = field(default_factory=dict)  # {}: none
    redis_url: str | None = None  # rate-limit counters shared by every process
    rate_limit_prefix: str = "oversight:ratelimit:"
    hsts: str = "auto"  # auto (when the request came over https), on, off
    max_token_hours: float = 24.0  # the longest exp - iat accepted
    build: str = "unknown"  # OVERSIGHT_BUILD: the build, e.g. a git commit (GET /api/v1/meta)
    # Accounts, sign-in, sessions and API keys (issue 15; api/identity_config.py).
    identity: IdentityConfig = field(default_factory=IdentityConfig)
