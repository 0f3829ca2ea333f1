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
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from . import sla
from .calendar import WorkCalendar
from .history import StatusChange
from .models import Case, Deadline
from .policy import Profile
from .workflow import CLOCKS, REJECT_REASONS, Clock, DeadlineEnd, Status

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


def assumed_years(calendar: WorkCalendar, start: datetime, due: datetime) -> str | None:
    """The years between start and due the calendar has no official data for ("2027")."""
    years = calendar.uncovered_years(range(calendar.local(start).year, calendar.local(due).year + 1))
    return ",".join(str(y) for y in years) or None


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
    out: dict[str, Wanted] = {}
    if case.due_first_response is not None and Clock.FIRST_RESPONSE in targets:
        out[Clock.FIRST_RESPONSE] = Wanted(
            Clock.FIRST_RESPONSE,
            case.received_at,
            str(targets[Clock.FIRST_RESPONSE]),
            case.due_first_response,
            case.first_response_at,
        )
    if case.due_resolution is not None and Clock.RESOLUTION in targets:
        if history is not None:
            start = sla.reopened_at_from_events(history) or case.received_at
        else:  # nothing that moves the start happened: the current instance's stands
            row = current.get(Clock.RESOLUTION)
            start = row.started_at if row is not None else case.received_at
        out[Clock.RESOLUTION] = Wanted(
            Clock.RESOLUTION, start, str(targets[Clock.RESOLUTION]), case.due_resolution, case.resolved_at
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
        )
    return out


def initial_rows(values: Mapping[str, Any], profile: Profile, version_id: int) -> list[dict[str, Any]]:
    """A new case's deadline rows, from its intake plan's columns (`case_id` set when stored)."""
    targets = profile.sla_targets(values["severity"], values["complexity"])
    starts = {
        Clock.FIRST_RESPONSE: values["received_at"],
        Clock.RESOLUTION: values["received_at"],
        Clock.COORDINATION: values["escalated_at"],
    }
    rows = []
    for clock in CLOCKS:
        due = values[f"due_{clock.value}"]
        start = starts[clock]
        if due is None or start is None or clock not in targets:
            continue
        rows.append(_row(None, version_id, Wanted(clock, start, str(targets[clock]), due, None), 1, profile))
    return rows


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
        "assumed_years": assumed_years(profile.work_calendar, w.started_at, w.due_at),
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
    current = {r.clock: r for r in rows if r.ended_at is None and not r.clock.startswith("statutory.")}
    last = {r.clock: r.instance for r in rows}
    rejected = case.status == Status.CLOSED and case.close_reason in REJECT_REASONS
    for clock, want in ({} if rejected else wanted(case, profile, now, history, current)).items():
        row = current.pop(clock, None)
        if row is not None and (row.started_at, row.target) != (want.started_at, want.target):
            row.ended_at, row.end_reason = now, DeadlineEnd.REPLACED
            session.add(row)
            row = None
        if row is None:
            new = _row(case.id, case.policy_version_id, want, last.get(clock, 0) + 1, profile)
            session.add(Deadline(**new))
            continue
        if row.met_at is None:
            if row.due_at != want.due_at:
                row.due_at = want.due_at
                row.assumed_years = assumed_years(profile.work_calendar, row.started_at, row.due_at)
            row.met_at = want.met_at
            session.add(row)
    for row in current.values():  # the clock stopped: a rejection, or it no longer applies
        if row.met_at is None:
            row.ended_at, row.end_reason = now, DeadlineEnd.CANCELLED
            session.add(row)


def counts(row: Deadline, as_of: datetime) -> bool:
    """Whether an instance counts in on-time KPIs at `as_of`: it has fallen due, and did not
    end unmet before its due time (a target replaced before it ran out). `counted_sql` is the
    same rule for the reports' SQL; tests/test_deadlines.py pins the two together."""
    if row.due_at > as_of:
        return False
    return row.met_at is not None or row.ended_at is None or row.ended_at >= row.due_at


def on_time(row: Deadline) -> bool:
    """Met by its due time (`on_time_sql` in SQL)."""
    return row.met_at is not None and row.met_at <= row.due_at


def counted_sql(table: Any) -> ColumnElement[bool]:
    """`counts` without the as-of bound (the report puts the due time in its period)."""
    c = table.c
    return or_(c.met_at.is_not(None), c.ended_at.is_(None), c.ended_at >= c.due_at)


def on_time_sql(table: Any) -> ColumnElement[bool]:
    c = table.c
    return and_(c.met_at.is_not(None), c.met_at <= c.due_at)
