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

from . import sla
from .calendar import Duration, WorkCalendar
from .messages import Message
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
        found.append(Period(code, rule, day, start, period_end(calendar, day, rule.days)))
    return found


def duty_state(profile: Profile, clock: str, due: datetime, now: datetime) -> sla.ClockState:
    """How an unmet duty ending at `due` stands at `now`: never paused, at risk once 80 % of
    its days are used (`sla.clock_state`; a period in days grants the same allowance from any
    start, so the due time stands in for it). The queues, the case views and `sla check`."""
    rule = profile.statutory.get(code_of(clock) or "")
    target = Duration.parse(rule.target) if rule is not None else None
    return sla.clock_state(profile.legal_calendar, clock, due, due, None, target, now, paused=False)


def period_end(calendar: WorkCalendar, anchor: date, days: int) -> datetime:
    """24:00 of the period's last day (the next day's start), in UTC; kept per calendar (an
    import asks it for every row)."""
    key = ("statutory", anchor, days)
    end = calendar.memo.get(key)
    if not isinstance(end, datetime):
        end = calendar.memo[key] = calendar.day_start(last_day(calendar, anchor, days) + timedelta(days=1))
    return end


def case_periods(profile: Profile, case: Case, *, kind: str | None = None) -> list[Period]:
    return periods(
        profile,
        category=case.category,
        received_at=case.received_at,
        delivered_on=case.delivered_on,
        returned_on=case.returned_on,
        kind=kind,
    )


# -- the shop's targets against the law -----------------------------------------------------


@dataclass(frozen=True)
class Overrun:
    """A shop resolution target that can end after a receipt-anchored statutory duty."""

    severity: str
    complexity: str
    target: str
    code: str
    rule: StatutoryDeadline
    received: date
    """The receipt day (at 23:59) on which it runs furthest past."""
    due: datetime
    ends: datetime
    days: int
    """How many receipt days of the scanned years run past it."""
    years: tuple[int, ...]


def scanned_years(calendar: WorkCalendar, today: date) -> tuple[int, ...]:
    """This year and the next, where the official calendar knows them (else the latest year
    it knows): the real days a warning can name."""
    years = tuple(y for y in (today.year, today.year + 1) if not calendar.uncovered_years([y]))
    if years:
        return years
    covered = calendar.covered_years()
    return (covered.stop - 1,) if covered else (today.year,)


def overruns(profile: Profile, today: date) -> list[Overrun]:
    """Every severity / complexity whose resolution target, for a complaint received on some
    day of the scanned years, is due after a duty that counts from receipt ends (a `30d`
    target against a 7-day duty: on every day). Receipt at 23:59 is the latest a day's
    complaint can come, so its target ends latest against the same statutory end."""
    legal = profile.legal_calendar
    work = profile.work_calendar
    years = scanned_years(legal, today)
    days = [
        d
        for year in years
        for d in (date(year, 1, 1) + timedelta(days=i) for i in range(366))
        if d.year == year
    ]
    found: list[Overrun] = []
    duties = [(c, r) for c, r in profile.statutory.items() if r.kind == "duty" and r.anchor == "received"]
    if not duties:
        return found
    import warnings

    from .calendar import CalendarCoverageWarning

    with warnings.catch_warnings():  # a deadline reaching an assumed year: not this check's news
        warnings.simplefilter("ignore", CalendarCoverageWarning)
        for severity in profile.severities:
            for complexity in ("simple", "complex"):
                target = profile.sla_targets(severity, complexity).get("resolution")
                if target is None or (
                    complexity == "complex"
                    and target == profile.sla_targets(severity, "simple").get("resolution")
                ):
                    continue
                for code, rule in duties:
                    worst: tuple[timedelta, date, datetime, datetime] | None = None
                    count = 0
                    for day in days:
                        received = work.day_start(day) + timedelta(hours=23, minutes=59)
                        due = work.add(received, target)
                        ends = legal.day_start(last_day(legal, day, rule.days) + timedelta(days=1))
                        if due > ends:
                            count += 1
                            if worst is None or due - ends > worst[0]:
                                worst = (due - ends, day, due, ends)
                    if worst is not None:
                        _, day, due, ends = worst
                        found.append(
                            Overrun(
                                severity, complexity, str(target), code, rule, day, due, ends, count, years
                            )
                        )
    return found


def overrun_message(o: Overrun, profile: Profile) -> Message:
    local = profile.work_calendar.local
    last = (profile.legal_calendar.local(o.ends) - timedelta(days=1)).date()
    return Message(
        "policy.statutory_overrun",
        severity=o.severity,
        complex=Message("policy.statutory_overrun_complex") if o.complexity == "complex" else "",
        target=o.target,
        rule={"en": o.rule.en, "zh": o.rule.zh},
        source=o.rule.source,
        day=o.received.isoformat(),
        due=f"{local(o.due):%Y-%m-%d %H:%M}",
        end=last.isoformat(),
        days=o.days,
        years=list(o.years),
    )
