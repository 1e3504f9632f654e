"""China's unified social credit code (统一社会信用代码, GB 32100-2015).

Eighteen characters from ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I, O, S, V, Z); the
eighteenth is a check character over the first seventeen. Only the character set and the
check character are verified here, not the registration-authority, type or region codes.
Input must already be upper case: lowercase is rejected rather than silently folded.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CHARSET",
    "InvalidCreditCode",
    "check_character",
    "is_valid_credit_code",
    "validate_credit_code",
]

CHARSET: Final[str] = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS: Final[tuple[int, ...]] = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH: Final[int] = 18

_VALUE: Final[dict[str, int]] = {char: value for value, char in enumerate(CHARSET)}
_ALLOWED: Final[str] = "digits 0-9 and upper-case letters A-Y except I, O, S, V"


class InvalidCreditCode(ValueError):
    """The code breaks a rule of GB 32100-2015; the message says which."""


def _check_characters(text: str) -> None:
    for position, char in enumerate(text, start=1):
        if char in _VALUE:
            continue
        if char.upper() in _VALUE:
            raise InvalidCreditCode(
                f"character {char!r} at position {position} is lowercase; "
                f"credit codes are upper case ({char.upper()!r})"
            )
        raise InvalidCreditCode(
            f"character {char!r} not allowed at position {position} (allowed: {_ALLOWED})"
        )


def _check_value(first17: str) -> str:
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def check_character(first17: str) -> str:
    """The check character (position 18) for the first 17 characters of a code."""
    if len(first17) != LENGTH - 1:
        raise InvalidCreditCode(
            f"check_character needs the first {LENGTH - 1} characters, got {len(first17)}"
        )
    _check_characters(first17)
    return _check_value(first17)


def validate_credit_code(code: str) -> str:
    """Return ``code`` unchanged if valid, else raise :class:`InvalidCreditCode`."""
    if len(code) != LENGTH:
        raise InvalidCreditCode(f"a credit code has {LENGTH} characters, got {len(code)}")
    _check_characters(code)
    expected = _check_value(code[: LENGTH - 1])
    if code[-1] != expected:
        raise InvalidCreditCode(f"check character should be {expected!r}, got {code[-1]!r}")
    return code


def is_valid_credit_code(code: str) -> bool:
    try:
        validate_credit_code(code)
    except InvalidCreditCode:
        return False
    return True
