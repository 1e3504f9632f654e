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
3. a fallback of weekends off and weekdays on. It is logged once per year per process
   as the warning ``calendar_year_not_covered`` so an administrator knows to load the
   State Council's schedule for that year (``oversight calendar load FILE``).

Year files are read when a :class:`WorkingCalendar` is created; a new or corrected file
takes effect for calendars created afterwards (in practice: after a restart).

The module never reads the clock: every answer is a function of its arguments.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
import msgspec
import structlog

__all__ = [
    "SHIPPED_CALENDAR_DIR",
    "CalendarFileError",
    "WorkingCalendar",
    "YearSchedule",
    "install_year_file",
    "load_year_file",
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

# Years for which the weekend-only fallback has already been reported by this process.
_WARNED_YEARS: set[int] = set()
_WARNED_LOCK = threading.Lock()


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


def _library_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


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
        self._files: dict[int, tuple[Path, YearSchedule]] = self._scan(self._dirs)
        self._tables: dict[int, _YearTable] = {}
        self._lock = threading.Lock()

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

    def covered_by(self, year: int) -> str:
        """Where ``year``'s answers come from: ``file:<path>``, ``chinese_calendar`` or
        ``fallback``."""
        return self._source(year)[0]

    def _source(self, year: int) -> tuple[str, Literal["file", "library", "fallback"]]:
        if year in self._files:
            return f"file:{self._files[year][0]}", "file"
        if _library_covers(year):
            return "chinese_calendar", "library"
        return "fallback", "fallback"

    def _table(self, year: int) -> _YearTable:
        table = self._tables.get(year)
        if table is not None:
            return table
        with self._lock:
            table = self._tables.get(year)
            if table is None:
                table = self._build(year)
                self._tables[year] = table
        return table

    def _build(self, year: int) -> _YearTable:
        first = date(year, 1, 1)
        days = [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]
        label, kind = self._source(year)
        if kind == "file":
            schedule = self._files[year][1]
            off, on = set(schedule.holidays), set(schedule.workdays)
            flags = [d in on or (d not in off and d.weekday() < 5) for d in days]
        elif kind == "library":
            flags = [bool(chinese_calendar.is_workday(d)) for d in days]
        else:
            with _WARNED_LOCK:
                first_time = year not in _WARNED_YEARS
                _WARNED_YEARS.add(year)
            if first_time:
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

    def is_working_day(self, day: date) -> bool:
        table = self._table(day.year)
        return table.flags[(day - table.first).days] == 1

    def working_day_on_or_after(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, day: date, n: int) -> date:
        """``n == 0``: ``day`` if it is a working day, else the next one; ``n >= 1``: the
        ``n``-th working day strictly after ``day``."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if n == 0:
            return self.working_day_on_or_after(day)
        while n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def due_at(self, start: datetime, working_days: int) -> datetime:
        """End of office hours on the ``working_days``-th working day after ``start``'s local
        date (0: the same working day, or the next one when ``start`` is on a day off).

        Something received after office close counts as received the next day, so a
        deadline never falls before its start. Returns an aware datetime in the
        calendar's timezone.
        """
        local = self._localise(start, "start")
        received = local.date()
        if local.time() >= self._office_close:
            received += timedelta(days=1)
        due_day = self.add_working_days(received, working_days)
        return datetime.combine(due_day, self._office_close, tzinfo=self._tz)

    def working_days_between(self, start: datetime, end: datetime) -> float:
        """Elapsed working time from ``start`` to ``end``, in working days.

        Each working day counts as one unit and each day off as zero; a partly elapsed day
        counts by the fraction of its 24 hours of local wall-clock time that lies in the
        interval (office hours are not singled out). So Monday 12:00 to Tuesday 12:00 is 1.0
        when both are working days, Friday 12:00 to Monday 12:00 is 1.0 over a normal
        weekend. Negative when ``end`` is before ``start``.
        """
        a = self._localise(start, "start").replace(tzinfo=None)
        b = self._localise(end, "end").replace(tzinfo=None)
        if b < a:
            return -self.working_days_between(end, start)
        a_day, b_day = a.date(), b.date()
        if a_day == b_day:
            return self._weight(a_day) * (b - a).total_seconds() / _SECONDS_PER_DAY
        first = self._weight(a_day) * (1 - _seconds_into_day(a) / _SECONDS_PER_DAY)
        middle = self._count(a_day + timedelta(days=1), b_day)
        last = self._weight(b_day) * _seconds_into_day(b) / _SECONDS_PER_DAY
        return first + middle + last

    def _weight(self, day: date) -> int:
        return 1 if self.is_working_day(day) else 0

    def _count(self, lo: date, hi: date) -> int:
        """Working days ``d`` with ``lo <= d < hi``."""
        total = 0
        while lo < hi:
            table = self._table(lo.year)
            end_of_year = date(lo.year + 1, 1, 1)
            stop = min(hi, end_of_year)
            total += table.prefix[(stop - table.first).days] - table.prefix[(lo - table.first).days]
            lo = stop
        return total

    def _localise(self, moment: datetime, name: str) -> datetime:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")
        return moment.astimezone(self._tz)


def _seconds_into_day(moment: datetime) -> float:
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1_000_000
