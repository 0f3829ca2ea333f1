"""KPIs and reports: rates with their numerators and denominators, by group and period.

A period is a range of local dates in the policy's time zone (`--from`/`--to`, both inclusive),
turned into UTC bounds [start, end) at local midnight. Each KPI counts the cases whose own
anchor instant falls in the period, so a number never moves to another day because of UTC:

- volume: cases received in the period.
- on-time rate (投诉处理及时率) = cases resolved (or closed) at or before their resolution
  deadline / cases whose resolution deadline fell due in the period, up to the report's
  `as of` instant (a deadline still ahead counts nowhere yet); rejected cases (spam,
  duplicate) are left out.
- first-response attainment = first responses (or closings) at or before their deadline /
  first-response deadlines that fell due in the period, up to `as of`; rejected left out.
- satisfaction rate (客户满意度) = answered satisfied / cases received in the period with a
  satisfaction answer (at confirmation or at the revisit).
- repeat-complaint rate (投诉重复率) = cases linked as a repeat of an earlier complaint /
  cases received in the period.
- reopen rate = cases reopened at least once / cases received in the period that have been
  resolved or closed at least once (rejected left out).
- handling time: average and P90 of the business minutes from receipt to resolution on the
  case's calendar (time waiting for the customer included), over cases resolved in the period.
- compensation paid: amount and cases per kind, over the ledger's payments made in the period
  (`kefu.core.payments`; voided and denied ones were never paid).
- breaches: breaches recorded, per clock, whose deadline fell in the period.

An empty denominator gives no rate (`None`; "—" in tables), never a division error. With
`by=day` each KPI lands on the local day of its own anchor (volume on the day received,
on-time on the day the deadline fell, ...). P90 is nearest-rank: exact to the minute below 4
business hours, rounded up to the next quarter hour below 48, to the next hour above.

Everything is aggregated in SQL: one pass over `cases` turns each case into a small integer
of facts (in the period's anchors? satisfied? on time? ...) and counts the cases per group and
bit pattern; one more pass builds the handling-time histogram, and one reads `breaches`.
Business minutes are stored on the case when it is resolved (`handling_business_minutes`), so
no calendar arithmetic runs per row here. A large SQLite desk is read in id ranges on parallel
threads (SQLite releases the GIL while it scans). A year of a million cases costs about eight
times a bare `SELECT category, count(*) ... GROUP BY category` over the same rows
(tests/perf/test_report_perf.py).
"""

from __future__ import annotations

import calendar as _stdcal
import math
import os
import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, select

from . import deadlines, policies, services, statutory
from .errors import InvalidInput, PermissionDenied
from .messages import Message, word
from .models import Breach, Case, Deadline, Payment, PolicyVersion, User, UTCDateTime
from .policy import BREACH_KINDS, Profile
from .workflow import AGENT_REPORT_ROLES, UNCOUNTED_CLOSES, Clock, CloseReason, PaymentStatus

GROUPINGS = ("category", "channel", "department", "party", "agent", "day")
"""What `kefu report --by` accepts (besides `case`, the case-level export)."""

REPORT_FORMAT_VERSION = 1
"""Bumped only when a JSON key changes meaning or disappears (scripts may check it)."""

_VOCABULARY = {
    "category": "taxonomy",
    "channel": "channels",
    "department": "departments",
    "party": "parties",
}

# P90 histogram: exact below EXACT_BELOW business minutes, then quarter hours, then hours.
EXACT_BELOW = 240
QUARTER_BELOW = 48 * 60


# -- periods ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Local dates `first`..`last` (inclusive) and their UTC bounds [start, end)."""

    first: date
    last: date
    timezone: str
    start: datetime
    end: datetime

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def as_dict(self, as_of: datetime) -> dict[str, str]:
        zone = ZoneInfo(self.timezone)
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "timezone": self.timezone,
            "start": self.start.astimezone(zone).isoformat(timespec="seconds"),
            "end": self.end.astimezone(zone).isoformat(timespec="seconds"),
            "as_of": as_of.astimezone(zone).isoformat(timespec="seconds"),
        }


def local_midnight(day: date, timezone: str) -> datetime:
    """The UTC instant at which local `day` begins."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def make_period(first: date, last: date, timezone: str) -> Period:
    if last < first:
        raise InvalidInput(Message("report.period_backwards", last=last.isoformat(), first=first.isoformat()))
    return Period(
        first=first,
        last=last,
        timezone=timezone,
        start=local_midnight(first, timezone),
        end=local_midnight(last + timedelta(days=1), timezone),
    )


REPORT_YEARS = range(2000, 2101)
"""Years a report period may name: beyond them dates overflow and no desk has cases."""


def _parse_day(text: str, option: str, *, month_end: bool) -> date:
    value = text.strip()
    try:
        if len(value) == 7:  # YYYY-MM: the month's first (or last) day
            year, month = int(value[:4]), int(value[5:7])
            if value[4] != "-":
                raise ValueError
            day = _stdcal.monthrange(year, month)[1] if month_end else 1
            parsed = date(year, month, day)
        else:
            parsed = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            Message("report.not_a_date", option=option, text=text), field=option.removeprefix("--")
        ) from None
    if parsed.year not in REPORT_YEARS:
        raise InvalidInput(
            Message(
                "report.year_out_of_range",
                option=option,
                text=text,
                first=REPORT_YEARS.start,
                last=REPORT_YEARS.stop - 1,
            ),
            field=option.removeprefix("--"),
        )
    return parsed


def parse_period(profile: Profile, *, first: str | None, last: str | None, now: datetime) -> Period:
    """The period named by `--from`/`--to` (local dates or months); by default the current month
    up to today. With only `--to`, the period starts on the first of that month."""
    timezone = profile.calendar.timezone
    today = profile.work_calendar.local(now).date()
    last_day = _parse_day(last, "--to", month_end=True) if last else today
    if first:
        first_day = _parse_day(first, "--from", month_end=False)
    else:
        first_day = last_day.replace(day=1)
    if last_day < first_day:
        raise InvalidInput(
            Message("report.from_after_to", first=first_day.isoformat(), last=last_day.isoformat()),
            field="from",
        )
    return make_period(first_day, last_day, timezone)


# -- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """A rate shown with what it is made of; no denominator, no rate."""

    numerator: int
    denominator: int

    @property
    def percent(self) -> float | None:
        if not self.denominator:
            return None
        return round(100.0 * self.numerator / self.denominator, 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "percent": self.percent,
        }

    def text(self) -> str:
        """`87.5% (7/8)`, or `— (0/0)` when nothing was due."""
        pct = self.percent
        shown = "—" if pct is None else f"{pct:.1f}%"
        return f"{shown} ({self.numerator}/{self.denominator})"


@dataclass
class _Acc:
    """Counters of one group, filled from the SQL rows and merged into the total."""

    volume: int = 0
    repeats: int = 0
    answered: int = 0
    satisfied: int = 0
    reopen_base: int = 0
    reopened: int = 0
    due: int = 0
    on_time: int = 0
    fr_due: int = 0
    fr_met: int = 0
    st_due: int = 0
    st_met: int = 0
    resolved: int = 0
    handling_sum: int = 0
    handling_hist: Counter[int] = field(default_factory=Counter)
    compensation: dict[str, list[float]] = field(default_factory=dict)  # kind -> [amount, cases]
    breaches: Counter[str] = field(default_factory=Counter)

    def merge(self, other: _Acc) -> None:
        for name in (
            "volume",
            "repeats",
            "answered",
            "satisfied",
            "reopen_base",
            "reopened",
            "due",
            "on_time",
            "fr_due",
            "fr_met",
            "st_due",
            "st_met",
            "resolved",
            "handling_sum",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.handling_hist.update(other.handling_hist)
        for kind, (amount, cases) in other.compensation.items():
            slot = self.compensation.setdefault(kind, [0.0, 0])
            slot[0] += amount
            slot[1] += cases
        self.breaches.update(other.breaches)


def _p90(hist: Counter[int]) -> int | None:
    """Nearest-rank 90th percentile of a histogram {value: count}."""
    total = sum(hist.values())
    if not total:
        return None
    rank = math.ceil(0.9 * total)
    seen = 0
    for value in sorted(hist):
        seen += hist[value]
        if seen >= rank:
            return value
    return None  # pragma: no cover - rank <= total


def histogram_bucket(minutes: int) -> int:
    """The value a handling time is counted under for the P90 (the SQL `_bucket_sql` in Python)."""
    if minutes < EXACT_BELOW:
        return minutes
    if minutes < QUARTER_BELOW:
        return (minutes + 14) // 15 * 15
    return (minutes + 59) // 60 * 60


@dataclass(frozen=True)
class Metrics:
    """The KPIs of one group (or of the whole period)."""

    volume: int
    on_time: Rate
    satisfaction: Rate
    repeat: Rate
    first_response: Rate
    reopen: Rate
    resolved: int
    handling_measured: int
    handling_average: float | None  # business minutes
    handling_p90: int | None  # business minutes
    compensation: dict[str, tuple[float, int]]  # kind ("" = unspecified) -> (amount, cases)
    breaches: dict[str, int]  # clock -> count
    statutory: Rate = Rate(0, 0)
    """Statutory duties that fell due in the period, met by their end (deadline records)."""

    @classmethod
    def from_acc(cls, acc: _Acc) -> Metrics:
        measured = sum(acc.handling_hist.values())
        return cls(
            volume=acc.volume,
            on_time=Rate(acc.on_time, acc.due),
            satisfaction=Rate(acc.satisfied, acc.answered),
            repeat=Rate(acc.repeats, acc.volume),
            first_response=Rate(acc.fr_met, acc.fr_due),
            reopen=Rate(acc.reopened, acc.reopen_base),
            resolved=acc.resolved,
            handling_measured=measured,
            handling_average=round(acc.handling_sum / measured, 1) if measured else None,
            handling_p90=_p90(acc.handling_hist),
            compensation={
                kind: (round(amount, 2), int(cases))
                for kind, (amount, cases) in sorted(acc.compensation.items())
            },
            breaches={kind: acc.breaches.get(kind, 0) for kind in BREACH_KINDS},
            statutory=Rate(acc.st_met, acc.st_due),
        )

    @property
    def compensation_total(self) -> float:
        return round(float(sum(amount for amount, _ in self.compensation.values())), 2)

    @property
    def compensation_cases(self) -> int:
        return sum(cases for _, cases in self.compensation.values())

    @property
    def breaches_total(self) -> int:
        return sum(self.breaches.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "volume": self.volume,
            "on_time": self.on_time.as_dict(),
            "satisfaction": self.satisfaction.as_dict(),
            "repeat": self.repeat.as_dict(),
            "first_response": self.first_response.as_dict(),
            "reopen": self.reopen.as_dict(),
            "statutory": self.statutory.as_dict(),
            "handling": {
                "resolved": self.resolved,
                "measured": self.handling_measured,
                "average_business_minutes": self.handling_average,
                "p90_business_minutes": self.handling_p90,
            },
            "compensation": {
                "total": self.compensation_total,
                "cases": self.compensation_cases,
                "by_kind": {
                    kind or "unspecified": {"amount": amount, "cases": cases}
                    for kind, (amount, cases) in self.compensation.items()
                },
            },
            "breaches": {"total": self.breaches_total, **self.breaches},
        }


@dataclass(frozen=True)
class GroupRow:
    key: str | None
    label: str
    metrics: Metrics


@dataclass(frozen=True)
class Report:
    """A KPI report: one row per group plus the total over the whole period."""

    by: str
    period: Period
    as_of: datetime
    currency: str
    compensation_kinds: tuple[str, ...]
    groups: tuple[GroupRow, ...]
    total: Metrics

    def as_dict(self) -> dict[str, Any]:
        """The JSON document (`kefu report --format json`); keys documented in the README."""
        return {
            "report": "kpi",
            "format_version": REPORT_FORMAT_VERSION,
            "by": self.by,
            "period": self.period.as_dict(self.as_of),
            "currency": self.currency,
            "groups": [{"key": g.key, "label": g.label, **g.metrics.as_dict()} for g in self.groups],
            "total": self.total.as_dict(),
        }

    def csv_header(self) -> list[str]:
        header = ["group", "label", "volume"]
        for name in ("on_time", "satisfaction", "repeat", "first_response", "reopen"):
            header += [f"{name}_numerator", f"{name}_denominator", f"{name}_percent"]
        header += [
            "resolved",
            "handling_avg_business_minutes",
            "handling_p90_business_minutes",
            "compensation_total",
            "compensation_cases",
        ]
        header += [f"compensation_{kind or 'unspecified'}" for kind in self.compensation_kinds]
        header += ["breaches_total"] + [f"breaches_{kind}" for kind in BREACH_KINDS]
        return header

    def csv_rows(self) -> Iterator[list[Any]]:
        rows = [(g.key or "", g.label, g.metrics) for g in self.groups]
        rows.append(("total", "", self.total))
        for key, label, m in rows:
            row: list[Any] = [key, label, m.volume]
            for rate in (m.on_time, m.satisfaction, m.repeat, m.first_response, m.reopen):
                row += [rate.numerator, rate.denominator, rate.percent]
            row += [
                m.resolved,
                m.handling_average,
                m.handling_p90,
                m.compensation_total,
                m.compensation_cases,
            ]
            row += [m.compensation.get(kind, (0.0, 0))[0] for kind in self.compensation_kinds]
            row += [m.breaches_total] + [m.breaches[kind] for kind in BREACH_KINDS]
            yield row


def business_time_text(minutes: float | None, lang: str = "en") -> str:
    """Business minutes as `45m`, `3.5bh` (Chinese `45分钟`, `3.5工作小时`), or `—`."""
    if minutes is None:
        return "—"
    if minutes < 60:
        return Message("report.minutes", minutes=minutes).text(lang)
    return Message("report.business_hours", hours=minutes / 60).text(lang)


# -- SQL ----------------------------------------------------------------------------------

_T = Case.__table__  # type: ignore[attr-defined]
_B = Breach.__table__  # type: ignore[attr-defined]
_D = Deadline.__table__  # type: ignore[attr-defined]
_P = Payment.__table__  # type: ignore[attr-defined]
_UTC = UTCDateTime()


def _at(value: datetime) -> ColumnElement[Any]:
    return sa.literal(value, _UTC)


def _within(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return sa.and_(column >= _at(start), column < _at(end))


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return sa.case((condition, 1), else_=0)


def _offset_segments(timezone: str, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """[(segment end, UTC offset in minutes)] covering [start, end): where the offset is constant."""
    zone = ZoneInfo(timezone)

    def offset(at: datetime) -> int:
        delta = at.astimezone(zone).utcoffset()
        assert delta is not None
        return int(delta.total_seconds() // 60)

    segments: list[tuple[datetime, int]] = []
    current = offset(start)
    probe = start
    step = timedelta(hours=1)
    while probe < end:
        nxt = min(probe + step, end)
        if offset(nxt) != current and nxt < end:
            lo, hi = probe, nxt  # the change is in (lo, hi]: find the minute
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                if offset(mid) == current:
                    lo = mid
                else:
                    hi = mid
            segments.append((hi, current))
            current = offset(hi)
            probe = hi
            continue
        probe = nxt
    segments.append((end, current))
    return segments


EPOCH = date(1970, 1, 1)
_HAS_UNIXEPOCH = sqlite3.sqlite_version_info >= (3, 38, 0)


def day_number(day: date) -> int:
    """Days since 1970-01-01: how `_local_day` names a local date (integers sort fast)."""
    return (day - EPOCH).days


def _local_day(column: Any, period: Period, dialect: str) -> ColumnElement[Any]:
    """The local date of a UTC timestamp column inside the period, as a `day_number`."""
    if dialect == "postgresql":
        local = sa.cast(sa.func.timezone(period.timezone, column), sa.Date)
        return sa.type_coerce(local - sa.cast(sa.literal(EPOCH.isoformat()), sa.Date), sa.Integer)
    if _HAS_UNIXEPOCH:
        seconds: Any = sa.func.unixepoch(column, type_=sa.Integer)
    else:
        seconds = sa.cast(sa.func.strftime("%s", column), sa.Integer)
    segments = _offset_segments(period.timezone, period.start, period.end)

    def shifted(minutes: int) -> ColumnElement[Any]:
        return (seconds + minutes * 60) // 86400

    if len(segments) == 1:
        return shifted(segments[0][1])
    whens = [(column < _at(seg_end), shifted(minutes)) for seg_end, minutes in segments[:-1]]
    return sa.case(*whens, else_=shifted(segments[-1][1]))


def _dimension(by: str) -> Any:
    return _T.c.owner if by == "agent" else _T.c[by]


def _bucket_sql(minutes: Any) -> ColumnElement[Any]:
    return sa.case(
        (minutes < EXACT_BELOW, minutes),
        (minutes < QUARTER_BELOW, (minutes + 14) // 15 * 15),
        else_=(minutes + 59) // 60 * 60,
    )


@dataclass(frozen=True)
class _Bounds:
    period: Period
    due_end: datetime  # deadlines count once they have passed: min(end, as_of)
    dialect: str


# One bit per fact about a case; the main pass groups by the bit pattern and counts, so SQLite
# sorts one small integer per case instead of a dozen timestamps.
RECEIVED, DUE, FR_DUE, REJECTED = 1, 2, 4, 32
REPEAT, ANSWERED, SATISFIED, EVER_RESOLVED, REOPENED, ON_TIME, FR_MET = (
    64,
    128,
    256,
    512,
    1024,
    2048,
    4096,
)

_IdRange = tuple[int, int] | None


def _in_ids(where: list[Any], ids: _IdRange) -> list[Any]:
    if ids is not None:
        where = [*where, _T.c.id >= ids[0], _T.c.id < ids[1]]
    return where


ANCHORS = (RECEIVED, DUE, FR_DUE)


def _main_rows(conn: Any, by: str, b: _Bounds, ids: _IdRange = None) -> Sequence[Any]:
    """One pass over the cases: per group and bit pattern, the number of cases. Rows are (key
    per anchor..., bits, count): by day the three keys are the local days of receipt,
    resolution deadline and first-response deadline (None outside the period); otherwise the
    group, three times. A case merged into another is not a complaint of its own: it is left
    out (its original counts)."""
    c = _T.c
    p = b.period
    counted = sa.or_(c.close_reason.is_(None), c.close_reason != CloseReason.MERGED.value)
    anchors = {
        RECEIVED: (sa.and_(_within(c.received_at, p.start, p.end), counted), c.received_at),
        DUE: (_within(c.due_resolution, p.start, b.due_end), c.due_resolution),
        FR_DUE: (_within(c.due_first_response, p.start, b.due_end), c.due_first_response),
    }
    # Each term sets the bits it names; facts that go together share one CASE.
    terms: list[tuple[tuple[int, ...], Any]] = [
        ((REJECTED,), sa.case((c.close_reason.in_(UNCOUNTED_CLOSES), REJECTED), else_=0)),
        ((REPEAT,), sa.case((c.repeat_of.is_not(None), REPEAT), else_=0)),
        (
            (ANSWERED, SATISFIED),
            sa.case(
                (c.satisfied.is_(True), ANSWERED | SATISFIED),
                (c.satisfied.is_not(None), ANSWERED),
                else_=0,
            ),
        ),
        (
            (EVER_RESOLVED, REOPENED),
            sa.case(
                (c.reopen_count > 0, EVER_RESOLVED | REOPENED),
                (sa.or_(c.resolved_at.is_not(None), c.closed_at.is_not(None)), EVER_RESOLVED),
                else_=0,
            ),
        ),
        (
            (ON_TIME,),
            sa.case(
                (sa.func.coalesce(c.resolved_at, c.closed_at) <= c.due_resolution, ON_TIME),
                else_=0,
            ),
        ),
        (
            (FR_MET,),
            sa.case(
                (sa.func.coalesce(c.first_response_at, c.closed_at) <= c.due_first_response, FR_MET),
                else_=0,
            ),
        ),
    ]
    if by == "day":
        # A day key is there only when its anchor is in the period: the anchor bits are
        # added in Python from the keys instead of being tested twice per case.
        keys = [
            sa.case((cond, _local_day(column, p, b.dialect))).label(f"k{bit}")
            for bit, (cond, column) in anchors.items()
        ]
        bits: Any = sa.literal(0)
    else:
        keys = [_dimension(by).label("g")]
        bits = sum((sa.case((cond, bit), else_=0) for bit, (cond, _) in anchors.items()), sa.literal(0))
    bits = sum((term for _, term in terms), bits)
    where = sa.or_(*(cond for cond, _ in anchors.values()))
    inner = select(*keys, bits.label("m")).where(*_in_ids([where], ids))  # type: ignore[call-overload]
    if b.dialect == "sqlite":
        # LIMIT keeps SQLite from flattening the subquery into the GROUP BY, which would then
        # sort every column the bits are computed from.
        inner = inner.limit(-1)
    s = inner.subquery("r").c
    group_keys = [s[key.name] for key in keys] + [s.m]
    query = select(*group_keys, sa.func.count()).group_by(*group_keys)  # type: ignore[call-overload]
    rows = conn.execute(query).all()
    if by == "day":
        return [
            (*days, m | sum(bit for bit, d in zip(ANCHORS, days, strict=True) if d is not None), count)
            for *days, m, count in rows
        ]
    return [(g, g, g, m, count) for g, m, count in rows]


def _payment_rows(conn: Any, by: str, b: _Bounds) -> Sequence[Any]:
    """The compensation ledger's payments made in the period, per group and kind: (group,
    kind, amount, cases). Only paid rows count (an offer not taken up, a denied or a voided
    payment was never paid), on the day the customer accepted."""
    p = b.period
    pay = _P.c
    group = _local_day(pay.paid_at, p, b.dialect) if by == "day" else _dimension(by)
    query = (
        select(
            group.label("g"),
            pay.kind,
            sa.func.sum(pay.amount),
            sa.func.count(sa.distinct(pay.case_id)),
        )
        .select_from(_P.join(_T, _T.c.id == pay.case_id))
        .where(pay.status == PaymentStatus.PAID.value, _within(pay.paid_at, p.start, p.end))
        .group_by(group, pay.kind)
    )
    return conn.execute(query).all()


def _handling_rows(conn: Any, by: str, b: _Bounds, ids: _IdRange = None) -> Sequence[Any]:
    """Per group and histogram bucket: cases resolved in the period and their business minutes
    (bucket None: resolved before handling time was stored; measured in Python)."""
    c = _T.c
    p = b.period
    group = _local_day(c.resolved_at, p, b.dialect) if by == "day" else _dimension(by)
    minutes = c.handling_business_minutes
    inner = select(group.label("g"), _bucket_sql(minutes).label("bucket"), minutes.label("minutes")).where(
        *_in_ids([_within(c.resolved_at, p.start, p.end)], ids)
    )
    if b.dialect == "sqlite":
        # As a subquery SQLite sorts the rows; grouped directly it may walk an index on the
        # group column (owner) and fetch every case by rowid, which is three times slower.
        inner = inner.limit(-1)
    s = inner.subquery("h").c
    query = select(s.g, s.bucket, sa.func.count(), sa.func.sum(s.minutes)).group_by(s.g, s.bucket)
    return conn.execute(query).all()


def _unmeasured_rows(conn: Any, by: str, b: _Bounds) -> Sequence[Any]:
    c = _T.c
    p = b.period
    group = _local_day(c.resolved_at, p, b.dialect) if by == "day" else _dimension(by)
    query = select(group.label("g"), c.received_at, c.resolved_at, c.policy_version_id).where(
        _within(c.resolved_at, p.start, p.end), c.handling_business_minutes.is_(None)
    )
    return conn.execute(query).all()


def _ended_rows(conn: Any, by: str, b: _Bounds) -> Sequence[Any]:
    """Earlier instances of the resolution and first-response clocks (a reopen, a new
    severity ended them) that count (`deadlines.counted_sql`), per group and clock: (group,
    clock, fell due, met on time). The current instance of each is the case's own columns,
    counted in the main pass."""
    p = b.period
    d, c = _D.c, _T.c
    group = _local_day(d.due_at, p, b.dialect) if by == "day" else _dimension(by)
    query = (
        select(
            group.label("g"),
            d.clock,
            sa.func.count(),
            sa.func.sum(sa.case((deadlines.on_time_sql(_D), 1), else_=0)),
        )
        .select_from(_D.join(_T, _T.c.id == d.case_id))
        .where(
            d.ended_at.is_not(None),
            d.clock.in_([Clock.RESOLUTION.value, Clock.FIRST_RESPONSE.value]),
            _within(d.due_at, p.start, b.due_end),
            deadlines.counted_sql(_D),
            sa.or_(c.close_reason.is_(None), c.close_reason.not_in(UNCOUNTED_CLOSES)),
        )
        .group_by(group, d.clock)
    )
    return conn.execute(query).all()


def _statutory_rows(conn: Any, by: str, b: _Bounds) -> Sequence[Any]:
    """Statutory duty records that fell due in the period and count (`deadlines.counted_sql`),
    per group: (group, fell due, met on time)."""
    p = b.period
    d, c = _D.c, _T.c
    group = _local_day(d.due_at, p, b.dialect) if by == "day" else _dimension(by)
    query = (
        select(
            group.label("g"), sa.func.count(), sa.func.sum(sa.case((deadlines.on_time_sql(_D), 1), else_=0))
        )
        .select_from(_D.join(_T, _T.c.id == d.case_id))
        .where(
            d.clock >= statutory.PREFIX,
            d.clock < statutory.PREFIX[:-1] + "/",
            _within(d.due_at, p.start, b.due_end),
            deadlines.counted_sql(_D),
            sa.or_(c.close_reason.is_(None), c.close_reason.not_in(UNCOUNTED_CLOSES)),
        )
        .group_by(group)
    )
    return conn.execute(query).all()


def _breach_rows(conn: Any, by: str, b: _Bounds) -> Sequence[Any]:
    """Breaches whose deadline fell in the period, per group and clock. By department, a breach
    counts for the department the case was in when it was breached."""
    p = b.period
    where = _within(_B.c.due_at, p.start, p.end)
    if by == "day":
        group: Any = _local_day(_B.c.due_at, p, b.dialect)
        source: Any = _B
    elif by == "department":
        group = sa.func.coalesce(_B.c.department, _T.c.department)
        source = _B.join(_T, _T.c.id == _B.c.case_id)
    else:
        group = _dimension(by)
        source = _B.join(_T, _T.c.id == _B.c.case_id)
    query = (
        select(group.label("g"), _B.c.kind, sa.func.count())
        .select_from(source)
        .where(where)
        .group_by(group, _B.c.kind)
    )
    return conn.execute(query).all()


PARALLEL_FROM = 200_000
"""Case ids spanned before a SQLite report is split into id ranges read in parallel threads."""
MAX_THREADS = 4


def _id_ranges(session: Session, dialect: str) -> list[_IdRange]:
    """Id ranges to read in parallel (SQLite releases the GIL while it scans), or one: all."""
    threads = min(MAX_THREADS, os.cpu_count() or 1)
    if dialect != "sqlite" or threads < 2:
        return [None]
    low, high = session.execute(select(sa.func.min(_T.c.id), sa.func.max(_T.c.id))).one()
    if low is None or high - low < PARALLEL_FROM:
        return [None]
    step = (high - low) // threads + 1
    return [(low + i * step, low + (i + 1) * step) for i in range(threads)]


def _scan(session: Session, by: str, b: _Bounds) -> tuple[list[Any], list[Any]]:
    """The main and handling-time rows. A small desk is read in this session; a large SQLite
    desk in id ranges on parallel threads, each in its own read transaction — so a report of a
    very large desk may see its parts a moment apart while others write."""
    ranges = _id_ranges(session, b.dialect)
    tasks = [(what, ids) for what in ("main", "handling") for ids in ranges]

    def run(conn: Any, task: tuple[str, _IdRange]) -> Sequence[Any]:
        what, ids = task
        reader = _handling_rows if what == "handling" else _main_rows
        return reader(conn, by, b, ids)

    main: list[Any] = []
    handling: list[Any] = []
    if ranges == [None]:
        results = [(task, run(session, task)) for task in tasks]
    else:
        engine = session.get_bind()

        def part(task: tuple[str, _IdRange]) -> Sequence[Any]:
            with engine.connect() as conn:  # type: ignore[union-attr]
                return run(conn, task)

        with ThreadPoolExecutor(max_workers=len(ranges)) as pool:
            results = list(zip(tasks, pool.map(part, tasks), strict=True))
    for (what, _), rows in results:
        (handling if what == "handling" else main).extend(rows)
    return main, handling


# -- the report -----------------------------------------------------------------------------


def require_report_role(actor: User, by: str) -> None:
    """Anyone may see the desk's KPIs; per-agent figures are for supervisors and analysts."""
    if by == "agent":
        services.require_role(actor, AGENT_REPORT_ROLES, Message("do.see_agent_kpis"))


def kpi_report(
    *,
    session: Session,
    actor: User,
    period: Period,
    by: str,
    now: datetime,
    lang: str | None = None,
) -> Report:
    """The KPIs of `period` grouped `by` one of GROUPINGS (see the module docstring)."""
    if by not in GROUPINGS:
        raise InvalidInput(Message("report.by_choices", choices=[*GROUPINGS, "case"]), field="by")
    require_report_role(actor, by)
    _, profile = policies.policy_in_force(session, now)
    lang = lang or profile.profile.language
    dialect = session.get_bind().dialect.name
    bounds = _Bounds(period, max(period.start, min(period.end, now)), dialect)

    accs: dict[Any, _Acc] = {}

    def acc(key: Any) -> _Acc:
        slot = accs.get(key)
        if slot is None:
            slot = accs[key] = _Acc()
        return slot

    main, handling = _scan(session, by, bounds)
    for kr, kd, kf, m, count in main:
        counted = not m & REJECTED
        if m & RECEIVED:
            a = acc(kr)
            a.volume += count
            a.repeats += count if m & REPEAT else 0
            a.answered += count if m & ANSWERED else 0
            a.satisfied += count if m & SATISFIED else 0
            if counted and m & EVER_RESOLVED:
                a.reopen_base += count
                a.reopened += count if m & REOPENED else 0
        if m & DUE and counted:
            a = acc(kd)
            a.due += count
            a.on_time += count if m & ON_TIME else 0
        if m & FR_DUE and counted:
            a = acc(kf)
            a.fr_due += count
            a.fr_met += count if m & FR_MET else 0
    missing = False
    for g, bucket, count, total in handling:
        a = acc(g)
        a.resolved += count
        if bucket is None:
            missing = True
            continue
        a.handling_hist[int(bucket)] += count
        a.handling_sum += int(total or 0)
    if missing:
        _measure_unmeasured(session, by, bounds, acc)
    for g, clock, count, met in _ended_rows(session, by, bounds):
        a = acc(g)
        if clock == Clock.RESOLUTION:
            a.due, a.on_time = a.due + count, a.on_time + int(met or 0)
        else:
            a.fr_due, a.fr_met = a.fr_due + count, a.fr_met + int(met or 0)
    for g, count, met in _statutory_rows(session, by, bounds):
        a = acc(g)
        a.st_due, a.st_met = a.st_due + count, a.st_met + int(met or 0)
    for g, kind, count in _breach_rows(session, by, bounds):
        acc(g).breaches[kind] += count
    for g, kind, amount, cases in _payment_rows(session, by, bounds):
        slot = acc(g).compensation.setdefault(kind or "", [0.0, 0])
        slot[0] += float(amount or 0)
        slot[1] += int(cases)

    groups = _ordered_groups(session, by, period, profile, lang, accs)
    total = _Acc()
    for a in accs.values():
        total.merge(a)
    kinds = tuple(profile.compensation.kinds) + tuple(
        sorted({k for a in accs.values() for k in a.compensation} - set(profile.compensation.kinds))
    )
    return Report(
        by=by,
        period=period,
        as_of=now,
        currency=profile.compensation.currency,
        compensation_kinds=kinds,
        groups=tuple(groups),
        total=Metrics.from_acc(total),
    )


def _measure_unmeasured(session: Session, by: str, bounds: _Bounds, acc: Any) -> None:
    """Business minutes for cases resolved before they were stored (older databases)."""
    profiles: dict[int, Profile] = {}
    for g, received_at, resolved_at, version_id in _unmeasured_rows(session, by, bounds):
        profile = profiles.get(version_id)
        if profile is None:
            version = session.get(PolicyVersion, version_id)
            assert version is not None
            profile = profiles[version_id] = policies.profile_for_version(
                version, policies.desk_years(session)
            )
        minutes = profile.work_calendar.business_minutes_between(received_at, resolved_at)
        a = acc(g)
        a.handling_hist[histogram_bucket(minutes)] += 1
        a.handling_sum += minutes


def _ordered_groups(
    session: Session,
    by: str,
    period: Period,
    profile: Profile,
    lang: str,
    accs: dict[Any, _Acc],
) -> list[GroupRow]:
    """Groups in a reader's order: every day of the period; the policy's codes in its order
    (with zeros), then codes no longer in the policy, then 'none'; agents by name."""
    none_label = word("(none)", lang)
    if by == "day":
        return [
            GroupRow(d.isoformat(), d.isoformat(), Metrics.from_acc(accs.get(day_number(d), _Acc())))
            for d in period.days()
        ]
    if by == "agent":
        names = {u.name: u.display_name or u.name for u in session.exec(select(User)).all() if u.name in accs}
        keys: list[Any] = sorted(k for k in accs if k is not None)
        labels = {k: names.get(k, k) for k in keys}
    else:
        vocab = profile.vocabulary(_VOCABULARY[by])
        keys = list(vocab) + sorted(k for k in accs if k is not None and k not in vocab)
        labels = {k: profile.label(_VOCABULARY[by], k, lang) for k in keys}
    if None in accs:
        keys.append(None)
        labels[None] = none_label
    return [GroupRow(k, labels[k], Metrics.from_acc(accs.get(k, _Acc()))) for k in keys]


_BY_HEADINGS = {
    "category": "report.by.category",
    "channel": "report.by.channel",
    "department": "report.by.department",
    "party": "report.by.party",
    "agent": "report.by.agent",
    "day": "report.by.day",
}
"""The first column's heading of the report table, per grouping (catalog keys)."""

_TABLE_HEADINGS = (
    "report.col.volume",
    "report.col.on_time",
    "report.col.satisfied",
    "report.col.repeat",
    "report.col.first_response",
    "report.col.reopen",
    "report.col.handling",
    "report.col.compensation",
    "report.col.breaches",
)


def grouping_name(by: str) -> Message | str:
    """What a report is grouped by, named (a catalog message; the word itself if unknown)."""
    return Message(_BY_HEADINGS[by]) if by in _BY_HEADINGS else by


def report_table_rows(report: Report, lang: str = "en") -> list[list[str]]:
    """The report as text cells for a terminal table (header first; the total last), headings
    and the "(none)" / total labels in `lang`. Group labels are the report's own (they were
    chosen in the language `kpi_report` was asked for); CSV and JSON are never translated."""
    by = _BY_HEADINGS.get(report.by)
    header = [Message(by).text(lang) if by else report.by]
    header += [Message(key, currency=report.currency).text(lang) for key in _TABLE_HEADINGS]
    rows = [header]
    lines = [(word("(none)", lang) if g.key is None else g.label, g.metrics) for g in report.groups]
    lines.append((Message("report.total").text(lang), report.total))
    for label, m in lines:
        handling = [business_time_text(m.handling_average, lang), business_time_text(m.handling_p90, lang)]
        rows.append(
            [
                label,
                str(m.volume),
                m.on_time.text(),
                m.satisfaction.text(),
                m.repeat.text(),
                m.first_response.text(),
                m.reopen.text(),
                " / ".join(handling),
                f"{m.compensation_total:.2f} ({m.compensation_cases})",
                str(m.breaches_total),
            ]
        )
    return rows


# -- case-level export ------------------------------------------------------------------------

CASE_EXPORT_COLUMNS = (
    "code",
    "received_at",
    "channel",
    "category",
    "subcategory",
    "severity",
    "complexity",
    "status",
    "department",
    "party",
    "owner",
    "customer_name",
    "customer_phone",
    "customer_email",
    "order_no",
    "first_response_at",
    "due_first_response",
    "resolved_at",
    "due_resolution",
    "closed_at",
    "close_reason",
    "on_time",
    "handling_business_minutes",
    "satisfied",
    "satisfaction_score",
    "reopen_count",
    "repeat_of",
    "resolution",
    "compensation_amount",
    "compensation_kind",
    "compensation_paid",
)
"""Columns of `kefu report --by case`: one row per case received in the period. Free text
(description, demand, notes) is left out: it may hold personal data no mask can find."""


def require_unmasked_allowed(actor: User) -> None:
    if not services.may_see_personal_data(actor.role):
        # Not `services.require_role`: the refusal says how to get the export anyway.
        raise PermissionDenied(Message("report.unmasked_refused", role=actor.role))


def case_rows(
    *,
    session: Session,
    actor: User,
    period: Period,
    now: datetime,
    unmasked: bool = False,
) -> Iterator[dict[str, Any]]:
    """Cases received in the period, oldest first, as export rows read as they are consumed.
    Names, phones and e-mails are masked unless `unmasked` is asked for by a role that may see
    them (the roles that handle cases); that is checked at once, before any row is read."""
    if unmasked:
        require_unmasked_allowed(actor)
    return _case_rows(session, period, now, unmasked)


def _case_rows(session: Session, period: Period, now: datetime, unmasked: bool) -> Iterator[dict[str, Any]]:
    zone = ZoneInfo(period.timezone)

    def local(value: datetime | None) -> str | None:
        return None if value is None else value.astimezone(zone).isoformat(timespec="seconds")

    query = (
        select(Case)
        .where(Case.received_at >= period.start, Case.received_at < period.end)
        .order_by(Case.received_at, Case.id)  # type: ignore[arg-type]
        .execution_options(yield_per=2000)
    )
    earlier = _earlier_resolutions(session, period, now)
    paid = _paid_totals(session, period)
    for case in session.exec(query):
        name, phone, email = case.customer_name, case.customer_phone, case.customer_email
        if not unmasked:
            name = services.mask_name(name)
            phone = services.mask_phone(phone)
            email = services.mask_email(email)
        met = case.resolved_at or case.closed_at
        rejected = case.close_reason in UNCOUNTED_CLOSES
        on_time: bool | None = None
        if case.due_resolution is not None and not rejected:
            if met is not None:
                on_time = met <= case.due_resolution
            elif now > case.due_resolution:
                on_time = False
        if not rejected and case.id in earlier:  # a resolution before a reopen counts too
            on_time = earlier[case.id] and on_time is not False
        yield {
            "code": case.code,
            "received_at": local(case.received_at),
            "channel": case.channel,
            "category": case.category,
            "subcategory": case.subcategory,
            "severity": case.severity,
            "complexity": case.complexity,
            "status": case.status,
            "department": case.department,
            "party": case.party,
            "owner": case.owner,
            "customer_name": name,
            "customer_phone": phone,
            "customer_email": email,
            "order_no": case.order_no,
            "first_response_at": local(case.first_response_at),
            "due_first_response": local(case.due_first_response),
            "resolved_at": local(case.resolved_at),
            "due_resolution": local(case.due_resolution),
            "closed_at": local(case.closed_at),
            "close_reason": case.close_reason,
            "on_time": on_time,
            "handling_business_minutes": case.handling_business_minutes,
            "satisfied": case.satisfied,
            "satisfaction_score": case.satisfaction_score,
            "reopen_count": case.reopen_count,
            "repeat_of": case.repeat_of,
            "resolution": case.resolution,
            "compensation_amount": case.compensation_amount,
            "compensation_kind": case.compensation_kind,
            "compensation_paid": paid.get(case.id or 0, 0.0),
        }


def _paid_totals(session: Session, period: Period) -> dict[int, float]:
    """What each case received in the period paid (the ledger's paid rows), by case id."""
    pay = _P.c
    rows = session.execute(
        select(pay.case_id, sa.func.sum(pay.amount))
        .select_from(_P.join(_T, _T.c.id == pay.case_id))
        .where(pay.status == PaymentStatus.PAID.value, _within(_T.c.received_at, period.start, period.end))
        .group_by(pay.case_id)
    ).all()
    return {case_id: round(float(total or 0), 2) for case_id, total in rows}


def _earlier_resolutions(session: Session, period: Period, now: datetime) -> dict[int, bool]:
    """Cases received in the period with an earlier resolution instance that counts (ended by
    a reopen, fallen due by `now`): whether every one of them was met on time."""
    d, c = _D.c, _T.c
    query = (
        select(d.case_id, sa.func.min(sa.case((deadlines.on_time_sql(_D), 1), else_=0)))
        .select_from(_D.join(_T, c.id == d.case_id))
        .where(
            _within(c.received_at, period.start, period.end),
            d.clock == Clock.RESOLUTION.value,
            d.ended_at.is_not(None),
            d.due_at <= _at(now),
            deadlines.counted_sql(_D),
        )
        .group_by(d.case_id)
    )
    return {case_id: bool(all_met) for case_id, all_met in session.execute(query)}


# -- dashboard --------------------------------------------------------------------------------

DASHBOARD_PERIODS = ("month", "7d", "30d", "year")
"""Periods the TUI dashboard cycles through: this month, the last 7 / 30 days, this year."""


def dashboard_period(profile: Profile, which: str, now: datetime) -> Period:
    """A named dashboard period ending today (local)."""
    today = profile.work_calendar.local(now).date()
    first = {
        "month": today.replace(day=1),
        "7d": today - timedelta(days=6),
        "30d": today - timedelta(days=29),
        "year": today.replace(month=1, day=1),
    }.get(which)
    if first is None:
        raise InvalidInput(Message("report.dashboard_period", choices=list(DASHBOARD_PERIODS)))
    return make_period(first, today, profile.calendar.timezone)


@dataclass(frozen=True)
class Dashboard:
    """What the TUI dashboard shows: the KPIs, rates per category, volume per day and
    breaches per department, all for one period."""

    report: Report  # by category; its total holds the KPI tiles
    volume_by_day: tuple[tuple[str, int], ...]
    breaches_by_department: tuple[tuple[str | None, str, int], ...]  # (code, label, count)


def volume_by_day(session: Session, period: Period) -> list[tuple[str, int]]:
    """Cases received per local day of the period (every day listed, zeros included)."""
    dialect = session.get_bind().dialect.name
    day = _local_day(_T.c.received_at, period, dialect)
    rows = session.execute(
        select(day.label("d"), sa.func.count())
        .where(
            _within(_T.c.received_at, period.start, period.end),
            sa.or_(_T.c.close_reason.is_(None), _T.c.close_reason != CloseReason.MERGED.value),
        )
        .group_by(day)
    ).all()
    counts = {d: n for d, n in rows}
    return [(d.isoformat(), counts.get(day_number(d), 0)) for d in period.days()]


def dashboard_data(*, session: Session, actor: User, period: Period, now: datetime, lang: str) -> Dashboard:
    """The dashboard's figures in three queries (KPIs by category, volume, breaches)."""
    by_category = kpi_report(session=session, actor=actor, period=period, by="category", now=now, lang=lang)
    _, profile = policies.policy_in_force(session, now)
    dialect = session.get_bind().dialect.name
    bounds = _Bounds(period, max(period.start, min(period.end, now)), dialect)
    breaches: Counter[str | None] = Counter()
    for department, _kind, n in _breach_rows(session, "department", bounds):
        breaches[department] += n
    none_label = word("(none)", lang)
    departments = [
        (code, profile.label("departments", code, lang) if code else none_label, n)
        for code, n in sorted(breaches.items(), key=lambda item: (-item[1], item[0] or ""))
    ]
    return Dashboard(
        report=by_category,
        volume_by_day=tuple(volume_by_day(session, period)),
        breaches_by_department=tuple(departments),
    )
