"""Deadlines as records: every clock a case ever ran is a row (`models.Deadline`).

An instance has a start, a target (as the policy writes it), a due time, the policy revision it
was computed under and the calendar years it had to assume; it ends met, replaced (a reopen
restarts the resolution clock; a change of severity or complexity changes the targets) or
cancelled (the case was rejected, or the clock no longer applies). A met or ended instance is
never rewritten; an open one's due time moves later while the customer is waited for. The
case's `due_*` columns are the projection of its current instances, kept for indexed queries.

`sync` is the one writer after a case exists: the door (`lifecycle._apply`) calls it after
every move and `services.add_note` after a contact meets the first response; `initial_rows`
gives a new case's rows in its intake plan. KPIs count instances (`counts`): an instance counts
once it has fallen due, unless it ended unmet before its due time, and it was on time if met by
then — so no sequence of actions can turn a missed deadline into a met one. See
docs/ARCHITECTURE.md, "Deadlines".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from . import sla, statutory
from .calendar import Duration, WorkCalendar
from .history import StatusChange
from .models import Case, Deadline
from .policy import Profile
from .workflow import CLOCKS, UNCOUNTED_CLOSES, Clock, DeadlineEnd, DeadlineState, Status

DEADLINE_COLUMNS = (
    "case_id",
    "clock",
    "instance",
    "policy_version_id",
    "target",
    "started_at",
    "due_at",
    "met_at",
    "ended_at",
    "end_reason",
    "paused_at",
    "assumed_years",
)
"""A record's columns but `id`, in the order `_row` gives them (the importer's bulk insert)."""


@dataclass(frozen=True)
class Wanted:
    """What a clock's current instance should be now."""

    clock: str
    started_at: datetime
    target: str
    due_at: datetime
    met_at: datetime | None
    paused_at: datetime | None = None
    """When the wait for the customer that stops it began, if it stopped before running out."""


def assumed_years(calendar: WorkCalendar, start: datetime, due: datetime) -> str | None:
    """As stored: the years from start to due the calendar had to assume ("2027"), or None."""
    years = calendar.assumed_years(start, due)
    return ",".join(map(str, years)) if years else None


def _targets(profile: Profile, case: Any) -> Mapping[str, Any]:
    return profile.sla_targets(case.severity, case.complexity)


def wanted(
    case: Case,
    profile: Profile,
    now: datetime,
    history: Sequence[StatusChange] | None,
    current: Mapping[str, Deadline],
) -> dict[str, Wanted]:
    """The current instance each SLA clock should have, from the case (its `due_*` projection
    already computed by the door) and, where a start may have moved, its status history."""
    targets = _targets(profile, case)
    paused = case.paused_at
    # A case closed without the clock met (no response from the customer) meets it by
    # closing, as the KPIs and views count it (coalesce(met, closed_at)).
    closed = case.closed_at if case.status == Status.CLOSED else None
    out: dict[str, Wanted] = {}
    if case.due_first_response is not None and Clock.FIRST_RESPONSE in targets:
        out[Clock.FIRST_RESPONSE] = Wanted(
            Clock.FIRST_RESPONSE,
            case.received_at,
            str(targets[Clock.FIRST_RESPONSE]),
            case.due_first_response,
            case.first_response_at or closed,
            _stopped(paused, case.due_first_response),
        )
    if case.due_resolution is not None and Clock.RESOLUTION in targets:
        if history is not None:
            start = sla.reopened_at_from_events(history) or case.received_at
        else:  # nothing that moves the start happened: the current instance's stands
            row = current.get(Clock.RESOLUTION)
            start = row.started_at if row is not None else case.received_at
        out[Clock.RESOLUTION] = Wanted(
            Clock.RESOLUTION,
            start,
            str(targets[Clock.RESOLUTION]),
            case.due_resolution,
            case.resolved_at or closed,
            _stopped(paused, case.due_resolution),
        )
    if case.escalated_at is not None and case.due_coordination is not None and Clock.COORDINATION in targets:
        # Coordination is met when the escalated case is picked up again (claimed, assigned).
        met = None if case.status == Status.ESCALATED else now
        out[Clock.COORDINATION] = Wanted(
            Clock.COORDINATION,
            case.escalated_at,
            str(targets[Clock.COORDINATION]),
            case.due_coordination,
            met,
            _stopped(paused, case.due_coordination),
        )
    for w in statutory_wanted(profile, case):
        out[w.clock] = w
    return out


def statutory_wanted(profile: Profile, case: Any) -> list[Wanted]:
    """The statutory duties that apply to the case (a case or a new case's plan values): hard
    clocks from their anchor, never paused, met when a resolution is first given."""

    if not profile.statutory:
        return []
    names = ("resolved_at", "closed_at", "status", "category", "received_at", "delivered_on", "returned_on")
    if isinstance(case, Mapping):
        resolved, closed, status, category, received, delivered, returned = map(case.get, names)
    else:
        resolved, closed, status, category, received, delivered, returned = (getattr(case, n) for n in names)
    met = resolved or (closed if status == Status.CLOSED else None)
    return [
        Wanted(statutory.clock_name(p.code), p.start, p.rule.target, p.end, met)
        for p in statutory.periods(
            profile,
            category=category,
            received_at=cast(datetime, received),
            delivered_on=delivered,
            returned_on=returned,
            kind="duty",
        )
    ]


def statutory_projection(rows: Sequence[Mapping[str, Any] | Deadline]) -> tuple[datetime | None, str | None]:
    """The case's `due_statutory` and `statutory_clock`: its earliest unmet, unended duty."""
    best: tuple[datetime, str] | None = None
    for row in rows:
        r = row if isinstance(row, Mapping) else row.__dict__
        if (
            not str(r["clock"]).startswith(statutory.PREFIX)
            or r["met_at"] is not None
            or r["ended_at"] is not None
        ):
            continue
        if best is None or r["due_at"] < best[0]:
            best = (r["due_at"], r["clock"])
    return best if best is not None else (None, None)


def _stopped(paused_at: datetime | None, due: datetime) -> datetime | None:
    return paused_at if paused_at is not None and paused_at < due else None


def initial_rows(values: Mapping[str, Any], profile: Profile, version_id: int) -> list[dict[str, Any]]:
    """A new case's deadline rows, from its intake plan's columns (`case_id` set when stored).
    (Built as plain dicts: an import makes these for every row.)"""
    targets = profile.sla_targets(values["severity"], values["complexity"])
    assumed = profile.work_calendar.assumed_years
    received = values["received_at"]
    rows = [_row(None, version_id, w, 1, profile) for w in statutory_wanted(profile, values)]
    for clock, start in (
        (Clock.FIRST_RESPONSE, received),
        (Clock.RESOLUTION, received),
        (Clock.COORDINATION, values["escalated_at"]),
    ):
        due = values[_DUE_COLUMN[clock]]
        target = targets.get(clock)
        if due is None or start is None or target is None:
            continue
        years = assumed(start, due)
        rows.append(
            {
                "case_id": None,
                "clock": clock.value,
                "instance": 1,
                "policy_version_id": version_id,
                "target": str(target),
                "started_at": start,
                "due_at": due,
                "met_at": None,
                "ended_at": None,
                "end_reason": None,
                "paused_at": None,
                "assumed_years": ",".join(map(str, years)) if years else None,
            }
        )
    return rows


_DUE_COLUMN = {clock: f"due_{clock.value}" for clock in CLOCKS}


def _row(case_id: int | None, version_id: int, w: Wanted, instance: int, profile: Profile) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "clock": str(w.clock),
        "instance": instance,
        "policy_version_id": version_id,
        "target": w.target,
        "started_at": w.started_at,
        "due_at": w.due_at,
        "met_at": w.met_at,
        "ended_at": None,
        "end_reason": None,
        "paused_at": w.paused_at,
        "assumed_years": assumed_years(
            profile.legal_calendar if w.clock.startswith(statutory.PREFIX) else profile.work_calendar,
            w.started_at,
            w.due_at,
        ),
    }


def case_rows(session: Session, case_id: int | None) -> Sequence[Deadline]:
    """Every instance a case has had, oldest first per clock."""
    return session.exec(
        select(Deadline)
        .where(Deadline.case_id == case_id)
        .order_by(col(Deadline.clock), col(Deadline.instance))
    ).all()


def sync(
    session: Session,
    case: Case,
    profile: Profile,
    now: datetime,
    history: Sequence[StatusChange] | None = None,
) -> None:
    """Bring the case's deadline rows in line with its clocks (in the caller's transaction):
    start an instance, end one that a new start or target replaces, move an open one's due
    time, record a clock met, cancel what no longer applies."""
    assert case.id is not None
    rows = case_rows(session, case.id)
    current = {r.clock: r for r in rows if r.ended_at is None}
    last = {r.clock: r.instance for r in rows}
    rejected = case.status == Status.CLOSED and case.close_reason in UNCOUNTED_CLOSES
    added: list[Deadline] = []
    for clock, want in ({} if rejected else wanted(case, profile, now, history, current)).items():
        row = current.pop(clock, None)
        # A new start replaces an instance; a new target (a corrected severity) replaces it only
        # while it runs: a clock already met stays met (a reclassify does not restart it).
        if row is not None and (
            row.started_at != want.started_at or (row.target != want.target and row.met_at is None)
        ):
            row.ended_at, row.end_reason = now, DeadlineEnd.REPLACED
            session.add(row)
            row = None
        if row is None:
            new = Deadline(**_row(case.id, case.policy_version_id, want, last.get(clock, 0) + 1, profile))
            session.add(new)
            added.append(new)
            continue
        if row.met_at is None:
            if row.due_at != want.due_at:
                row.due_at = want.due_at
                row.assumed_years = assumed_years(profile.work_calendar, row.started_at, row.due_at)
            row.met_at = want.met_at
            row.paused_at = None if want.met_at is not None else want.paused_at
            session.add(row)
    for row in current.values():  # the clock stopped: a rejection, or it no longer applies
        if row.met_at is None:
            row.ended_at, row.end_reason = now, DeadlineEnd.CANCELLED
            session.add(row)
        elif not rejected:  # met, and no longer the case's clock (a new escalation, say)
            row.ended_at, row.end_reason = now, DeadlineEnd.REPLACED
            session.add(row)
    case.due_statutory, case.statutory_clock = statutory_projection([*rows, *added])


def counts(row: Deadline, as_of: datetime) -> bool:
    """Whether an instance counts in on-time KPIs at `as_of`: it has fallen due, and unless it
    was met, it was not stopped before its due time — by a wait for the customer (its due time
    moves on when the wait ends) or by ending (a target replaced before it ran out).
    `counted_sql` is the same rule for the reports' SQL; tests/test_deadlines.py pins the two."""
    if row.due_at > as_of:
        return False
    if row.met_at is not None:
        return True
    if row.paused_at is not None and row.paused_at < row.due_at:
        return False
    return row.ended_at is None or row.ended_at >= row.due_at


def on_time(row: Deadline) -> bool:
    """Met by its due time (`on_time_sql` in SQL)."""
    return row.met_at is not None and row.met_at <= row.due_at


def counted_sql(table: Any) -> ColumnElement[bool]:
    """`counts` without the as-of bound (the report puts the due time in its period)."""
    c = table.c
    running = or_(c.paused_at.is_(None), c.paused_at >= c.due_at)
    return or_(c.met_at.is_not(None), and_(running, or_(c.ended_at.is_(None), c.ended_at >= c.due_at)))


def on_time_sql(table: Any) -> ColumnElement[bool]:
    c = table.c
    return and_(c.met_at.is_not(None), c.met_at <= c.due_at)


def record_state(row: Deadline, now: datetime, calendar: WorkCalendar | None = None) -> DeadlineState:
    """How one instance stands at `now`, by the rule the KPIs count it with: met (on time or
    late), breached (fell due unmet), paused, running, or none (stopped before its due time:
    replaced or cancelled). Running is at risk once 80 % of what its target grants is used,
    on `calendar` (the clock's own: the shop's, or the legal one for a statutory period) —
    `sla.clock_state`'s rule, so a record and the case's deadline agree."""
    if row.met_at is not None:
        return DeadlineState.MET if on_time(row) else DeadlineState.MET_LATE
    if counts(row, now):
        return DeadlineState.BREACHED
    if row.ended_at is not None:
        return DeadlineState.NONE
    if row.paused_at is not None:
        return DeadlineState.PAUSED
    if calendar is not None:
        target = Duration.parse(row.target)
        state = sla.clock_state(calendar, row.clock, row.started_at, row.due_at, None, target, now, False)
        if state.state == DeadlineState.AT_RISK:
            return DeadlineState.AT_RISK
    return DeadlineState.OK


def years_of(stored: str | None) -> tuple[int, ...]:
    """`assumed_years` as stored ("2027,2028") back to years."""
    return tuple(int(y) for y in stored.split(",")) if stored else ()
