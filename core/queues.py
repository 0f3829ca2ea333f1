"""Work queues and search for the TUI: which cases a user sees on each tab, a page at a time.

A queue is a named query over cases (mine, unassigned, my team, at risk / breached, pending
approval, revisits due). Pages use keyset pagination, never OFFSET: each page ends with a
cursor (the sort key and id of its last row) and the next page starts strictly after it, so a
page flip costs the same on page 1 and page 2,000 of a desk with 100,000 cases.

The at-risk / breached queue is exact: breached deadlines are found in SQL (unmet and passed),
and at-risk candidates are the cases whose deadline falls within a conservative horizon (20 %
of the largest allowance any target grants, measured on that target's clock from now); each
candidate is then judged by the same `views.deadline_states` the case screen uses.

Rows carry what a queue table shows, masked for the viewer's role, with labels in both
languages so a language switch needs no new query.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, false, func, or_, tuple_
from sqlalchemy import case as sql_case
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from . import services, sla, views
from .calendar import Duration
from .customers import is_partial_number, order_key, search_phone
from .models import Case, Revisit, User
from .policies import Policies, desk_years, policy_versions, profile_for_version
from .policy import Profile
from .workflow import (
    CASE_OWNERS,
    CASE_WORKERS,
    CLOCKS_RUN,
    COMPLEXITIES,
    OPEN,
    REVISIT_WAITING,
    RUNNING_STATES,
    SUPERVISING,
    Action,
    Clock,
    DeadlineState,
    Role,
    Status,
    find_transition,
    transitions_for,
)

PAGE_SIZE = 50


@dataclass(frozen=True)
class Queue:
    key: str
    label: tuple[str, str]
    roles: frozenset[Role] | None = None  # None: everyone
    needs_department: bool = False

    def text(self, lang: str) -> str:
        return self.label[1] if lang == "zh" else self.label[0]


QUEUES: tuple[Queue, ...] = (
    Queue("mine", ("Mine", "我的"), CASE_OWNERS),
    Queue("unassigned", ("Unassigned", "待认领")),
    Queue("team", ("My team", "本组"), needs_department=True),
    Queue("at_risk", ("At risk", "超时预警")),
    Queue("approval", ("Approval", "待审批"), SUPERVISING),
    Queue("revisits", ("Revisits", "待回访"), CASE_WORKERS),
)
QUEUE_KEYS = tuple(q.key for q in QUEUES)
SORTS = ("due", "received")
"""`due`: most urgent resolution deadline first; `received`: newest first."""


def queue(key: str) -> Queue:
    for item in QUEUES:
        if item.key == key:
            return item
    raise KeyError(f"unknown queue {key!r}; queues are: {', '.join(QUEUE_KEYS)}")


def queues_for(actor: User) -> list[Queue]:
    """The queues this user has a tab for, in display order."""
    return [
        q
        for q in QUEUES
        if (q.roles is None or actor.role in q.roles) and (not q.needs_department or actor.department)
    ]


@dataclass(frozen=True)
class QueueFilter:
    """Narrowing within a queue (codes of the case's policy)."""

    severity: str | None = None
    channel: str | None = None
    category: str | None = None

    @property
    def active(self) -> bool:
        return any((self.severity, self.channel, self.category))


@dataclass(frozen=True)
class QueueRow:
    """One line of a queue table: what the viewer may see of a case, with its SLA countdown."""

    code: str
    version: int
    status: str
    received_at: datetime  # UTC
    received_local: datetime  # in the case's profile time zone
    channel: str
    category: str | None
    severity: str
    owner: str | None
    customer_name: str | None
    customer_phone: str | None
    order_no: str | None
    labels: dict[str, tuple[str, str]]
    sla: str  # the worst clock state (views.worst_state)
    countdown_clock: str | None
    countdown_state: str | None  # ok | at_risk | breached | paused
    countdown_minutes: float | None
    revisit_due_local: datetime | None = None
    revisit_attempts: int | None = None
    sort_key: tuple[Any, ...] = field(default=(), compare=False)
    created_by: str | None = field(default=None, compare=False)
    """Who recorded it (with `owner`: who is on the case, `desklog.on_the_case`)."""

    def label(self, name: str, lang: str) -> str:
        en, zh = self.labels.get(name, ("", ""))
        return zh if lang == "zh" else en


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    next_after: tuple[Any, ...] | None  # pass as `after` for the next page; None: last page


# -- building rows ---------------------------------------------------------------------------


def _label(profile: Profile, kind: str, code: str | None) -> tuple[str, str]:
    if not code:
        return ("", "")
    item = profile.vocabulary(kind).get(code)
    return (item.en, item.zh) if item else (code, code)


def _countdown(states: dict[str, sla.ClockState]) -> tuple[str | None, str | None, float | None]:
    """The most urgent running clock: (clock, state, minutes left; negative when passed)."""
    best: tuple[str | None, str | None, float | None] = (None, None, None)
    for clock, state in states.items():
        if state.state not in RUNNING_STATES:
            continue
        if state.remaining_minutes is None:
            continue
        if best[2] is None or state.remaining_minutes < best[2]:
            best = (clock, state.state, state.remaining_minutes)
    return best


def make_row(
    case: Case,
    profile: Profile,
    viewer: User,
    now: datetime,
    *,
    sort_key: tuple[Any, ...] = (),
    revisit: Revisit | None = None,
) -> QueueRow:
    states = views.all_states(case, profile, now)
    clock, state, minutes = _countdown(states)
    waiting = views.waiting_view(case, profile, now)
    if clock is None and waiting is not None and waiting.give_up_at is not None:
        # Waiting for the customer: the countdown to giving up, at risk once a reminder is due.
        clock, minutes = "waiting", (waiting.give_up_at - now) / timedelta(minutes=1)
        state = DeadlineState.PAUSED if waiting.stage == "waiting" else DeadlineState.AT_RISK
    customer = views.customer_view(case, viewer)
    calendar = profile.work_calendar
    return QueueRow(
        code=case.code,
        version=case.version,
        status=case.status,
        received_at=case.received_at,
        received_local=calendar.local(case.received_at),
        channel=case.channel,
        category=case.category,
        severity=case.severity,
        owner=case.owner,
        customer_name=customer.name,
        customer_phone=customer.phone,
        order_no=case.order_no,
        labels={
            "channel": _label(profile, "channels", case.channel),
            "category": _label(profile, "taxonomy", case.category),
            "severity": _label(profile, "severities", case.severity),
            "department": _label(profile, "departments", case.department),
        },
        sla=views.worst_state(states.values()),
        countdown_clock=clock,
        countdown_state=state,
        countdown_minutes=minutes,
        revisit_due_local=calendar.local(revisit.due_at) if revisit is not None else None,
        revisit_attempts=revisit.attempts if revisit is not None else None,
        sort_key=sort_key,
        created_by=case.created_by,
    )


# -- queue conditions -----------------------------------------------------------------------


def _breached(now: datetime) -> ColumnElement[bool]:
    """Some unmet deadline has passed on a case whose clocks run (exact, in SQL)."""
    running = col(Case.status).in_(CLOCKS_RUN)
    return or_(
        and_(
            running,
            or_(
                col(Case.due_resolution) <= now,
                and_(col(Case.first_response_at).is_(None), col(Case.due_first_response) <= now),
                and_(col(Case.status) == Status.ESCALATED, col(Case.due_coordination) <= now),
            ),
        ),
        # A statutory duty never pauses; cleared once met. (IS NOT NULL: the condition is
        # also negated, and NOT of a NULL comparison would drop the row.)
        and_(col(Case.due_statutory).is_not(None), col(Case.due_statutory) <= now),
    )


def _risk_horizon(profiles: Iterable[Profile], now: datetime) -> dict[str, datetime]:
    """Per clock, an instant no at-risk deadline lies beyond (`sla.risk_horizon`, the latest
    over every target of these policies)."""
    horizon: dict[str, datetime] = {}
    for profile in profiles:
        for severity in profile.severities:
            for complexity in COMPLEXITIES:
                for clock, target in profile.sla_targets(severity, complexity).items():
                    until = sla.risk_horizon(profile.work_calendar, target, now)
                    if clock not in horizon or until > horizon[clock]:
                        horizon[clock] = until
        for rule in profile.statutory.values():
            until = sla.risk_horizon(profile.legal_calendar, Duration.parse(rule.target), now)
            if STATUTORY not in horizon or until > horizon[STATUTORY]:
                horizon[STATUTORY] = until
    return horizon


def _risk_candidates(horizon: dict[str, datetime]) -> ColumnElement[bool]:
    terms: list[ColumnElement[bool]] = []
    if Clock.RESOLUTION in horizon:
        terms.append(col(Case.due_resolution) <= horizon[Clock.RESOLUTION])
    if Clock.FIRST_RESPONSE in horizon:
        terms.append(
            and_(
                col(Case.first_response_at).is_(None),
                col(Case.due_first_response) <= horizon[Clock.FIRST_RESPONSE],
            )
        )
    if Clock.COORDINATION in horizon:
        terms.append(
            and_(
                col(Case.status) == Status.ESCALATED,
                col(Case.due_coordination) <= horizon[Clock.COORDINATION],
            )
        )
    running = and_(col(Case.status).in_(CLOCKS_RUN), or_(*terms) if terms else false())
    if STATUTORY in horizon:
        return or_(running, col(Case.due_statutory) <= horizon[STATUTORY])
    return running


STATUTORY = "statutory"
"""The risk horizon of every statutory duty (one: they never pause)."""


def _all_profiles(session: Session) -> list[Profile]:
    years = desk_years(session)
    return [profile_for_version(v, years) for v in policy_versions(session)]


def unassigned_statuses(role: str) -> tuple[Status, ...]:
    """The statuses of the unowned cases on this role's unassigned tab, from the transition
    table: a role that can claim cases sees none it could not claim (an agent no escalated
    case, which only handlers and supervisors claim), but still the new ones waiting to be
    triaged; a role that never claims (admin, classifier, analyst) sees every unowned open
    case, the tab being its overview of the pool."""
    if not any(t.allows_role(role) for t in transitions_for(Action.CLAIM)):
        return OPEN
    shown = []
    for status in OPEN:
        claim = find_transition(Action.CLAIM, status)
        if claim is None or claim.allows_role(role):
            shown.append(status)
    return tuple(shown)


def _queue_condition(session: Session, key: str, actor: User, now: datetime) -> ColumnElement[bool]:
    if key == "mine":
        return and_(col(Case.owner) == actor.name, col(Case.status).in_(OPEN))
    if key == "unassigned":
        return and_(col(Case.owner).is_(None), col(Case.status).in_(unassigned_statuses(actor.role)))
    if key == "team":
        if not actor.department:
            return false()
        return and_(col(Case.department) == actor.department, col(Case.status).in_(OPEN))
    if key == "approval":
        return col(Case.status) == Status.PENDING_APPROVAL
    if key == "at_risk":
        horizon = _risk_horizon(_all_profiles(session), now)
        return or_(_breached(now), _risk_candidates(horizon))
    raise KeyError(f"unknown queue {key!r}; queues are: {', '.join(QUEUE_KEYS)}")


def _filter_condition(flt: QueueFilter | None) -> list[ColumnElement[bool]]:
    if flt is None:
        return []
    terms: list[ColumnElement[bool]] = []
    if flt.severity:
        terms.append(col(Case.severity) == flt.severity)
    if flt.channel:
        terms.append(col(Case.channel) == flt.channel)
    if flt.category:
        terms.append(col(Case.category) == flt.category)
    return terms


def _urgency_expression() -> ColumnElement[datetime]:
    """The earliest deadline still running: an unmet first response, the resolution, and the
    coordination of an escalated case (what the SLA column counts down to)."""
    first = sql_case(
        (
            and_(
                col(Case.first_response_at).is_(None),
                col(Case.due_first_response) < col(Case.due_resolution),
            ),
            col(Case.due_first_response),
        ),
        else_=col(Case.due_resolution),
    )
    return sql_case(
        (
            and_(col(Case.status) == Status.ESCALATED, col(Case.due_coordination) < first),
            col(Case.due_coordination),
        ),
        else_=first,
    )


def urgency(item: Case) -> datetime | None:
    """`_urgency_expression` computed on a loaded case (the two must agree for keyset pages)."""
    first = item.due_resolution
    if (
        item.first_response_at is None
        and item.due_first_response is not None
        and first is not None
        and item.due_first_response < first
    ):
        first = item.due_first_response
    if (
        item.status == Status.ESCALATED
        and item.due_coordination is not None
        and first is not None
        and item.due_coordination < first
    ):
        first = item.due_coordination
    return first


def _running_expression() -> ColumnElement[int]:
    """0 for a case whose clocks run, 1 for one with no running deadline (paused, resolved)."""
    return sql_case((col(Case.status).in_(CLOCKS_RUN), 0), else_=1)


def _sort(sort: str) -> tuple[list[Any], Any, bool, Callable[[Case], tuple[Any, ...]]]:
    """(key expressions, id column, descending, the keys of a loaded case).

    `due`: cases whose clocks run first, most urgent deadline first; cases with no running
    deadline (waiting for the customer, resolved awaiting confirmation) after them all."""
    if sort == "due":
        return (
            [_running_expression(), _urgency_expression()],
            col(Case.id),
            False,
            lambda item: (0 if item.status in CLOCKS_RUN else 1, urgency(item)),
        )
    if sort == "received":
        return [col(Case.received_at)], col(Case.id), True, lambda item: (item.received_at,)
    raise KeyError(f"unknown sort {sort!r}; sorts are: {', '.join(SORTS)}")


def _at_risk_row(row: QueueRow) -> bool:
    return row.sla in (DeadlineState.BREACHED, DeadlineState.AT_RISK)


# -- public API ------------------------------------------------------------------------------


def queue_page(
    session: Session,
    *,
    queue: str,
    actor: User,
    now: datetime,
    after: tuple[Any, ...] | None = None,
    limit: int = PAGE_SIZE,
    sort: str = "due",
    flt: QueueFilter | None = None,
) -> QueuePage:
    """One page of a queue for `actor`, starting after the cursor `after`."""
    if queue == "revisits":
        return _revisit_page(session, actor=actor, now=now, after=after, limit=limit, flt=flt)
    key_cols, id_col, descending, key_of = _sort(sort)
    profiles = Policies()
    base = select(Case).where(_queue_condition(session, queue, actor, now))
    for term in _filter_condition(flt):
        base = base.where(term)
    if descending:
        base = base.order_by(*(k.desc() for k in key_cols), id_col.desc())
    else:
        base = base.order_by(*key_cols, id_col)
    rows: list[QueueRow] = []
    cursor = after
    exhausted = False
    # Only the at-risk queue drops rows after the exact check; others fill a page in one go.
    batch = limit + 1 if queue != "at_risk" else max(limit * 2, 64)
    while len(rows) <= limit and not exhausted:
        query = base
        if cursor is not None:
            bound = tuple_(*key_cols, id_col)
            query = query.where(bound < cursor if descending else bound > cursor)
        cases = session.exec(query.limit(batch)).all()
        exhausted = len(cases) < batch
        for case in cases:
            assert case.id is not None
            sort_key = (*key_of(case), case.id)
            cursor = sort_key
            row = make_row(case, profiles.get(session, case.policy_version_id), actor, now, sort_key=sort_key)
            if queue == "at_risk" and not _at_risk_row(row):
                continue
            rows.append(row)
            if len(rows) > limit:
                break
    if len(rows) > limit:
        rows = rows[:limit]
        return QueuePage(rows=rows, next_after=rows[-1].sort_key)
    return QueuePage(rows=rows, next_after=None)


def _revisit_condition(now: datetime) -> ColumnElement[bool]:
    return and_(col(Revisit.status).in_(REVISIT_WAITING), col(Revisit.due_at) <= now)


def _revisit_page(
    session: Session,
    *,
    actor: User,
    now: datetime,
    after: tuple[Any, ...] | None,
    limit: int,
    flt: QueueFilter | None,
) -> QueuePage:
    profiles = Policies()
    query = (
        select(Revisit, Case)
        .join(Case, col(Case.id) == Revisit.case_id)
        .where(_revisit_condition(now))
        .order_by(col(Revisit.due_at), col(Revisit.id))
    )
    for term in _filter_condition(flt):
        query = query.where(term)
    if after is not None:
        query = query.where(tuple_(col(Revisit.due_at), col(Revisit.id)) > after)
    found = session.exec(query.limit(limit + 1)).all()
    rows = []
    for revisit, case in found[:limit]:
        sort_key = (revisit.due_at, revisit.id)
        rows.append(
            make_row(
                case,
                profiles.get(session, case.policy_version_id),
                actor,
                now,
                sort_key=sort_key,
                revisit=revisit,
            )
        )
    next_after = rows[-1].sort_key if len(found) > limit and rows else None
    return QueuePage(rows=rows, next_after=next_after)


def queue_counts(
    session: Session, *, actor: User, now: datetime, queues: Sequence[str] | None = None
) -> dict[str, int]:
    """How many cases each of the user's queues holds now (the tab counts)."""
    keys = list(queues) if queues is not None else [q.key for q in queues_for(actor)]
    counts: dict[str, int] = {}
    for key in keys:
        if key == "revisits":
            counts[key] = session.exec(
                select(func.count()).select_from(Revisit).where(_revisit_condition(now))
            ).one()
        elif key == "at_risk":
            counts[key] = _count_at_risk(session, actor, now)
        else:
            counts[key] = session.exec(
                select(func.count()).select_from(Case).where(_queue_condition(session, key, actor, now))
            ).one()
    return counts


def overdue_count(session: Session, *, now: datetime) -> int:
    """Open cases with a running deadline already passed now (exact, in SQL): what the
    queues show as breached, whether or not `kefu sla check` has recorded it yet."""
    return int(session.exec(select(func.count()).select_from(Case).where(_breached(now))).one())


def _count_at_risk(session: Session, actor: User, now: datetime) -> int:
    breached = session.exec(select(func.count()).select_from(Case).where(_breached(now))).one()
    horizon = _risk_horizon(_all_profiles(session), now)
    candidates = session.exec(select(Case).where(_risk_candidates(horizon)).where(~_breached(now))).all()
    profiles = Policies()
    at_risk = 0
    for case in candidates:
        profile = profiles.get(session, case.policy_version_id)
        states = [
            *views.deadline_states(case, profile, now).values(),
            views.statutory_state(case, profile, now),
        ]
        if views.worst_state(s for s in states if s is not None) in (
            DeadlineState.BREACHED,
            DeadlineState.AT_RISK,
        ):
            at_risk += 1
    return int(breached) + at_risk


CODE_PREFIX = re.compile(r"[A-Z][A-Z0-9]{0,5}-[0-9-]*")
"""A code or the start of one (`KD-`, `KD-20261124`, `KD-20261124-0007`): an index range."""
CODE_PIECE = re.compile(r"[A-Za-z0-9-]{3,}")
"""A piece of a code (`0007`, `20261124-0007`): matched anywhere in the code."""
MIN_NUMBER_DIGITS = 4
"""A phone or order number is matched on a piece of at least this many characters."""


def _code_match(needle: str) -> ColumnElement[bool]:
    upper = needle.upper()
    return and_(col(Case.code) >= upper, col(Case.code) < upper + "\U0010ffff")


def _exact_match(needle: str, personal: bool) -> ColumnElement[bool]:
    """The whole order number, or (for roles that see personal data) the whole phone number
    without spaces/dashes: both by their index."""
    exact: list[ColumnElement[bool]] = [col(Case.order_no) == order_key(needle)]
    phone = search_phone(needle)
    if personal and phone is not None:
        exact.append(col(Case.customer_phone) == phone)
        # ... and the same line with an extension ("01088886666-123"), by the same index.
        exact.append(and_(col(Case.customer_phone) > phone + "-", col(Case.customer_phone) < phone + "."))
    return or_(*exact)


def _without_separators(column: Any) -> Any:
    return func.replace(func.replace(column, "-", ""), " ", "")


def _any_match(needle: str, personal: bool) -> ColumnElement[bool]:
    """A piece of the code, order number, description, demand or target name, or the source's
    whole external id; for roles that
    handle personal data also of the phone number, the customer's name or e-mail. Phone and
    order numbers match on at least 4 characters, spaces and dashes ignored. `%` and `_` are
    literal characters (LIKE wildcards are escaped)."""
    terms: list[ColumnElement[bool]] = [
        col(Case.target_name).contains(needle, autoescape=True),
        col(Case.external_id) == needle,  # the export's own ticket number (工单号), whole
    ]
    if personal or not services.reveals_personal_data(needle):
        # A masked role does not find a case by a number or e-mail written in its text: that
        # would confirm whose complaint it is (the text shows it masked).
        terms.append(col(Case.description).contains(needle, autoescape=True))
        terms.append(col(Case.demand).contains(needle, autoescape=True))
    if CODE_PIECE.fullmatch(needle):
        terms.append(col(Case.code).contains(needle.upper(), autoescape=True))
    compact = order_key(needle)
    if len(compact) >= MIN_NUMBER_DIGITS:
        terms.append(_without_separators(col(Case.order_no)).contains(compact, autoescape=True))
    if personal:
        digits = search_phone(needle)
        if digits is not None and len(digits.lstrip("+")) >= MIN_NUMBER_DIGITS:
            terms.append(col(Case.customer_phone).contains(digits, autoescape=True))
        terms.append(col(Case.customer_name).contains(needle, autoescape=True))
        terms.append(col(Case.customer_email).contains(needle, autoescape=True))
    return or_(*terms)


def search_condition(session: Session, *, actor: User, text: str) -> ColumnElement[bool]:
    """What `search_cases` matches, as one condition (for `kefu case list --search`): a code
    start by the code index; a whole order or phone number by its index when some case has it;
    anything else as a piece of the code, numbers or words (see `_any_match`; phone, name and
    e-mail only for roles that handle personal data)."""
    needle = text.strip()
    if not needle:
        return false()
    if CODE_PREFIX.fullmatch(needle.upper()):
        by_code = _code_match(needle)
        if session.exec(select(Case.id).where(by_code).limit(1)).first() is not None:
            return by_code
        return col(Case.external_id) == needle  # an export's ticket number written like a code
    personal = services.may_see_personal_data(actor.role)
    exact = _exact_match(needle, personal)
    if (
        _exact_first(needle, personal)
        and session.exec(select(Case.id).where(exact).limit(1)).first() is not None
    ):
        return exact
    return _any_match(needle, personal)


def _exact_first(needle: str, personal: bool) -> bool:
    """Whether a whole order or phone number found by its index is the whole answer: not for a
    local or service number, which is also the end of longer stored numbers."""
    return not (personal and is_partial_number(needle))


@dataclass(frozen=True)
class CaseFilter:
    """What `kefu case list` narrows to."""

    status: str | None = None
    open_only: bool = False
    owner: str | None = None
    unassigned: bool = False
    department: str | None = None
    severity: str | None = None
    category: str | None = None
    text: str | None = None


def list_cases(session: Session, *, actor: User, flt: CaseFilter, limit: int) -> tuple[Sequence[Case], int]:
    """`kefu case list`: at most `limit` cases matching the filter, most recently received
    first, and how many match in all. `flt.text` searches as the TUI does (`search_cases`)."""
    where: list[ColumnElement[bool]] = []
    if flt.status:
        where.append(col(Case.status) == flt.status)
    elif flt.open_only:
        where.append(col(Case.status).in_(OPEN))
    if flt.owner:
        where.append(col(Case.owner) == flt.owner)
    if flt.unassigned:
        where.append(col(Case.owner).is_(None))
    if flt.department:
        where.append(col(Case.department) == flt.department)
    if flt.severity:
        where.append(col(Case.severity) == flt.severity)
    if flt.category:
        where.append(col(Case.category) == flt.category)
    if flt.text is not None and flt.text.strip():  # a blank search is no filter
        where.append(search_condition(session, actor=actor, text=flt.text))
    query = select(Case).where(*where)
    cases = session.exec(query.order_by(col(Case.received_at).desc(), col(Case.id).desc()).limit(limit)).all()
    total = len(cases)
    if total == limit:
        total = session.exec(select(func.count()).select_from(Case).where(*where)).one()
    return cases, total


def search_cases(
    session: Session,
    *,
    actor: User,
    now: datetime,
    text: str,
    after: tuple[Any, ...] | None = None,
    limit: int = PAGE_SIZE,
) -> QueuePage:
    """Search by case code or its start (`KD-20261124`, by the code index, newest code first);
    a whole order or phone number by its index when some case has it; anything else matches a
    piece of the code (`0007`), of the order or phone number (4+ characters, spaces and dashes
    ignored), of the description, demand or target, or of the customer's name or e-mail,
    newest received first. Phone, name and e-mail are matched only for roles that handle
    personal data, so others cannot confirm a number by searching.

    Pieces cannot use an index (SQLite has none for `LIKE '%...%'`): the search walks cases
    newest first along the receipt index and stops at a page, so a common piece is quick and a
    rare one costs one scan of the table (see tests/perf/test_tui_perf.py for the figures).
    """
    needle = text.strip()
    if not needle:
        return QueuePage(rows=[], next_after=None)
    mode = str(after[0]) if after is not None else None
    if mode in (None, "code") and CODE_PREFIX.fullmatch(needle.upper()):
        query = select(Case).where(_code_match(needle))
        if after is not None:
            query = query.where(col(Case.code) < after[1])
        found = session.exec(query.order_by(col(Case.code).desc()).limit(limit + 1)).all()
        return _search_page(session, found, actor, now, limit, lambda c: ("code", c.code))
    personal = services.may_see_personal_data(actor.role)
    by_receipt = (col(Case.received_at).desc(), col(Case.id).desc())
    if mode in (None, "exact") and _exact_first(needle, personal):
        query = select(Case).where(_exact_match(needle, personal))
        if after is not None:
            query = query.where(tuple_(col(Case.received_at), col(Case.id)) < after[1:])
        found = session.exec(query.order_by(*by_receipt).limit(limit + 1)).all()
        if found or mode == "exact":
            return _search_page(session, found, actor, now, limit, lambda c: ("exact", c.received_at, c.id))
    query = select(Case).where(_any_match(needle, personal))
    if after is not None and mode == "text":
        query = query.where(tuple_(col(Case.received_at), col(Case.id)) < after[1:])
    found = session.exec(query.order_by(*by_receipt).limit(limit + 1)).all()
    return _search_page(session, found, actor, now, limit, lambda c: ("text", c.received_at, c.id))


def _search_page(
    session: Session,
    found: Sequence[Case],
    actor: User,
    now: datetime,
    limit: int,
    cursor: Callable[[Case], tuple[Any, ...]],
) -> QueuePage:
    profiles = Policies()
    rows = [
        make_row(case, profiles.get(session, case.policy_version_id), actor, now, sort_key=cursor(case))
        for case in found[:limit]
    ]
    next_after = rows[-1].sort_key if len(found) > limit and rows else None
    return QueuePage(rows=rows, next_after=next_after)


def assignable_users(session: Session) -> list[tuple[str, str, str]]:
    """(name, display name, role) of the active users a case can be assigned to."""
    return [
        (u.name, u.display_name or u.name, u.role)
        for u in services.list_users(session)
        if u.active and u.role in CASE_OWNERS
    ]
