"""Statutory periods: the legal limits beside the shop's own targets (`[statutory.*]`).

A period is counted the way 民法典 第二百零一条 and 第二百零三条 count periods in days: the day of
the anchoring event is not counted, the period starts the next day; when its last day is a
statutory day off (a weekend or holiday on the official calendar, make-up working days
working), the next working day is the last day; it ends at 24:00 of its last day. So an
express complaint received Tue 29 Sep 2026 would have its 7-day answer due at the end of Tue 6
Oct — a National Day holiday (1-7 Oct) — hence at 24:00 of Thu 8 Oct, the first working day
after; the shop's own 4wd target for a complex P3 ends Sat 10 Oct 18:00 (a make-up working
day), past it: `policy check` warns about exactly that.

Each rule names its anchor: the complaint's receipt (`received`), the goods' sign-off /
delivery / sale (`delivered_on`), or the merchant's receipt of returned goods (`returned_on`),
and its kind:

- a **duty** is the desk's (answer within 7 days; refund within 7 days of the returned goods;
  handle within 15 days): a hard clock, kept as a deadline record (`clock = statutory.<code>`)
  by `deadlines.sync`, never paused by waiting for the customer, met when a resolution is first
  given, cancelled if the case is rejected; `sla check` records it breached and reports it at
  risk once 80 % of its days are used;
- a **window** is the customer's right (7-day no-reason return from sign-off; three guarantees
  from the sale): shown beside the case with whether the complaint came inside it, never
  breached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .calendar import WorkCalendar
from .models import Case
from .policy import Profile, StatutoryDeadline

PREFIX = "statutory."


def clock_name(code: str) -> str:
    return PREFIX + code


def code_of(clock: str) -> str | None:
    return clock.removeprefix(PREFIX) if clock.startswith(PREFIX) else None


def last_day(calendar: WorkCalendar, anchor: date, days: int) -> date:
    """The last day of a period of `days` days after the anchoring day (民法典 201, 203)."""
    day = anchor + timedelta(days=days)
    while not calendar.is_workday(day):
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class Period:
    """One rule applied to one case: from which day, until when."""

    code: str
    rule: StatutoryDeadline
    anchor_day: date
    start: datetime
    """The start of the anchoring day (for a receipt: the receipt itself)."""
    end: datetime


def periods(
    profile: Profile,
    *,
    category: str | None,
    received_at: datetime,
    delivered_on: date | None,
    returned_on: date | None,
    kind: str | None = None,
) -> list[Period]:
    """The statutory periods that apply to a case (its category; its anchors known), in the
    order the policy lists them; only duties or only windows when `kind` says."""
    calendar = profile.legal_calendar
    found = []
    for code, rule in profile.statutory.items():
        if (kind is not None and rule.kind != kind) or not rule.applies_to(category):
            continue
        if rule.anchor == "received":
            day, start = calendar.local(received_at).date(), received_at
        else:
            anchor = delivered_on if rule.anchor == "delivered" else returned_on
            if anchor is None:
                continue
            day, start = anchor, calendar.day_start(anchor)
        end = calendar.day_start(last_day(calendar, day, rule.days) + timedelta(days=1))
        found.append(Period(code, rule, day, start, end))
    return found


def case_periods(profile: Profile, case: Case, *, kind: str | None = None) -> list[Period]:
    return periods(
        profile,
        category=case.category,
        received_at=case.received_at,
        delivered_on=case.delivered_on,
        returned_on=case.returned_on,
        kind=kind,
    )
