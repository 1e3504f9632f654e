"""Tests of the SLA policy and its shipped file."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from domain.sla import (
    CASE_KINDS,
    SHIPPED_SLA_FILE,
    SlaPolicy,
    SlaPolicyError,
    calendar_for,
    load_sla_policy,
)

CST = timezone(timedelta(hours=8))
SHIPPED: dict[str, Any] = json.loads(SHIPPED_SLA_FILE.read_text(encoding="utf-8"))


def write(tmp_path: Path, content: dict[str, Any] | str) -> Path:
    path = tmp_path / "sla.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    return path


def test_shipped_policy_has_the_documented_values() -> None:
    policy = load_sla_policy()
    assert policy.acceptance_working_days == 1
    # issue 11 §2: the bureau's own steps and the enterprise's rating window
    assert policy.urgent_acceptance_working_days == 0
    assert (policy.transfer_working_days, policy.urgent_transfer_working_days) == (1, 0)
    assert policy.review_working_days == 2
    assert policy.rating_window_working_days == 5
    assert policy.handling_working_days == {"appeal": 5, "complaint": 10, "report": 15}
    assert policy.urgent_handling_working_days == 0
    assert policy.max_extension_working_days == 10
    assert policy.timezone == "Asia/Shanghai"
    assert policy.office_close_time == time(17, 30)
    assert policy == SlaPolicy()  # the file and the defaults agree


def test_acceptance_and_transfer_days_follow_urgency(tmp_path: Path) -> None:
    policy = load_sla_policy(
        write(tmp_path, {**SHIPPED, "acceptance_working_days": 2, "transfer_working_days": 3})
    )
    assert (policy.acceptance_days(urgent=False), policy.acceptance_days(urgent=True)) == (2, 0)
    assert (policy.transfer_days(urgent=False), policy.transfer_days(urgent=True)) == (3, 0)
    with pytest.raises(SlaPolicyError, match="review_working_days"):
        load_sla_policy(write(tmp_path, {**SHIPPED, "review_working_days": -1}))


def test_handling_days() -> None:
    policy = SlaPolicy()
    assert [policy.handling_days(kind, urgent=False) for kind in CASE_KINDS] == [5, 10, 15]
    assert [policy.handling_days(kind, urgent=True) for kind in CASE_KINDS] == [0, 0, 0]
    with pytest.raises(ValueError, match="unknown case kind 'petition'"):
        policy.handling_days("petition", urgent=False)


def test_custom_file(tmp_path: Path) -> None:
    content = {**SHIPPED, "handling_working_days": {"appeal": 3, "complaint": 7, "report": 9}}
    content["office_close"] = "18:00"
    policy = load_sla_policy(write(tmp_path, content))
    assert policy.handling_days("complaint", urgent=False) == 7
    assert policy.office_close_time == time(18, 0)


def test_missing_fields_take_defaults(tmp_path: Path) -> None:
    policy = load_sla_policy(write(tmp_path, {"max_extension_working_days": 5}))
    assert policy.max_extension_working_days == 5
    assert policy.handling_days("report", urgent=False) == 15


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"handling_working_days": {"appeal": 5, "complaint": 10}},
            "handling_working_days is missing kind\\(s\\): report",
        ),
        (
            {"handling_working_days": {"appeal": 5, "complaint": 10, "report": 1, "reprot": 2}},
            "unknown kind\\(s\\): reprot",
        ),
        (
            {"handling_working_days": {"appeal": 5, "complaint": -1, "report": 15}},
            "`int` >= 0 - at `\\$.handling_working_days\\[...\\]`.*complaint=-1",
        ),
        ({"acceptance_working_days": -1}, "`int` >= 0 - at `\\$.acceptance_working_days`"),
        ({"urgent_handling_working_days": -2}, "at `\\$.urgent_handling_working_days`"),
        ({"max_extension_working_days": "10"}, "Expected `int`, got `str`"),
        ({"acceptance_working_days": True}, "Expected `int`, got `bool`"),
        ({"office_close": "5:30 pm"}, "at `\\$.office_close`"),
        ({"office_close": "24:00"}, "at `\\$.office_close`"),
        ({"timezone": "Asia/Harbin-ish"}, "unknown timezone 'Asia/Harbin-ish'"),
        ({"handling_days": 5}, "unknown field `handling_days`"),
    ],
)
def test_bad_policy_file(tmp_path: Path, changes: dict[str, Any], message: str) -> None:
    path = write(tmp_path, {**SHIPPED, **changes})
    with pytest.raises(SlaPolicyError, match=message) as caught:
        load_sla_policy(path)
    assert str(path) in str(caught.value)


def test_unreadable_or_malformed_file(tmp_path: Path) -> None:
    with pytest.raises(SlaPolicyError, match="cannot read SLA policy"):
        load_sla_policy(tmp_path / "absent.json")
    with pytest.raises(SlaPolicyError, match="not valid JSON"):
        load_sla_policy(write(tmp_path, '{"acceptance_working_days": '))


def test_calendar_for_uses_policy_timezone_and_office_close(tmp_path: Path) -> None:
    policy = load_sla_policy(write(tmp_path, {**SHIPPED, "office_close": "18:00"}))
    cal = calendar_for(policy)
    lodged = datetime(2024, 9, 27, 10, 0, tzinfo=CST)  # Friday before National Day 2024
    # working days after 09-27: 09-29 (Sun, adjusted), 09-30, 10-08 .. 10-12 (Sat, adjusted),
    # 10-14, 10-15, 10-16
    due = cal.due_at(lodged, policy.handling_days("complaint", urgent=False))
    assert due == datetime(2024, 10, 16, 18, 0, tzinfo=CST)
    assert cal.due_at(lodged, policy.handling_days("complaint", urgent=True)) == datetime(
        2024, 9, 27, 18, 0, tzinfo=CST
    )
    assert cal.add_working_days(date(2024, 9, 27), policy.acceptance_working_days) == date(
        2024, 9, 29
    )


def test_calendar_for_passes_override_dirs(tmp_path: Path) -> None:
    test_data = {"year": 2030, "holidays": [], "workdays": [], "source": "TEST DATA"}
    (tmp_path / "2030.json").write_text(json.dumps(test_data), "utf-8")
    cal = calendar_for(SlaPolicy(), [tmp_path])
    assert cal.covered_by(2030) == f"file:{tmp_path / '2030.json'}"
