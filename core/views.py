"""Read models: what a case looks like to a given viewer (masked as their role requires).

Both the CLI (its tables and its JSON, `as_json()`) and the TUI's case screen are built from
these typed views, so the two never disagree about what a user may see or which deadline is at
risk. Times in a view are in the case's time zone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from . import deadlines as records
from . import payments, services, sla, statutory
from .catalog.ui import phrase_name
from .customers import phone_key
from .errors import NotFound, PermissionDenied
from .history import event_message
from .lifecycle import case_events, case_links
from .messages import Message, terminal_safe
from .models import Case, CaseLink, Customer, Event, Payment, Revisit, User
from .policies import case_profile
from .policy import FIELD_VOCABULARIES, Profile
from .workflow import (
    PAUSED,
    UNCOUNTED_CLOSES,
    WORST_FIRST,
    Action,
    Clock,
    CloseReason,
    DeadlineState,
    LinkKind,
    PaymentStatus,
    Status,
    allowed_actions,
    clock_label,
    status_label,
    word_label,
)


def iso(value: datetime | None, profile: Profile) -> str | None:
    """ISO 8601 with the profile's offset (e.g. 2026-11-24T09:30:00+08:00)."""
    if value is None:
        return None
    return profile.work_calendar.local(value).isoformat(timespec="seconds")


def deadline_states(
    case: Case, profile: Profile, now: datetime, *, coordinated_at: datetime | None = None
) -> dict[Clock, sla.ClockState]:
    """How each deadline stands at `now`. `coordinated_at` (from the history, see
    `coordination_end`) is when an escalated case was picked up again; without it the
    case's last update stands in, which a later note pushes past the deadline."""
    targets = profile.sla_targets(case.severity, case.complexity)
    calendar = profile.work_calendar
    paused = case.status in PAUSED
    closed = case.status == Status.CLOSED
    resolution_met = case.resolved_at or (case.closed_at if closed else None)
    states = {
        Clock.FIRST_RESPONSE: sla.clock_state(
            calendar,
            Clock.FIRST_RESPONSE,
            case.received_at,
            case.due_first_response,
            case.first_response_at or (case.closed_at if closed else None),
            targets.get(Clock.FIRST_RESPONSE),
            now,
            paused,
            case.paused_at if paused else None,
        ),
        Clock.RESOLUTION: sla.clock_state(
            calendar,
            Clock.RESOLUTION,
            case.received_at,
            case.due_resolution,
            resolution_met,
            targets.get(Clock.RESOLUTION),
            now,
            paused,
            case.paused_at if paused else None,
        ),
        Clock.COORDINATION: sla.clock_state(
            calendar,
            Clock.COORDINATION,
            case.escalated_at,
            case.due_coordination,
            coordinated_at or _coordination_met(case) or (case.closed_at if closed else None),
            targets.get(Clock.COORDINATION),
            now,
            paused,
            case.paused_at if paused else None,
        ),
    }
    if closed and case.close_reason in UNCOUNTED_CLOSES:
        # Rejected or merged: its clocks were cancelled, not met (`deadlines.sync`).
        return {
            clock: replace(st, met_at=None, state=DeadlineState.NONE, remaining_minutes=None)
            for clock, st in states.items()
        }
    return states


def _coordination_met(case: Case) -> datetime | None:
    """Coordination ends when an escalated case has an owner working it again."""
    if case.escalated_at is None:
        return None
    if case.status != Status.ESCALATED:
        return case.updated_at
    return None


def coordination_end(case: Case, events: Sequence[Event]) -> datetime | None:
    """When the latest escalation ended: the first event after it that left `escalated`."""
    if case.escalated_at is None or case.status == Status.ESCALATED:
        return None
    for event in events:
        if (
            event.at >= case.escalated_at
            and event.from_status == Status.ESCALATED
            and event.to_status != Status.ESCALATED
        ):
            return event.at
    return None


def statutory_state(case: Case, profile: Profile, now: datetime) -> sla.ClockState | None:
    """How the case's earliest unmet statutory duty stands (`due_statutory`): never paused;
    at risk once 80 % of its days are used."""
    if case.due_statutory is None or case.statutory_clock is None:
        return None
    return statutory.duty_state(profile, case.statutory_clock, case.due_statutory, now)


def all_states(case: Case, profile: Profile, now: datetime) -> dict[str, sla.ClockState]:
    """Every running clock of the case at `now`: its SLA deadlines and its statutory duty."""
    states: dict[str, sla.ClockState] = {str(k): v for k, v in deadline_states(case, profile, now).items()}
    legal = statutory_state(case, profile, now)
    if legal is not None:
        states[legal.clock] = legal
    return states


def worst_state(states: Iterable[sla.ClockState]) -> DeadlineState:
    found = {s.state for s in states}
    return next((state for state in WORST_FIRST if state in found), DeadlineState.NONE)


@dataclass(frozen=True)
class CustomerCase:
    """One case on a customer's timeline."""

    code: str
    received_at: datetime
    status: str
    category: str | None
    resolution: str | None
    compensation_paid: float
    """What the case paid the customer (the ledger's paid rows)."""
    satisfied: bool | None
    repeat_of: str | None
    close_reason: str | None = None
    profile: Profile | None = field(default=None, repr=False, compare=False)
    owner: str | None = field(default=None, compare=False)
    created_by: str | None = field(default=None, compare=False)
    """Who is on the case (`desklog.on_the_case`): a view of the customer is recorded against
    each case of theirs shown to someone else."""

    def resolution_label(self, lang: str) -> str:
        """The resolution type in `lang` (its code when the policy lacks it)."""
        if self.profile is None:
            return self.resolution or ""
        return self.profile.field_label("resolution", self.resolution, lang)

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "received_at": _iso(self.received_at),
            "status": self.status,
            "category": self.category,
            "resolution": self.resolution,
            "compensation_paid": self.compensation_paid,
            "satisfied": self.satisfied,
            "repeat_of": self.repeat_of,
            "close_reason": self.close_reason,
        }


TIMELINE_LIMIT = 50
"""The newest cases a customer's timeline lists (the count says how many there are)."""


def _same_customer(case: Case) -> Any:
    """The cases of `case`'s customer (the case alone when it names no customer)."""
    if case.customer_id is None:
        return col(Case.id) == case.id
    return col(Case.customer_id) == case.customer_id


def customer_cases(
    session: Session, case: Case, profile: Profile, limit: int = TIMELINE_LIMIT
) -> tuple[list[CustomerCase], int]:
    """The cases of `case`'s customer, newest first (at most `limit`), and how many they have."""
    where = _same_customer(case)
    total = session.exec(select(func.count()).select_from(Case).where(where)).one()
    rows = session.exec(
        select(Case).where(where).order_by(col(Case.received_at).desc(), col(Case.id).desc()).limit(limit)
    ).all()
    local = profile.work_calendar.local
    paid = payments.paid_totals(session, (c.id for c in rows))
    return [
        CustomerCase(
            c.code,
            local(c.received_at),
            c.status,
            c.category,
            c.resolution,
            paid.get(c.id or 0, 0.0),
            c.satisfied,
            c.repeat_of,
            c.close_reason,
            profile,
            c.owner,
            c.created_by,
        )
        for c in rows
    ], int(total)


@dataclass(frozen=True)
class CustomerDetail:
    """A customer as this viewer may see them, with their timeline (`kefu customer show`)."""

    customer: CustomerView
    cases: list[CustomerCase]
    total_cases: int
    open_cases: int
    compensation_paid: float
    currency: str
    case: Case
    """The case whose customer this is (what a view of their personal data is recorded against)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "customer": self.customer.as_json(),
            "cases": [c.as_json() for c in self.cases],
            "total_cases": self.total_cases,
            "open_cases": self.open_cases,
            "compensation_paid": self.compensation_paid,
            "currency": self.currency,
        }


def customer_detail(session: Session, case: Case, viewer: User) -> CustomerDetail:
    """The customer of `case` and every case of theirs."""
    profile = case_profile(session, case)
    cases, total = customer_cases(session, case, profile)
    where = _same_customer(case)
    open_count = session.exec(
        select(func.count()).select_from(Case).where(where, col(Case.status) != Status.CLOSED)
    ).one()
    paid = session.exec(
        select(func.coalesce(func.sum(Payment.amount), 0))
        .join(Case, col(Case.id) == Payment.case_id)
        .where(where, Payment.status == PaymentStatus.PAID)
    ).one()
    return CustomerDetail(
        customer_view(case, viewer),
        cases,
        total,
        int(open_count),
        round(float(paid or 0), 2),
        profile.compensation.currency,
        case,
    )


_CASE_CODE = re.compile(r"[A-Z][A-Z0-9]{0,5}-\d{8}-\d{4,}")


def customer_for_key(session: Session, key: str, viewer: User) -> CustomerDetail:
    """`kefu customer show KEY`: the customer of a case code, or of a phone number or e-mail
    address (those only for roles that see personal data)."""
    text = key.strip()
    case = session.exec(select(Case).where(Case.code == text.upper())).first()
    if case is None:
        if _CASE_CODE.fullmatch(text.upper()):
            raise NotFound(Message("case.not_found", code=text))
        if not services.may_see_personal_data(viewer.role):
            raise PermissionDenied(Message("customer.by_code_only", role=viewer.role))
        phone = phone_key(text)
        customer = None
        if phone is not None:
            customer = session.exec(select(Customer).where(Customer.phone == phone)).first()
        if customer is None and "@" in text:
            customer = session.exec(
                select(Customer).where(func.lower(Customer.email) == text.lower()).order_by(col(Customer.id))
            ).first()
        if customer is not None:
            case = session.exec(
                select(Case).where(Case.customer_id == customer.id).order_by(col(Case.received_at).desc())
            ).first()
    if case is None:
        raise NotFound(Message("customer.not_found", key=text))
    return customer_detail(session, case, viewer)


@dataclass(frozen=True)
class WaitingView:
    """A case waiting for the customer: since when, when to remind them, when kefu gives up
    (`[waiting]`), and which of those has come."""

    since: datetime
    remind_at: datetime | None
    give_up_at: datetime | None
    stage: str  # waiting | remind | give_up
    on_give_up: str

    def as_json(self) -> dict[str, Any]:
        return {
            "since": _iso(self.since),
            "remind_at": _iso(self.remind_at),
            "give_up_at": _iso(self.give_up_at),
            "stage": self.stage,
            "on_give_up": self.on_give_up,
        }


def waiting_view(case: Case, profile: Profile, now: datetime) -> WaitingView | None:
    if case.status not in PAUSED or case.paused_at is None:
        return None
    remind, give_up = sla.waiting_limits(profile, case.paused_at)
    stage = "give_up" if give_up and give_up <= now else "remind" if remind and remind <= now else "waiting"
    return WaitingView(
        _local(case.paused_at, profile) or case.paused_at,
        _local(remind, profile),
        _local(give_up, profile),
        stage,
        profile.waiting.on_give_up,
    )


@dataclass(frozen=True)
class StatutoryView:
    """One statutory period of the case: a duty (the desk's, a hard clock) or a window (the
    customer's right), counted from its anchor day to 24:00 of its last day."""

    code: str
    kind: str
    label_en: str
    label_zh: str
    source: str
    anchor: str
    anchor_day: datetime | None
    last_day: str
    """ISO date of its last day (the period ends at 24:00 of it)."""
    ends_at: datetime
    state: DeadlineState
    met_at: datetime | None
    received_within: bool | None
    """A window: whether the complaint came before it ended."""

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "kind": self.kind,
            "label": {"en": self.label_en, "zh": self.label_zh},
            "source": self.source,
            "anchor": self.anchor,
            "last_day": self.last_day,
            "ends_at": _iso(self.ends_at),
            "state": self.state,
            "met_at": _iso(self.met_at),
            "received_within": self.received_within,
        }


def statutory_views(session: Session, case: Case, profile: Profile, now: datetime) -> list[StatutoryView]:
    """The case's statutory duties (their current records) and windows, in policy order."""
    calendar = profile.legal_calendar
    current = {
        r.clock: r
        for r in records.case_rows(session, case.id)
        if r.clock.startswith(statutory.PREFIX) and r.ended_at is None
    }
    out: list[StatutoryView] = []
    for period in statutory.case_periods(profile, case):
        clock = statutory.clock_name(period.code)
        last = (calendar.local(period.end) - timedelta(days=1)).date().isoformat()
        if period.rule.kind == "duty":
            row = current.get(clock)
            if row is None:
                continue
            state = records.record_state(row, now, calendar)
            met, within = _local(row.met_at, profile), None
            ends = row.due_at
        else:
            state = DeadlineState.OK if now < period.end else DeadlineState.NONE
            met, within, ends = None, case.received_at < period.end, period.end
        out.append(
            StatutoryView(
                code=period.code,
                kind=period.rule.kind,
                label_en=period.rule.en,
                label_zh=period.rule.zh,
                source=period.rule.source,
                anchor=period.rule.anchor,
                anchor_day=_local(period.start, profile),
                last_day=last,
                ends_at=calendar.local(ends),
                state=state,
                met_at=met,
                received_within=within,
            )
        )
    return out


@dataclass(frozen=True)
class CustomerView:
    """The customer as this viewer may see them (masked for roles that do not handle cases)."""

    name: str | None
    phone: str | None
    email: str | None

    def as_json(self) -> dict[str, str | None]:
        return {"name": self.name, "phone": self.phone, "email": self.email}


def _free_text(viewer: User, name: str | None) -> Any:
    """How free text (descriptions, demands, notes) reads for `viewer`: neutralised, and for a
    role without personal data with the numbers, e-mails and customer's name in it masked."""
    if services.may_see_personal_data(viewer.role):
        return _safe
    return lambda text: services.mask_text(_safe(text), name)


def _safe(text: str | None) -> str | None:
    """Stored free text as a reader gets it: kefu neutralises control characters at intake
    (`messages.neutralise`); a row written before that, or by another tool, is shown so too."""
    return None if text is None else terminal_safe(text)


def customer_view(case: Case, viewer: User) -> CustomerView:
    if services.may_see_personal_data(viewer.role):
        return CustomerView(_safe(case.customer_name), case.customer_phone, _safe(case.customer_email))
    return CustomerView(
        services.mask_name(_safe(case.customer_name)),
        services.mask_phone(case.customer_phone),
        services.mask_email(case.customer_email),
    )


@dataclass(frozen=True)
class DeadlineView:
    """One deadline: when it is due, when it was met, how it stands (times in the case's zone)."""

    clock: str  # a workflow.Clock, or statutory.<code>
    due: datetime | None
    met_at: datetime | None
    state: DeadlineState
    remaining_minutes: float | None
    assumed_years: tuple[int, ...] = ()
    """Years between its start and due time without official holiday data: weekdays were
    assumed to be working days there, so the due time may move when the year is entered."""

    def as_json(self) -> dict[str, Any]:
        return {
            "due": _iso(self.due),
            "met_at": _iso(self.met_at),
            "state": self.state,
            "remaining_minutes": None if self.remaining_minutes is None else round(self.remaining_minutes, 1),
            "assumed_years": list(self.assumed_years),
        }


@dataclass(frozen=True)
class DeadlineRecordView:
    """One instance of a clock the case ran (`models.Deadline`), times in the case's zone."""

    clock: str
    instance: int
    target: str
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    state: DeadlineState
    """How it stands by the KPIs' rule (`deadlines.record_state`)."""
    policy_version_id: int
    assumed_years: tuple[int, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "clock": self.clock,
            "instance": self.instance,
            "target": self.target,
            "started_at": _iso(self.started_at),
            "due_at": _iso(self.due_at),
            "met_at": _iso(self.met_at),
            "ended_at": _iso(self.ended_at),
            "end_reason": self.end_reason,
            "state": self.state,
            "policy_version_id": self.policy_version_id,
            "assumed_years": list(self.assumed_years),
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


@dataclass(frozen=True)
class CaseSummary:
    """One case as a list shows it: `kefu case list --json`, the first part of `case show`."""

    profile: Profile = field(repr=False, compare=False)
    code: str
    status: Status
    received_at: datetime
    """In the case's time zone, like every time of a read model."""
    channel: str
    category: str | None
    subcategory: str | None
    severity: str
    complexity: str
    department: str | None
    owner: str | None
    customer: CustomerView
    order_no: str | None
    sla: DeadlineState
    deadlines: dict[Clock, DeadlineView]
    """The clocks the case has a deadline for (coordination only once escalated)."""
    statutory: DeadlineView | None
    """Its earliest unmet statutory duty, if any (`clock` names it: statutory.<code>)."""
    waiting: WaitingView | None
    version: int
    repeat_of: str | None
    """The newest earlier complaint this one repeats (same customer or order in the window)."""
    close_reason: str | None

    def label(self, kind: str, code: str | None, lang: str) -> str:
        """A code of the case's policy in `lang` (the code itself when the policy lacks it)."""
        return self.profile.label(kind, code, lang)

    def as_json(self) -> dict[str, Any]:
        lang = self.profile.profile.language
        return {
            "code": self.code,
            "status": self.status,
            "status_label": status_label(self.status, lang),
            "received_at": _iso(self.received_at),
            "channel": self.channel,
            "category": self.category,
            "subcategory": self.subcategory,
            "severity": self.severity,
            "complexity": self.complexity,
            "department": self.department,
            "owner": self.owner,
            "customer": self.customer.as_json(),
            "order_no": self.order_no,
            "sla": self.sla,
            "due": {clock: d.as_json() for clock, d in self.deadlines.items()},
            "statutory_due": None
            if self.statutory is None
            else {"clock": self.statutory.clock, **self.statutory.as_json()},
            "waiting": self.waiting.as_json() if self.waiting is not None else None,
            "version": self.version,
            "repeat_of": self.repeat_of,
            "close_reason": self.close_reason,
        }


def _local(value: datetime | None, profile: Profile) -> datetime | None:
    return None if value is None else profile.work_calendar.local(value)


def case_summary(
    case: Case,
    profile: Profile,
    viewer: User,
    now: datetime,
    *,
    coordinated_at: datetime | None = None,
) -> CaseSummary:
    """One row of a list, as `viewer` may see it at `now`."""
    states = deadline_states(case, profile, now, coordinated_at=coordinated_at)
    assumed = profile.work_calendar.assumed_years
    legal = statutory_state(case, profile, now)
    return CaseSummary(
        profile=profile,
        code=case.code,
        status=Status(case.status),
        received_at=profile.work_calendar.local(case.received_at),
        channel=case.channel,
        category=case.category,
        subcategory=case.subcategory,
        severity=case.severity,
        complexity=case.complexity,
        department=case.department,
        owner=case.owner,
        customer=customer_view(case, viewer),
        order_no=case.order_no,
        repeat_of=case.repeat_of,
        close_reason=case.close_reason,
        sla=worst_state([*states.values(), *([legal] if legal else [])]),
        waiting=waiting_view(case, profile, now),
        statutory=None
        if legal is None
        else DeadlineView(
            legal.clock, _local(legal.due, profile), None, legal.state, legal.remaining_minutes
        ),
        deadlines={
            clock: DeadlineView(
                clock,
                _local(v.due, profile),
                _local(v.met_at, profile),
                v.state,
                v.remaining_minutes,
                assumed(case.received_at, v.due),
            )
            for clock, v in states.items()
            if v.due is not None
        },
        version=case.version,
    )


@dataclass(frozen=True)
class HistoryEntry:
    """One event of a case's history, as the viewer may see it."""

    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    changes: dict[str, Any]
    """Field → [before, after], instants as ISO text in the case's zone, personal data masked."""
    note: str | None
    """What a person wrote, or the English text of a note kefu wrote itself."""
    message: Message | None
    """A note kefu wrote itself, to show in the reader's language."""

    def note_text(self, lang: str) -> str | None:
        return self.message.text(lang) if self.message is not None else self.note

    def as_json(self) -> dict[str, Any]:
        return {
            "at": _iso(self.at),
            "actor": self.actor,
            "action": self.action,
            "from": self.from_status,
            "to": self.to_status,
            "changes": self.changes,
            "note": self.note,
            "message": self.message.as_dict() if self.message is not None else None,
        }


@dataclass(frozen=True)
class LinkView:
    kind: str
    code: str


@dataclass(frozen=True)
class AttachmentView:
    path: str
    sha256: str
    size: int
    added_at: datetime


@dataclass(frozen=True)
class PaymentView:
    """One row of the case's compensation ledger (times in the case's zone)."""

    no: int
    amount: float
    kind: str | None
    resolution: str | None
    status: str  # workflow.PaymentStatus
    proposed_by: str
    proposed_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    paid_at: datetime | None
    closed_by: str | None
    closed_at: datetime | None
    note: str | None

    @property
    def approved_on_proposal(self) -> bool:
        """Offered at once by the proposer's own authority (within the threshold, or a
        supervisor's proposal) rather than by a supervisor's `approve`."""
        return self.approved_by == self.proposed_by and self.approved_at == self.proposed_at

    def as_json(self) -> dict[str, Any]:
        return {
            "no": self.no,
            "amount": self.amount,
            "kind": self.kind,
            "resolution": self.resolution,
            "status": self.status,
            "proposed_by": self.proposed_by,
            "proposed_at": _iso(self.proposed_at),
            "approved_by": self.approved_by,
            "approved_at": _iso(self.approved_at),
            "approved_on_proposal": self.approved_on_proposal,
            "paid_at": _iso(self.paid_at),
            "closed_by": self.closed_by,
            "closed_at": _iso(self.closed_at),
            "note": self.note,
        }


def payment_views(session: Session, case: Case, profile: Profile) -> list[PaymentView]:
    local = profile.work_calendar.local
    return [
        PaymentView(
            p.no,
            p.amount,
            p.kind,
            p.resolution,
            p.status,
            p.proposed_by,
            local(p.proposed_at),
            p.approved_by,
            _local(p.approved_at, profile),
            _local(p.paid_at, profile),
            p.closed_by,
            _local(p.closed_at, profile),
            p.note,
        )
        for p in payments.ledger(session, case.id)
    ]


@dataclass(frozen=True)
class MergedCaseView:
    """A duplicate merged into this case: its own record, kept and shown here."""

    code: str
    received_at: datetime
    channel: str
    customer: CustomerView
    order_no: str | None
    description: str
    attachments: list[AttachmentView]
    history: list[HistoryEntry]

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "received_at": _iso(self.received_at),
            "channel": self.channel,
            "customer": self.customer.as_json(),
            "order_no": self.order_no,
            "description": self.description,
            "attachments": [_attachment_json(a) for a in self.attachments],
            "history": [entry.as_json() for entry in self.history],
        }


def _attachment_json(a: AttachmentView) -> dict[str, Any]:
    return {"path": a.path, "sha256": a.sha256, "size": a.size, "added_at": _iso(a.added_at)}


def _attachment_views(session: Session, case_id: int | None, profile: Profile) -> list[AttachmentView]:
    local = profile.work_calendar.local
    return [
        AttachmentView(a.path, a.sha256, a.size, local(a.added_at))
        for a in services.case_attachments(session, case_id)
    ]


def _history(events: Iterable[Event], profile: Profile, viewer: User, name: str | None) -> list[HistoryEntry]:
    local = profile.work_calendar.local
    free = _free_text(viewer, name)
    return [
        HistoryEntry(
            at=local(e.at),
            actor=e.actor,
            action=e.action,
            from_status=e.from_status,
            to_status=e.to_status,
            changes=_masked_changes(_local_changes(e.changes, profile), viewer),
            note=free(e.note),
            message=event_message(e),
        )
        for e in events
    ]


WORD_FIELDS = frozenset({"complexity", "contact", "close_reason", "revisit_outcome", "reason", "outcome"})
"""History fields whose values are plain words with a translation (simple, call, spam, ...)."""


def change_value_text(profile: Profile, name: str, value: Any, lang: str) -> str:
    """One value of a history change as people read it in `lang` (the TUI's timeline and
    `case show`): vocabulary codes as the policy's labels, statuses, words, yes / no, instants
    as local month-day hours; "—" for none."""
    if value is None or value == "":
        return "—"
    if name in FIELD_VOCABULARIES:
        return profile.label(FIELD_VOCABULARIES[name], str(value), lang)
    if name == "status":
        return status_label(str(value), lang)
    if name in WORD_FIELDS:
        return word_label(str(value), lang)
    if name == "breach":
        return clock_label(str(value), lang)
    if name == "phrase":
        return phrase_name(str(value), lang)
    if name == "compensation_kind":
        kind = profile.compensation.kinds.get(str(value))
        return kind.text(lang) if kind else str(value)
    if name == "subcategory":
        for category in profile.taxonomy.values():
            if str(value) in category.sub:
                return category.sub[str(value)].text(lang)
    if isinstance(value, bool):
        return word_label("yes" if value else "no", lang)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return profile.work_calendar.local(datetime.fromisoformat(value)).strftime("%m-%d %H:%M")
        except ValueError:
            return value
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def merged_cases(session: Session, case: Case, profile: Profile, viewer: User) -> list[MergedCaseView]:
    """The duplicates merged into `case`, oldest first, each with its record."""
    rows = session.exec(
        select(Case)
        .join(CaseLink, col(CaseLink.case_id) == Case.id)
        .where(CaseLink.other_id == case.id, CaseLink.kind == LinkKind.MERGED)
        .order_by(col(Case.received_at), col(Case.id))
    ).all()
    return [
        MergedCaseView(
            m.code,
            profile.work_calendar.local(m.received_at),
            m.channel,
            customer_view(m, viewer),
            m.order_no if services.may_see_personal_data(viewer.role) else None,
            _free_text(viewer, m.customer_name)(m.description) or "",
            _attachment_views(session, m.id, profile),
            _history(case_events(session, m), profile, viewer, m.customer_name),
        )
        for m in rows
    ]


@dataclass(frozen=True)
class RevisitView:
    due_at: datetime
    status: str
    attempts: int
    outcome: str | None


@dataclass(frozen=True)
class CaseDetail(CaseSummary):
    """Everything about a case for `case show --json` and the TUI's case screen."""

    policy_version_id: int
    target: str | None
    target_name: str | None
    description: str
    incident_at: datetime | None
    incident_place: str | None
    demand: str | None
    party: str | None
    source: str | None
    external_id: str | None
    created_by: str
    resolution: str | None
    resolution_note: str | None
    compensation_amount: float | None
    compensation_kind: str | None
    satisfied: bool | None
    satisfaction_score: int | None
    reopen_count: int
    revisit_outcome: str | None
    first_response_at: datetime | None
    escalated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    purged_at: datetime | None
    """When the customer's personal data was removed after retention (`kefu purge`)."""
    links: list[LinkView]
    attachments: list[AttachmentView]
    revisits: list[RevisitView]
    allowed_actions: list[Action]
    history: list[HistoryEntry]
    records: list[DeadlineRecordView]
    """Every instance of every clock the case ran, oldest first per clock."""
    statutory_periods: list[StatutoryView]
    delivered_on: str | None
    returned_on: str | None
    customer_cases: list[CustomerCase]
    """The customer's other cases, newest first (at most TIMELINE_LIMIT)."""
    customer_case_count: int
    """How many cases the customer has, this one included."""
    payments: list[PaymentView] = field(default_factory=list)
    """The compensation ledger, oldest first."""
    compensation_paid: float = 0.0
    """The ledger's paid total."""
    merged_cases: list[MergedCaseView] = field(default_factory=list)
    """Duplicates merged into this case."""

    def subcategory_label(self, lang: str) -> str:
        if not self.category or not self.subcategory:
            return ""
        found = self.profile.taxonomy.get(self.category)
        label = found.sub.get(self.subcategory) if found else None
        return label.text(lang) if label else self.subcategory

    def compensation_kind_label(self, lang: str) -> str:
        kind = self.compensation_kind or ""
        label = self.profile.compensation.kinds.get(kind)
        return label.text(lang) if label else kind

    def purged_text(self, lang: str) -> str | None:
        """What stands for the customer once their data was removed after retention."""
        if self.purged_at is None:
            return None
        return Message("case.purged_on", day=self.purged_at.date().isoformat()).text(lang)

    def as_json(self) -> dict[str, Any]:
        lang = self.profile.profile.language
        p = self.profile
        return {
            **super().as_json(),
            "policy_version_id": self.policy_version_id,
            "target": self.target,
            "target_name": self.target_name,
            "description": self.description,
            "incident_at": _iso(self.incident_at),
            "incident_place": self.incident_place,
            "demand": self.demand,
            "party": self.party,
            "labels": {
                "channel": p.field_label("channel", self.channel, lang),
                "category": p.field_label("category", self.category, lang),
                "subcategory": self.subcategory_label(lang),
                "severity": p.field_label("severity", self.severity, lang),
                "party": p.field_label("party", self.party, lang),
                "department": p.field_label("department", self.department, lang),
                "target": p.field_label("target", self.target, lang),
                "resolution": p.field_label("resolution", self.resolution, lang),
            },
            "source": self.source,
            "external_id": self.external_id,
            "created_by": self.created_by,
            "resolution": self.resolution,
            "resolution_note": self.resolution_note,
            "compensation": {
                "amount": self.compensation_amount,
                "kind": self.compensation_kind,
                "currency": p.compensation.currency,
                "paid_total": self.compensation_paid,
            },
            "payments": [row.as_json() for row in self.payments],
            "satisfied": self.satisfied,
            "satisfaction_score": self.satisfaction_score,
            "reopen_count": self.reopen_count,
            "revisit_outcome": self.revisit_outcome,
            "first_response_at": _iso(self.first_response_at),
            "escalated_at": _iso(self.escalated_at),
            "resolved_at": _iso(self.resolved_at),
            "closed_at": _iso(self.closed_at),
            "updated_at": _iso(self.updated_at),
            "purged_at": _iso(self.purged_at),
            "links": [{"kind": link.kind, "code": link.code} for link in self.links],
            "attachments": [_attachment_json(a) for a in self.attachments],
            "revisits": [
                {"due_at": _iso(r.due_at), "status": r.status, "attempts": r.attempts, "outcome": r.outcome}
                for r in self.revisits
            ],
            "allowed_actions": list(self.allowed_actions),
            "history": [entry.as_json() for entry in self.history],
            "deadline_records": [r.as_json() for r in self.records],
            "delivered_on": self.delivered_on,
            "returned_on": self.returned_on,
            "statutory": [p.as_json() for p in self.statutory_periods],
            "customer_cases": [c.as_json() for c in self.customer_cases],
            "customer_case_count": self.customer_case_count,
            "merged_cases": [m.as_json() for m in self.merged_cases],
        }


def case_detail(session: Session, case: Case, viewer: User, now: datetime) -> CaseDetail:
    """Everything about a case, as `viewer` may see it at `now`."""
    profile = case_profile(session, case)
    events = case_events(session, case)
    summary = case_summary(case, profile, viewer, now, coordinated_at=coordination_end(case, events))
    free = _free_text(viewer, case.customer_name)
    revisits = session.exec(select(Revisit).where(Revisit.case_id == case.id).order_by(col(Revisit.id))).all()
    timeline, total = customer_cases(session, case, profile, TIMELINE_LIMIT + 1)
    local = profile.work_calendar.local
    return CaseDetail(
        **{f.name: getattr(summary, f.name) for f in fields(CaseSummary)},
        policy_version_id=case.policy_version_id,
        target=case.target,
        target_name=_safe(case.target_name),
        description=free(case.description) or "",
        incident_at=_local(case.incident_at, profile),
        incident_place=free(case.incident_place),
        demand=free(case.demand),
        party=case.party,
        source=case.source,
        external_id=case.external_id,
        created_by=case.created_by,
        resolution=case.resolution,
        resolution_note=free(case.resolution_note),
        compensation_amount=case.compensation_amount,
        compensation_kind=case.compensation_kind,
        satisfied=case.satisfied,
        satisfaction_score=case.satisfaction_score,
        reopen_count=case.reopen_count,
        revisit_outcome=case.revisit_outcome,
        first_response_at=_local(case.first_response_at, profile),
        escalated_at=_local(case.escalated_at, profile),
        resolved_at=_local(case.resolved_at, profile),
        closed_at=_local(case.closed_at, profile),
        updated_at=local(case.updated_at),
        purged_at=_local(case.purged_at, profile),
        links=[LinkView(kind, code) for kind, code in case_links(session, case)],
        attachments=_attachment_views(session, case.id, profile),
        revisits=[RevisitView(local(r.due_at), r.status, r.attempts, r.outcome) for r in revisits],
        allowed_actions=[]
        if case.close_reason == CloseReason.MERGED  # worked on as its original (lifecycle.refuse_merged)
        else allowed_actions(case.status, viewer.role, is_owner=case.owner == viewer.name, owner=case.owner),
        history=_history(events, profile, viewer, case.customer_name),
        records=[
            DeadlineRecordView(
                clock=r.clock,
                instance=r.instance,
                target=r.target,
                started_at=local(r.started_at),
                due_at=local(r.due_at),
                met_at=_local(r.met_at, profile),
                ended_at=_local(r.ended_at, profile),
                end_reason=r.end_reason,
                state=records.record_state(
                    r,
                    now,
                    profile.legal_calendar if r.clock.startswith(statutory.PREFIX) else profile.work_calendar,
                ),
                policy_version_id=r.policy_version_id,
                assumed_years=records.years_of(r.assumed_years),
            )
            for r in records.case_rows(session, case.id)
        ],
        statutory_periods=statutory_views(session, case, profile, now),
        customer_cases=[c for c in timeline if c.code != case.code],
        customer_case_count=total,
        payments=(ledger := payment_views(session, case, profile)),
        compensation_paid=payments.paid_of((r.status, r.amount) for r in ledger),
        merged_cases=merged_cases(session, case, profile, viewer),
        delivered_on=case.delivered_on.isoformat() if case.delivered_on else None,
        returned_on=case.returned_on.isoformat() if case.returned_on else None,
    )


_STORED_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00:00")
"""How a change's datetime is stored in events.changes_json: UTC ISO 8601, maybe microseconds."""


def _local_value(value: Any, profile: Profile) -> Any:
    if isinstance(value, str) and _STORED_INSTANT.fullmatch(value):
        return iso(datetime.fromisoformat(value), profile)
    return value


def _local_changes(changes: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """Stored changes with their instants in the profile's offset to the second, like every
    other time in a case's detail."""
    return {
        key: [_local_value(v, profile) for v in value]
        if isinstance(value, list)
        else _local_value(value, profile)
        for key, value in changes.items()
    }


_PERSONAL_FIELDS = {
    "customer_name": services.mask_name,
    "customer_phone": services.mask_phone,
    "customer_email": services.mask_email,
}


def _masked_changes(changes: dict[str, Any], viewer: User) -> dict[str, Any]:
    changes = {
        key: [terminal_safe(v) if isinstance(v, str) else v for v in value]
        if isinstance(value, list)
        else value
        for key, value in changes.items()
    }
    if services.may_see_personal_data(viewer.role):
        return changes
    return {
        key: [_PERSONAL_FIELDS[key](v) for v in value] if key in _PERSONAL_FIELDS else value
        for key, value in changes.items()
    }
