"""The Chinese working-day calendar (工作日), used for every deadline in the system.

A day is a working day unless it is a weekend or a statutory holiday, except that the
weekend days moved to work (调休) are working days. Where each year's answer comes from,
in priority order:

1. a year file ``<year>.json`` in one of the override directories. The shipped directory
   ``domain/data/calendar/`` is always searched first and the directories given to
   :class:`WorkingCalendar` after it; a file in a later directory wins over one in an
   earlier directory. A file covers its whole year: a date it does not list is a
   normal day (Monday to Friday on, Saturday and Sunday off).
2. the ``chinese_calendar`` library (it knows 2004-2026 at version 1.11);
3. for a year from 2025 on that neither covers, the **provisional calendar**
   (:func:`provisional_schedule`): the statutory holidays as the State Council's rules
   (全国年节及纪念日放假办法, as revised in 2024) fix them, lunar dates computed by the
   ``holidays`` package, weekends off, a substitute weekday off (补假) for a holiday on a
   weekend, and no make-up working weekends (调休 is decided each year). A deadline that
   counts days of such a year is *provisional* (:class:`Deadline`), and says so. It is
   logged once per year per process as the warning ``calendar_year_provisional``;
4. before 2025 (the rules were different; in practice before 2004) a fallback of
   weekends off and weekdays on, logged as ``calendar_year_not_covered``.

Year files take effect without a restart: every public method first checks the
administrator directories' modification time (one ``stat`` each, about 2 µs) and
re-reads the year files when a directory changed (``oversight calendar load`` writes by
an atomic rename, which changes it). A directory that no longer reads cleanly is
logged (``calendar_reload_failed``) and the schedule read before stays in force.

The module never reads the clock: every answer is a function of its arguments.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Final, Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
import msgspec
import structlog

__all__ = [
    "PROVISIONAL_RULES_SINCE",
    "SHIPPED_CALENDAR_DIR",
    "CalendarFileError",
    "Deadline",
    "DueBasis",
    "WorkingCalendar",
    "YearSchedule",
    "calendar_notice",
    "calendar_notice_at",
    "install_year_file",
    "load_year_file",
    "log_calendar_notice",
    "provisional_schedule",
]

log = structlog.get_logger(__name__)

SHIPPED_CALENDAR_DIR: Final[Path] = Path(__file__).resolve().parent / "data" / "calendar"

_YEAR_FILE_NAME = re.compile(r"^(\d{4})\.json$")
_SECONDS_PER_DAY: Final[int] = 86_400
_WEEKDAY_NAMES: Final[tuple[str, ...]] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)

# Years for which the provisional calendar or the weekend-only fallback has already been
# reported by this process, and the days on which the missing-schedule notice was logged.
_WARNED_YEARS: set[int] = set()
_NOTICE_DAYS: set[date] = set()
_WARNED_LOCK = threading.Lock()

#: The first year of the holiday rules the provisional calendar applies (State Council
#: Order No. 795 of 2024: New Year's Eve and a second Labour Day added from 2025).
PROVISIONAL_RULES_SINCE: Final[int] = 2025
#: The statutory holidays (全体公民放假的节日) and their days under those rules, by the
#: names the ``holidays`` package gives them in zh_CN: 13 days a year.
_STATUTORY_DAYS: Final[dict[str, int]] = {
    "元旦": 1,  # New Year's Day
    "农历除夕": 1,  # New Year's Eve (除夕): with 春节 below, the 4 days of Spring Festival
    "春节": 3,  # the first three days of the first lunar month
    "清明节": 1,  # Qingming (a solar term)
    "劳动节": 2,  # Labour Day, 1-2 May
    "端午节": 1,  # Dragon Boat Festival, 5th of the 5th lunar month
    "中秋节": 1,  # Mid-Autumn Festival, 15th of the 8th lunar month
    "国庆节": 3,  # National Day, 1-3 October
}
PROVISIONAL_SOURCE: Final[str] = (
    "provisional: State Council holiday rules (全国年节及纪念日放假办法, 2024), "
    "lunar dates computed, 补假 for weekend holidays, no 调休"
)


class CalendarFileError(ValueError):
    """A calendar year file is unreadable or inconsistent; the message names file and fault."""


class YearSchedule(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One year's official schedule, as published by the State Council.

    ``holidays`` are the statutory days off, including the weekdays (and weekend days) of a
    holiday block; ``workdays`` are the weekend days moved to work (调休).
    """

    year: Annotated[int, msgspec.Meta(ge=1900, le=2200)]
    holidays: tuple[date, ...]
    workdays: tuple[date, ...]
    source: Annotated[str, msgspec.Meta(min_length=1)]


class Deadline(NamedTuple):
    """A due instant and whether a provisional year's days went into it."""

    at: datetime
    provisional: bool


class DueBasis(msgspec.Struct, frozen=True):
    """How a deadline was computed, so it can be computed again when the calendar changes:
    ``due_at(start, steps[0])``, then ``due_at(<that>, steps[1])`` (an extension), ..."""

    start: datetime
    steps: tuple[int, ...]

    def extended(self, working_days: int) -> DueBasis:
        return DueBasis(start=self.start, steps=(*self.steps, working_days))


@functools.cache
def provisional_schedule(year: int) -> YearSchedule:
    """The provisional schedule of ``year`` under the State Council's holiday rules.

    The statutory holidays come from the ``holidays`` package (it computes the lunar
    dates and Qingming; its weekend substitutes and any official 调休 it knows are not
    used). Each holiday day that falls on a Saturday or Sunday, or on another holiday,
    gives the first following weekday that is not already off as a substitute (补假).
    No weekend is moved to work. Raises ``ValueError`` for a year before the rules.
    """
    if year < PROVISIONAL_RULES_SINCE:
        raise ValueError(
            f"no provisional calendar for {year}: the holiday rules it applies start in "
            f"{PROVISIONAL_RULES_SINCE}"
        )
    import holidays  # imported here: only needed for a year no schedule covers

    known = holidays.country_holidays("CN", years=year, observed=False, language="zh_CN")
    statutory: list[tuple[date, str]] = []
    for day in sorted(known):
        for name in known.get_list(day):
            base = name.split("（", 1)[0]  # "春节（推定）" (estimated) -> "春节"
            if base in _STATUTORY_DAYS:
                statutory.append((day, base))
    counts = {name: sum(1 for _, n in statutory if n == name) for name in _STATUTORY_DAYS}
    if counts != _STATUTORY_DAYS:
        raise RuntimeError(
            f"the holidays package gave {counts} statutory days for {year}, "
            f"the rules fix {_STATUTORY_DAYS}"
        )
    off = {day for day, _ in statutory}
    seen: set[date] = set()
    for day, _ in statutory:
        if day.weekday() >= 5 or day in seen:
            substitute = day + timedelta(days=1)
            while substitute.weekday() >= 5 or substitute in off:
                substitute += timedelta(days=1)
            off.add(substitute)
        seen.add(day)
    return YearSchedule(
        year=year,
        holidays=tuple(sorted(d for d in off if d.year == year)),
        workdays=(),
        source=PROVISIONAL_SOURCE,
    )


def _describe(day: date) -> str:
    return f"{day.isoformat()} ({_WEEKDAY_NAMES[day.weekday()]})"


def _check_schedule(schedule: YearSchedule, path: Path) -> None:
    for list_name, days in (("holidays", schedule.holidays), ("workdays", schedule.workdays)):
        seen: set[date] = set()
        for index, day in enumerate(days):
            where = f"{path}: {list_name}[{index}] = {day.isoformat()}"
            if day.year != schedule.year:
                raise CalendarFileError(f"{where} is not in year {schedule.year}")
            if day in seen:
                raise CalendarFileError(f"{where} is listed twice in {list_name}")
            seen.add(day)
    both = sorted(set(schedule.holidays) & set(schedule.workdays))
    if both:
        raise CalendarFileError(
            f"{path}: {both[0].isoformat()} is listed in both holidays and workdays"
        )
    for index, day in enumerate(schedule.workdays):
        if day.weekday() < 5:
            raise CalendarFileError(
                f"{path}: workdays[{index}] = {_describe(day)} is already a working day; "
                "workdays lists only the weekend days moved to work (调休)"
            )


def load_year_file(path: Path) -> YearSchedule:
    """Read and validate a year file; raise :class:`CalendarFileError` naming the fault."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CalendarFileError(f"{path}: cannot read calendar file: {exc.strerror}") from exc
    try:
        schedule = msgspec.json.decode(raw, type=YearSchedule)
    except msgspec.ValidationError as exc:
        raise CalendarFileError(f"{path}: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise CalendarFileError(f"{path}: not valid JSON: {exc}") from exc
    _check_schedule(schedule, path)
    return schedule


def install_year_file(src: Path, dest_dir: Path) -> Path:
    """Validate ``src`` and write it atomically as ``<dest_dir>/<year>.json``.

    The written file is the normalised schedule (dates sorted, indented). An existing file
    for the same year is replaced. Returns the path written.
    """
    schedule = load_year_file(src)
    normalised = YearSchedule(
        year=schedule.year,
        holidays=tuple(sorted(schedule.holidays)),
        workdays=tuple(sorted(schedule.workdays)),
        source=schedule.source,
    )
    payload = msgspec.json.format(msgspec.json.encode(normalised), indent=2) + b"\n"
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CalendarFileError(
            f"{dest_dir}: cannot create calendar directory: {exc.strerror}"
        ) from exc
    dest = dest_dir / f"{schedule.year}.json"
    replaced = dest.exists()
    before = dest_dir.stat().st_mtime_ns
    fd, tmp_name = tempfile.mkstemp(prefix=f".{schedule.year}.", suffix=".tmp", dir=dest_dir)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(0o644)
        tmp.replace(dest)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise CalendarFileError(f"{dest}: cannot write calendar file: {exc.strerror}") from exc
    _bump_mtime(dest_dir, before)
    _fsync_dir(dest_dir)
    log.info(
        "calendar_year_file_installed",
        year=schedule.year,
        path=str(dest),
        source=schedule.source,
        replaced=replaced,
        holidays=len(schedule.holidays),
        workdays=len(schedule.workdays),
    )
    return dest


def _bump_mtime(directory: Path, before: int) -> None:
    """Running calendars notice a change by the directory's modification time, which the
    kernel keeps in coarse ticks (a few ms): make sure this change moved it."""
    with contextlib.suppress(OSError):
        st = directory.stat()
        if st.st_mtime_ns <= before:
            os.utime(directory, ns=(st.st_atime_ns, before + 1))


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable where the platform allows opening a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class _YearTable:
    """Working-day flags of one year and their running count, for O(1) look-ups."""

    first: date
    flags: bytes  # flags[i] == 1 when first + i days is a working day
    prefix: tuple[int, ...]  # prefix[i] == working days among the first i days


@functools.cache
def _library_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


SourceKind = Literal["file", "library", "provisional", "fallback"]


@dataclass(slots=True)
class _Loaded:
    """The year files as read at one state of the directories, and the tables built
    from them (a reload replaces the whole object, so readers never see a mix)."""

    fingerprint: tuple[tuple[int, int] | None, ...]
    files: dict[int, tuple[Path, YearSchedule]]
    tables: dict[int, _YearTable]


class WorkingCalendar:
    """Answers working-day questions for the Chinese calendar (see the module docstring)."""

    def __init__(
        self,
        override_dirs: Sequence[Path] = (),
        *,
        timezone: str = "Asia/Shanghai",
        office_close: time = time(17, 30),
    ) -> None:
        try:
            self._tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {timezone!r}") from exc
        if office_close.tzinfo is not None:
            raise ValueError("office_close must be a naive local time, e.g. time(17, 30)")
        self._office_close = office_close
        self._dirs: tuple[Path, ...] = (SHIPPED_CALENDAR_DIR, *(Path(d) for d in override_dirs))
        # The shipped directory is part of the installed package: only the
        # administrator's directories are watched for changes.
        self._watched: tuple[Path, ...] = self._dirs[1:]
        self._lock = threading.Lock()
        fingerprint = self._fingerprint()
        self._loaded = _Loaded(fingerprint, self._scan(self._dirs), {})

    # --- year files, reloaded when a directory changes -----------------------------------

    def _fingerprint(self) -> tuple[tuple[int, int] | None, ...]:
        marks: list[tuple[int, int] | None] = []
        for directory in self._watched:
            try:
                st = os.stat(directory)
            except OSError:
                marks.append(None)
            else:
                marks.append((st.st_mtime_ns, st.st_ino))
        return tuple(marks)

    def _current(self) -> _Loaded:
        loaded = self._loaded
        if not self._watched:
            return loaded
        fingerprint = self._fingerprint()
        if fingerprint == loaded.fingerprint:
            return loaded
        with self._lock:
            loaded = self._loaded
            if fingerprint != loaded.fingerprint:
                loaded = self._reload(fingerprint, loaded)
                self._loaded = loaded
        return loaded

    def _reload(self, fingerprint: tuple[tuple[int, int] | None, ...], old: _Loaded) -> _Loaded:
        try:
            files = self._scan(self._dirs)
        except (CalendarFileError, OSError) as exc:
            # Keep answering from what was read before; try again when the directory
            # changes again (the fingerprint is taken so as not to retry on every call).
            log.error("calendar_reload_failed", error=str(exc)[:300])
            return _Loaded(fingerprint, old.files, old.tables)
        changed = sorted(
            y
            for y in set(files) | set(old.files)
            if (files.get(y) or (None, None))[1] != (old.files.get(y) or (None, None))[1]
        )
        log.info("calendar_reloaded", years_changed=changed)
        return _Loaded(fingerprint, files, {})

    def reload(self) -> None:
        """Re-read the year files now (normally done by itself when a directory changes)."""
        with self._lock:
            self._loaded = _Loaded(self._fingerprint(), self._scan(self._dirs), {})

    @staticmethod
    def _scan(dirs: Sequence[Path]) -> dict[int, tuple[Path, YearSchedule]]:
        files: dict[int, tuple[Path, YearSchedule]] = {}
        for directory in dirs:
            if not directory.exists():
                continue
            if not directory.is_dir():
                raise CalendarFileError(f"{directory}: calendar override path is not a directory")
            for path in sorted(directory.iterdir()):
                if path.suffix != ".json" or path.name.startswith("."):
                    continue
                match = _YEAR_FILE_NAME.match(path.name)
                if match is None:
                    log.warning("calendar_file_ignored", path=str(path), reason="not <year>.json")
                    continue
                schedule = load_year_file(path)
                if schedule.year != int(match.group(1)):
                    raise CalendarFileError(
                        f"{path}: file is named for {match.group(1)} "
                        f"but declares year {schedule.year}"
                    )
                files[schedule.year] = (path, schedule)  # later directories win
        return files

    @property
    def timezone(self) -> ZoneInfo:
        return self._tz

    @property
    def office_close(self) -> time:
        return self._office_close

    # --- where a year's answers come from -----------------------------------------------

    def covered_by(self, year: int) -> str:
        """Where ``year``'s answers come from: ``file:<path>``, ``chinese_calendar``,
        ``provisional`` or ``fallback``."""
        return self._source(self._current(), year)[0]

    def source_kind(self, year: int) -> SourceKind:
        return self._source(self._current(), year)[1]

    def is_provisional(self, year: int) -> bool:
        """No official schedule covers ``year`` (neither a year file nor the library)."""
        return self._source(self._current(), year)[1] in ("provisional", "fallback")

    def missing_years(self, today: date) -> tuple[int, ...]:
        """The years without an official schedule that matter on ``today``: this year, and
        from 1 November next year too."""
        years = [today.year]
        if (today.month, today.day) >= (11, 1):
            years.append(today.year + 1)
        return tuple(y for y in years if self.is_provisional(y))

    @staticmethod
    def _source(loaded: _Loaded, year: int) -> tuple[str, SourceKind]:
        if year in loaded.files:
            return f"file:{loaded.files[year][0]}", "file"
        if _library_covers(year):
            return "chinese_calendar", "library"
        if year >= PROVISIONAL_RULES_SINCE:
            return "provisional", "provisional"
        return "fallback", "fallback"

    def _table(self, loaded: _Loaded, year: int) -> _YearTable:
        table = loaded.tables.get(year)
        if table is not None:
            return table
        with self._lock:
            table = loaded.tables.get(year)
            if table is None:
                table = self._build(loaded, year)
                loaded.tables[year] = table
        return table

    def _build(self, loaded: _Loaded, year: int) -> _YearTable:
        first = date(year, 1, 1)
        days = [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]
        label, kind = self._source(loaded, year)
        if kind in ("file", "provisional"):
            schedule = loaded.files[year][1] if kind == "file" else provisional_schedule(year)
            off, on = set(schedule.holidays), set(schedule.workdays)
            flags = [d in on or (d not in off and d.weekday() < 5) for d in days]
            if kind == "provisional" and _first_warning(year):
                log.warning(
                    "calendar_year_provisional",
                    year=year,
                    assumption="statutory holidays by rule with 补假, no 调休",
                    remedy="oversight calendar load FILE",
                )
        elif kind == "library":
            flags = [bool(chinese_calendar.is_workday(d)) for d in days]
        else:
            if _first_warning(year):
                log.warning(
                    "calendar_year_not_covered",
                    year=year,
                    assumption="weekends off, weekdays on",
                    remedy="oversight calendar load FILE",
                )
            flags = [d.weekday() < 5 for d in days]
        prefix = [0]
        for flag in flags:
            prefix.append(prefix[-1] + flag)
        log.debug("calendar_year_built", year=year, source=label, working_days=prefix[-1])
        return _YearTable(first=first, flags=bytes(flags), prefix=tuple(prefix))

    # --- working days ---------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        return self._is_working_day(self._current(), day)

    def _is_working_day(self, loaded: _Loaded, day: date) -> bool:
        table = self._table(loaded, day.year)
        return table.flags[(day - table.first).days] == 1

    def working_day_on_or_after(self, day: date) -> date:
        loaded = self._current()
        while not self._is_working_day(loaded, day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, day: date, n: int) -> date:
        """``n == 0``: ``day`` if it is a working day, else the next one; ``n >= 1``: the
        ``n``-th working day strictly after ``day``."""
        return self._add_working_days(self._current(), day, n)

    def _add_working_days(self, loaded: _Loaded, day: date, n: int) -> date:
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if n == 0:
            while not self._is_working_day(loaded, day):
                day += timedelta(days=1)
            return day
        while n:
            day += timedelta(days=1)
            if self._is_working_day(loaded, day):
                n -= 1
        return day

    def due_at(self, start: datetime, working_days: int) -> datetime:
        """End of office hours on the ``working_days``-th working day after ``start``'s local
        date (0: the same working day, or the next one when ``start`` is on a day off).

        Something received after office close counts as received the next day, so a
        deadline never falls before its start. Returns an aware datetime in the
        calendar's timezone.
        """
        return self.deadline(start, working_days).at

    def deadline(self, start: datetime, working_days: int) -> Deadline:
        """:meth:`due_at`, and whether any day it counted lies in a year without an
        official schedule (the deadline is then provisional)."""
        return self._deadline(self._current(), start, working_days)

    def _deadline(self, loaded: _Loaded, start: datetime, working_days: int) -> Deadline:
        local = self._localise(start, "start")
        received = local.date()
        if local.time() >= self._office_close:
            received += timedelta(days=1)
        due_day = self._add_working_days(loaded, received, working_days)
        provisional = any(
            self._source(loaded, year)[1] in ("provisional", "fallback")
            for year in range(received.year, due_day.year + 1)
        )
        return Deadline(datetime.combine(due_day, self._office_close, tzinfo=self._tz), provisional)

    def compute(self, basis: DueBasis) -> Deadline:
        """The deadline ``basis`` describes, on the calendar as it is now."""
        loaded = self._current()
        due = Deadline(basis.start, False)
        for working_days in basis.steps:
            step = self._deadline(loaded, due.at, working_days)
            due = Deadline(step.at, step.provisional or due.provisional)
        return due

    def working_days_between(self, start: datetime, end: datetime) -> float:
        """Elapsed working time from ``start`` to ``end``, in working days.

        Each working day counts as one unit and each day off as zero; a partly elapsed day
        counts by the fraction of its 24 hours of local wall-clock time that lies in the
        interval (office hours are not singled out). So Monday 12:00 to Tuesday 12:00 is 1.0
        when both are working days, Friday 12:00 to Monday 12:00 is 1.0 over a normal
        weekend. Negative when ``end`` is before ``start``.
        """
        return self._between(self._current(), start, end)

    def _between(self, loaded: _Loaded, start: datetime, end: datetime) -> float:
        a = self._localise(start, "start").replace(tzinfo=None)
        b = self._localise(end, "end").replace(tzinfo=None)
        if b < a:
            return -self._between(loaded, end, start)
        a_day, b_day = a.date(), b.date()
        weight = self._is_working_day
        if a_day == b_day:
            return weight(loaded, a_day) * (b - a).total_seconds() / _SECONDS_PER_DAY
        first = weight(loaded, a_day) * (1 - _seconds_into_day(a) / _SECONDS_PER_DAY)
        middle = self._count(loaded, a_day + timedelta(days=1), b_day)
        last = weight(loaded, b_day) * _seconds_into_day(b) / _SECONDS_PER_DAY
        return first + middle + last

    def _count(self, loaded: _Loaded, lo: date, hi: date) -> int:
        """Working days ``d`` with ``lo <= d < hi``."""
        total = 0
        while lo < hi:
            table = self._table(loaded, lo.year)
            end_of_year = date(lo.year + 1, 1, 1)
            stop = min(hi, end_of_year)
            total += table.prefix[(stop - table.first).days] - table.prefix[(lo - table.first).days]
            lo = stop
        return total

    def _localise(self, moment: datetime, name: str) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")
        return moment.astimezone(self._tz)


def _first_warning(year: int) -> bool:
    with _WARNED_LOCK:
        first_time = year not in _WARNED_YEARS
        _WARNED_YEARS.add(year)
    return first_time


def _seconds_into_day(moment: datetime) -> float:
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1_000_000


def calendar_notice(calendar: WorkingCalendar, today: date) -> str | None:
    """What an administrator must be told on ``today`` (a local date), or None: a year
    that matters (this one; from 1 November the next one too) has no official schedule."""
    years = calendar.missing_years(today)
    if not years:
        return None
    named = " and ".join(str(y) for y in years)
    return (
        f"no official holiday schedule for {named}: deadlines in {named} use the "
        "provisional calendar (due_provisional) until it is loaded with "
        "`oversight calendar load FILE`"
    )


def log_calendar_notice(calendar: WorkingCalendar, today: date) -> bool:
    """Log the missing schedule as the warning ``calendar_next_year_provisional`` (or
    ``calendar_year_provisional_in_use`` for the current year), at most once per local day
    per process. Returns whether it logged now."""
    years = calendar.missing_years(today)
    if not years:
        return False
    with _WARNED_LOCK:
        if today in _NOTICE_DAYS:
            return False
        _NOTICE_DAYS.add(today)
    for year in years:
        log.warning(
            "calendar_next_year_provisional"
            if year > today.year
            else "calendar_year_provisional_in_use",
            year=year,
            remedy="oversight calendar load FILE",
        )
    return True


def calendar_notice_at(calendar: WorkingCalendar, moment: datetime) -> str | None:
    """:func:`calendar_notice` for the local day of ``moment``, also logged (at most once
    a day per process, :func:`log_calendar_notice`): for /readyz and the dashboard."""
    today = calendar._localise(moment, "moment").date()
    log_calendar_notice(calendar, today)
    return calendar_notice(calendar, today)
