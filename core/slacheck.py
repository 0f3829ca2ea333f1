"""`kefu sla check`: the cron job that watches every open case's clocks.

One run, at an instant `as_of`:

1. records each deadline found passed while unmet as a breach, exactly once (a row in
   `breaches` keyed by case, clock and due time, and a `breach` event on the case by the
   system actor), so re-running is a no-op;
2. escalates a breached case per the policy it was opened under (`escalation.on_breach`): the
   system's `escalate` transition, taken through the one door (`lifecycle.system_move`) in the
   same transaction as the breach it answers;
3. closes resolved cases whose confirmation window has passed without an answer: the system's
   `close` transition (close reason `no_answer`), which schedules the revisit like a confirmed
   close;
4. reports what is breached now, what it recorded and did, and what is at risk (80 % used).

Open cases are found with indexed range searches (`status IN (...) AND due_x <= :as_of`),
never by loading every open case into Python; `pending_customer` is paused and skipped.
Writes go in batches, each one BEGIN IMMEDIATE transaction holding the breach rows, their
events and the escalations they cause, so a run that stops half way leaves whole batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, exists, insert, or_
from sqlalchemy import select as columns_select
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from . import db as kdb
from . import sla, statutory
from .calendar import Duration
from .errors import Conflict
from .history import add_event, event_row
from .lifecycle import system_move
from .messages import Message
from .models import Breach, Case, Deadline, Event, User
from .policies import Policies, policy_in_force
from .policy import Profile
from .services import check_as_of, require_role
from .workflow import (
    CLOCKS_RUN,
    COMPLEXITIES,
    ESCALATED_FROM,
    SUPERVISING,
    SYSTEM_ACTOR,
    Action,
    Clock,
    CloseReason,
    Complexity,
    DeadlineState,
    EventKind,
    Status,
)

BATCH_SIZE = 500

_DUE = {
    Clock.FIRST_RESPONSE: col(Case.due_first_response),
    Clock.RESOLUTION: col(Case.due_resolution),
    Clock.COORDINATION: col(Case.due_coordination),
}


# -- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockRow:
    """One clock of one case: breached (minutes overdue) or at risk (minutes left)."""

    code: str
    clock: str
    due: datetime
    status: str
    severity: str
    owner: str | None
    department: str | None
    minutes: float
    """Breached: wall-clock minutes since the deadline. At risk: minutes left on its clock."""
    timezone: str
    new: bool = False
    escalated: bool = False

    def due_text(self) -> str:
        """The deadline in the case's time zone, to the minute, for tables."""
        return _iso(self.due, self.timezone)[:16].replace("T", " ")

    def as_dict(self, minutes_key: str) -> dict[str, Any]:
        return {
            "code": self.code,
            "clock": self.clock,
            "due": _iso(self.due, self.timezone),
            minutes_key: round(self.minutes, 1),
            "status": self.status,
            "severity": self.severity,
            "owner": self.owner,
            "department": self.department,
        }


@dataclass(frozen=True)
class Escalation:
    code: str
    clock: str
    from_status: str


@dataclass(frozen=True)
class AutoClose:
    code: str
    resolved_at: datetime
    window_ended: datetime
    revisit_due: datetime
    timezone: str


@dataclass(frozen=True)
class WaitAction:
    """What `sla check` did about a case waiting too long for the customer."""

    code: str
    since: datetime
    did: str  # reminded | closed | escalated
    owner: str | None
    timezone: str


@dataclass
class SlaReport:
    """What one `sla check` found and did."""

    as_of: datetime
    timezone: str
    breached: list[ClockRow] = field(default_factory=list)
    new_breaches: list[ClockRow] = field(default_factory=list)
    escalated: list[Escalation] = field(default_factory=list)
    auto_closed: list[AutoClose] = field(default_factory=list)
    at_risk: list[ClockRow] = field(default_factory=list)
    waits: list[WaitAction] = field(default_factory=list)

    @property
    def any_breached(self) -> bool:
        """Whether an open case is breached (the CLI then exits 1)."""
        return bool(self.breached)

    def as_dict(self) -> dict[str, Any]:
        """The JSON document of `kefu sla check --json` (ISO 8601 with offsets)."""
        return {
            "as_of": _iso(self.as_of, self.timezone),
            "breached": [
                {**r.as_dict("overdue_minutes"), "new": r.new, "escalated": r.escalated}
                for r in self.breached
            ],
            "new_breaches": [r.as_dict("overdue_minutes") for r in self.new_breaches],
            "escalated": [
                {"code": e.code, "clock": e.clock, "from": e.from_status, "to": Status.ESCALATED}
                for e in self.escalated
            ],
            "auto_closed": [
                {
                    "code": a.code,
                    "resolved_at": _iso(a.resolved_at, a.timezone),
                    "window_ended": _iso(a.window_ended, a.timezone),
                    "closed_at": _iso(self.as_of, a.timezone),
                    "close_reason": CloseReason.NO_ANSWER,
                    "revisit_due": _iso(a.revisit_due, a.timezone),
                }
                for a in self.auto_closed
            ],
            "at_risk": [r.as_dict("remaining_minutes") for r in self.at_risk],
            "waiting": [
                {"code": w.code, "waiting_since": _iso(w.since, w.timezone), "did": w.did, "owner": w.owner}
                for w in self.waits
            ],
        }


def _iso(value: datetime, timezone: str) -> str:
    from zoneinfo import ZoneInfo

    return value.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")


# -- the searches (each one an indexed range over the cases table) --------------------------


def _clock_conditions(clock: Clock) -> list[Any]:
    """Which cases a clock runs for: running statuses, and unmet where met is a column."""
    if clock == Clock.COORDINATION:
        # Coordination is met once an escalated case is claimed or assigned again.
        return [col(Case.status) == Status.ESCALATED]
    conditions: list[Any] = [col(Case.status).in_(CLOCKS_RUN)]
    if clock == Clock.FIRST_RESPONSE:
        conditions.append(col(Case.first_response_at).is_(None))
    return conditions


def _not_recorded(clock: Clock) -> Any:
    due = _DUE[clock]
    return ~exists().where(
        col(Breach.case_id) == col(Case.id), col(Breach.kind) == clock, col(Breach.due_at) == due
    )


def overdue_query(clock: Clock, as_of: datetime, *, new_only: bool = False) -> Any:
    """Cases whose `clock` deadline has come by `as_of` and is unmet (optionally only those
    whose breach is not recorded yet), soonest deadline first."""
    due = _DUE[clock]
    query = columns_select(
        col(Case.id),
        col(Case.code),
        col(Case.policy_version_id),
        col(Case.status),
        col(Case.severity),
        col(Case.owner),
        col(Case.department),
        due,
    ).where(*_clock_conditions(clock), due <= as_of)
    if new_only:
        query = query.where(_not_recorded(clock))
    return query.order_by(due, col(Case.id))


def _open_statutory(as_of_bound: Any) -> list[Any]:
    lo, hi = statutory.PREFIX, statutory.PREFIX[:-1] + "/"  # every "statutory.<code>"
    return [
        col(Deadline.clock) >= lo,
        col(Deadline.clock) < hi,
        col(Deadline.met_at).is_(None),
        col(Deadline.ended_at).is_(None),
        as_of_bound,
    ]


def _open_duties(due_bound: Any) -> Any:
    """The open statutory duty records within `due_bound`, with their cases' columns (the rows
    `_row_from` reads, the clock last)."""
    return (
        columns_select(
            col(Case.id),
            col(Case.code),
            col(Case.policy_version_id),
            col(Case.status),
            col(Case.severity),
            col(Case.owner),
            col(Case.department),
            col(Deadline.due_at),
            col(Deadline.clock),
        )
        .join(Case, col(Case.id) == col(Deadline.case_id))
        .where(*_open_statutory(due_bound))
    )


def statutory_overdue_query(as_of: datetime, *, new_only: bool = False) -> Any:
    """Unmet statutory duties whose period has ended by `as_of` (from the deadline records:
    a case may owe two), optionally only those whose breach is not recorded yet."""
    query = _open_duties(col(Deadline.due_at) <= as_of)
    if new_only:
        query = query.where(
            ~exists().where(
                col(Breach.case_id) == col(Deadline.case_id),
                col(Breach.kind) == col(Deadline.clock),
                col(Breach.due_at) == col(Deadline.due_at),
            )
        )
    return query.order_by(col(Deadline.due_at), col(Case.id))


def statutory_at_risk_query(as_of: datetime, horizon: datetime) -> Any:
    """Open statutory duties ending after `as_of` and before `horizon` (at-risk candidates)."""
    due = col(Deadline.due_at)
    return _open_duties(and_(due > as_of, due < horizon)).order_by(due, col(Case.id))


def _statutory_horizon(profiles: Iterable[Profile], as_of: datetime) -> datetime | None:
    ends = [
        sla.risk_horizon(p.legal_calendar, Duration.parse(rule.target), as_of)
        for p in profiles
        for rule in p.statutory.values()
        if rule.kind == "duty"
    ]
    return max(ends) if ends else None


RiskGroup = tuple[int, str, str, datetime]
"""(policy_version_id, severity, complexity, horizon): cases of that revision, severity and
complexity whose deadline lies before `horizon` may be at risk."""


def at_risk_query(clock: Clock, as_of: datetime, groups: Sequence[RiskGroup]) -> Any:
    """Cases whose `clock` deadline lies after `as_of` and before their group's horizon
    (candidates: whether 80 % is used is then decided per case on its own calendar). The
    index range runs to the latest horizon; SQLite drops the rest of each group's rows."""
    due = _DUE[clock]
    horizon = max(group[3] for group in groups)
    in_group = or_(
        *(
            and_(
                col(Case.policy_version_id) == version_id,
                col(Case.severity) == severity,
                col(Case.complexity) == Complexity.COMPLEX
                if complexity == Complexity.COMPLEX
                else col(Case.complexity) != Complexity.COMPLEX,
                due < group_horizon,
            )
            for version_id, severity, complexity, group_horizon in groups
        )
    )
    return (
        columns_select(
            col(Case.code),
            col(Case.policy_version_id),
            col(Case.status),
            col(Case.severity),
            col(Case.complexity),
            col(Case.owner),
            col(Case.department),
            col(Case.received_at),
            col(Case.escalated_at),
            due,
        )
        .where(*_clock_conditions(clock), due > as_of, due < horizon, in_group)
        .order_by(due, col(Case.id))
    )


def confirmation_candidates_query(cutoff: datetime) -> Any:
    """Resolved cases resolved no later than `cutoff` (before it no window can have ended)."""
    return (
        select(col(Case.id), col(Case.policy_version_id), col(Case.resolved_at))
        .where(col(Case.status) == Status.RESOLVED, col(Case.resolved_at) <= cutoff)
        .order_by(col(Case.resolved_at), col(Case.id))
    )


def open_case_queries(as_of: datetime) -> dict[str, Any]:
    """Every search `sla check` runs, by name (for EXPLAIN QUERY PLAN in the tests)."""
    queries: dict[str, Any] = {}
    groups = [
        (1, "P2", "simple", as_of + timedelta(hours=2)),
        (1, "P3", "complex", as_of + timedelta(days=1)),
    ]
    for clock in sla.CLOCKS:
        queries[f"overdue {clock}"] = overdue_query(clock, as_of)
        queries[f"new breaches {clock}"] = overdue_query(clock, as_of, new_only=True)
        queries[f"at risk {clock}"] = at_risk_query(clock, as_of, groups)
    queries["overdue statutory"] = statutory_overdue_query(as_of)
    queries["new breaches statutory"] = statutory_overdue_query(as_of, new_only=True)
    queries["at risk statutory"] = statutory_at_risk_query(as_of, as_of + timedelta(days=3))
    queries["confirmation window"] = confirmation_candidates_query(as_of)
    return queries


def _at_risk_groups(profiles: dict[int, Profile], as_of: datetime) -> dict[str, list[RiskGroup]]:
    """Per clock and per (revision, severity, complexity), the instant after which no
    deadline can be at risk yet at `as_of` (`sla.risk_horizon`)."""
    groups: dict[str, list[RiskGroup]] = {clock: [] for clock in sla.CLOCKS}
    for version_id, profile in profiles.items():
        for severity in profile.sla:
            for complexity in COMPLEXITIES:
                for clock, target in profile.sla_targets(severity, complexity).items():
                    end = sla.risk_horizon(profile.work_calendar, target, as_of)
                    groups[clock].append((version_id, severity, complexity, end))
    return groups


def _confirmation_cutoff(profiles: Iterable[Profile], as_of: datetime) -> datetime:
    """Resolved after this instant, no confirmation window under these policies has ended."""
    cutoff = datetime.min.replace(tzinfo=UTC)
    for profile in profiles:
        window = Duration.parse(profile.confirmation.window)
        cutoff = max(cutoff, as_of - timedelta(minutes=sla.minimum_wall_minutes(window)))
    return cutoff


# -- the run ---------------------------------------------------------------------------


def check_sla(
    *,
    engine: Engine,
    actor: User,
    now: datetime,
    as_of: datetime | None = None,
    batch_size: int = BATCH_SIZE,
) -> SlaReport:
    """Evaluate every open case's clocks at `as_of` (default `now`), record new breaches once,
    escalate and auto-close per each case's policy, and report. Admins and supervisors only.

    Takes the engine rather than a session: it commits in batches so a long first run never
    holds the write lock for long, and each batch is whole or absent.
    """
    require_role(actor, SUPERVISING, Message("do.run_sla_check"))
    as_of = check_as_of(as_of, now, Message("as_of.sla_check_past_only"))
    cache = Policies()
    with kdb.read_session(engine) as session:
        _, in_force = policy_in_force(session, as_of)
        profiles = cache.all(session)
    report = SlaReport(as_of=as_of, timezone=in_force.calendar.timezone)

    _record_new_breaches(engine, cache, report, as_of, batch_size)
    _close_unanswered(engine, cache, report, as_of, profiles, batch_size)
    _act_on_waits(engine, cache, report, as_of, profiles, batch_size)
    with kdb.read_session(engine) as session:
        report.breached = _breached_now(session, cache, report, as_of)
        flagged = {(r.code, r.clock) for r in report.breached}
        report.at_risk = [
            row
            for row in _at_risk_now(session, cache, as_of, profiles)
            if (row.code, row.clock) not in flagged
        ]
    return report


def _row_from(session: Session, cache: Policies, clock: str, row: Sequence[Any], as_of: datetime) -> ClockRow:
    _id, code, version_id, status, severity, owner, department, due, *named = row
    clock = named[0] if named else clock  # a statutory row names its own clock
    profile = cache.get(session, version_id)
    return ClockRow(
        code=code,
        clock=clock,
        due=due,
        status=status,
        severity=severity,
        owner=owner,
        department=department,
        minutes=(as_of - due) / timedelta(minutes=1),
        timezone=profile.calendar.timezone,
    )


def _new_breach_queries(as_of: datetime) -> list[tuple[str, Any]]:
    return [
        *((str(clock), overdue_query(clock, as_of, new_only=True)) for clock in sla.CLOCKS),
        ("statutory", statutory_overdue_query(as_of, new_only=True)),
    ]


def _any_new_breach(session: Session, as_of: datetime) -> bool:
    return any(session.exec(query.limit(1)).first() is not None for _, query in _new_breach_queries(as_of))


def _record_new_breaches(
    engine: Engine, cache: Policies, report: SlaReport, as_of: datetime, batch_size: int
) -> None:
    while True:
        with kdb.read_session(engine) as session:
            if not _any_new_breach(session, as_of):
                return
        with kdb.write_session(engine) as session:
            found: list[tuple[int, int, ClockRow]] = []
            for clock, query in _new_breach_queries(as_of):
                for row in session.exec(query.limit(batch_size)).all():
                    item = _row_from(session, cache, clock, row, as_of)
                    found.append((row[0], row[2], item))
            if not found:
                return
            found = found[:batch_size]
            escalations = _record_batch(session, cache, found, as_of)
        # Reported only once the batch has committed.
        for _case_id, _version_id, row in found:
            report.new_breaches.append(row)
            escalation = escalations.get(row.code)
            if escalation is not None and escalation.clock == row.clock:
                report.escalated.append(escalation)


def record_missed_in_history(session: Session, case: Case, profile: Profile) -> int:
    """A case brought across with its history (an import of last month's complaints): each
    deadline it met late is recorded as the breach `sla check` would have recorded at its due
    time — a breach row and a `breach` event dated then — without escalating anything (the
    case has moved on since). Returns how many."""
    assert case.id is not None
    late = session.exec(
        select(Deadline).where(Deadline.case_id == case.id, col(Deadline.met_at) > col(Deadline.due_at))
    ).all()
    known = {(b.kind, b.due_at) for b in session.exec(select(Breach).where(Breach.case_id == case.id)).all()}
    zone = profile.calendar.timezone
    count = 0
    for record in late:
        if (record.clock, record.due_at) in known:
            continue
        session.add(Breach(case_id=case.id, kind=record.clock, due_at=record.due_at,
                           recorded_at=record.due_at, department=case.department))  # fmt: skip
        add_event(session, case.id, event_row(
            actor=SYSTEM_ACTOR, action=EventKind.BREACH, at=record.due_at,
            changes={"breach": (None, record.clock), "due": (None, record.due_at)},
            note=Message("note.deadline_passed", clock=record.clock, due=_iso(record.due_at, zone)),
        ))  # fmt: skip
        count += 1
    return count


def _record_batch(
    session: Session,
    cache: Policies,
    found: list[tuple[int, int, ClockRow]],
    as_of: datetime,
) -> dict[str, Escalation]:
    """Breach rows and events for one batch, then the escalations they call for."""
    session.exec(
        insert(Breach),
        params=[
            {
                "case_id": case_id,
                "kind": row.clock,
                "due_at": row.due,
                "recorded_at": as_of,
                "department": row.department,
            }
            for case_id, _version_id, row in found
        ],
    )
    session.exec(
        insert(Event),
        params=[
            {
                **event_row(
                    actor=SYSTEM_ACTOR,
                    action=EventKind.BREACH,
                    at=as_of,
                    changes={"breach": (None, row.clock), "due": (None, row.due)},
                    note=Message("note.deadline_passed", clock=row.clock, due=_iso(row.due, row.timezone)),
                ),
                "case_id": case_id,
            }
            for case_id, _version_id, row in found
        ],
    )
    # Which cases to escalate: the first breached clock the case's policy escalates on.
    wanted: dict[int, ClockRow] = {}
    for case_id, version_id, row in found:
        if row.status not in ESCALATED_FROM or case_id in wanted:
            continue
        if row.clock in cache.get(session, version_id).escalation.on_breach:
            wanted[case_id] = row
    escalations: dict[str, Escalation] = {}
    if not wanted:
        return escalations
    cases = session.exec(select(Case).where(col(Case.id).in_(list(wanted)))).all()
    # One flush for the batch: each case's own history is all a case's escalation reads.
    with session.no_autoflush:
        for case in cases:
            assert case.id is not None
            row = wanted[case.id]
            if case.status not in ESCALATED_FROM:
                continue
            profile = cache.get(session, case.policy_version_id)
            before = case.status
            system_move(
                session,
                case,
                Action.ESCALATE,
                as_of,
                profile=profile,
                flush=False,
                reason="breach",
                clock=row.clock,
            )
            escalations[case.code] = Escalation(case.code, row.clock, before)
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(Message("sla.case_changed")) from None
    return escalations


def _close_unanswered(
    engine: Engine,
    cache: Policies,
    report: SlaReport,
    as_of: datetime,
    profiles: dict[int, Profile],
    batch_size: int,
) -> None:
    """Close resolved cases whose confirmation window ended with no answer."""
    cutoff = _confirmation_cutoff(profiles.values(), as_of)
    due: list[tuple[int, datetime, datetime]] = []
    with kdb.read_session(engine) as session:
        for case_id, version_id, resolved_at in session.exec(confirmation_candidates_query(cutoff)).all():
            profile = cache.get(session, version_id)
            window = Duration.parse(profile.confirmation.window)
            ended = profile.work_calendar.add(resolved_at, window)
            if ended <= as_of:
                due.append((case_id, resolved_at, ended))
    for start in range(0, len(due), batch_size):
        batch = {case_id: (resolved, ended) for case_id, resolved, ended in due[start:][:batch_size]}
        closed: list[AutoClose] = []
        with kdb.write_session(engine) as session:
            cases = session.exec(select(Case).where(col(Case.id).in_(list(batch)))).all()
            with session.no_autoflush:  # one flush for the batch
                for case in cases:
                    assert case.id is not None
                    resolved, ended = batch[case.id]
                    # Someone may have confirmed or reopened it since the search: check again.
                    if case.status != Status.RESOLVED or case.resolved_at != resolved:
                        continue
                    profile = cache.get(session, case.policy_version_id)
                    done = system_move(
                        session, case, Action.CLOSE, as_of, profile=profile, flush=False, window_ended=ended
                    )
                    assert done.revisit is not None
                    closed.append(
                        AutoClose(case.code, resolved, ended, done.revisit.due_at, profile.calendar.timezone)
                    )
            try:
                session.flush()
            except StaleDataError:
                raise Conflict(Message("sla.case_changed")) from None
        report.auto_closed.extend(closed)


def waiting_query(cutoff: datetime) -> Any:
    """Cases waiting for the customer since no later than `cutoff`."""
    return (
        select(col(Case.id), col(Case.policy_version_id), col(Case.paused_at))
        .where(col(Case.status) == Status.PENDING_CUSTOMER, col(Case.paused_at) <= cutoff)
        .order_by(col(Case.paused_at), col(Case.id))
    )


def _act_on_waits(
    engine: Engine,
    cache: Policies,
    report: SlaReport,
    as_of: datetime,
    profiles: dict[int, Profile],
    batch_size: int,
) -> None:
    """Remind once, then close or escalate, the cases waiting for the customer past the
    limits of their policy (`[waiting]`)."""
    limits = [
        Duration.parse(x)
        for p in profiles.values()
        for x in (p.waiting.remind_after, p.waiting.give_up_after)
        if x is not None
    ]
    if not limits:
        return
    cutoff = as_of - timedelta(minutes=min(sla.minimum_wall_minutes(d) for d in limits))
    due: list[tuple[int, datetime, str]] = []
    with kdb.read_session(engine) as session:
        for case_id, version_id, since in session.exec(waiting_query(cutoff)).all():
            remind, give_up = sla.waiting_limits(cache.get(session, version_id), since)
            if give_up is not None and give_up <= as_of:
                due.append((case_id, since, "give_up"))
            elif remind is not None and remind <= as_of:
                due.append((case_id, since, "remind"))
    for start in range(0, len(due), batch_size):
        batch = {case_id: (since, what) for case_id, since, what in due[start:][:batch_size]}
        done: list[WaitAction] = []
        with kdb.write_session(engine) as session:
            cases = session.exec(select(Case).where(col(Case.id).in_(list(batch)))).all()
            with session.no_autoflush:
                for case in cases:
                    assert case.id is not None
                    since, what = batch[case.id]
                    if case.status != Status.PENDING_CUSTOMER or case.paused_at != since:
                        continue  # someone resumed it since the search
                    profile = cache.get(session, case.policy_version_id)
                    zone = profile.calendar.timezone
                    if what == "remind":
                        if _reminded_since(session, case.id, since):
                            continue  # once per wait
                        note = Message(
                            "note.waiting_reminder",
                            since=profile.work_calendar.local(since).isoformat(timespec="minutes"),
                            limit=profile.waiting.remind_after,
                        )
                        add_event(
                            session,
                            case.id,
                            event_row(actor=SYSTEM_ACTOR, action=EventKind.REMINDER, at=as_of, note=note),
                        )
                        done.append(WaitAction(case.code, since, "reminded", case.owner, zone))
                        continue
                    if profile.waiting.on_give_up == "escalate":
                        system_move(
                            session, case, Action.ESCALATE, as_of, profile=profile, flush=False,
                            reason="waiting", waited_since=since,
                        )  # fmt: skip
                        done.append(WaitAction(case.code, since, "escalated", case.owner, zone))
                    else:
                        system_move(
                            session,
                            case,
                            Action.CLOSE,
                            as_of,
                            profile=profile,
                            flush=False,
                            waited_since=since,
                        )
                        done.append(WaitAction(case.code, since, "closed", case.owner, zone))
            try:
                session.flush()
            except StaleDataError:
                raise Conflict(Message("sla.case_changed")) from None
        report.waits.extend(done)


def _reminded_since(session: Session, case_id: int, since: datetime) -> bool:
    found = session.exec(
        select(Event.id).where(
            col(Event.case_id) == case_id, col(Event.action) == EventKind.REMINDER, col(Event.at) >= since
        )
    ).first()
    return found is not None


def _breached_now(session: Session, cache: Policies, report: SlaReport, as_of: datetime) -> list[ClockRow]:
    """Every open clock past its deadline at `as_of`, plus this run's new breaches whose
    deadline the escalation has since replaced (they were breached when found)."""
    new = {(r.code, r.clock) for r in report.new_breaches}
    escalated = {(e.code, e.clock) for e in report.escalated}
    rows: list[ClockRow] = []
    seen: set[tuple[str, str]] = set()
    searches = [
        *((str(c), overdue_query(c, as_of)) for c in sla.CLOCKS),
        ("", statutory_overdue_query(as_of)),
    ]
    for clock, query in searches:
        for row in session.exec(query).all():
            item = _row_from(session, cache, clock, row, as_of)
            key = (item.code, item.clock)
            seen.add(key)
            rows.append(_flag(item, key in new, key in escalated))
    for item in report.new_breaches:
        key = (item.code, item.clock)
        if key not in seen:
            rows.append(_flag(item, True, key in escalated))
    rows.sort(key=lambda r: (r.due, r.code, r.clock))
    return rows


def _flag(row: ClockRow, new: bool, escalated: bool) -> ClockRow:
    if row.new == new and row.escalated == escalated:
        return row
    return replace(row, new=new, escalated=escalated)


def _at_risk_now(
    session: Session, cache: Policies, as_of: datetime, profiles: dict[int, Profile]
) -> list[ClockRow]:
    """Open clocks with 80 % or more of their allowance used (not yet breached)."""
    groups = _at_risk_groups(profiles, as_of)
    rows: list[ClockRow] = []
    for clock in sla.CLOCKS:
        if not groups[clock]:
            continue
        query = at_risk_query(clock, as_of, groups[clock])
        for row in session.exec(query).all():
            (
                code,
                version_id,
                status,
                severity,
                complexity,
                owner,
                department,
                received_at,
                escalated_at,
                due,
            ) = row
            profile = cache.get(session, version_id)
            target = profile.sla_targets(severity, complexity).get(clock)
            start = escalated_at if clock == Clock.COORDINATION else received_at
            state = sla.clock_state(
                profile.work_calendar, clock, start, due, None, target, as_of, paused=False
            )
            if state.state != DeadlineState.AT_RISK:
                continue
            rows.append(
                ClockRow(
                    code=code,
                    clock=clock,
                    due=due,
                    status=status,
                    severity=severity,
                    owner=owner,
                    department=department,
                    minutes=state.remaining_minutes or 0.0,
                    timezone=profile.calendar.timezone,
                )
            )
    horizon = _statutory_horizon(profiles.values(), as_of)
    if horizon is not None:
        for row in session.exec(statutory_at_risk_query(as_of, horizon)).all():
            _id, code, version_id, status, severity, owner, department, due, clock = row
            profile = cache.get(session, version_id)
            state = statutory.duty_state(profile, clock, due, as_of)
            if state.state == DeadlineState.AT_RISK:
                rows.append(
                    ClockRow(
                        code=code,
                        clock=clock,
                        due=due,
                        status=status,
                        severity=severity,
                        owner=owner,
                        department=department,
                        minutes=state.remaining_minutes or 0.0,
                        timezone=profile.calendar.timezone,
                    )
                )
    rows.sort(key=lambda r: (r.due, r.code, r.clock))
    return rows
