"""Working-day calendars and SLA time arithmetic (kefu.core.calendar).

Expected values are worked out by hand from the official 2026 mainland China schedule as
shipped in chinesecalendar 1.11:
New Year 1-3 Jan (work Sun 4 Jan); Spring Festival 15-23 Feb (work Sat 14 Feb, Sat 28 Feb);
Qingming 4-6 Apr; Labour Day 1-5 May (work Sat 9 May); Dragon Boat 19-21 Jun;
Mid-Autumn 25-27 Sep; National Day 1-7 Oct (work Sun 20 Sep, Sat 10 Oct).
Default business hours 09:00-12:00 and 13:00-18:00, Asia/Shanghai (UTC+8, no DST).
"""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from kefu.core.calendar import CalendarCoverageWarning, CalendarValueError, Duration, WorkCalendar

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
CN = WorkCalendar()


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=SH)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def ber(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=BERLIN)


def D(text: str) -> Duration:
    return Duration.parse(text)


# -- the library's data, checked before anything relies on it ----------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 1), False),  # New Year's Day
        (date(2026, 1, 4), True),  # Sunday make-up day for New Year
        (date(2026, 2, 14), True),  # Saturday make-up day before Spring Festival
        (date(2026, 2, 16), False),  # Monday inside Spring Festival
        (date(2026, 2, 23), False),  # last day of Spring Festival (Monday)
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday make-up day after Spring Festival
        (date(2026, 5, 9), True),  # Saturday make-up day for Labour Day
        (date(2026, 9, 20), True),  # Sunday make-up day for National Day
        (date(2026, 9, 25), False),  # Mid-Autumn (Friday)
        (date(2026, 10, 1), False),
        (date(2026, 10, 7), False),
        (date(2026, 10, 10), True),  # Saturday make-up day after National Day
        (date(2026, 3, 7), False),  # ordinary Saturday
        (date(2026, 3, 9), True),  # ordinary Monday
    ],
)
def test_cn_working_days_2026(day: date, working: bool) -> None:
    assert chinese_calendar.is_workday(day) is working
    assert CN.is_workday(day) is working


def test_cn_covered_years() -> None:
    assert CN.covered_years() == range(2004, 2027)
    assert CN.uncovered_years([2027, 2026, 2003, 2027, 2004]) == [2003, 2027]
    for kind in ("weekdays", "everyday"):
        assert WorkCalendar(kind=kind).covered_years() is None
        assert WorkCalendar(kind=kind).uncovered_years([1990, 2099]) == []


# -- Duration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "unit", "clock"),
    [
        ("15m", 15, "m", "calendar"),
        ("24h", 24, "h", "calendar"),
        ("7d", 7, "d", "calendar"),
        ("30bm", 30, "bm", "business"),
        ("4bh", 4, "bh", "business"),
        ("3wd", 3, "wd", "business"),
        ("0wd", 0, "wd", "business"),
        (" 2BH ", 2, "bh", "business"),
    ],
)
def test_duration_parse(text: str, amount: int, unit: str, clock: str) -> None:
    duration = Duration.parse(text)
    assert (duration.amount, duration.unit, duration.clock) == (amount, unit, clock)
    assert Duration.parse(str(duration)) == duration
    assert str(duration) == f"{amount}{unit}"


def test_duration_minutes() -> None:
    assert [D(t).minutes for t in ("90m", "24h", "7d", "30bm", "4bh", "3wd")] == [
        90,
        1440,
        10080,
        30,
        240,
        None,
    ]


@pytest.mark.parametrize("text", ["3x", "", "wd", "3", "-3wd", "3.5h", "3 wd", "bh4", "3wdd"])
def test_duration_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration: use a number followed by m, h, d"):
        Duration.parse(text)


def test_duration_error_message_exact() -> None:
    with pytest.raises(ValueError) as info:
        Duration.parse("3x")
    assert str(info.value) == ("'3x' is not a duration: use a number followed by m, h, d, bm, bh or wd")


@pytest.mark.parametrize(("amount", "unit"), [(3, "x"), (-1, "m"), (1.5, "h"), (True, "m")])
def test_duration_constructor_validates(amount: object, unit: str) -> None:
    with pytest.raises(ValueError):
        Duration(amount, unit)  # type: ignore[arg-type]


# -- working days (wd) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "target", "due_local"),
    [
        # The working-day example: Wed 30 Sep → Thu 8 Oct, Fri 9 Oct, Sat 10 Oct (make-up) → 10 Oct 18:00
        (sh(2026, 9, 30, 10), "3wd", sh(2026, 10, 10, 18)),
        (sh(2026, 9, 30, 10), "1wd", sh(2026, 10, 8, 18)),
        (sh(2026, 9, 30, 10), "4wd", sh(2026, 10, 12, 18)),  # Sun 11 Oct is a rest day
        # Spring Festival: Fri 13 Feb → Sat 14 (make-up), Tue 24, Wed 25 ...
        (sh(2026, 2, 13, 10), "1wd", sh(2026, 2, 14, 18)),
        (sh(2026, 2, 13, 10), "3wd", sh(2026, 2, 25, 18)),
        (sh(2026, 2, 13, 10), "5wd", sh(2026, 2, 27, 18)),
        (sh(2026, 2, 13, 10), "6wd", sh(2026, 2, 28, 18)),  # Sat 28 Feb make-up day
        (sh(2026, 2, 13, 10), "7wd", sh(2026, 3, 2, 18)),
        # received on a holiday: counting starts after it
        (sh(2026, 2, 17, 10), "1wd", sh(2026, 2, 24, 18)),
        (sh(2026, 10, 3, 15), "2wd", sh(2026, 10, 9, 18)),
        # the receipt day never counts, even at 08:00 on a working day
        (sh(2026, 3, 4, 8), "1wd", sh(2026, 3, 5, 18)),
        (sh(2026, 3, 6, 23, 59), "1wd", sh(2026, 3, 9, 18)),  # Fri night → Mon
        # 0wd: close of business of the receipt day, or of the next working day
        (sh(2026, 9, 30, 10), "0wd", sh(2026, 9, 30, 18)),
        (sh(2026, 2, 17, 10), "0wd", sh(2026, 2, 24, 18)),
        (sh(2026, 3, 7, 10), "0wd", sh(2026, 3, 9, 18)),
        # month end
        (sh(2026, 7, 31, 10), "1wd", sh(2026, 8, 3, 18)),
        (sh(2026, 4, 30, 10), "2wd", sh(2026, 5, 7, 18)),  # 1-5 May off → Wed 6, Thu 7
    ],
)
def test_add_working_days(start: datetime, target: str, due_local: datetime) -> None:
    due = CN.add(start, D(target))
    assert due == due_local
    assert due.tzinfo is UTC


def test_spec_example_in_utc() -> None:
    assert CN.add(sh(2026, 9, 30, 10), D("3wd")) == utc(2026, 10, 10, 10)


@pytest.mark.parametrize(
    ("start", "target", "due_local"),
    [
        # 2026-09-30 17:30 UTC is Thu 1 Oct 01:30 in Shanghai: a holiday, counting starts there
        (utc(2026, 9, 30, 17, 30), "0wd", sh(2026, 10, 8, 18)),
        (utc(2026, 9, 30, 17, 30), "1wd", sh(2026, 10, 8, 18)),
        (utc(2026, 9, 30, 15, 59), "0wd", sh(2026, 10, 8, 18)),  # 23:59 on 30 Sep: after close
        # 2026-09-29 16:30 UTC is already Wed 30 Sep 00:30 local: 30 Sep is the receipt day
        (utc(2026, 9, 29, 16, 30), "1wd", sh(2026, 10, 8, 18)),
        (utc(2026, 9, 29, 15, 30), "1wd", sh(2026, 9, 30, 18)),  # Tue 29 Sep 23:30 local
    ],
)
def test_local_date_boundary(start: datetime, target: str, due_local: datetime) -> None:
    assert CN.add(start, D(target)) == due_local


def test_business_clock_starts_from_local_date() -> None:
    # Thu 1 Oct 01:30 local (holiday) → the clock starts Thu 8 Oct 09:00
    assert CN.add(utc(2026, 9, 30, 17, 30), D("1bh")) == sh(2026, 10, 8, 10)


# -- business time (bm / bh) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "target", "due_local"),
    [
        # inside hours, same span
        (sh(2026, 3, 9, 9), "15bm", sh(2026, 3, 9, 9, 15)),
        (sh(2026, 3, 9, 9, 0, 30), "1bm", sh(2026, 3, 9, 9, 1, 30)),
        # lunch break skipped
        (sh(2026, 3, 9, 11, 30), "1bh", sh(2026, 3, 9, 13, 30)),
        (sh(2026, 3, 9, 11, 30), "30bm", sh(2026, 3, 9, 12)),  # lands exactly on 12:00
        (sh(2026, 3, 9, 11, 30), "31bm", sh(2026, 3, 9, 13, 1)),
        (sh(2026, 3, 9, 12, 15), "15bm", sh(2026, 3, 9, 13, 15)),  # received during lunch
        # exactly on close of business stays there
        (sh(2026, 3, 9, 9), "8bh", sh(2026, 3, 9, 18)),
        (sh(2026, 3, 9, 9), "9bh", sh(2026, 3, 10, 10)),
        (sh(2026, 3, 9, 17), "1bh", sh(2026, 3, 9, 18)),
        # before opening: starts at 09:00
        (sh(2026, 3, 9, 7, 45), "4bh", sh(2026, 3, 9, 14)),
        # after hours on Friday: the clock starts Monday 09:00
        (sh(2026, 3, 6, 19), "4bh", sh(2026, 3, 9, 14)),
        (sh(2026, 3, 6, 18), "15bm", sh(2026, 3, 9, 9, 15)),
        # after hours on Friday 18 Sep: next working day is the make-up Sunday 20 Sep
        (sh(2026, 9, 18, 19), "1bh", sh(2026, 9, 20, 10)),
        # received on a holiday
        (sh(2026, 10, 1, 10), "2bh", sh(2026, 10, 8, 11)),
        (sh(2026, 2, 16, 9), "24bh", sh(2026, 2, 26, 18)),  # 24, 25, 26 Feb
        # across a holiday block
        (sh(2026, 9, 30, 17), "2bh", sh(2026, 10, 8, 10)),
        (sh(2026, 2, 13, 17, 30), "9bh", sh(2026, 2, 24, 9, 30)),  # via Sat 14 Feb
        # make-up Saturday counted as working
        (sh(2026, 2, 14, 10), "1bh", sh(2026, 2, 14, 11)),
        # month end
        (sh(2026, 7, 31, 17), "2bh", sh(2026, 8, 3, 10)),
        # calendar units ignore working days
        (sh(2026, 9, 30, 10), "24h", sh(2026, 10, 1, 10)),
        (sh(2026, 9, 30, 10), "90m", sh(2026, 9, 30, 11, 30)),
        (sh(2026, 9, 30, 10), "7d", sh(2026, 10, 7, 10)),
    ],
)
def test_add_durations(start: datetime, target: str, due_local: datetime) -> None:
    due = CN.add(start, D(target))
    assert due == due_local
    assert due.tzinfo is UTC


def test_close_of_business() -> None:
    assert CN.close_of_business(date(2026, 9, 30)) == utc(2026, 9, 30, 10)
    assert CN.close_of_business(date(2026, 9, 30)).tzinfo is UTC


# -- year end and coverage ---------------------------------------------------------------


def test_year_end_into_uncovered_year_warns() -> None:
    calendar = WorkCalendar()
    with pytest.warns(CalendarCoverageWarning, match="2027"):
        # 1 Jan 2027 is a Friday: without official data it is treated as a working day
        due = calendar.add(sh(2026, 12, 31, 10), D("1wd"))
    assert due == sh(2027, 1, 1, 18)


def test_year_end_business_hours_warn() -> None:
    calendar = WorkCalendar()
    with pytest.warns(CalendarCoverageWarning, match="no official holiday data for 2027"):
        assert calendar.add(sh(2026, 12, 31, 17), D("2bh")) == sh(2027, 1, 1, 10)


def test_coverage_warning_once_per_year() -> None:
    calendar = WorkCalendar()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        calendar.add(sh(2026, 12, 31, 10), D("30wd"))
        calendar.add(sh(2027, 3, 1, 10), D("5wd"))
        calendar.is_workday(date(2028, 6, 1))
        calendar.is_workday(date(2028, 6, 2))
    coverage = [w for w in caught if issubclass(w.category, CalendarCoverageWarning)]
    assert [str(w.message).split("data for ")[1][:4] for w in coverage] == ["2027", "2028"]


def test_coverage_warning_carries_its_message_in_both_languages() -> None:
    with pytest.warns(CalendarCoverageWarning) as caught:
        WorkCalendar().is_workday(date(2031, 3, 3))
    warning = caught[0].message
    assert isinstance(warning, CalendarCoverageWarning)
    assert str(warning).startswith(
        "the cn calendar has no official holiday data for 2031 (chinesecalendar covers"
    )
    assert warning.msg.text("en") == str(warning)
    assert warning.msg.text("zh").startswith("cn 日历没有 2031 年的官方节假日数据")


def test_no_warning_inside_coverage_or_for_other_kinds() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        WorkCalendar().add(sh(2026, 1, 5, 10), D("100wd"))
        WorkCalendar(kind="weekdays").add(sh(2040, 12, 31, 10), D("3wd"))
        WorkCalendar(kind="everyday").add(sh(2040, 12, 31, 10), D("3wd"))
        # an explicit extra day is never looked up in the library
        WorkCalendar(extra_holidays=frozenset({date(2027, 1, 1)})).is_workday(date(2027, 1, 1))
        # an interval ending exactly at local midnight never asks about the next day
        assert WorkCalendar().business_minutes_between(sh(2026, 12, 31), sh(2027, 1, 1)) == 480


def test_uncovered_year_falls_back_to_weekdays() -> None:
    calendar = WorkCalendar()
    with pytest.warns(CalendarCoverageWarning):
        assert calendar.is_workday(date(2003, 1, 1)) is True  # a Wednesday
    assert calendar.is_workday(date(2003, 1, 4)) is False  # a Saturday, no second warning


# -- profile overrides and other kinds ----------------------------------------------------


def test_extra_holidays_and_workdays() -> None:
    calendar = WorkCalendar.from_strings(
        "cn",
        "Asia/Shanghai",
        ["09:00-12:00", "13:00-18:00"],
        ["2026-11-11", "2026-11-16"],
        ["2026-11-14", "2026-10-05", "2026-11-16"],
    )
    assert calendar.is_workday(date(2026, 11, 11)) is False  # shop closure on a Wednesday
    assert calendar.is_workday(date(2026, 11, 14)) is True  # shop opens a Saturday
    assert calendar.is_workday(date(2026, 10, 5)) is True  # open on a public holiday
    assert calendar.is_workday(date(2026, 11, 16)) is False  # in both lists: holiday wins
    # Tue 10 Nov → (Wed 11 closed) Thu 12, Fri 13, Sat 14 (open), (Mon 16 closed) Tue 17
    assert calendar.add(sh(2026, 11, 10, 10), D("1wd")) == sh(2026, 11, 12, 18)
    assert calendar.add(sh(2026, 11, 10, 10), D("3wd")) == sh(2026, 11, 14, 18)
    assert calendar.add(sh(2026, 11, 10, 10), D("4wd")) == sh(2026, 11, 17, 18)
    assert calendar.add(sh(2026, 10, 4, 10), D("1bh")) == sh(2026, 10, 5, 10)


@pytest.mark.parametrize(
    ("kind", "start", "target", "due_local"),
    [
        ("weekdays", sh(2026, 9, 30, 10), "3wd", sh(2026, 10, 5, 18)),  # Thu 1, Fri 2, Mon 5
        ("weekdays", sh(2026, 2, 13, 10), "1wd", sh(2026, 2, 16, 18)),  # no Spring Festival
        ("weekdays", sh(2026, 3, 6, 17), "2bh", sh(2026, 3, 9, 10)),
        ("everyday", sh(2026, 9, 30, 10), "3wd", sh(2026, 10, 3, 18)),
        ("everyday", sh(2026, 3, 6, 17), "2bh", sh(2026, 3, 7, 10)),  # Saturday counts
        ("everyday", sh(2026, 10, 1, 8), "0wd", sh(2026, 10, 1, 18)),
    ],
)
def test_other_kinds(kind: str, start: datetime, target: str, due_local: datetime) -> None:
    assert WorkCalendar(kind=kind).add(start, D(target)) == due_local


@pytest.mark.parametrize(
    ("kind", "day", "working"),
    [
        ("weekdays", date(2026, 2, 16), True),
        ("weekdays", date(2026, 2, 14), False),
        ("weekdays", date(2026, 10, 10), False),
        ("everyday", date(2026, 10, 1), True),
        ("everyday", date(2026, 3, 8), True),
    ],
)
def test_other_kinds_is_workday(kind: str, day: date, working: bool) -> None:
    assert WorkCalendar(kind=kind).is_workday(day) is working


def test_single_span_and_end_of_day() -> None:
    calendar = WorkCalendar.from_strings("everyday", "UTC", ["00:00-24:00"], [], [])
    assert calendar.close_of_business(date(2026, 5, 1)) == utc(2026, 5, 2)
    assert calendar.add(utc(2026, 5, 1, 23), D("2bh")) == utc(2026, 5, 2, 1)
    assert calendar.business_minutes_between(utc(2026, 5, 1), utc(2026, 5, 8)) == 7 * 24 * 60


# -- business minutes between / elapsed / shift -------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (sh(2026, 3, 9, 9), sh(2026, 3, 9, 18), 480),
        (sh(2026, 3, 9, 8), sh(2026, 3, 9, 20), 480),
        (sh(2026, 3, 9, 11, 30), sh(2026, 3, 9, 13, 30), 60),
        (sh(2026, 3, 6, 17), sh(2026, 3, 9, 10), 120),
        (sh(2026, 9, 30, 17), sh(2026, 10, 8, 10), 120),
        (sh(2026, 2, 13, 9), sh(2026, 2, 25, 9), 3 * 480),  # 13, 14 (make-up), 24 Feb
        (sh(2026, 3, 9, 10), sh(2026, 3, 9, 10), 0),
        (sh(2026, 3, 9, 12), sh(2026, 3, 9, 10), 0),
        (sh(2026, 3, 9, 9, 0, 30), sh(2026, 3, 9, 9, 2), 1),  # whole minutes only
        (sh(2026, 1, 1), sh(2027, 1, 1), 248 * 480),  # 248 working days in 2026
    ],
)
def test_business_minutes_between(start: datetime, end: datetime, minutes: int) -> None:
    assert CN.business_minutes_between(start, end) == minutes


def test_elapsed() -> None:
    start, end = sh(2026, 3, 6, 17), sh(2026, 3, 9, 10)
    assert CN.elapsed(start, end, "calendar") == 65 * 60
    assert CN.elapsed(start, end, "business") == 120
    assert CN.elapsed(sh(2026, 3, 9, 9, 0, 30), sh(2026, 3, 9, 9, 1), "business") == 0.5
    assert CN.elapsed(end, start, "business") == 0
    assert CN.elapsed(end, start, "calendar") == -65 * 60
    with pytest.raises(ValueError, match="unknown clock"):
        CN.elapsed(start, end, "lunar")


@pytest.mark.parametrize(
    ("due", "minutes", "clock", "shifted_local"),
    [
        # at close of business + 30 business minutes = next opening + 30
        (sh(2026, 3, 9, 18), 30, "business", sh(2026, 3, 10, 9, 30)),
        (sh(2026, 3, 6, 18), 30, "business", sh(2026, 3, 9, 9, 30)),
        (sh(2026, 9, 30, 18), 30, "business", sh(2026, 10, 8, 9, 30)),
        (sh(2026, 3, 9, 11, 50), 20, "business", sh(2026, 3, 9, 13, 10)),
        (sh(2026, 3, 9, 10), 90.5, "business", sh(2026, 3, 9, 11, 30, 30)),
        (sh(2026, 3, 9, 20), 0, "business", sh(2026, 3, 9, 20)),  # nothing to shift
        (sh(2026, 3, 9, 18), 30, "calendar", sh(2026, 3, 9, 18, 30)),
        (sh(2026, 9, 30, 18), 24 * 60, "calendar", sh(2026, 10, 1, 18)),
    ],
)
def test_shift(due: datetime, minutes: float, clock: str, shifted_local: datetime) -> None:
    shifted = CN.shift(due, minutes, clock)
    assert shifted == shifted_local
    assert shifted.tzinfo is UTC


def test_shift_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="negative"):
        CN.shift(sh(2026, 3, 9, 10), -1, "business")
    with pytest.raises(ValueError, match="unknown clock"):
        CN.shift(sh(2026, 3, 9, 10), 1, "moon")


def test_pause_shift_round_trip() -> None:
    # a pause from Fri 17:30 to Mon 09:45 used 30 + 45 business minutes; a due of Mon 11:00
    # moves 75 business minutes later: 60 before lunch, 15 after → 13:15
    paused = CN.elapsed(sh(2026, 3, 6, 17, 30), sh(2026, 3, 9, 9, 45), "business")
    assert paused == 75
    assert CN.shift(sh(2026, 3, 9, 11), paused, "business") == sh(2026, 3, 9, 13, 15)


@pytest.mark.parametrize("amount", [1, 29, 60, 179, 180, 181, 480, 481, 2000])
def test_add_and_between_agree(amount: int) -> None:
    """add(start, Nbm) then business_minutes_between(start, result) == N, for many starts
    across the 2026 National Day and Spring Festival blocks, inside and outside hours."""
    starts = [sh(2026, 9, 17) + timedelta(minutes=37 * i) for i in range(0, 1100, 7)]
    starts += [sh(2026, 2, 12) + timedelta(minutes=53 * i) for i in range(0, 500, 9)]
    for start in starts:
        due = CN.add(start, Duration(amount, "bm"))
        assert CN.business_minutes_between(start, due) == amount, start
        assert CN.elapsed(start, due, "business") == amount
        assert CN.is_workday(CN.local(due).date())
        # shifting that deadline by its own pause lands where adding from the start would
        assert CN.shift(due, 45, "business") == CN.add(start, Duration(amount + 45, "bm"))


# -- time zones and DST ------------------------------------------------------------------


def test_local_and_naive() -> None:
    assert CN.local(utc(2026, 9, 30, 17, 30)) == sh(2026, 10, 1, 1, 30)
    assert CN.local(utc(2026, 9, 30, 17, 30)).tzinfo == SH
    naive = datetime(2026, 9, 30, 10)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="naive"):
        CN.local(naive)
    with pytest.raises(ValueError, match="naive"):
        CN.add(naive, D("1bh"))


def test_input_in_any_zone_output_in_utc() -> None:
    start = sh(2026, 9, 30, 10).astimezone(ZoneInfo("America/New_York"))
    due = CN.add(start, D("3wd"))
    assert due == utc(2026, 10, 10, 10)
    assert due.tzinfo is UTC


BERLIN_WEEKDAYS = WorkCalendar(kind="weekdays", timezone="Europe/Berlin")


@pytest.mark.parametrize(
    ("start", "target", "due_utc"),
    [
        # Berlin springs forward on Sun 29 Mar 2026: CET (UTC+1) → CEST (UTC+2)
        (ber(2026, 3, 27, 17), "2bh", utc(2026, 3, 30, 8)),  # Fri 17:00 CET → Mon 10:00 CEST
        (ber(2026, 3, 27, 10), "1wd", utc(2026, 3, 30, 16)),  # Mon 18:00 CEST
        (ber(2026, 3, 27, 10), "0wd", utc(2026, 3, 27, 17)),  # Fri 18:00 CET
        # and falls back on Sun 25 Oct 2026
        (ber(2026, 10, 23, 17), "2bh", utc(2026, 10, 26, 9)),  # Fri CEST → Mon 10:00 CET
        # 24h of wall-clock time is 24 real hours, not "same time tomorrow"
        (ber(2026, 3, 28, 12), "24h", utc(2026, 3, 29, 11)),  # = 13:00 CEST
        (ber(2026, 3, 28, 12), "1d", utc(2026, 3, 29, 11)),
    ],
)
def test_dst_zone(start: datetime, target: str, due_utc: datetime) -> None:
    assert BERLIN_WEEKDAYS.add(start, D(target)) == due_utc


def test_dst_business_minutes_and_elapsed() -> None:
    fri_open, mon_close = ber(2026, 3, 27, 9), ber(2026, 3, 30, 18)
    assert BERLIN_WEEKDAYS.business_minutes_between(fri_open, mon_close) == 960
    assert BERLIN_WEEKDAYS.close_of_business(date(2026, 3, 27)) == utc(2026, 3, 27, 17)
    assert BERLIN_WEEKDAYS.close_of_business(date(2026, 3, 30)) == utc(2026, 3, 30, 16)
    # wall time Sat 12:00 → Sun 12:00 across the gap is 23 real hours
    assert BERLIN_WEEKDAYS.elapsed(ber(2026, 3, 28, 12), ber(2026, 3, 29, 12), "calendar") == 1380
    round_the_clock = WorkCalendar.from_strings("everyday", "Europe/Berlin", ["00:00-24:00"])
    # 28 Mar has 24 hours, 29 Mar has 23; 25 Oct has 25
    assert round_the_clock.business_minutes_between(ber(2026, 3, 28), ber(2026, 3, 30)) == 2820
    assert round_the_clock.business_minutes_between(ber(2026, 10, 25), ber(2026, 10, 26)) == 1500
    assert round_the_clock.add(ber(2026, 3, 28, 12), D("24bh")) == utc(2026, 3, 29, 11)


# -- building calendars -------------------------------------------------------------------


def test_from_strings_builds_the_default() -> None:
    built = WorkCalendar.from_strings(
        "cn", "Asia/Shanghai", ["09:00-12:00", "13:00-18:00"], ["2026-11-11"], []
    )
    assert built == WorkCalendar(extra_holidays=frozenset({date(2026, 11, 11)}))
    assert hash(built) == hash(WorkCalendar(extra_holidays=frozenset({date(2026, 11, 11)})))
    assert built.business_hours == ((time(9), time(12)), (time(13), time(18)))
    assert WorkCalendar.from_strings() == WorkCalendar()
    assert WorkCalendar.from_strings("weekdays", "UTC", ["8:30-17:30"]).business_hours == (
        (time(8, 30), time(17, 30)),
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "jp"}, "unknown calendar kind 'jp'"),
        ({"timezone": "Mars/Base"}, "unknown time zone 'Mars/Base'"),
        ({"timezone": "Asia"}, "unknown time zone 'Asia'"),
        ({"timezone": ""}, "unknown time zone ''"),
        ({"business_hours": ["09:00-13:00", "12:00-18:00"]}, "overlap"),
        ({"business_hours": ["13:00-18:00", "09:00-12:00"]}, "overlap or come before"),
        ({"business_hours": ["18:00-09:00"]}, "the end must be after the start"),
        ({"business_hours": ["09:00-09:00"]}, "the end must be after the start"),
        ({"business_hours": ["9am-5pm"]}, "'9am' is not a time"),
        ({"business_hours": ["09:00"]}, "use HH:MM-HH:MM"),
        ({"business_hours": ["25:00-26:00"]}, "not a time of day"),
        ({"business_hours": ["24:00-24:00"]}, "not a time of day"),
        ({"business_hours": []}, "at least one span"),
        ({"extra_holidays": ["2026-13-01"]}, "extra_holidays: '2026-13-01' is not a date"),
        ({"extra_workdays": ["11/14/2026"]}, "extra_workdays: '11/14/2026' is not a date"),
    ],
)
def test_from_strings_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkCalendar.from_strings(**kwargs)  # type: ignore[arg-type]


def test_profile_value_errors_carry_a_message() -> None:
    with pytest.raises(CalendarValueError) as info:
        WorkCalendar.from_strings(business_hours=["9am-5pm"])
    assert str(info.value) == "business hours '9am-5pm': '9am' is not a time: use HH:MM"
    assert info.value.msg.text("zh") == "营业时间「9am-5pm」：「9am」不是时间：请写成 HH:MM"
    with pytest.raises(CalendarValueError) as info:
        Duration.parse("3x")
    assert info.value.msg.text("zh").startswith("「3x」不是时长")


def test_constructor_validates_too() -> None:
    with pytest.raises(ValueError, match="the end must be after the start"):
        WorkCalendar(business_hours=((time(12), time(9)),))
    with pytest.raises(ValueError, match="unknown calendar kind"):
        WorkCalendar(kind="CN")


def test_is_workday_takes_dates_only() -> None:
    with pytest.raises(TypeError):
        CN.is_workday(sh(2026, 3, 9, 10))


def test_long_spans_count_whole_days() -> None:
    calendar = WorkCalendar()
    assert calendar.business_minutes_between(sh(2004, 1, 1), sh(2026, 12, 31)) > 0
    assert calendar.add(sh(2026, 1, 5, 9), D("1976bh")) == sh(2026, 12, 31, 18)  # 247 days × 8h
