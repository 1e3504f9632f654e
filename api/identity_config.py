"""The identity settings (issue 15), as plain data read once from the environment.

oversight/settings.py reads them with `IdentityConfig.from_env` and hands them to the
API inside `ApiConfig.identity`; the composition root reads `departments`.
docs/decisions.md "Accounts and sign-in" says why each default is what it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.values import Role

# The JWTs the sign-in issues name us and their audience; a token that carries
# either claim must carry ours (api/auth.py).
ISSUER = "oversight"
AUDIENCE = "oversight-api"
DEPARTMENT_MODES = ("registered", "free")
SECURE_COOKIE_MODES = ("auto", "on", "off")


def _number(env: Mapping[str, str], name: str, default: float, *, whole: bool = False) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        raise SystemExit(f"{name} must be a {'whole ' if whole else ''}number") from None
    if not value > 0 or value == float("inf"):
        raise SystemExit(f"{name} must be more than 0")
    return value


def _roles(env: Mapping[str, str], name: str, default: str) -> frozenset[Role]:
    text = env.get(name, default).strip().lower()
    if text in {"", "off", "none"}:
        return frozenset()
    roles = set()
    for part in text.split(","):
        try:
            roles.add(Role(part.strip()))
        except ValueError:
            raise SystemExit(
                f"{name}: unknown role {part.strip()!r} (one of {', '.join(Role)})"
            ) from None
    return frozenset(roles)


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name, default).strip().lower() or default
    if value not in allowed:
        raise SystemExit(f"{name} must be one of {', '.join(allowed)}")
    return value


@dataclass(frozen=True)
class IdentityConfig:
    access_token_seconds: int = 300  # OVERSIGHT_ACCESS_TOKEN_SECONDS
    refresh_token_days: float = 14.0  # OVERSIGHT_REFRESH_TOKEN_DAYS (absolute, per family)
    session_idle_minutes: float = 30.0  # OVERSIGHT_SESSION_IDLE_MINUTES (sliding)
    session_hours: float = 12.0  # OVERSIGHT_SESSION_HOURS (absolute)
    # OVERSIGHT_TOTP_REQUIRED: roles that must sign in with a second factor ("off": none).
    totp_required: frozenset[Role] = field(default_factory=frozenset)
    max_failures: int = 5  # OVERSIGHT_SIGN_IN_MAX_FAILURES within ...
    failure_window_minutes: float = 15.0  # OVERSIGHT_SIGN_IN_WINDOW_MINUTES, lock for ...
    lock_minutes: float = 15.0  # OVERSIGHT_SIGN_IN_LOCK_MINUTES
    # OVERSIGHT_DEPARTMENTS: "registered" (a transfer names a registered, active
    # department) or "free" (any code, as before issue 15).
    departments: str = "registered"
    # OVERSIGHT_SECURE_COOKIES: auto (Secure when the request came over https), on, off.
    secure_cookies: str = "auto"
    dev_tokens: bool = False  # OVERSIGHT_DEV_TOKENS=1: `oversight token` may mint tokens

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> IdentityConfig:
        return cls(
            access_token_seconds=int(
                _number(env, "OVERSIGHT_ACCESS_TOKEN_SECONDS", 300, whole=True)
            ),
            refresh_token_days=_number(env, "OVERSIGHT_REFRESH_TOKEN_DAYS", 14),
            session_idle_minutes=_number(env, "OVERSIGHT_SESSION_IDLE_MINUTES", 30),
            session_hours=_number(env, "OVERSIGHT_SESSION_HOURS", 12),
            totp_required=_roles(env, "OVERSIGHT_TOTP_REQUIRED", "off"),
            max_failures=int(_number(env, "OVERSIGHT_SIGN_IN_MAX_FAILURES", 5, whole=True)),
            failure_window_minutes=_number(env, "OVERSIGHT_SIGN_IN_WINDOW_MINUTES", 15),
            lock_minutes=_number(env, "OVERSIGHT_SIGN_IN_LOCK_MINUTES", 15),
            departments=_choice(env, "OVERSIGHT_DEPARTMENTS", "registered", DEPARTMENT_MODES),
            secure_cookies=_choice(env, "OVERSIGHT_SECURE_COOKIES", "auto", SECURE_COOKIE_MODES),
            dev_tokens=env.get("OVERSIGHT_DEV_TOKENS", "").strip().lower() in {"1", "yes", "on"},
        )
