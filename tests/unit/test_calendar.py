"""Tests of the Chinese working-day calendar.

Library-backed expectations are the official schedules as chinese_calendar 1.11 records
them (checked against the library, not assumed). Every year file written here is made-up
TEST DATA, not an official schedule.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

import domain.calendar as calendar_module
from domain.calendar import (
    CalendarFileError,
    WorkingCalendar,
    YearSchedule,
    install_year_file,
    load_year_file,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CST = timezone(timedelta(hours=8))
TEST_SOURCE = "TEST DATA - made up for unit tests, not an official schedule"

# A made-up 2030 schedule (TEST DATA): 2030-10-01 is a Tuesday, 2030-09-29 a Sunday.
FAKE_2030: dict[str, Any] = {
    "year": 2030,
    "holidays": [f"2030-10-0{d}" for d in range(1, 8)],
    "workdays": ["2030-09-29"],
    "source": TEST_SOURCE,
}


# Shared by the hypothesis tests (per-year tables are built once, like in production).
WORKING_CALENDAR = WorkingCalendar()


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def at(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=CST)


def write_year(directory: Path, content: dict[str, Any] | str, name: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    if isinstance(content, dict):
        name = name or f"{content['year']}.json"
        text = json.dumps(content)
    else:
        assert name is not None
        text = content
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar()


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> set[int]:
    """Forget which years this process has already warned about."""
    warned: set[int] = set()
    monkeypatch.setattr(calendar_module, "_WARNED_YEARS", warned)
    return warned


# --- real schedules, through chinese_calendar -------------------------------------------


def test_spring_festival_2024(cal: WorkingCalendar) -> None:
    assert cal.covered_by(2024) == "chinese_calendar"
    for day in days(date(2024, 2, 10), date(2024, 2, 17)):
        assert not cal.is_working_day(day), day
    assert cal.is_working_day(date(2024, 2, 4))  # Sunday, adjusted workday
    assert cal.is_working_day(date(2024, 2, 18))  # Sunday, adjusted workday
    assert cal.is_working_day(date(2024, 2, 9))  # Friday before the block
    assert not cal.is_working_day(date(2024, 2, 3))  # ordinary Saturday


def test_national_day_2024(cal: WorkingCalendar) -> None:
    for day in days(date(2024, 10, 1), date(2024, 10, 7)):
        assert not cal.is_working_day(day), day
    assert cal.is_working_day(date(2024, 9, 29))  # Sunday, adjusted
    assert cal.is_working_day(date(2024, 10, 12))  # Saturday, adjusted
    assert not cal.is_working_day(date(2024, 10, 13))  # ordinary Sunday


def test_national_day_2025(cal: WorkingCalendar) -> None:
    # chinese_calendar 1.11: 2025-10-01..08 off (National Day + Mid-Autumn),
    # 2025-09-28 (Sunday) and 2025-10-11 (Saturday) working.
    for day in days(date(2025, 10, 1), date(2025, 10, 8)):
        assert not cal.is_working_day(day), day
    assert cal.is_working_day(date(2025, 9, 28))
    assert cal.is_working_day(date(2025, 10, 11))
    assert cal.is_working_day(date(2025, 10, 9))


def test_spring_festival_2026(cal: WorkingCalendar) -> None:
    # chinese_calendar 1.11: 2026-02-15..23 off, 2026-02-14 and 2026-02-28 (Saturdays) working.
    assert cal.covered_by(2026) == "chinese_calendar"
    for day in days(date(2026, 2, 15), date(2026, 2, 23)):
        assert not cal.is_working_day(day), day
    assert cal.is_working_day(date(2026, 2, 14))
    assert cal.is_working_day(date(2026, 2, 28))
    assert cal.is_working_day(date(2026, 2, 24))


def test_due_at_over_spring_festival(cal: WorkingCalendar) -> None:
    lodged = datetime(2024, 2, 9, 10, 0, tzinfo=CST)  # Friday before the holiday
    due = cal.due_at(lodged, 1)
    assert due == datetime(2024, 2, 18, 17, 30, tzinfo=CST)
    assert due.tzinfo == SHANGHAI
    assert cal.due_at(lodged, 0) == datetime(2024, 2, 9, 17, 30, tzinfo=CST)
    assert cal.due_at(lodged, 2) == datetime(2024, 2, 19, 17, 30, tzinfo=CST)


def test_due_at_lodged_during_a_holiday(cal: WorkingCalendar) -> None:
    lodged = datetime(2024, 2, 12, 9, 0, tzinfo=CST)  # Monday inside the block
    # n >= 1 counts working days strictly after the day lodged, so a case lodged on a day
    # off gets the same deadline for 0 and 1: the end of the first working day.
    assert cal.due_at(lodged, 0) == datetime(2024, 2, 18, 17, 30, tzinfo=CST)
    assert cal.due_at(lodged, 1) == datetime(2024, 2, 18, 17, 30, tzinfo=CST)
    assert cal.due_at(lodged, 2) == datetime(2024, 2, 19, 17, 30, tzinfo=CST)


def test_due_at_reaches_an_adjusted_saturday(cal: WorkingCalendar) -> None:
    # Working days after Mon 2024-09-30: Oct 8, 9, 10, 11, 12 (Saturday, adjusted).
    lodged = datetime(2024, 9, 30, 9, 0, tzinfo=CST)
    assert cal.due_at(lodged, 5) == datetime(2024, 10, 12, 17, 30, tzinfo=CST)


def test_due_at_uses_the_local_date_not_the_utc_date(cal: WorkingCalendar) -> None:
    # 2024-02-08 17:00 UTC is Friday 2024-02-09 01:00 in Shanghai.
    lodged = datetime(2024, 2, 8, 17, 0, tzinfo=UTC)
    assert cal.due_at(lodged, 1) == datetime(2024, 2, 18, 17, 30, tzinfo=CST)


def test_due_at_rejects_naive_start(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.due_at(datetime(2024, 2, 9, 10, 0), 1)


def test_due_at_honours_timezone_and_office_close() -> None:
    cal = WorkingCalendar(timezone="UTC", office_close=time(18, 0))
    # 2024-02-09 20:00 Shanghai is 12:00 UTC the same Friday.
    due = cal.due_at(datetime(2024, 2, 9, 20, 0, tzinfo=CST), 0)
    assert due == datetime(2024, 2, 9, 18, 0, tzinfo=UTC)
    assert due.utcoffset() == timedelta(0)


def test_constructor_rejects_bad_timezone_and_aware_office_close() -> None:
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus'"):
        WorkingCalendar(timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="naive"):
        WorkingCalendar(office_close=time(17, 30, tzinfo=UTC))


def test_add_working_days(cal: WorkingCalendar) -> None:
    assert cal.add_working_days(date(2024, 2, 9), 0) == date(2024, 2, 9)
    assert cal.add_working_days(date(2024, 2, 10), 0) == date(2024, 2, 18)
    assert cal.add_working_days(date(2024, 2, 9), 1) == date(2024, 2, 18)
    # across New Year 2026: 12-31, then 01-01..03 off, 01-04 Sunday adjusted, 01-05
    assert cal.add_working_days(date(2025, 12, 30), 3) == date(2026, 1, 5)
    with pytest.raises(ValueError, match=">= 0"):
        cal.add_working_days(date(2024, 2, 9), -1)


def test_working_day_on_or_after(cal: WorkingCalendar) -> None:
    assert cal.working_day_on_or_after(date(2024, 10, 1)) == date(2024, 10, 8)
    assert cal.working_day_on_or_after(date(2024, 10, 8)) == date(2024, 10, 8)


def test_working_days_between(cal: WorkingCalendar) -> None:
    # half of Friday 02-09 plus half of adjusted Sunday 02-18, holiday in between is free
    assert cal.working_days_between(at(2024, 2, 9, 12), at(2024, 2, 18, 12)) == 1.0
    # same working day, 09:00-15:00 = 6h of 24h
    assert cal.working_days_between(at(2024, 2, 8, 9), at(2024, 2, 8, 15)) == 0.25
    # inside the holiday: nothing elapses
    assert cal.working_days_between(at(2024, 2, 12, 9), at(2024, 2, 14, 15)) == 0.0
    # a normal week, Monday 00:00 to next Monday 00:00
    assert cal.working_days_between(at(2024, 3, 4), at(2024, 3, 11)) == 5.0
    # reversed order is negative
    assert cal.working_days_between(at(2024, 3, 11), at(2024, 3, 4)) == -5.0
    # inputs in another zone are measured on the Shanghai wall clock
    start_utc = datetime(2024, 2, 9, 4, 0, tzinfo=UTC)  # 12:00 Shanghai
    assert cal.working_days_between(start_utc, at(2024, 2, 18, 12)) == 1.0
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        cal.working_days_between(at(2024, 2, 9), datetime(2024, 2, 10))


def test_answers_are_cached_per_year(cal: WorkingCalendar, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cal.is_working_day(date(2024, 2, 18))

    def boom(day: date) -> bool:
        raise AssertionError(f"library asked again for {day}")

    monkeypatch.setattr(chinese_calendar, "is_workday", boom)
    assert cal.is_working_day(date(2024, 2, 18))
    assert not cal.is_working_day(date(2024, 10, 1))


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 12, 31)))
def test_agrees_with_chinese_calendar(day: date) -> None:
    assert WORKING_CALENDAR.is_working_day(day) == chinese_calendar.is_workday(day)


@settings(max_examples=200, deadline=None)
@given(
    st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 10, 31)),
    st.integers(min_value=0, max_value=40),
)
def test_add_working_days_counts_library_workdays(day: date, n: int) -> None:
    result = WORKING_CALENDAR.add_working_days(day, n)
    assert chinese_calendar.is_workday(result)
    if n == 0:
        assert result >= day
        assert not any(chinese_calendar.is_workday(d) for d in days(day, result)[:-1])
    else:
        assert result > day
        between = days(day + timedelta(days=1), result)
        assert sum(chinese_calendar.is_workday(d) for d in between) == n


@settings(max_examples=200, deadline=None)
@given(
    st.dates(min_value=date(2004, 1, 1), max_value=date(2025, 12, 31)),
    st.integers(min_value=0, max_value=800),
)
def test_whole_days_between_count_library_workdays(day: date, span: int) -> None:
    end = min(day + timedelta(days=span), date(2026, 12, 31))
    start_at = datetime.combine(day, time(0), tzinfo=SHANGHAI)
    end_at = datetime.combine(end, time(0), tzinfo=SHANGHAI)
    expected = sum(chinese_calendar.is_workday(d) for d in days(day, end)[:-1]) if end > day else 0
    assert WORKING_CALENDAR.working_days_between(start_at, end_at) == expected


# --- year files ------------------------------------------------------------------------


def test_year_file_covers_an_uncovered_year(tmp_path: Path) -> None:
    path = write_year(tmp_path / "admin", FAKE_2030)
    cal = WorkingCalendar([tmp_path / "admin"])
    assert cal.covered_by(2030) == f"file:{path}"
    for day in days(date(2030, 10, 1), date(2030, 10, 7)):
        assert not cal.is_working_day(day), day
    assert cal.is_working_day(date(2030, 9, 29))  # listed Sunday workday
    assert cal.is_working_day(date(2030, 3, 5))  # unlisted Tuesday: normal day
    assert not cal.is_working_day(date(2030, 3, 9))  # unlisted Saturday: normal day off
    lodged = datetime(2030, 9, 30, 10, 0, tzinfo=CST)  # Monday
    assert cal.due_at(lodged, 1) == datetime(2030, 10, 8, 17, 30, tzinfo=CST)


def test_year_file_overrides_chinese_calendar(tmp_path: Path) -> None:
    override = {"year": 2024, "holidays": ["2024-03-04"], "workdays": [], "source": TEST_SOURCE}
    path = write_year(tmp_path, override)
    cal = WorkingCalendar([tmp_path])
    assert cal.covered_by(2024) == f"file:{path}"
    assert not cal.is_working_day(date(2024, 3, 4))  # Monday made a holiday by the file
    # the file covers the whole year: the library's Spring Festival no longer applies
    assert cal.is_working_day(date(2024, 2, 12))
    assert not cal.is_working_day(date(2024, 2, 18))
    assert cal.covered_by(2025) == "chinese_calendar"


def test_later_directory_wins(tmp_path: Path) -> None:
    first = write_year(tmp_path / "a", FAKE_2030)
    second = write_year(
        tmp_path / "b",
        {"year": 2030, "holidays": ["2030-03-05"], "workdays": [], "source": TEST_SOURCE},
    )
    cal = WorkingCalendar([tmp_path / "a", tmp_path / "b"])
    assert cal.covered_by(2030) == f"file:{second}"
    assert not cal.is_working_day(date(2030, 3, 5))
    assert cal.is_working_day(date(2030, 10, 1))

    reversed_cal = WorkingCalendar([tmp_path / "b", tmp_path / "a"])
    assert reversed_cal.covered_by(2030) == f"file:{first}"
    assert reversed_cal.is_working_day(date(2030, 3, 5))
    assert not reversed_cal.is_working_day(date(2030, 10, 1))


def test_shipped_directory_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = write_year(tmp_path / "shipped", FAKE_2030)
    monkeypatch.setattr(calendar_module, "SHIPPED_CALENDAR_DIR", tmp_path / "shipped")
    assert WorkingCalendar().covered_by(2030) == f"file:{shipped}"
    admin = write_year(
        tmp_path / "admin",
        {"year": 2030, "holidays": [], "workdays": [], "source": TEST_SOURCE},
    )
    assert WorkingCalendar([tmp_path / "admin"]).covered_by(2030) == f"file:{admin}"


def test_missing_override_directory_is_ignored(tmp_path: Path) -> None:
    cal = WorkingCalendar([tmp_path / "not-created-yet"])
    assert cal.covered_by(2024) == "chinese_calendar"


def test_file_named_for_another_year_is_refused(tmp_path: Path) -> None:
    write_year(tmp_path, FAKE_2030, name="2029.json")
    with pytest.raises(CalendarFileError, match=r"2029\.json: file is named for 2029 .* 2030"):
        WorkingCalendar([tmp_path])


def test_json_file_not_named_by_year_is_ignored_with_a_warning(tmp_path: Path) -> None:
    write_year(tmp_path, FAKE_2030, name="schedule-2030.json")
    with capture_logs() as logs:
        cal = WorkingCalendar([tmp_path])
    assert cal.covered_by(2030) == "provisional"
    assert [e["event"] for e in logs] == ["calendar_file_ignored"]


def test_uncovered_year_is_provisional_and_warns_once(fresh_warnings: set[int]) -> None:
    # Issue 11: a year from 2025 on that no schedule covers uses the provisional
    # calendar (tests/unit/test_provisional_calendar.py checks its days).
    with capture_logs() as logs:
        cal = WorkingCalendar()
        assert cal.covered_by(2031) == "provisional"
        assert not cal.is_working_day(date(2031, 1, 1))  # Wednesday, New Year's Day
        assert not cal.is_working_day(date(2031, 1, 4))  # Saturday
        assert cal.add_working_days(date(2031, 1, 3), 1) == date(2031, 1, 6)
        other = WorkingCalendar()
        assert other.is_working_day(date(2031, 6, 2))
        assert other.due_at(datetime(2031, 6, 2, 9, tzinfo=CST), 3)
        assert other.is_working_day(date(2024, 2, 18))  # covered year: no warning
    warnings = [e for e in logs if e["event"] == "calendar_year_provisional"]
    assert len(warnings) == 1
    assert warnings[0]["year"] == 2031
    assert warnings[0]["log_level"] == "warning"

    with capture_logs() as later:
        WorkingCalendar().is_working_day(date(2031, 12, 1))
        WorkingCalendar().is_working_day(date(2032, 12, 1))
    assert [e["year"] for e in later if e["event"] == "calendar_year_provisional"] == [2032]


def test_year_before_the_library_falls_back(fresh_warnings: set[int]) -> None:
    cal = WorkingCalendar()
    assert cal.covered_by(2003) == "fallback"
    with capture_logs() as logs:
        assert cal.is_working_day(date(2003, 10, 1))  # Wednesday; really a holiday
    assert [e["year"] for e in logs if e["event"] == "calendar_year_not_covered"] == [2003]


# --- bad year files ----------------------------------------------------------------------


def _with(**changes: Any) -> dict[str, Any]:
    return {**FAKE_2030, **changes}


BAD_FILES: list[tuple[str, dict[str, Any] | str, str]] = [
    (
        "date outside the year",
        _with(holidays=["2030-10-01", "2031-01-01"]),
        r"holidays\[1\] = 2031-01-01 is not in year 2030",
    ),
    (
        "workday outside the year",
        _with(workdays=["2029-12-29"]),
        r"workdays\[0\] = 2029-12-29 is not in year 2030",
    ),
    (
        "date in both lists",
        _with(holidays=["2030-10-05", "2030-10-06"], workdays=["2030-10-06"]),
        r"2030-10-06 is listed in both holidays and workdays",
    ),
    (
        "duplicate date",
        _with(holidays=["2030-10-01", "2030-10-01"]),
        r"holidays\[1\] = 2030-10-01 is listed twice",
    ),
    (
        "weekday listed as workday",
        _with(workdays=["2030-10-08"]),
        r"workdays\[0\] = 2030-10-08 \(Tuesday\) is already a working day",
    ),
    ("unknown field", _with(comment="hi"), r"unknown field `comment`"),
    ("year of wrong type", _with(year="2030"), r"Expected `int`, got `str` - at `\$\.year`"),
    ("list of wrong type", _with(holidays="2030-10-01"), r"Expected `array`.* `\$\.holidays`"),
    ("impossible date", _with(holidays=["2030-02-30"]), r"Invalid .*date - at `\$\.holidays\[0\]`"),
    (
        "missing field",
        {k: v for k, v in FAKE_2030.items() if k != "source"},
        r"missing required field `source`",
    ),
    ("empty source", _with(source=""), r"`\$\.source`"),
    ("not JSON", '{"year": 2030,', r"not valid JSON"),
]


@pytest.mark.parametrize(
    ("content", "expected"),
    [pytest.param(content, expected, id=label) for label, content, expected in BAD_FILES],
)
def test_bad_year_file_is_refused(
    tmp_path: Path, content: dict[str, Any] | str, expected: str
) -> None:
    path = write_year(tmp_path, content, name="2030.json")
    with pytest.raises(CalendarFileError, match=expected) as caught:
        load_year_file(path)
    assert str(path) in str(caught.value)
    with pytest.raises(CalendarFileError, match=expected):
        WorkingCalendar([tmp_path])


def test_missing_year_file(tmp_path: Path) -> None:
    with pytest.raises(CalendarFileError, match=r"nope\.json: cannot read calendar file"):
        load_year_file(tmp_path / "nope.json")


# --- installing a year file --------------------------------------------------------------


def test_install_year_file(tmp_path: Path) -> None:
    unsorted = _with(holidays=list(reversed(FAKE_2030["holidays"])))
    src = write_year(tmp_path / "incoming", unsorted, name="from-the-notice.json")
    dest_dir = tmp_path / "var" / "calendar"
    written = install_year_file(src, dest_dir)
    assert written == dest_dir / "2030.json"
    schedule = load_year_file(written)
    assert schedule == YearSchedule(
        year=2030,
        holidays=tuple(date(2030, 10, d) for d in range(1, 8)),
        workdays=(date(2030, 9, 29),),
        source=TEST_SOURCE,
    )
    assert sorted(p.name for p in dest_dir.iterdir()) == ["2030.json"]  # no temp files left
    cal = WorkingCalendar([dest_dir])
    assert cal.covered_by(2030) == f"file:{written}"
    assert not cal.is_working_day(date(2030, 10, 1))


def test_install_replaces_an_existing_year(tmp_path: Path) -> None:
    dest_dir = tmp_path / "calendar"
    install_year_file(write_year(tmp_path / "v1", FAKE_2030), dest_dir)
    corrected = _with(holidays=["2030-10-01"], workdays=[])
    written = install_year_file(write_year(tmp_path / "v2", corrected), dest_dir)
    assert load_year_file(written).holidays == (date(2030, 10, 1),)
    assert sorted(p.name for p in dest_dir.iterdir()) == ["2030.json"]


def test_install_refuses_a_bad_file_and_writes_nothing(tmp_path: Path) -> None:
    src = write_year(tmp_path / "incoming", _with(holidays=["2031-01-01"]), name="x.json")
    dest_dir = tmp_path / "calendar"
    with pytest.raises(CalendarFileError, match=r"x\.json: holidays\[0\] = 2031-01-01"):
        install_year_file(src, dest_dir)
    assert not dest_dir.exists() or not any(dest_dir.iterdir())


def test_received_after_office_close_counts_from_the_next_day() -> None:
    cal = WorkingCalendar()
    monday_evening = datetime(2024, 9, 23, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert cal.due_at(monday_evening, 0) == datetime(
        2024, 9, 24, 17, 30, tzinfo=ZoneInfo("Asia/Shanghai")
    )
    assert cal.due_at(monday_evening, 1).date() == date(2024, 9, 25)
    # Just before close still counts as that day.
    assert cal.due_at(monday_evening.replace(hour=17, minute=29), 0).date() == date(2024, 9, 23)
