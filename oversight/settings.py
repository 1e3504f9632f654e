"""Settings: plain data, read once from the environment at start-up. Reading them
writes nothing; the secrets an embedded development server needs (the JWT secret, the
ledger key) are made by an explicit step, oversight/runtime.py `prepare_secrets`."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from api.config import HSTS_MODES, RATE_LIMIT_RULES, ApiConfig, RateLimit
from api.identity_config import IdentityConfig
from ledger.config import LedgerConfig

__all__ = ["DEFAULT_RATE_LIMITS", "RateLimit", "Settings", "parse_rate_limits"]

_UNITS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
# A public intake is limited unless an operator says otherwise (`off` turns limits off,
# as the tests and the benchmarks do: they lodge thousands of cases from one address).
DEFAULT_RATE_LIMITS = "lodge=30/minute,lodge_address=300/minute,anonymous=600/minute"


def parse_rate_limits(text: str) -> dict[str, RateLimit]:
    """`lodge=30/minute,anonymous=120/minute` -> {"lodge": RateLimit(30, 60.0), ...}.
    Empty or `off`: no limits. A malformed value stops the start-up (SystemExit)."""
    text = text.strip()
    if text.lower() in {"", "off", "none"}:
        return {}
    limits: dict[str, RateLimit] = {}
    for part in text.split(","):
        name, _, value = part.strip().partition("=")
        count, _, unit = value.strip().partition("/")
        name, unit = name.strip(), unit.strip().lower()
        if name not in RATE_LIMIT_RULES:
            raise SystemExit(
                f"OVERSIGHT_RATE_LIMITS: unknown rule {name!r}"
                f" (one of {', '.join(RATE_LIMIT_RULES)})"
            )
        if not re.fullmatch(r"[0-9]{1,9}", count.strip()) or int(count) < 1:
            raise SystemExit(f"OVERSIGHT_RATE_LIMITS: {name} needs a whole number of at least 1")
        if unit.removesuffix("s") not in _UNITS:
            raise SystemExit(
                f"OVERSIGHT_RATE_LIMITS: {name}: the unit must be one of {', '.join(_UNITS)}"
            )
        if name in limits:
            raise SystemExit(f"OVERSIGHT_RATE_LIMITS: {name} is given twice")
        limits[name] = RateLimit(int(count), _UNITS[unit.removesuffix("s")])
    return limits


def _choice(variable: str, value: str, allowed: Sequence[str]) -> str:
    if value.strip().lower() not in allowed:
        raise SystemExit(f"{variable} must be one of {', '.join(allowed)}")
    return value.strip().lower()


def _positive(variable: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not number > 0 or number == float("inf"):
        raise SystemExit(f"{variable} must be a positive number of hours")
    return number


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    var_dir: Path
    jwt_secret: str | None
    calendar_dir: Path
    sla_file: Path | None
    log_format: str | None  # "json", "console", or None: json unless a terminal is attached
    min_position_wait_seconds: float = 5.0
    projection_poll_seconds: float = 1.0
    watch_seconds: float = 60.0
    # Outages answer 503 quickly (oversight/database.py): OVERSIGHT_DB_CONNECT_TIMEOUT,
    # OVERSIGHT_DB_STATEMENT_TIMEOUT (0: none); /readyz calls a view stalled when it has
    # been behind without progress this long (OVERSIGHT_VIEW_STALL_SECONDS).
    db_connect_timeout: float = 4.0
    db_statement_timeout: float = 3.0
    view_stall_seconds: float = 30.0
    group_commit: bool = True
    ledger_key: Path | None = None  # OVERSIGHT_LEDGER_KEY; None: var/ledger-ed25519.key
    ledger_head_events: int = 1000
    ledger_head_seconds: float = 60.0
    # OVERSIGHT_LEDGER_HEADS_LOG: where signed heads are also appended (ledger/published.py);
    # None: var/ledger-heads.jsonl; "off" turns it off.
    ledger_heads_log: str | None = None
    # Abuse controls (api/ratelimit.py, api/security_headers.py, api/auth.py):
    # OVERSIGHT_RATE_LIMITS parsed by `parse_rate_limits` (default: DEFAULT_RATE_LIMITS).
    rate_limits: dict[str, RateLimit] = field(default_factory=dict)
    redis_url: str | None = None  # REDIS_URL: rate-limit counters shared by every process
    rate_limit_prefix: str = "oversight:ratelimit:"  # OVERSIGHT_RATE_LIMIT_PREFIX
    hsts: str = "auto"  # OVERSIGHT_HSTS: auto (when the request came over https), on, off
    max_token_hours: float = 24.0  # OVERSIGHT_MAX_TOKEN_HOURS: longest exp - iat accepted
    build: str = "unknown"  # OVERSIGHT_BUILD: the build (e.g. a git commit) /api/v1/meta names
    # Accounts, sign-in, sessions, API keys, department checks (api/identity_config.py).
    identity: IdentityConfig = field(default_factory=IdentityConfig)
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        var_dir = Path(env.get("OVERSIGHT_VAR_DIR", "var")).absolute()
        sla = env.get("OVERSIGHT_SLA_FILE")
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            var_dir=var_dir,
            jwt_secret=env.get("OVERSIGHT_JWT_SECRET") or None,
            calendar_dir=Path(env.get("OVERSIGHT_CALENDAR_DIR", str(var_dir / "calendar"))),
            sla_file=Path(sla) if sla else None,
            log_format=env.get("OVERSIGHT_LOG_FORMAT") or None,
            min_position_wait_seconds=float(env.get("OVERSIGHT_MIN_POSITION_WAIT", "5")),
            projection_poll_seconds=float(env.get("OVERSIGHT_PROJECTION_POLL", "1")),
            watch_seconds=float(env.get("OVERSIGHT_WATCH_SECONDS", "60")),
            db_connect_timeout=float(env.get("OVERSIGHT_DB_CONNECT_TIMEOUT", "4")),
            db_statement_timeout=float(env.get("OVERSIGHT_DB_STATEMENT_TIMEOUT", "3")),
            view_stall_seconds=float(env.get("OVERSIGHT_VIEW_STALL_SECONDS", "30")),
            ledger_key=Path(key) if (key := env.get("OVERSIGHT_LEDGER_KEY")) else None,
            ledger_head_events=int(env.get("OVERSIGHT_LEDGER_HEAD_EVENTS", "1000")),
            ledger_head_seconds=float(env.get("OVERSIGHT_LEDGER_HEAD_SECONDS", "60")),
            ledger_heads_log=env.get("OVERSIGHT_LEDGER_HEADS_LOG") or None,
            group_commit=env.get("OVERSIGHT_GROUP_COMMIT", "on").lower() not in {"0", "off", "no"},
            rate_limits=parse_rate_limits(env.get("OVERSIGHT_RATE_LIMITS", DEFAULT_RATE_LIMITS)),
            redis_url=env.get("REDIS_URL") or None,
            rate_limit_prefix=env.get("OVERSIGHT_RATE_LIMIT_PREFIX") or "oversight:ratelimit:",
            hsts=_choice("OVERSIGHT_HSTS", env.get("OVERSIGHT_HSTS", "auto"), HSTS_MODES),
            max_token_hours=_positive(
                "OVERSIGHT_MAX_TOKEN_HOURS", env.get("OVERSIGHT_MAX_TOKEN_HOURS", "24")
            ),
            build=env.get("OVERSIGHT_BUILD", "").strip() or "unknown",
            identity=IdentityConfig.from_env(env),
        )

    @property
    def embedded(self) -> bool:
        """No DATABASE_URL: the embedded development PostgreSQL in var/."""
        return self.database_url is None

    @property
    def ledger_key_path(self) -> Path:
        return self.ledger_key or self.var_dir / "ledger-ed25519.key"

    @property
    def jwt_secret_path(self) -> Path:
        """Where the embedded mode keeps its generated JWT secret."""
        return self.var_dir / "jwt-secret"

    @property
    def ledger(self) -> LedgerConfig:
        """The ledger signer's part of the settings."""
        return LedgerConfig(
            key_path=self.ledger_key_path,
            var_dir=self.var_dir,
            key_configured=self.ledger_key is not None,
            head_events=self.ledger_head_events,
            head_seconds=self.ledger_head_seconds,
            heads_log=self.ledger_heads_log,
            poll_seconds=self.projection_poll_seconds,
        )

    @property
    def api(self) -> ApiConfig:
        """The API's part of the settings."""
        return ApiConfig(
            ledger=self.ledger,
            min_position_wait_seconds=self.min_position_wait_seconds,
            db_connect_timeout=self.db_connect_timeout,
            view_stall_seconds=self.view_stall_seconds,
            rate_limits=self.rate_limits,
            redis_url=self.redis_url,
            rate_limit_prefix=self.rate_limit_prefix,
            hsts=self.hsts,
            max_token_hours=self.max_token_hours,
            build=self.build,
            identity=self.identity,
        )
