"""A complaint coming in: checked against the policy, planned once, stored one or many at a time.

Every way in — `kefu case new`, the TUI's intake form, `kefu import` — goes through the same
three steps, so a case typed in and the same case imported are the same row with the same
history (tests/test_import.py compares them column by column):

1. `validate_intake` checks and normalises the fields (codes or labels in either language).
2. `plan_intake` decides, without the database, everything the new case is: triaged on entry
   when category, party and department are given; the first-response and resolution deadlines
   from receipt; the create event; and, for a severity that escalates on intake, the system's
   escalation, taken through the one door (`lifecycle.take`) with its coordination clock
   running from receipt.
3. A store writes plans: `store_intake` one (code from the day's counter, repeat links to
   earlier complaints, events, links); the importer many in a batch (`importer.store_batch`),
   applying the same repeat rule (`repeat_window`, `newest_first`, `link_event`) and the same
   code format (`case_code`).

See docs/ARCHITECTURE.md, "Intake".
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert as sa_insert
from sqlalchemy import or_
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, SQLModel, col, select

from . import deadlines, sla
from .customers import Who, customers_for, order_key, phone_key
from .errors import Conflict, InvalidInput, PermissionDenied
from .history import StatusChange, add_event, event_row
from .lifecycle import (
    EARLIEST_YEAR,
    SYSTEM,
    Move,
    check_goods_days,
    clean_text,
    complexity_code,
    get_case,
    goods_day,
    subcategory_code,
    take,
    vocabulary_code,
)
from .messages import Message, Text
from .models import Case, CaseLink, CodeCounter, Deadline, PolicyVersion, User
from .policies import case_profile, policy_in_force
from .policy import Profile
from .services import CLOCK_SKEW, require_role, writing_refusal
from .workflow import (
    INTAKE_ROLES,
    SYSTEM_ACTOR,
    Action,
    Clock,
    Complexity,
    EventKind,
    LinkKind,
    Status,
    find_transition,
)

INTAKE_FIELDS = (
    "channel",
    "customer_name",
    "customer_phone",
    "customer_email",
    "order_no",
    "target",
    "target_name",
    "description",
    "incident_at",
    "incident_place",
    "delivered_on",
    "returned_on",
    "demand",
    "received_at",
    "category",
    "subcategory",
    "severity",
    "complexity",
    "party",
    "department",
    "source",
    "external_id",
)

_INTAKE_FIELD_SET = frozenset(INTAKE_FIELDS)
REPEAT_LINK_LIMIT = 20
"""A repeat complaint is linked to at most this many earlier cases, newest first."""


@dataclass
class Intake:
    """A complaint as received, validated against the policy: what a plan is made from. (Not
    frozen: an import builds one per row, and a frozen dataclass costs three times as much to
    make; nothing changes one after `validate_intake`.)"""

    channel: str
    description: str
    received_at: datetime
    severity: str
    complexity: str = Complexity.SIMPLE.value
    customer_name: str | None = None
    customer_phone: str | None = None
    customer_email: str | None = None
    order_no: str | None = None
    target: str | None = None
    target_name: str | None = None
    incident_at: datetime | None = None
    incident_place: str | None = None
    delivered_on: date | None = None
    returned_on: date | None = None
    demand: str | None = None
    category: str | None = None
    subcategory: str | None = None
    party: str | None = None
    department: str | None = None
    source: str | None = None
    external_id: str | None = None


INTAKE_ATTRIBUTES = tuple(f.name for f in fields(Intake))
assert set(INTAKE_ATTRIBUTES) == set(INTAKE_FIELDS)


@functools.cache
def column_widths() -> dict[str, int]:
    """Intake fields stored in a bounded column, and the bound (PostgreSQL refuses more)."""
    widths: dict[str, int] = {}
    for name in INTAKE_FIELDS:
        length = getattr(Case.__table__.c[name].type, "length", None)  # type: ignore[attr-defined]
        if isinstance(length, int):
            widths[name] = length
    return widths


def default_severity(profile: Profile) -> str:
    """The least severe level: what an unclassified complaint starts at."""
    return profile.severity_order()[-1]


def _aware(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(Message("intake.needs_tz", field=name), field=name)
    return value


def _local(profile: Profile, value: datetime, name: str) -> datetime:
    """An aware time in the desk's zone; refused when that lies past the years a datetime
    holds (0001-01-01T00:00+23:59 is in year 0 in UTC, 9999-12-31T23:59-23:59 in 10000)."""
    try:
        return profile.work_calendar.local(value)
    except OverflowError:
        day = value.date().isoformat()
        if value.year < EARLIEST_YEAR:
            message = Message("intake.too_early", field=name, day=day, year=EARLIEST_YEAR)
        else:
            message = Message("intake.day_in_future", field=name, day=day)
        raise InvalidInput(message, field=name) from None


def _order(text: str | None) -> str | None:
    return (order_key(text) or None) if text is not None else None


def repeat_key(phone: str | None, order_no: str | None) -> tuple[str | None, str | None]:
    """The phone and order a new complaint is matched with earlier ones by, as typed so far
    (the TUI's repeat warning while the form is filled): canonical, or None."""
    return (phone_key(phone) if phone else None), _order(order_no)


def validate_intake(profile: Profile, given: dict[str, Any], now: datetime) -> Intake:
    """Check and normalise intake fields (codes or labels in either language accepted)."""
    unknown = given.keys() - _INTAKE_FIELD_SET
    if unknown:
        raise InvalidInput(Message("intake.unknown_fields", fields=sorted(unknown)))
    received_at = _aware(given.get("received_at") or now, "received_at")
    assert received_at is not None
    if received_at > now + CLOCK_SKEW:
        raise InvalidInput(Message("intake.future"), field="received_at")
    incident_at = _aware(given.get("incident_at"), "incident_at")
    for name, value in (("received_at", received_at), ("incident_at", incident_at)):
        if value is not None and (local := _local(profile, value, name)).year < EARLIEST_YEAR:
            day = local.date().isoformat()
            raise InvalidInput(
                Message("intake.too_early", field=name, day=day, year=EARLIEST_YEAR), field=name
            )
    for name in ("delivered_on", "returned_on"):
        if isinstance(day_given := given.get(name), datetime) and day_given.tzinfo is not None:
            _local(profile, day_given, name)
    delivered_on = goods_day(profile, given.get("delivered_on"), "delivered_on", now)
    returned_on = goods_day(profile, given.get("returned_on"), "returned_on", now)
    check_goods_days(delivered_on, returned_on)
    category = vocabulary_code(profile, "category", given.get("category"))
    severity = vocabulary_code(profile, "severity", given.get("severity"))
    phone = clean_text(given.get("customer_phone"), "customer_phone")
    if phone is not None:
        written, phone = phone, phone_key(phone)
        if phone is None:
            raise InvalidInput(Message("intake.bad_phone", phone=written), field="customer_phone")
    email = clean_text(given.get("customer_email"), "customer_email")
    if email is not None and ("@" not in email or " " in email):
        raise InvalidInput(Message("intake.bad_email", email=email), field="customer_email")
    subcategory = subcategory_code(profile, category, given.get("subcategory"))
    channel = vocabulary_code(profile, "channel", given.get("channel"), required=True) or ""
    intake = Intake(
        channel=channel,
        description=clean_text(given.get("description"), "description", required=True) or "",
        received_at=received_at,
        # the class or channel may require more (the mall's personal-safety complaints are P1)
        severity=profile.required_severity(
            category, subcategory, severity or default_severity(profile), channel
        ),
        complexity=complexity_code(given.get("complexity")),
        customer_name=clean_text(given.get("customer_name"), "customer_name"),
        customer_phone=phone,
        customer_email=email,
        order_no=_order(clean_text(given.get("order_no"), "order_no")),
        target=vocabulary_code(profile, "target", given.get("target")),
        target_name=clean_text(given.get("target_name"), "target_name"),
        incident_at=incident_at,
        incident_place=clean_text(given.get("incident_place"), "incident_place"),
        delivered_on=delivered_on,
        returned_on=returned_on,
        demand=clean_text(given.get("demand"), "demand"),
        category=category,
        subcategory=subcategory,
        party=vocabulary_code(profile, "party", given.get("party")),
        department=vocabulary_code(profile, "department", given.get("department")),
        source=clean_text(given.get("source"), "source"),
        external_id=clean_text(given.get("external_id"), "external_id"),
    )
    for name, width in column_widths().items():
        value = getattr(intake, name)
        if isinstance(value, str) and len(value) > width:
            raise InvalidInput(
                Message("field.too_wide", field=name, length=len(value), limit=width), field=name
            )
    return intake


def rule_notice(
    profile: Profile,
    *,
    channel: str | None,
    category: str | None,
    subcategory: str | None,
    severity: str | None,
) -> Message | None:
    """What the policy's class and channel rules will make of a complaint being typed in (the
    TUI intake shows it before saving): a higher severity, an escalation on intake; None when
    they change nothing."""
    chosen = severity or default_severity(profile)
    required = profile.required_severity(category, subcategory, chosen, channel)
    level = profile.severities.get(required)
    by_rule = profile.escalating_rule(category, subcategory, channel) is not None and not (
        level and level.escalate_on_intake
    )
    if required != chosen:
        escalates = by_rule or bool(level and level.escalate_on_intake)
        return Message(
            "intake.rule_raises_escalates" if escalates else "intake.rule_raises", severity=required
        )
    return Message("intake.rule_escalates") if by_rule else None


# -- the plan ---------------------------------------------------------------------------------


@dataclass
class IntakePlan:
    """A new case as it will be stored, but for what needs the database: its code (from
    `day_key`), its repeat links and its id."""

    values: dict[str, Any]
    """The case row's columns (every intake field, status, deadlines, ...)."""
    day_key: str
    create: dict[str, Any]
    """The create event (`history.event_row`)."""
    escalation: dict[str, Any] | None
    """The system's escalation event, for a severity that escalates on intake."""
    deadlines: list[dict[str, Any]]
    """The first instance of each clock the case runs (`deadlines.initial_rows`)."""

    def events(self, link: dict[str, Any] | None) -> list[dict[str, Any]]:
        """The new case's history in order: recorded, linked as a repeat, escalated."""
        return [e for e in (self.create, link, self.escalation) if e is not None]


PLAN_COLUMNS = (
    "policy_version_id",
    "status",
    "created_by",
    "updated_at",
    "escalated_at",
    "due_first_response",
    "due_resolution",
    "due_coordination",
    "due_statutory",
    "statutory_clock",
)
"""The case columns a plan sets besides the intake fields (a store adds code and repeat_of)."""
CREATE_EVENT_FIELDS = ("status", "channel", "severity", "category", "received_at")
"""What the create event records (the rest of the intake is on the case row)."""


def day_key(profile: Profile, received_at: datetime) -> str:
    """The code counter a case belongs to: PREFIX-YYYYMMDD of its local date of receipt."""
    day = profile.work_calendar.local(received_at)
    return f"{profile.profile.code_prefix}-{day.year:04d}{day.month:02d}{day.day:02d}"


def case_code(key: str, number: int) -> str:
    """`PREFIX-YYYYMMDD-NNNN`: the case's public code."""
    return f"{key}-{number:04d}"


def plan_intake(
    profile: Profile,
    intake: Intake,
    *,
    version_id: int,
    actor: str,
    now: datetime,
    note: Text | None = None,
    into: dict[str, Any] | None = None,
) -> IntakePlan:
    """What a validated complaint becomes (see the module docstring); pure. The case's columns
    are written into `into` when given (the importer's row of column defaults)."""
    values: dict[str, Any] = {} if into is None else into
    values.update(intake.__dict__)  # every intake field (a plain dataclass)
    triaged = bool(intake.category and intake.party and intake.department)
    status = Status.TRIAGED if triaged else Status.NEW
    dues = sla.compute_deadlines(
        profile,
        sla.ClockInput(
            received_at=intake.received_at,
            severity=intake.severity,
            complexity=intake.complexity,
            escalated_at=None,
            pauses=(),
        ),
        now,
    )
    values.update(
        policy_version_id=version_id,
        status=status.value,
        created_by=actor,
        updated_at=now,
        escalated_at=None,
        due_first_response=dues[Clock.FIRST_RESPONSE],
        due_resolution=dues[Clock.RESOLUTION],
        due_coordination=None,
    )
    create = event_row(
        actor=actor,
        action=EventKind.CREATE,
        at=now,
        to_status=status,
        changes={name: (None, values[name]) for name in CREATE_EVENT_FIELDS if values[name] is not None},
        note=note,
    )
    escalation = None
    if profile.escalates(intake.category, intake.subcategory, intake.severity, intake.channel):
        escalation = _escalate_on_intake(profile, values, now)
    rows = deadlines.initial_rows(values, profile, version_id)
    values["due_statutory"], values["statutory_clock"] = deadlines.statutory_projection(rows)
    return IntakePlan(values, day_key(profile, intake.received_at), create, escalation, rows)


def _escalate_on_intake(profile: Profile, values: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The system escalates the new case through the one door, on a case not yet stored;
    the coordination clock runs from receipt (the complaint was this severe when it came in)."""
    draft = Case(**values)
    transition = find_transition(Action.ESCALATE, draft.status, system=True)
    assert transition is not None
    history: list[StatusChange] = [(None, draft.status, now)]
    reason = "severity" if profile.severities[values["severity"]].escalate_on_intake else "class"
    fields = {"reason": reason, "escalated_at": values["received_at"]}
    move = Move(draft, transition, SYSTEM, now, profile, fields, history)
    before = draft.status
    to = take(move)
    values.update({name: after for name, (_before, after) in move.changes.items()})
    values["updated_at"] = now
    return event_row(
        actor=SYSTEM_ACTOR,
        action=transition.action,
        at=now,
        from_status=before,
        to_status=to,
        changes=move.changes,
        note=move.note,
    )


# -- repeat complaints ------------------------------------------------------------------------


def repeat_window(profile: Profile, received_at: datetime) -> tuple[datetime, datetime] | None:
    """The receipt times of the earlier complaints a new one repeats (None: no window)."""
    if profile.repeat.window_days <= 0:
        return None
    return received_at - timedelta(days=profile.repeat.window_days), received_at


@dataclass(frozen=True)
class NewCase:
    """A case just stored, as `link_later_repeats` needs it."""

    id: int
    code: str
    received_at: datetime
    phone: str | None
    order_no: str | None
    window_days: int


def link_later_repeats(conn: Any, new: Sequence[NewCase], now: datetime) -> int:
    """Complaints already stored that were received *after* a new one (a backdated entry, an
    import of older rows) and within its repeat window are repeats of it too: each gets the
    link, its `repeat_of` when the new one is now the newest earlier complaint, and a `link`
    event — so which cases are repeats does not depend on the order they were entered in.

    `new` is in entry order (an import's batch in file order): a later-received case among
    them is linked back only by the new ones entered after it (those before it it linked to
    when it was planned) — exactly what typing them in one by one does. Runs in the caller's
    transaction; one search per column for the whole batch; returns how many links it added."""
    cases, links, events = _tables()
    new = [n for n in new if n.window_days > 0 and (n.phone or n.order_no)]
    if not new:
        return 0
    entered = {n.id: i for i, n in enumerate(new)}
    since = min(n.received_at for n in new)
    until = max(n.received_at + timedelta(days=n.window_days) for n in new)
    later: dict[int, tuple[str | None, str | None, datetime]] = {}
    repeat_of: dict[int, str | None] = {}
    for column, values in (
        (cases.c.customer_phone, {n.phone for n in new} - {None}),
        (cases.c.order_no, {n.order_no for n in new} - {None}),
    ):
        if not values:
            continue
        query = sa_select(
            cases.c.id, cases.c.customer_phone, cases.c.order_no, cases.c.received_at, cases.c.repeat_of
        ).where(column.in_(values), cases.c.received_at > since, cases.c.received_at <= until)
        for case_id, phone, order_no, received_at, current in conn.execute(query):
            later[case_id] = (phone, order_no, received_at)
            repeat_of[case_id] = current
    if not later:
        return 0
    received: dict[str, datetime] = {}
    named = {code for code in repeat_of.values() if code is not None}
    if named:
        query = sa_select(cases.c.code, cases.c.received_at).where(cases.c.code.in_(named))
        received.update({code: at for code, at in conn.execute(query)})
    received.update({n.code: n.received_at for n in new})
    writes: dict[int, int] = {}
    by_phone: dict[str, list[int]] = {}
    by_order: dict[str, list[int]] = {}
    for case_id, (phone, order_no, _at) in later.items():
        if phone:
            by_phone.setdefault(phone, []).append(case_id)
        if order_no:
            by_order.setdefault(order_no, []).append(case_id)
    for i, n in enumerate(new):
        candidates = set(by_phone.get(n.phone or "", ())) | set(by_order.get(n.order_no or "", ()))
        for case_id in sorted(candidates):
            at = later[case_id][2]
            if case_id == n.id or entered.get(case_id, -1) > i:
                continue  # itself, or entered after it: it linked to this one when planned
            if not n.received_at < at <= n.received_at + timedelta(days=n.window_days):
                continue
            before = repeat_of[case_id]
            changes: dict[str, tuple[str | None, str | None]] = {"linked": (None, n.code)}
            if before is None or received.get(before, n.received_at) < n.received_at:
                changes = {"repeat_of": (before, n.code)}
                repeat_of[case_id] = n.code
            conn.execute(sa_insert(links).values(case_id=case_id, other_id=n.id, kind=LinkKind.REPEAT.value))
            row = event_row(
                actor=SYSTEM.name,
                action=EventKind.LINK,
                at=now,
                changes=changes,
                note=Message("note.repeat_entered_later", code=n.code),
            )
            conn.execute(sa_insert(events).values(**{**row, "case_id": case_id}))
            writes[case_id] = writes.get(case_id, 0) + 1
    for case_id, count in writes.items():
        conn.execute(
            sa_update(cases)
            .where(cases.c.id == case_id)
            .values(repeat_of=repeat_of[case_id], version=cases.c.version + count)
        )
    return sum(writes.values())


def _tables() -> tuple[Any, Any, Any]:
    tables = SQLModel.metadata.tables
    return tables["cases"], tables["case_links"], tables["events"]


def newest_first(candidates: Iterable[tuple[datetime, int, str]]) -> list[str]:
    """The codes a repeat is linked to: (received_at, entry order, code) newest first, at most
    `REPEAT_LINK_LIMIT`; the first is the one `repeat_of` names."""
    ordered = sorted(candidates, key=lambda c: (c[0], c[1]), reverse=True)
    return [code for _at, _order, code in ordered[:REPEAT_LINK_LIMIT]]


def link_event(codes: Sequence[str], now: datetime) -> dict[str, Any] | None:
    """The system's note that the new case repeats these earlier ones (None when none)."""
    if not codes:
        return None
    return event_row(
        actor=SYSTEM_ACTOR,
        action=EventKind.LINK,
        at=now,
        changes={"repeat_of": (None, codes[0])},
        note=Message("note.repeat_complaint", codes=list(codes)),
    )


def earlier_complaints(
    session: Session,
    profile: Profile,
    *,
    phone: str | None,
    order_no: str | None,
    received_at: datetime,
    exclude_id: int | None = None,
) -> Sequence[Case]:
    """Cases from the same phone or order within the repeat window before `received_at`,
    newest first."""
    window = repeat_window(profile, received_at)
    conditions = []
    if phone:
        conditions.append(col(Case.customer_phone) == phone)
    if order_no:
        conditions.append(col(Case.order_no) == order_no)
    if not conditions or window is None:
        return []
    query = (
        select(Case)
        .where(or_(*conditions))
        .where(col(Case.received_at) >= window[0], col(Case.received_at) <= window[1])
        .order_by(col(Case.received_at).desc(), col(Case.id).desc())
        .limit(REPEAT_LINK_LIMIT)
    )
    if exclude_id is not None:
        query = query.where(Case.id != exclude_id)
    return session.exec(query).all()


# -- storing one -----------------------------------------------------------------------------


def next_number(session: Session, key: str) -> int:
    """The next sequence number of a code counter; the counter row is locked by the write
    transaction, so concurrent intakes never share a number."""
    counter = session.get(CodeCounter, key)
    if counter is None:
        counter = CodeCounter(day_key=key, last=0)
        session.add(counter)
    counter.last += 1
    return counter.last


def create_case(*, session: Session, actor: User, now: datetime, **given: Any) -> Case:
    """Record a new complaint: code, deadlines, repeat links, escalation of P1."""
    require_role(actor, INTAKE_ROLES, Message("do.record_complaint"))
    received = given.get("received_at")
    receipt = received if isinstance(received, datetime) and received.tzinfo is not None else now
    version, profile = policy_in_force(session, receipt)  # the revision in force at receipt
    intake = validate_intake(profile, given, now)
    return store_intake(
        session=session, actor=actor, now=now, intake=intake, version=version, profile=profile
    )


def store_intake(
    *,
    session: Session,
    actor: User,
    now: datetime,
    intake: Intake,
    version: PolicyVersion,
    profile: Profile,
    note: Text | None = None,
) -> Case:
    """Write one validated intake's plan (the importer writes many at once)."""
    assert version.id is not None
    plan = plan_intake(profile, intake, version_id=version.id, actor=actor.name, now=now, note=note)
    earlier = earlier_complaints(
        session,
        profile,
        phone=intake.customer_phone,
        order_no=intake.order_no,
        received_at=intake.received_at,
    )
    repeats = [c.code for c in earlier]
    [customer_id] = customers_for(
        session.connection(), [Who(intake.customer_phone, intake.customer_email, intake.customer_name)], now
    )
    case = Case(
        **plan.values,
        code=case_code(plan.day_key, next_number(session, plan.day_key)),
        repeat_of=repeats[0] if repeats else None,
        customer_id=customer_id,
    )
    session.add(case)
    session.flush()
    assert case.id is not None
    for row in plan.events(link_event(repeats, now)):
        add_event(session, case.id, row)
    for deadline in plan.deadlines:
        session.add(Deadline(**{**deadline, "case_id": case.id}))
    for other in earlier:
        assert other.id is not None
        session.add(CaseLink(case_id=case.id, other_id=other.id, kind=LinkKind.REPEAT))
    if profile.repeat.window_days > 0 and (case.customer_phone or case.order_no):
        session.flush()
        new = NewCase(
            case.id,
            case.code,
            case.received_at,
            case.customer_phone,
            case.order_no,
            profile.repeat.window_days,
        )
        link_later_repeats(session.connection(), [new], now)
    return case


# -- corrections of who the customer is -------------------------------------------------------


def correct_contact(
    *,
    session: Session,
    code: str,
    actor: User,
    now: datetime,
    note: str | None,
    customer_name: str | None = None,
    customer_phone: str | None = None,
    customer_email: str | None = None,
    order_no: str | None = None,
) -> Case:
    """Correct the customer's name, phone, e-mail or the order number recorded at intake, with
    a reason: one `update` event with before -> after, the canonical forms as at intake, the
    case moved to the customer record the new number belongs to, and the repeat links the new
    number or order calls for added both ways (earlier complaints, and later ones)."""
    reason = writing_refusal(actor.role)
    if reason is not None:
        raise PermissionDenied(reason)
    case = get_case(session, code)
    profile = case_profile(session, case)
    given = {
        "customer_name": customer_name,
        "customer_phone": customer_phone,
        "customer_email": customer_email,
        "order_no": order_no,
    }
    wanted: dict[str, Any] = {}
    for name, value in given.items():
        if value is None:
            continue
        text = clean_text(value, name)
        if name == "customer_phone" and text is not None:
            key = phone_key(text)
            if key is None:
                raise InvalidInput(Message("intake.bad_phone", phone=text), field=name)
            text = key
        elif name == "customer_email" and text is not None and ("@" not in text or " " in text):
            raise InvalidInput(Message("intake.bad_email", email=text), field=name)
        elif name == "order_no":
            text = _order(text)
        wanted[name] = text
    changes = {k: (getattr(case, k), v) for k, v in wanted.items() if getattr(case, k) != v}
    if not changes:
        raise InvalidInput(Message("case.nothing_to_correct", code=case.code))
    why = clean_text(note, "note")
    if not why:
        raise InvalidInput(Message("case.correction_needs_reason", code=case.code), field="note")
    for name, width in column_widths().items():
        value = wanted.get(name)
        if isinstance(value, str) and len(value) > width:
            raise InvalidInput(
                Message("field.too_wide", field=name, length=len(value), limit=width), field=name
            )
    with session.no_autoflush:
        for name, (_before, after) in changes.items():
            setattr(case, name, after)
        if {"customer_phone", "customer_email", "customer_name"} & set(changes):
            [case.customer_id] = customers_for(
                session.connection(), [Who(case.customer_phone, case.customer_email, case.customer_name)], now
            )
        assert case.id is not None
        add_event(
            session,
            case.id,
            event_row(actor=actor.name, action=EventKind.UPDATE, at=now, changes=changes, note=why),
        )
        case.updated_at = now
        session.add(case)
    code_ = case.code
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(Message("case.concurrent", code=code_)) from None
    if {"customer_phone", "order_no"} & set(changes):
        _relink(session, case, profile, now)
    return case


def _relink(session: Session, case: Case, profile: Profile, now: datetime) -> None:
    """After a corrected phone or order: the repeat links that no longer match go (this case's
    to earlier complaints, later complaints' to it), each case whose `repeat_of` changes gets
    a `link` event; then the links the new number calls for are added both ways."""
    assert case.id is not None

    def same(other: Case) -> bool:
        return bool(
            (case.customer_phone and other.customer_phone == case.customer_phone)
            or (case.order_no and other.order_no == case.order_no)
        )

    touched: dict[int, Case] = {}
    for link in session.exec(
        select(CaseLink).where(
            or_(col(CaseLink.case_id) == case.id, col(CaseLink.other_id) == case.id),
            CaseLink.kind == LinkKind.REPEAT,
        )
    ).all():
        mine = link.case_id == case.id
        other = session.get(Case, link.other_id if mine else link.case_id)
        if other is None or same(other):
            continue
        session.delete(link)
        later = case if mine else other
        assert later.id is not None
        touched[later.id] = later
    session.flush()
    for later in touched.values():
        _refresh_repeat_of(session, later, now)
    have = set(session.exec(select(CaseLink.other_id).where(CaseLink.case_id == case.id)).all())
    earlier = [
        c
        for c in earlier_complaints(
            session, profile, phone=case.customer_phone, order_no=case.order_no, received_at=case.received_at,
            exclude_id=case.id,
        )
        if c.id not in have
    ]  # fmt: skip
    for other in earlier:
        assert other.id is not None
        session.add(CaseLink(case_id=case.id, other_id=other.id, kind=LinkKind.REPEAT))
    if earlier:
        session.flush()
        _refresh_repeat_of(session, case, now, added=[c.code for c in earlier])
    new = NewCase(
        case.id, case.code, case.received_at, case.customer_phone, case.order_no, profile.repeat.window_days
    )
    link_later_repeats(session.connection(), [new], now)


def _refresh_repeat_of(session: Session, case: Case, now: datetime, added: Sequence[str] = ()) -> None:
    """`repeat_of` as the newest complaint the case is still linked to, with a `link` event."""
    assert case.id is not None
    linked = session.exec(
        select(Case)
        .join(CaseLink, col(CaseLink.other_id) == col(Case.id))
        .where(CaseLink.case_id == case.id, CaseLink.kind == LinkKind.REPEAT)
        .order_by(col(Case.received_at).desc(), col(Case.id).desc())
    ).first()
    newest = linked.code if linked is not None else None
    if newest == case.repeat_of and not added:
        return
    changes: dict[str, tuple[str | None, str | None]] = {"repeat_of": (case.repeat_of, newest)}
    if newest == case.repeat_of:
        changes = {"linked": (None, added[0])}
    note = Message("note.repeat_complaint", codes=list(added)) if added else Message("note.repeat_unlinked")
    case.repeat_of = newest
    add_event(
        session,
        case.id,
        event_row(actor=SYSTEM.name, action=EventKind.LINK, at=now, changes=changes, note=note),
    )
    session.add(case)
    session.flush()
