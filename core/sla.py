"""SLA deadlines: computed from the policy a case was opened under and its history.

Three clocks per case: first response and resolution start at receipt, coordination when the
case is escalated; the resolution clock starts again when a resolved or closed case goes back
to work (reopen, an unsatisfied confirmation or revisit). Time spent waiting for the customer
moves every open deadline later by the paused amount measured on that deadline's own clock
(calendar or business). Deadlines are stored on the case for indexed queries; they are only
ever computed by `compute_deadlines` from the case and its status history (the transitions
that recompute which clock are named in `workflow.TRANSITIONS`), and
`lifecycle.recompute_deadlines` rebuilds them from the history alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from .calendar import END_OF_DAY, Duration, WorkCalendar
from .policy import Profile
from .workflow import CLOCKS, PAUSED, RESOLUTION_GIVEN, Clock, DeadlineState, Status

__all__ = ["CLOCKS", "AT_RISK_FRACTION", "ClockInput", "ClockState", "Pause", "compute_deadlines"]

AT_RISK_FRACTION = 0.8
"""A deadline is at risk once this share of its allowance is used."""


@dataclass(frozen=True)
class Pause:
    start: datetime
    end: datetime | None  # None: still paused


def base_deadline(calendar: WorkCalendar, start: datetime, target: Duration) -> datetime:
    return calendar.add(start, target)


def shifted(
    calendar: WorkCalendar,
    due: datetime,
    target: Duration,
    pauses: Iterable[Pause],
    now: datetime,
    clock_start: datetime | None = None,
) -> datetime:
    """`due` moved later by each finished (or, up to `now`, ongoing) pause that began before it;
    only the part of a pause after `clock_start` counts (a clock cannot pause before it runs)."""
    for pause in pauses:
        if pause.start >= due:
            continue
        begin = pause.start if clock_start is None else max(pause.start, clock_start)
        end = pause.end or now
        if end <= begin:
            continue
        amount = calendar.elapsed(begin, end, target.clock)
        due = calendar.shift(due, amount, target.clock)
    return due


@dataclass(frozen=True)
class ClockInput:
    """What a deadline depends on, taken from the case and its history."""

    received_at: datetime
    severity: str
    complexity: str
    escalated_at: datetime | None
    pauses: Sequence[Pause]
    first_response_at: datetime | None = None
    """When the first response was given: only pauses over by then move that clock."""
    reopened_at: datetime | None = None
    """The last time the case went back to work after a resolution (reopen, an unsatisfied
    confirmation or revisit): the resolution clock starts again from there."""
    coordinated_at: datetime | None = None
    """When the escalated case was picked up again: only pauses over by then move that clock."""


def compute_deadlines(profile: Profile, inputs: ClockInput, now: datetime) -> dict[Clock, datetime | None]:
    """The three deadlines under `profile` (finished pauses applied; an open pause not yet).

    Only running clocks pause: a pause over before escalation leaves coordination alone, and
    one not over when the first response was given (or the escalated case picked up) leaves
    that deadline alone.
    """
    calendar = profile.work_calendar
    targets = profile.sla_targets(inputs.severity, inputs.complexity)
    finished = [p for p in inputs.pauses if p.end is not None]
    met_at = {Clock.FIRST_RESPONSE: inputs.first_response_at, Clock.COORDINATION: inputs.coordinated_at}
    result: dict[Clock, datetime | None] = {}
    for clock in CLOCKS:
        target = targets.get(clock)
        start = inputs.escalated_at if clock == Clock.COORDINATION else inputs.received_at
        if clock == Clock.RESOLUTION and inputs.reopened_at is not None:
            start = inputs.reopened_at
        if target is None or start is None:
            result[clock] = None
            continue
        due = base_deadline(calendar, start, target)
        pauses = finished
        met = met_at.get(clock)
        if met is not None:  # a met clock no longer pauses
            pauses = [p for p in finished if p.end is not None and p.end <= met]
        result[clock] = shifted(calendar, due, target, pauses, now, clock_start=start)
    return result


def pauses_from_events(events: Iterable[tuple[str | None, str | None, datetime]]) -> list[Pause]:
    """Pause intervals from (from_status, to_status, at) triples in history order."""
    pauses: list[Pause] = []
    started: datetime | None = None
    for from_status, to_status, at in events:
        if to_status in PAUSED and from_status not in PAUSED:
            started = at
        elif from_status in PAUSED and to_status not in PAUSED and started:
            pauses.append(Pause(started, at))
            started = None
    if started is not None:
        pauses.append(Pause(started, None))
    return pauses


def coordinated_at_from_events(
    events: Iterable[tuple[str | None, str | None, datetime]], escalated_at: datetime | None
) -> datetime | None:
    """When the case last escalated (at `escalated_at`) was first moved on from escalated (a
    correction that leaves it escalated does not count)."""
    if escalated_at is None:
        return None
    for from_status, to_status, at in events:
        if from_status == Status.ESCALATED and to_status != Status.ESCALATED and at >= escalated_at:
            return at
    return None


def reopened_at_from_events(events: Iterable[tuple[str | None, str | None, datetime]]) -> datetime | None:
    """When the case last went from resolved/closed back to in_progress, if it ever did."""
    last = None
    for from_status, to_status, at in events:
        if from_status in RESOLUTION_GIVEN and to_status == Status.IN_PROGRESS:
            last = at
    return last


@dataclass(frozen=True)
class ClockState:
    """How one deadline stands at a moment, for tables, JSON and the TUI countdown."""

    clock: str
    due: datetime | None
    met_at: datetime | None
    state: DeadlineState
    remaining_minutes: float | None

    def as_dict(self) -> dict[str, object]:
        return {
            "due": self.due,
            "met_at": self.met_at,
            "state": self.state,
            "remaining_minutes": None if self.remaining_minutes is None else round(self.remaining_minutes, 1),
        }


def allowance_minutes(calendar: WorkCalendar, start: datetime, target: Duration) -> float:
    """The time a target grants from `start`, on the target's own clock, pauses excluded.

    `15m` grants 15 wall minutes and `4bh` 240 business minutes wherever it starts; `3wd`
    grants the business minutes from `start` to the close of the third working day after it.
    """
    return calendar.elapsed(start, calendar.add(start, target), target.clock)


def allowance_bound_minutes(calendar: WorkCalendar, target: Duration) -> float:
    """An upper bound of `allowance_minutes` for any start (used to bound at-risk searches)."""
    if target.minutes is not None:
        return float(target.minutes)
    day = 0.0
    for start, end in calendar.business_hours:
        end_minutes = 24 * 60 if end == END_OF_DAY else end.hour * 60 + end.minute
        day += end_minutes - (start.hour * 60 + start.minute)
    # The receipt day's remainder plus N working days; an hour a day spare for DST days.
    return (target.amount + 1) * (day + 60)


def risk_horizon(calendar: WorkCalendar, target: Duration, as_of: datetime) -> datetime:
    """No deadline of `target` lying after this instant can be at risk at `as_of`: the last
    20 % of the longest allowance the target grants, laid out on its own clock from `as_of`
    (plus a minute, so a deadline exactly at the bound is still found). The queues and the SLA
    check search for at-risk candidates up to here, then judge each with `clock_state`."""
    window = (1 - AT_RISK_FRACTION) * allowance_bound_minutes(calendar, target)
    return calendar.shift(as_of, window + 1, target.clock)


def minimum_wall_minutes(target: Duration) -> float:
    """A lower bound of the wall-clock time `target` takes from any start."""
    if target.minutes is not None:
        return float(target.minutes)  # business minutes never pass faster than wall minutes
    return max(0, target.amount - 1) * 24 * 60.0


def clock_state(
    calendar: WorkCalendar,
    clock: str,
    start: datetime | None,
    due: datetime | None,
    met_at: datetime | None,
    target: Duration | None,
    now: datetime,
    paused: bool,
    paused_at: datetime | None = None,
) -> ClockState:
    """Where one deadline stands at `now`: met, breached, paused, at risk (80 % of the
    allowance used, time spent paused not counted) or ok.

    A paused clock is frozen: its remaining time is what was left when the pause began at
    `paused_at` (on the target's own clock; negative calendar minutes if the deadline had
    already passed by then), however long the pause has lasted."""
    if due is None or start is None or target is None:
        return ClockState(clock, due, met_at, DeadlineState.NONE, None)
    if met_at is not None:
        state = DeadlineState.MET if met_at <= due else DeadlineState.MET_LATE
        return ClockState(clock, due, met_at, state, None)
    if paused:
        frozen_at = now if paused_at is None else min(paused_at, now)
        return ClockState(
            clock, due, None, DeadlineState.PAUSED, _remaining(calendar, due, target, frozen_at)
        )
    remaining = _remaining(calendar, due, target, now)
    if now >= due:
        return ClockState(clock, due, None, DeadlineState.BREACHED, remaining)
    span = allowance_minutes(calendar, start, target)
    # A microsecond of slack so that exactly 80 % counts despite float rounding.
    at_risk = span > 0 and remaining <= (1 - AT_RISK_FRACTION) * span + 1e-6
    return ClockState(clock, due, None, DeadlineState.AT_RISK if at_risk else DeadlineState.OK, remaining)


def _remaining(calendar: WorkCalendar, due: datetime, target: Duration, at: datetime) -> float:
    """Minutes left at `at` on the target's clock, or minus the calendar minutes overdue."""
    if at < due:
        return calendar.elapsed(at, due, target.clock)
    return -calendar.elapsed(due, at, "calendar")


def waiting_limits(profile: Profile, since: datetime) -> tuple[datetime | None, datetime | None]:
    """When a wait for the customer that began at `since` calls for a reminder, and when kefu
    gives up on it (`[waiting]`; None: no such limit). `sla check` acts on them; the views
    show them."""
    w, calendar = profile.waiting, profile.work_calendar
    remind = calendar.add(since, Duration.parse(w.remind_after)) if w.remind_after else None
    give_up = calendar.add(since, Duration.parse(w.give_up_after)) if w.give_up_after else None
    return remind, give_up
