"""Working-day calendars and SLA time arithmetic.

A `WorkCalendar` knows which dates are working days (mainland China public holidays and
make-up working days 调休 from `chinese_calendar`, plain Monday–Friday, or every day, plus a
profile's own extra holidays / working days) and the business hours of a working day in the
profile's time zone. On top of that it adds `Duration`s to instants on the right clock:

- calendar time (`90m`, `24h`, `7d`): wall-clock elapsed time;
- business time (`15bm`, `4bh`): only minutes inside business hours on working days count;
- working days (`3wd`): close of business of the N-th working day after the local receipt date.

Every datetime taken must be timezone-aware; every datetime returned is aware and in UTC. Local
wall times are built with `zoneinfo` and converted, so zones with daylight saving time work too.
When the `cn` calendar is asked about a year `chinese_calendar` has no official data for, it falls
back to Monday–Friday and issues a `CalendarCoverageWarning` (once per year per calendar).

A value a profile gives wrongly (a duration, business hours, a date, a time zone) is refused with
a `CalendarValueError`: a `ValueError` whose `msg` is the catalog message, so a policy error can
say it in the reader's language. Errors only a programmer can cause (a naive datetime, an
unknown clock) stay plain `ValueError`s.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
from chinese_calendar import constants as _cn_constants

from .messages import Message

__all__ = [
    "CalendarCoverageWarning",
    "CalendarValueError",
    "Duration",
    "WorkCalendar",
    "CALENDAR_KINDS",
    "UNITS",
]

CALENDAR_KINDS = ("cn", "weekdays", "everyday")
UNITS = ("m", "h", "d", "bm", "bh", "wd")
_CALENDAR_UNITS = frozenset({"m", "h", "d"})
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 24 * 60, "bm": 1, "bh": 60}
_DURATION_RE = re.compile(r"(\d+)(bm|bh|wd|m|h|d)")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")
_ONE_DAY = timedelta(days=1)
_ONE_MINUTE = timedelta(minutes=1)
_ZERO = timedelta(0)
#: `time.max` as a span end stands for midnight at the end of the day ("24:00").
END_OF_DAY = time.max


class CalendarCoverageWarning(UserWarning):
    """A `cn` calendar was asked about a year its holiday data does not cover.

    `str(warning)` is the English text; `msg` is the catalog message (`msg.text(lang)`)."""

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.msg = message


class CalendarValueError(ValueError):
    """A calendar or duration value a profile gives that kefu refuses; `msg` says why."""

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.msg = message


def _shown(value: object) -> object:
    """A value as a message parameter: JSON scalars as they are, anything else as its repr."""
    return value if value is None or isinstance(value, str | int | float | bool) else repr(value)


def _cn_covered_years() -> range:
    years = {d.year for d in _cn_constants.holidays} | {d.year for d in _cn_constants.workdays}
    return range(min(years), max(years) + 1)


_CN_COVERED = _cn_covered_years()


MAX_DAYS = 366
"""The longest target, window or limit a policy may give (a year), in any unit."""
MAX_AMOUNT = {"m": MAX_DAYS * 1440, "h": MAX_DAYS * 24, "d": MAX_DAYS,
              "bm": MAX_DAYS * 1440, "bh": MAX_DAYS * 24, "wd": MAX_DAYS}  # fmt: skip


@dataclass(frozen=True)
class Duration:
    """An SLA target such as `15m`, `4bh` or `3wd`: an amount and a unit naming its clock."""

    amount: int
    unit: str

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unknown duration unit {self.unit!r}: use {', '.join(UNITS)}")
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount < 0:
            raise ValueError(f"duration amount must be a whole number >= 0, got {self.amount!r}")

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse `"15m"`, `"24h"`, `"7d"`, `"30bm"`, `"4bh"` or `"3wd"` (surrounding spaces ok)."""
        match = _DURATION_RE.fullmatch(text.strip().lower()) if isinstance(text, str) else None
        if match is None:
            raise CalendarValueError(Message("calendar.not_duration", value=_shown(text)))
        digits, unit = match.group(1), match.group(2)
        if len(digits) > 9 or int(digits) > MAX_AMOUNT[unit]:
            raise CalendarValueError(
                Message(
                    "calendar.duration_too_long", value=_shown(text), limit=MAX_DAYS, most=MAX_AMOUNT[unit]
                )
            )
        return cls(int(digits), unit)

    @property
    def clock(self) -> str:
        """`"calendar"` for m/h/d, `"business"` for bm/bh/wd."""
        return "calendar" if self.unit in _CALENDAR_UNITS else "business"

    @property
    def minutes(self) -> int | None:
        """Length in (calendar or business) minutes; None for working days."""
        per = _UNIT_MINUTES.get(self.unit)
        return None if per is None else self.amount * per

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


def _utc(at: datetime) -> datetime:
    if at.tzinfo is UTC:
        return at
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()}: kefu needs timezone-aware datetimes")
    return at.astimezone(UTC)


def _parse_time(text: str, *, allow_24: bool) -> time:
    match = _TIME_RE.fullmatch(text.strip())
    if match is None:
        raise CalendarValueError(Message("calendar.not_time", value=text.strip()))
    hour, minute = int(match.group(1)), int(match.group(2))
    if allow_24 and (hour, minute) == (24, 0):
        return END_OF_DAY
    if hour > 23 or minute > 59:
        raise CalendarValueError(Message("calendar.not_time_of_day", value=text.strip()))
    return time(hour, minute)


def _parse_span(text: str) -> tuple[time, time]:
    if not isinstance(text, str) or text.count("-") != 1:
        raise CalendarValueError(Message("calendar.span_format", value=_shown(text)))
    start_text, end_text = text.split("-")
    try:
        return _parse_time(start_text, allow_24=False), _parse_time(end_text, allow_24=True)
    except CalendarValueError as exc:
        raise CalendarValueError(Message("calendar.span_bad", value=text, reason=exc.msg)) from None


def _parse_dates(name: str, values: Iterable[str]) -> frozenset[date]:
    result = set()
    for value in values:
        try:
            result.add(date.fromisoformat(str(value).strip()))
        except ValueError:
            raise CalendarValueError(Message("calendar.not_date", name=name, value=_shown(value))) from None
    return frozenset(result)


def _fmt(t: time) -> str:
    return "24:00" if t == END_OF_DAY else t.strftime("%H:%M")


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and business hours of a profile, with SLA time arithmetic on top.

    `business_hours` are local wall-clock spans of a working day, sorted and not overlapping;
    an end of `time.max` means midnight at the end of the day (written "24:00").
    """

    kind: str = "cn"
    timezone: str = "Asia/Shanghai"
    business_hours: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13), time(18)))
    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    entered_years: frozenset[int] = frozenset()
    """Years whose official arrangement an admin entered for the desk (`kefu calendar add`):
    for these the entered days off and make-up working days count instead of chinesecalendar."""
    entered_holidays: frozenset[date] = frozenset()
    entered_workdays: frozenset[date] = frozenset()
    # Per-instance caches; not part of equality or hashing.
    _zone: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    _workdays: dict[date, bool] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    _spans: dict[date, tuple[tuple[datetime, datetime], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    _warned: set[int] = field(default_factory=set, init=False, repr=False, compare=False, hash=False)
    _assumed: dict[tuple[int, int], tuple[int, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    memo: dict[object, object] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    """Values other modules derive from this calendar alone, kept with it (statutory period
    ends by anchor day)."""

    def __post_init__(self) -> None:
        if self.kind not in CALENDAR_KINDS:
            raise ValueError(f"unknown calendar kind {self.kind!r}: use {', '.join(CALENDAR_KINDS)}")
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
            raise CalendarValueError(Message("calendar.unknown_zone", zone=_shown(self.timezone))) from None
        object.__setattr__(self, "_zone", zone)
        hours = tuple((start, end) for start, end in self.business_hours)
        if not hours:
            raise CalendarValueError(Message("calendar.no_spans"))
        previous_end: time | None = None
        for start, end in hours:
            if not (isinstance(start, time) and isinstance(end, time)):
                raise ValueError(f"business hours: {start!r}-{end!r} are not times of day")
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("business hours are local wall times: give them without tzinfo")
            if end <= start:
                raise CalendarValueError(Message("calendar.span_backwards", start=_fmt(start), end=_fmt(end)))
            if previous_end is not None and start < previous_end:
                raise CalendarValueError(
                    Message(
                        "calendar.span_overlap", start=_fmt(start), end=_fmt(end), previous=_fmt(previous_end)
                    )
                )
            previous_end = end
        object.__setattr__(self, "business_hours", hours)
        object.__setattr__(self, "extra_holidays", frozenset(self.extra_holidays))
        object.__setattr__(self, "extra_workdays", frozenset(self.extra_workdays))
        for name in ("entered_years", "entered_holidays", "entered_workdays"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))

    @classmethod
    def from_strings(
        cls,
        kind: str = "cn",
        timezone: str = "Asia/Shanghai",
        business_hours: Iterable[str] = ("09:00-12:00", "13:00-18:00"),
        extra_holidays: Iterable[str] = (),
        extra_workdays: Iterable[str] = (),
    ) -> WorkCalendar:
        """Build from profile strings: `["09:00-12:00", ...]` and ISO dates `["2026-11-11"]`."""
        if isinstance(business_hours, str):
            business_hours = [business_hours]
        return cls(
            kind=kind,
            timezone=timezone,
            business_hours=tuple(_parse_span(span) for span in business_hours),
            extra_holidays=_parse_dates("extra_holidays", extra_holidays),
            extra_workdays=_parse_dates("extra_workdays", extra_workdays),
        )

    # -- working days ----------------------------------------------------------------------

    def covered_years(self) -> range | None:
        """Years chinesecalendar has official data for (`cn` only); None when every year is
        fine. Years entered for the desk are `entered_years`."""
        return _CN_COVERED if self.kind == "cn" else None

    def uncovered_years(self, years: Iterable[int]) -> list[int]:
        """The given years this calendar has no official data for (from chinesecalendar or
        entered for the desk), sorted, without repeats."""
        covered = self.covered_years()
        if covered is None:
            return []
        return sorted({year for year in years if year not in covered and year not in self.entered_years})

    def with_entered(
        self, years: Iterable[int], holidays: Iterable[date], workdays: Iterable[date]
    ) -> WorkCalendar:
        """This calendar with a desk's entered years (a `cn` calendar only uses them)."""
        return replace(
            self,
            entered_years=frozenset(years),
            entered_holidays=frozenset(holidays),
            entered_workdays=frozenset(workdays),
        )

    def assumed_years(self, start: datetime, end: datetime) -> tuple[int, ...]:
        """The years from `start` to `end` (local dates) this calendar has to assume: it has no
        official data for them, so weekdays stand in (a deadline reaching into one says so)."""
        if self.kind != "cn":
            return ()
        key = (self._local_year(start), self._local_year(end))
        found = self._assumed.get(key)
        if found is None:
            found = self._assumed[key] = tuple(self.uncovered_years(range(key[0], key[1] + 1)))
        return found

    def _local_year(self, at: datetime) -> int:
        utc = _utc(at)
        if (utc.month, utc.day) in ((12, 31), (1, 1)):  # a day either side: the zone may differ
            return self.local(utc).year
        return utc.year

    def is_workday(self, d: date) -> bool:
        """Whether `d` is a working day: extra holidays, then extra workdays, then the kind."""
        if isinstance(d, datetime):
            raise TypeError("is_workday takes a date; use calendar.local(at).date() for instants")
        cached = self._workdays.get(d)
        if cached is None:
            cached = self._workdays[d] = self._compute_workday(d)
        return cached

    def _compute_workday(self, d: date) -> bool:
        if d in self.extra_holidays:
            return False
        if d in self.extra_workdays:
            return True
        if self.kind == "everyday":
            return True
        if self.kind == "cn":
            if d.year in self.entered_years:
                return d in self.entered_workdays or (d.weekday() < 5 and d not in self.entered_holidays)
            if d.year in _CN_COVERED:
                return bool(chinese_calendar.is_workday(d))
            if d.year not in self._warned:
                self._warned.add(d.year)
                message = Message(
                    "calendar.no_holiday_data",
                    year=d.year,
                    first=_CN_COVERED.start,
                    last=_CN_COVERED.stop - 1,
                )
                warnings.warn(CalendarCoverageWarning(message), stacklevel=3)
        return d.weekday() < 5

    def _next_workday(self, d: date) -> date:
        while not self.is_workday(d):
            d += _ONE_DAY
        return d

    # -- local time ------------------------------------------------------------------------

    def local(self, at: datetime) -> datetime:
        """`at` (aware) in the calendar's time zone."""
        return _utc(at).astimezone(self._zone)

    def _instant(self, d: date, t: time) -> datetime:
        if t == END_OF_DAY:
            d, t = d + _ONE_DAY, time(0)
        return datetime.combine(d, t, tzinfo=self._zone).astimezone(UTC)

    def _day_spans(self, d: date) -> tuple[tuple[datetime, datetime], ...]:
        """Business-hour spans of date `d` as UTC instants (whether or not `d` is a workday)."""
        spans = self._spans.get(d)
        if spans is None:
            spans = tuple(
                (self._instant(d, start), self._instant(d, end)) for start, end in self.business_hours
            )
            self._spans[d] = spans
        return spans

    def close_of_business(self, d: date) -> datetime:
        """End of the last business-hours span on date `d`, in UTC."""
        return self._day_spans(d)[-1][1]

    def day_start(self, d: date) -> datetime:
        """Local 00:00 of date `d`, in UTC."""
        return self._instant(d, time(0))

    def opening(self, d: date) -> datetime:
        """Start of the first business-hours span on date `d`, in UTC."""
        return self._day_spans(d)[0][0]

    def add_opening(self, start: datetime, duration: Duration) -> datetime:
        """When something `duration` after `start` becomes possible (a revisit call): the same
        as `add`, but a number of working days lands at the opening of that day, not its close."""
        due = self.add(start, duration)
        return self.opening(self.local(due).date()) if duration.unit == "wd" else due

    # -- arithmetic ------------------------------------------------------------------------

    def add(self, start: datetime, duration: Duration) -> datetime:
        """The instant `duration` after `start` on the duration's clock (UTC)."""
        begin = _utc(start)
        if duration.unit == "wd":
            return self._add_workdays(begin, duration.amount)
        minutes = duration.minutes
        assert minutes is not None
        if duration.clock == "calendar":
            return begin + timedelta(minutes=minutes)
        return self._add_business(begin, timedelta(minutes=minutes))

    def _add_workdays(self, begin: datetime, amount: int) -> datetime:
        day = self.local(begin).date()
        if amount == 0:
            due = self.close_of_business(self._next_workday(day))
            if due < begin:  # received after close: today's close has passed already
                due = self.close_of_business(self._next_workday(day + _ONE_DAY))
            return due
        counted = 0
        while counted < amount:
            day += _ONE_DAY
            if self.is_workday(day):
                counted += 1
        return self.close_of_business(day)

    def _add_business(self, begin: datetime, amount: timedelta) -> datetime:
        """Move `amount` of business time forward from `begin` (UTC); a result exactly at a
        span's end stays there. Outside business hours the clock starts at the next opening."""
        remaining = amount
        day = self.local(begin).date()
        while True:
            spans = [(max(s, begin), e) for s, e in self._day_spans(day) if e > max(s, begin)]
            if spans and self.is_workday(day):
                for opening, span_end in spans:
                    available = span_end - opening
                    if remaining <= available:
                        return opening + remaining
                    remaining -= available
            day += _ONE_DAY

    def _business_time(self, start: datetime, end: datetime) -> timedelta:
        begin, finish = _utc(start), _utc(end)
        total = _ZERO
        if finish <= begin:
            return total
        day, last = self.local(begin).date(), self.local(finish).date()
        while day <= last:
            overlaps = [min(e, finish) - max(s, begin) for s, e in self._day_spans(day)]
            day_total = sum((o for o in overlaps if o > _ZERO), _ZERO)
            # Only ask about the day when it matters, so no needless coverage warning.
            if day_total and self.is_workday(day):
                total += day_total
            day += _ONE_DAY
        return total

    def business_minutes_between(self, start: datetime, end: datetime) -> int:
        """Whole business minutes in [start, end); 0 if end <= start."""
        return self._business_time(start, end) // _ONE_MINUTE

    def elapsed(self, start: datetime, end: datetime, clock: str) -> float:
        """Minutes from `start` to `end` on `clock` ("calendar" or "business"); 0 if end <= start
        on the business clock, negative wall minutes if end < start on the calendar clock."""
        if clock == "calendar":
            return (_utc(end) - _utc(start)) / _ONE_MINUTE
        if clock == "business":
            return self._business_time(start, end) / _ONE_MINUTE
        raise ValueError(f"unknown clock {clock!r}: use calendar or business")

    def shift(self, due: datetime, minutes: float, clock: str) -> datetime:
        """`due` moved later by `minutes` measured on `clock` (UTC); 0 minutes leaves it as is."""
        if minutes < 0:
            raise ValueError(f"cannot shift a deadline by a negative amount ({minutes} minutes)")
        begin = _utc(due)
        if clock == "calendar":
            return begin + timedelta(minutes=minutes)
        if clock == "business":
            if minutes == 0:
                return begin
            return self._add_business(begin, timedelta(minutes=minutes))
        raise ValueError(f"unknown clock {clock!r}: use calendar or business")
