"""The provisional calendar (issue 11 §1): a year no official schedule covers.

Expectations are the State Council's holiday rules (全国年节及纪念日放假办法 as revised in
2024) applied by hand to the lunar dates of each year: New Year's Day 1 day, Spring
Festival 4 days from New Year's Eve (除夕..初三), Qingming 1, Labour Day 2 (1-2 May),
Dragon Boat 1, Mid-Autumn 1, National Day 3 (1-3 October); a holiday on a Saturday or
Sunday gives a substitute weekday off (补假); no make-up working weekends (调休).
Year files written here are made-up TEST DATA, not official schedules.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import holidays
import pytest
from structlog.testing import capture_logs

import domain.calendar as calendar_module
from domain.calendar import (
    Deadline,
    DueBasis,
    WorkingCalendar,
    calendar_notice,
    install_year_file,
    log_calendar_notice,
    provisional_schedule,
)

CST = timezone(timedelta(hours=8))
TEST_SOURCE = "TEST DATA - made up for unit tests, not an official schedule"


def d(text: str) -> date:
    return date.fromisoformat(text)


# 2027 worked out by hand from the rules. Lunar dates: 除夕 Fri 5 Feb (Spring Festival,
# 初一, is Sat 6 Feb), Dragon Boat Wed 9 June, Mid-Autumn Wed 15 Sept; Qingming Mon 5 Apr.
STATUTORY_2027 = {
    "2027-01-01": "New Year's Day (Friday)",
    "2027-02-05": "除夕 (Friday)",
    "2027-02-06": "初一 (Saturday)",
    "2027-02-07": "初二 (Sunday)",
    "2027-02-08": "初三 (Monday)",
    "2027-04-05": "Qingming (Monday)",
    "2027-05-01": "Labour Day (Saturday)",
    "2027-05-02": "Labour Day (Sunday)",
    "2027-06-09": "Dragon Boat (Wednesday)",
    "2027-09-15": "Mid-Autumn (Wednesday)",
    "2027-10-01": "National Day (Friday)",
    "2027-10-02": "National Day (Saturday)",
    "2027-10-03": "National Day (Sunday)",
}
# One weekday off for each of the six holiday days on a weekend, the first weekdays after
# each block that are not already off.
SUBSTITUTES_2027 = {
    "2027-02-09": "for 初一 (Sat 6 Feb)",
    "2027-02-10": "for 初二 (Sun 7 Feb)",
    "2027-05-03": "for Labour Day (Sat 1 May)",
    "2027-05-04": "for Labour Day (Sun 2 May)",
    "2027-10-04": "for National Day (Sat 2 Oct)",
    "2027-10-05": "for National Day (Sun 3 Oct)",
}


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar()


def test_2027_is_provisional_in_this_library_version(cal: WorkingCalendar) -> None:
    assert cal.covered_by(2026) == "chinese_calendar"
    assert cal.covered_by(2027) == "provisional"
    assert cal.is_provisional(2027)
    assert not cal.is_provisional(2026)


def test_the_whole_2027_list_follows_the_rules() -> None:
    schedule = provisional_schedule(2027)
    assert {day.isoformat() for day in schedule.holidays} == set(STATUTORY_2027) | set(
        SUBSTITUTES_2027
    )
    assert schedule.workdays == ()  # 调休 is decided each year: none assumed
    assert "provisional" in schedule.source


def test_new_years_day_2027_is_a_friday_holiday(cal: WorkingCalendar) -> None:
    assert d("2027-01-01").weekday() == 4
    assert not cal.is_working_day(d("2027-01-01"))
    assert cal.is_working_day(d("2026-12-31"))
    assert cal.is_working_day(d("2027-01-04"))


def test_spring_festival_2027_from_new_years_eve(cal: WorkingCalendar) -> None:
    # 除夕 is 2027-02-05: four statutory days 5-8 Feb, then 9 and 10 Feb for the weekend.
    assert cal.is_working_day(d("2027-02-04"))
    for offset in range(6):
        assert not cal.is_working_day(d("2027-02-05") + timedelta(days=offset))
    assert cal.is_working_day(d("2027-02-11"))
    # No make-up working weekend: the Saturdays around it stay off.
    assert not cal.is_working_day(d("2027-01-30"))
    assert not cal.is_working_day(d("2027-02-20"))


def test_a_holiday_on_a_weekend_gets_a_weekday_substitute(cal: WorkingCalendar) -> None:
    # Labour Day 2027 is Saturday 1 and Sunday 2 May: Monday 3 and Tuesday 4 May are off.
    assert not cal.is_working_day(d("2027-05-03"))
    assert not cal.is_working_day(d("2027-05-04"))
    assert cal.is_working_day(d("2027-05-05"))
    # A weekday holiday gets none: Qingming is Monday 5 April, Tuesday 6 April works.
    assert cal.is_working_day(d("2027-04-06"))


def test_2027_agrees_with_the_holidays_package_including_its_substitutes() -> None:
    # The package's own 补假 for 2027 (the dates are computed by it, the substitutes by us).
    package = holidays.country_holidays("CN", years=2027)
    assert set(package) == set(provisional_schedule(2027).holidays)


def test_new_year_on_a_saturday_and_two_holidays_on_one_day() -> None:
    # 2028: 1 January is a Saturday -> Monday 3 January off. Mid-Autumn falls on
    # 3 October, a National Day: the day counts twice, so two weekdays follow the block
    # (1 Oct is a Sunday: 4 Oct; the double 3 Oct: 5 Oct).
    off = set(provisional_schedule(2028).holidays)
    assert d("2028-01-03") in off
    assert {d("2028-10-04"), d("2028-10-05")} <= off
    assert d("2028-10-06") not in off


@pytest.mark.parametrize("year", range(2027, 2041))
def test_every_year_has_13_statutory_days_and_one_substitute_per_weekend_day(
    year: int,
) -> None:
    """The lunar dates are computed: each year has its 13 statutory days, and the days
    off beyond them are weekdays, one for each statutory day on a weekend or doubled."""
    package = holidays.country_holidays("CN", years=year, observed=False)
    statutory = [day for day in package for _ in package.get_list(day)]
    assert len(statutory) == 13
    eve = next(day for day in package if package.get_list(day) == ["农历除夕"])
    assert [eve + timedelta(days=i) in package for i in range(4)] == [True] * 4
    assert {day for day in package if package.get(day) == "劳动节"} == {
        date(year, 5, 1),
        date(year, 5, 2),
    }
    off = set(provisional_schedule(year).holidays)
    substitutes = off - set(statutory)
    assert all(day.weekday() < 5 for day in substitutes)
    doubled = len(statutory) - len(set(statutory))
    weekend = sum(1 for day in set(statutory) if day.weekday() >= 5)
    assert len(substitutes) == weekend + doubled


def test_a_provisional_deadline_says_so(cal: WorkingCalendar) -> None:
    # A transfer on Thursday 2026-12-10 with 20 working days: 15 in December, 1 January
    # is a holiday, so the 20th is Friday 8 January 2027 (a weekend-only count: the 7th).
    due = cal.deadline(datetime(2026, 12, 10, 10, tzinfo=CST), 20)
    assert due == Deadline(datetime(2027, 1, 8, 17, 30, tzinfo=CST), True)
    assert cal.deadline(datetime(2026, 12, 1, 10, tzinfo=CST), 10).provisional is False
    assert cal.due_at(datetime(2026, 12, 10, 10, tzinfo=CST), 20) == due.at


def test_a_basis_with_an_extension_is_computed_step_by_step(cal: WorkingCalendar) -> None:
    start = datetime(2026, 12, 10, 10, tzinfo=CST)
    basis = DueBasis(start=start, steps=(10,)).extended(5)
    first = cal.due_at(start, 10)
    assert cal.compute(basis) == Deadline(cal.due_at(first, 5), True)
    assert cal.compute(DueBasis(start=start, steps=(5,))).provisional is False


def _write_2027(path: Path, holidays_2027: list[str], workdays: list[str]) -> Path:
    path.write_text(
        json.dumps(
            {"year": 2027, "holidays": holidays_2027, "workdays": workdays, "source": TEST_SOURCE}
        ),
        encoding="utf-8",
    )
    return path


def test_a_loaded_year_file_takes_effect_without_a_new_calendar(tmp_path: Path) -> None:
    admin = tmp_path / "calendar"
    cal = WorkingCalendar([admin])
    assert cal.covered_by(2027) == "provisional"
    assert not cal.is_working_day(d("2027-01-01"))
    # TEST DATA: 1 January works, 2 January (a Saturday) too.
    src = _write_2027(tmp_path / "in.json", ["2027-02-05"], ["2027-01-02"])
    installed = install_year_file(src, admin)
    assert cal.covered_by(2027) == f"file:{installed}"
    assert cal.is_working_day(d("2027-01-01"))
    assert cal.is_working_day(d("2027-01-02"))
    assert not cal.deadline(datetime(2026, 12, 30, 10, tzinfo=CST), 3).provisional
    # A corrected file replaces it, again without a new calendar.
    install_year_file(_write_2027(tmp_path / "in.json", ["2027-01-01"], []), admin)
    assert not cal.is_working_day(d("2027-01-01"))


def test_a_broken_file_keeps_the_schedule_read_before(tmp_path: Path) -> None:
    admin = tmp_path / "calendar"
    install_year_file(_write_2027(tmp_path / "in.json", [], []), admin)
    cal = WorkingCalendar([admin])
    assert cal.is_working_day(d("2027-01-01"))
    with capture_logs() as logs:
        (admin / "2028.json").write_text("{not json", encoding="utf-8")
        # (a hand-made file may land in the same mtime tick as the install just before;
        # `oversight calendar load` makes sure the directory's time moves, this does too)
        mtime = admin.stat().st_mtime_ns
        os.utime(admin, ns=(mtime, mtime + 1_000_000))
        assert cal.is_working_day(d("2027-01-01"))
    assert [e["event"] for e in logs] == ["calendar_reload_failed"]


def test_notice_from_1_november_while_next_year_is_missing(
    cal: WorkingCalendar, tmp_path: Path
) -> None:
    assert calendar_notice(cal, d("2026-10-31")) is None
    notice = calendar_notice(cal, d("2026-11-01"))
    assert notice is not None and "2027" in notice
    assert "2027" in (calendar_notice(cal, d("2026-12-06")) or "")
    admin = tmp_path / "calendar"
    loaded = WorkingCalendar([admin])
    install_year_file(_write_2027(tmp_path / "in.json", ["2027-01-01"], []), admin)
    assert calendar_notice(loaded, d("2026-12-06")) is None


def test_the_notice_is_logged_once_a_day(
    cal: WorkingCalendar, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calendar_module, "_NOTICE_DAYS", set())
    with capture_logs() as logs:
        assert not log_calendar_notice(cal, d("2026-10-31"))
        assert log_calendar_notice(cal, d("2026-11-01"))
        assert not log_calendar_notice(cal, d("2026-11-01"))
        assert log_calendar_notice(cal, d("2026-11-02"))
    notices = [e for e in logs if e["event"] == "calendar_next_year_provisional"]
    assert [(e["year"], e["log_level"]) for e in notices] == [(2027, "warning")] * 2
