"""Times and days as people write them: one parser for the CLI, the TUI and the importer.

Accepted, for an instant: ISO 8601 with or without an offset (`2026-11-24T09:30+08:00`,
`2026-11-24 09:30`); slashes and dots (`2026/11/3 9:05`, `2026.11.03 09:05:30`); Chinese
spellings (`2026年11月3日 9:05`, `2026年11月3日9时5分`, `2026年11月3日 下午3点`); Excel's
date serials (`46329.375`, as a CSV saved from a sheet whose column was not formatted as a date
writes them) and XLSX date cells. A time without an offset is wall time in the desk's zone.

A value with no time of day is a day, and what it means as an instant is the caller's choice
(`DateOnly`): the start of the day for an `--as-of` or an incident, but for a complaint's receipt
— which starts its SLA clocks — it is refused unless the admin says how to read it (`noon`,
`start-of-business`), never silently midnight.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone
from datetime import tzinfo as tzinfo_type
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from .messages import Message


class DateOnly(StrEnum):
    """How a day without a time of day is read as an instant."""

    START = "start-of-day"
    """00:00 — an `--as-of`, an effective date, an incident."""
    REFUSE = "refuse"
    """Not at all: the time of day is needed (a receipt starts the SLA clocks)."""
    NOON = "noon"
    """12:00: the middle of the day, when the hour is unknown."""
    START_OF_BUSINESS = "start-of-business"
    """The first business hour of the desk's calendar (09:00 when it has none)."""


DATE_ONLY_CHOICES = (DateOnly.NOON, DateOnly.START_OF_BUSINESS)
"""What an admin may ask for (`--date-only`)."""


class WhenError(ValueError):
    """A value that is not a time or day, with the catalog message that says why."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.text("en"))
        self.msg = message


EXCEL_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001 (a wall time: Excel's day 0, 1900 date system)
EXCEL_SERIALS = (25569.0, 73051.0)
"""Serials taken as Excel dates: 1970-01-01 to 2099-12-31 (a smaller or larger number is an
amount or an id, not a date)."""

_WHEN = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[ T]+(\d{1,2})(?::(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6}))?)?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_SPELLINGS = (
    ("点半", ":30"), ("时半", ":30"),
    ("年", "-"), ("月", "-"), ("日", " "), ("号", " "), ("时", ":"), ("点", ":"), ("分", ""), ("秒", ""),
    ("：", ":"), ("／", "/"), ("－", "-"),
)  # fmt: skip
_HALF_DAY = re.compile(r"(上午|早上|凌晨|中午|下午|晚上|AM|PM)", re.IGNORECASE)


def _iso(text: str) -> datetime | None:
    """ISO 8601 the quick way (most exports write it); None to try the other spellings."""
    if len(text) < 16 or text[4] != "-":
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _serial(value: float, text: str) -> tuple[datetime, bool]:
    """An Excel serial as a wall time, and whether it has a time of day."""
    if not EXCEL_SERIALS[0] <= value <= EXCEL_SERIALS[1]:
        raise WhenError(Message("when.is_number", value=text))
    at = EXCEL_EPOCH + timedelta(days=value)
    at = at.replace(microsecond=0) + timedelta(seconds=round(at.microsecond / 1e6))
    return at, value != int(value)


def _spelled(text: str) -> tuple[datetime, bool]:
    """The slash, dot and Chinese spellings: a wall time (or aware, with an offset) and whether
    a time of day was written."""
    normal = unicodedata.normalize("NFKC", text)  # full-width digits and colons
    for written, meant in _SPELLINGS:
        normal = normal.replace(written, meant)
    afternoon = False
    half = _HALF_DAY.search(normal)
    if half is not None:
        afternoon = half.group().casefold() in ("下午", "晚上", "pm")
        normal = (normal[: half.start()] + " " + normal[half.end() :]).strip()
    normal = re.sub(r"\s+", " ", normal.strip().rstrip(":"))
    match = _WHEN.fullmatch(normal)
    if match is None:
        raise WhenError(Message("when.not_a_time", text=text))
    y, mo, d, h, mi, s, frac, offset = match.groups()
    zone: tzinfo_type | None = None
    if offset and offset.upper() == "Z":
        zone = UTC
    elif offset:
        digits = offset[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
        if minutes >= 24 * 60:
            raise WhenError(Message("when.bad_offset", text=text))
        zone = timezone(timedelta(minutes=minutes if offset[0] == "+" else -minutes))
    hour = int(h or 0)
    if afternoon and hour < 12:
        hour += 12
    try:
        at = datetime(
            int(y), int(mo), int(d), hour, int(mi or 0), int(s or 0), int((frac or "0").ljust(6, "0")),
            tzinfo=zone,
        )  # fmt: skip
    except ValueError as exc:
        raise WhenError(Message("when.not_real", text=text, error=str(exc))) from None
    return at, h is not None


def _business_start(hours: list[str] | tuple[str, ...]) -> time:
    for span in hours:
        start = span.split("-", 1)[0].strip()
        try:
            return time.fromisoformat(start)
        except ValueError:
            continue
    return time(9)


def parse_instant(
    value: Any,
    zone: ZoneInfo,
    *,
    date_only: DateOnly = DateOnly.START,
    business_hours: list[str] | None = None,
) -> datetime:
    """A value as an aware UTC instant (see the module's docstring); raises `WhenError`."""
    at: datetime
    has_time = True
    if isinstance(value, datetime):
        at = value
        # A spreadsheet's date cell comes as a naive datetime at midnight: a day, no time of day.
        has_time = value.tzinfo is not None or value.time() != time(0)
    elif isinstance(value, date):
        at, has_time = datetime.combine(value, time(0)), False
    elif isinstance(value, int | float) and not isinstance(value, bool):
        at, has_time = _serial(float(value), str(value))
    else:
        text = str(value).strip()
        if _SERIAL.fullmatch(text):
            at, has_time = _serial(float(text), text)
        else:
            quick = _iso(text)
            at, has_time = (quick, True) if quick is not None else _spelled(text)
    if not has_time:
        if date_only == DateOnly.REFUSE:
            raise WhenError(
                Message("when.date_only", text=str(value), choices=[str(c) for c in DATE_ONLY_CHOICES])
            )
        if date_only == DateOnly.NOON:
            at = at.replace(hour=12)
        elif date_only == DateOnly.START_OF_BUSINESS:
            start = _business_start(business_hours or [])
            at = at.replace(hour=start.hour, minute=start.minute)
    if at.tzinfo is None:
        at = at.replace(tzinfo=zone)
    try:
        return at.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01 00:00 east of UTC is in year 0 there
        raise WhenError(Message("when.not_real", text=str(value), error=str(exc))) from None


def parse_day(value: Any) -> date:
    """A calendar day: `2026-11-03`, `2026/11/3`, `2026.11.3`, `2026年11月3日`, an Excel serial or
    date cell; a time of day, if written, is dropped. Raises `WhenError`."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(float(value), str(value))[0].date()
    text = str(value).strip()
    if _SERIAL.fullmatch(text):
        return _serial(float(text), text)[0].date()
    try:
        at, _ = _spelled(text)
    except WhenError:
        raise WhenError(Message("when.not_a_day", text=text)) from None
    return at.date()
