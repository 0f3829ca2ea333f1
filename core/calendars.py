"""Calendar years as data: a year's official holiday arrangement, entered once for the desk.

chinesecalendar ships the State Council's arrangement for the years it knows; the next year's
is published in November or December and reaches a release later. Until then kefu assumes
Monday to Friday for that year (and says so on every deadline that reaches into it). An admin
who has the notice enters it with `kefu calendar add FILE`:

    year = 2027
    source = "国务院办公厅关于2027年部分节假日安排的通知"

    [[holidays]]
    name = "元旦"
    from = 2027-01-01
    to = 2027-01-03

    [[workdays]]
    name = "春节调休"
    date = 2027-02-07

`holidays` are the days off, weekends inside the span included; `workdays` are the make-up
working days (调休上班). An entered year counts as covered (no warning, `doctor` passes) and
wins over chinesecalendar for that year; a profile's own `extra_holidays` / `extra_workdays`
still win over both. After entering a year, `kefu sla rebase` moves the open deadlines that
rested on the assumed one (`lifecycle.rebase_deadlines`).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from .calendar import WorkCalendar
from .errors import InvalidInput, PermissionDenied, Refused
from .messages import Message
from .models import CalendarYear, User
from .workflow import ADMINS, role_refusal

__all__ = ["DeskYears", "YearArrangement", "add_year", "desk_years_of", "parse_year_text", "read_year_file"]

EARLIEST = 2000
LATEST = 2100
_MAX_FILE = 256 * 1024


@dataclass(frozen=True)
class YearArrangement:
    """One year's days off and make-up working days, each with its name."""

    year: int
    source: str
    holidays: tuple[tuple[str, date, date], ...]
    """(name, first day off, last day off)."""
    workdays: tuple[tuple[str, date], ...]

    def days_off(self) -> frozenset[date]:
        days: set[date] = set()
        for _name, first, last in self.holidays:
            day = first
            while day <= last:
                days.add(day)
                day += timedelta(days=1)
        return frozenset(days)

    def working_days(self) -> frozenset[date]:
        return frozenset(day for _name, day in self.workdays)

    def as_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "source": self.source,
            "holidays": [
                {
                    "name": name,
                    "from": first.isoformat(),
                    "to": last.isoformat(),
                    "days": (last - first).days + 1,
                }
                for name, first, last in self.holidays
            ],
            "workdays": [{"name": name, "date": day.isoformat()} for name, day in self.workdays],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> YearArrangement:
        return cls(
            year=int(data["year"]),
            source=str(data.get("source", "")),
            holidays=tuple(
                (str(h["name"]), date.fromisoformat(h["from"]), date.fromisoformat(h["to"]))
                for h in data.get("holidays", [])
            ),
            workdays=tuple((str(w["name"]), date.fromisoformat(w["date"])) for w in data.get("workdays", [])),
        )


@dataclass(frozen=True)
class DeskYears:
    """Every year entered for a desk, as the working calendar takes them."""

    years: frozenset[int] = frozenset()
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    digest: str = ""
    """Tells two sets of entered years apart (the parsed-profile cache keys on it)."""

    def __bool__(self) -> bool:
        return bool(self.years)


NONE = DeskYears()


def desk_years_of(arrangements: list[YearArrangement]) -> DeskYears:
    if not arrangements:
        return NONE
    payload = json.dumps([a.as_json() for a in sorted(arrangements, key=lambda a: a.year)], sort_keys=True)
    return DeskYears(
        years=frozenset(a.year for a in arrangements),
        holidays=frozenset(d for a in arrangements for d in a.days_off()),
        workdays=frozenset(d for a in arrangements for d in a.working_days()),
        digest=hashlib.sha1(payload.encode()).hexdigest(),
    )


def stored_years(session: Session) -> list[CalendarYear]:
    return list(session.exec(select(CalendarYear).order_by(col(CalendarYear.year))).all())


_PARSED_YEARS: dict[tuple[tuple[int, str], ...], DeskYears] = {}


def load_desk_years(session: Session) -> DeskYears:
    """The desk's entered years (read once per session: `policies.desk_years`). The rows are
    read as stored (one plain query, no entities) and parsed once per process for each
    distinct content: every write transaction asks, and the years change once a year."""
    stored = tuple(
        (int(year), str(arrangement))
        for year, arrangement in session.connection().exec_driver_sql(
            "SELECT year, arrangement_json FROM calendar_years ORDER BY year"
        )
    )
    found = _PARSED_YEARS.get(stored)
    if found is None:
        found = desk_years_of([YearArrangement.from_json(json.loads(text)) for _, text in stored])
        if len(_PARSED_YEARS) > 64:
            _PARSED_YEARS.clear()  # a long-lived process that saw many desks: start again
        _PARSED_YEARS[stored] = found
    return found


# -- reading a file ---------------------------------------------------------------------------


def read_year_file(path: Path) -> YearArrangement:
    """Read and check an arrangement file; InvalidInput names the file, line and field."""
    try:
        if path.stat().st_size > _MAX_FILE:
            raise InvalidInput(Message("calendar_file.too_big", path=str(path), limit=_MAX_FILE // 1024))
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(Message("calendar_file.no_file", path=str(path))) from None
    except UnicodeDecodeError:
        raise InvalidInput(Message("policy.not_utf8", path=str(path))) from None
    except OSError as exc:
        raise InvalidInput(Message("policy.cannot_read", path=str(path), reason=exc.strerror)) from None
    return parse_year_text(text, str(path))


_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z_]+)\s*\]\]?")
_KEY = re.compile(r"^\s*([A-Za-z_]+)\s*=")


def _lines(text: str) -> dict[tuple[str, int, str], int]:
    """(table, entry index, key) → line number; top-level keys under ("", 0, key)."""
    found: dict[tuple[str, int, str], int] = {}
    table, counts = "", {"holidays": -1, "workdays": -1}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = header.group(1)
            if table not in counts:  # a table kefu does not know: its name is the key
                found.setdefault(("", 0, table), number)
                counts[table] = -1
            counts[table] += 1
            found.setdefault((table, counts[table], ""), number)
            continue
        key = _KEY.match(line)
        if key:
            found.setdefault((table, counts.get(table, 0) if table else 0, key.group(1)), number)
    return found


def parse_year_text(text: str, origin: str) -> YearArrangement:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(Message("policy.not_toml", origin=origin, detail=str(exc))) from None
    except RecursionError:  # nesting deeper than the parser goes: no policy is like that
        raise InvalidInput(Message("policy.too_deep", origin=origin)) from None
    lines = _lines(text)

    def problem(reason: Message, table: str = "", index: int = 0, key: str = "") -> InvalidInput:
        line = lines.get((table, index, key)) or lines.get((table, index, ""))
        field = f"{table}[{index + 1}].{key}" if table else key
        if table and not key:
            field = f"{table}[{index + 1}]"
        frame = "policy.problem" if line else "policy.problem_no_line"
        return InvalidInput(Message(frame, origin=origin, line=line, field=field, reason=reason), field=field)

    unknown = sorted(set(data) - {"year", "source", "holidays", "workdays"})
    if unknown:
        raise problem(Message("policy.unknown_key"), key=unknown[0])
    year = data.get("year")
    if isinstance(year, bool) or not isinstance(year, int):
        raise problem(Message("calendar_file.need_year"), key="year")
    if not EARLIEST <= year <= LATEST:
        raise problem(Message("calendar_file.year_range", first=EARLIEST, last=LATEST), key="year")
    source = data.get("source")
    if source is None:
        raise problem(Message("calendar_file.need_source"), key="source")
    if not isinstance(source, str) or not source.strip() or len(source) > 500:
        raise problem(Message("calendar_file.need_text", limit=500), key="source")

    def day(value: Any, table: str, index: int, key: str) -> date:
        if isinstance(value, datetime):
            raise problem(Message("calendar_file.need_date", value=str(value)), table, index, key)
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                raise problem(Message("calendar_file.need_date", value=value), table, index, key) from None
        if not isinstance(value, date):
            raise problem(Message("calendar_file.need_date", value=str(value)), table, index, key)
        if value.year != year:
            raise problem(
                Message("calendar_file.other_year", day=value.isoformat(), year=year), table, index, key
            )
        return value

    def entries(table: str, keys: set[str]) -> list[tuple[int, dict[str, Any]]]:
        items = data.get(table, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise problem(Message("calendar_file.need_tables", table=table), key=table)
        out = []
        for index, item in enumerate(items):
            extra = sorted(set(item) - keys)
            if extra:
                raise problem(Message("policy.unknown_key"), table, index, extra[0])
            name = item.get("name")
            if not isinstance(name, str) or not name.strip() or len(name) > 50:
                key = "calendar_file.need_name" if table == "holidays" else "calendar_file.need_workday_name"
                raise problem(Message(key), table, index, "name")
            out.append((index, item))
        return out

    holidays: list[tuple[str, date, date]] = []
    for index, item in entries("holidays", {"name", "from", "to"}):
        for key in ("from", "to"):
            if key not in item:
                raise problem(Message("policy.missing"), "holidays", index, key)
        first = day(item["from"], "holidays", index, "from")
        last = day(item["to"], "holidays", index, "to")
        if last < first:
            raise problem(
                Message("calendar_file.backwards", first=first.isoformat(), last=last.isoformat()),
                "holidays",
                index,
                "to",
            )
        holidays.append((item["name"].strip(), first, last))
    for index, (name, first, last) in enumerate(holidays):
        for other, first2, last2 in holidays[:index]:
            if first <= last2 and first2 <= last:
                raise problem(
                    Message("calendar_file.overlap", name=name, other=other), "holidays", index, "from"
                )
    workdays: list[tuple[str, date]] = []
    for index, item in entries("workdays", {"name", "date"}):
        if "date" not in item:
            raise problem(Message("policy.missing"), "workdays", index, "date")
        workdays.append((item["name"].strip(), day(item["date"], "workdays", index, "date")))
    if not holidays:
        raise problem(Message("calendar_file.no_holidays"), key="holidays")
    arrangement = YearArrangement(year, source.strip(), tuple(holidays), tuple(workdays))
    off = arrangement.days_off()
    for index, (_name, when) in enumerate(workdays):
        if when in off:
            raise problem(Message("calendar_file.both", day=when.isoformat()), "workdays", index, "date")
        if when.weekday() < 5:
            raise problem(
                Message("calendar_file.workday_weekday", day=when.isoformat()), "workdays", index, "date"
            )
    return arrangement


# -- storing ----------------------------------------------------------------------------------


def add_year(
    *,
    session: Session,
    actor: User,
    arrangement: YearArrangement,
    origin: str,
    now: datetime,
    replace: bool = False,
) -> tuple[CalendarYear, YearArrangement | None]:
    """Enter a year for the desk; (the row, the arrangement it replaced if any). A year already
    entered is refused unless `replace`."""
    reason = role_refusal(actor.role, ADMINS, Message("do.enter_calendar"))
    if reason is not None:
        raise PermissionDenied(reason)
    row = session.exec(select(CalendarYear).where(CalendarYear.year == arrangement.year)).first()
    before = None
    if row is not None:
        if not replace:
            raise Refused(Message("calendar_file.already", year=arrangement.year))
        before = YearArrangement.from_json(json.loads(row.arrangement_json))
    elif not replace and arrangement.year in (WorkCalendar().covered_years() or ()):
        # chinesecalendar ships this year's official data: replacing it must be meant.
        raise Refused(Message("calendar_file.shipped", year=arrangement.year))
    else:
        row = CalendarYear(year=arrangement.year, arrangement_json="", entered_by=actor.name, entered_at=now)
    row.source = arrangement.source
    row.arrangement_json = json.dumps(arrangement.as_json(), ensure_ascii=False)
    row.entered_by, row.entered_at, row.origin = actor.name, now, origin[:500]
    session.add(row)
    session.flush()
    return row, before


def remove_year(*, session: Session, actor: User, year: int) -> None:
    """Take an entered year back (the shipped data, or weekdays, count again)."""
    reason = role_refusal(actor.role, ADMINS, Message("do.enter_calendar"))
    if reason is not None:
        raise PermissionDenied(reason)
    row = session.exec(select(CalendarYear).where(CalendarYear.year == year)).first()
    if row is None:
        raise Refused(Message("calendar_file.not_entered", year=year))
    session.delete(row)
    session.flush()
