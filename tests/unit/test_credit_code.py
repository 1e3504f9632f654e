"""Tests of the unified social credit code (GB 32100-2015)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.credit_code import (
    CHARSET,
    InvalidCreditCode,
    check_character,
    is_valid_credit_code,
    validate_credit_code,
)

# Codes published by real enterprises; each was checked against this implementation.
REAL_CODES = [
    "91350100M000100Y43",
    "911100001000044477",
    "914403001922038216",
    "9144030071526726XG",
    "91330100716105852F",
    "91110108551385082Q",
]

first17s = st.text(alphabet=CHARSET, min_size=17, max_size=17)


def test_charset_excludes_confusable_letters() -> None:
    assert len(CHARSET) == 31
    assert not set("IOSVZ") & set(CHARSET)


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code: str) -> None:
    assert is_valid_credit_code(code)
    assert validate_credit_code(code) == code
    assert check_character(code[:17]) == code[17]


def test_check_character_by_hand() -> None:
    assert check_character("91350100M000100Y4") == "3"
    assert check_character("00000000000000000") == "0"  # 31 - 0 = 31 -> 0
    assert check_character("10000000000000000") == "Y"  # 31 - 1 = 30 -> Y
    assert check_character("01000000000000000") == "W"  # 31 - 3 = 28 -> W


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "has 18 characters, got 0"),
        ("91350100M000100Y4", "has 18 characters, got 17"),
        ("91350100M000100Y433", "has 18 characters, got 19"),
        ("91350100I000100Y43", "character 'I' not allowed at position 9"),
        ("9135010OM000100Y43", "character 'O' not allowed at position 8"),
        ("91350100M000100Y4S", "character 'S' not allowed at position 18"),
        ("91350100M000100Y4 ", "character ' ' not allowed at position 18"),
        ("91350100m000100Y43", "'m' at position 9 is lowercase; credit codes are upper case"),
        ("9144030071526726Xg", "'g' at position 18 is lowercase"),
        ("91350100M000100Y44", "check character should be '3', got '4'"),
        ("9144030071526726GX", "check character should be"),
    ],
)
def test_invalid_codes_say_which_rule_failed(code: str, message: str) -> None:
    assert not is_valid_credit_code(code)
    with pytest.raises(InvalidCreditCode, match=message):
        validate_credit_code(code)


def test_invalid_credit_code_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        validate_credit_code("nonsense")


def test_check_character_rejects_bad_input() -> None:
    with pytest.raises(InvalidCreditCode, match="first 17 characters, got 18"):
        check_character("91350100M000100Y43")
    with pytest.raises(InvalidCreditCode, match="'Z' not allowed at position 1"):
        check_character("Z1350100M000100Y4")


@given(first17s)
def test_appending_the_check_character_gives_a_valid_code(first17: str) -> None:
    code = first17 + check_character(first17)
    assert is_valid_credit_code(code)
    assert validate_credit_code(code) == code


@given(first17s, st.integers(min_value=0, max_value=17), st.sampled_from(CHARSET))
def test_changing_one_character_is_detected(first17: str, position: int, other: str) -> None:
    code = first17 + check_character(first17)
    if code[position] == other:
        other = CHARSET[(CHARSET.index(other) + 1) % len(CHARSET)]
    changed = code[:position] + other + code[position + 1 :]
    assert changed != code
    assert not is_valid_credit_code(changed)
    with pytest.raises(InvalidCreditCode, match="check character should be"):
        validate_credit_code(changed)
