"""Service functions: every change to the desk goes through here.

Each function takes an explicit session, actor and `now`, checks the rules (the transition
table, roles, required fields, the policy's vocabularies), and writes the case together with
its events. The caller owns the transaction (`db.write_session`), so a change and its history
commit together or not at all.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from . import sla
from .calendar import Duration
from .errors import Conflict, InvalidInput, NotFound, PermissionDenied, Refused
from .models import Attachment, Case, CaseLink, CodeCounter, Event, PolicyVersion, Revisit, User
from .policy import Profile, load_profile_text
from .workflow import (
    COMPLEXITIES,
    CONTACT_KINDS,
    INTAKE_ROLES,
    PERSONAL_DATA_ROLES,
    REJECT_REASONS,
    REVISIT_OUTCOMES,
    SUPERVISING,
    SYSTEM_ACTOR,
    Role,
    Status,
    article,
    find_transition,
    refusal,
)

MAX_TEXT = 20_000
"""Longest free text kept in one field; longer input is refused, not silently cut."""

# -- policy ----------------------------------------------------------------------------

_PROFILE_CACHE: dict[tuple[int, str], Profile] = {}


def profile_for_version(version: PolicyVersion) -> Profile:
    """The parsed profile of a stored policy revision (parsed once per process)."""
    assert version.id is not None
    key = (version.id, hashlib.sha1(version.source_toml.encode()).hexdigest())
    if key not in _PROFILE_CACHE:
        _PROFILE_CACHE[key] = load_profile_text(version.source_toml, f"policy v{version.version}")
    return _PROFILE_CACHE[key]


def policy_in_force(session: Session, now: datetime | None = None) -> tuple[PolicyVersion, Profile]:
    """The newest revision whose effective date has come (the newest at all if none has)."""
    query = select(PolicyVersion).order_by(col(PolicyVersion.version).desc())
    versions = session.exec(query).all()
    if not versions:
        raise NotFound("this database has no policy; create one with `kefu init`")
    chosen = versions[0]
    if now is not None:
        for version in versions:
            if version.effective_at <= now:
                chosen = version
                break
    return chosen, profile_for_version(chosen)


def policy_versions(session: Session) -> Sequence[PolicyVersion]:
    return session.exec(select(PolicyVersion).order_by(col(PolicyVersion.version))).all()


def case_profile(session: Session, case: Case) -> Profile:
    version = session.get(PolicyVersion, case.policy_version_id)
    assert version is not None
    return profile_for_version(version)


def apply_policy(
    *,
    session: Session,
    actor: User,
    text: str,
    origin: str,
    now: datetime,
    effective_at: datetime | None = None,
) -> PolicyVersion:
    """Store a new policy revision; cases already open keep the revision they were opened under."""
    require_role(actor, {Role.ADMIN}, "apply a policy")
    profile = load_profile_text(text, origin)
    current = session.exec(select(func.max(PolicyVersion.version))).one()
    version = PolicyVersion(
        profile=profile.name,
        version=(current or 0) + 1,
        effective_at=effective_at or now,
        applied_at=now,
        applied_by=actor.name,
        source_toml=text,
        origin=origin,
    )
    session.add(version)
    session.flush()
    return version


def initialize_desk(
    *, session: Session, admin_name: str, text: str, origin: str, now: datetime
) -> tuple[User, PolicyVersion]:
    """The first policy revision and the first admin (whoever ran `kefu init`)."""
    profile = load_profile_text(text, origin)
    admin = User(name=admin_name, role=Role.ADMIN, display_name=admin_name, created_at=now)
    session.add(admin)
    version = PolicyVersion(
        profile=profile.name,
        version=1,
        effective_at=now,
        applied_at=now,
        applied_by=admin_name,
        source_toml=text,
        origin=origin,
    )
    session.add(version)
    session.flush()
    return admin, version


# -- people ----------------------------------------------------------------------------


def find_user(session: Session, name: str) -> User | None:
    return session.exec(select(User).where(User.name == name)).first()


def resolve_actor(session: Session, login: str, as_user: str | None = None) -> User:
    """The kefu user acting: the OS login, or `as_user` when the OS login is an admin."""
    user = find_user(session, login)
    if user is None or not user.active:
        raise PermissionDenied(
            f"OS user {login!r} is not a kefu user here; an admin can add you with "
            f"`kefu user add {login} --role agent`"
        )
    if as_user is None or as_user == login:
        return user
    if user.role != Role.ADMIN:
        raise PermissionDenied(f"--as is for admins; {login} is {article(user.role)} {user.role}")
    other = find_user(session, as_user)
    if other is None or not other.active:
        raise NotFound(f"no kefu user named {as_user!r}; see `kefu user list`")
    return other


def add_user(
    *,
    session: Session,
    actor: User,
    name: str,
    role: str,
    now: datetime,
    display_name: str = "",
    department: str | None = None,
) -> User:
    require_role(actor, {Role.ADMIN}, "add users")
    name = name.strip()
    if not name or len(name) > 64 or any(ch.isspace() for ch in name):
        raise InvalidInput(f"user name {name!r} must be an OS login: no spaces, at most 64 characters")
    if role not in set(Role):
        raise InvalidInput(f"unknown role {role!r}; roles are: {', '.join(r.value for r in Role)}")
    if find_user(session, name) is not None:
        raise Refused(f"user {name!r} already exists")
    if department is not None:
        _, profile = policy_in_force(session, now)
        code = profile.resolve("departments", department)
        if code is None:
            raise InvalidInput(f"unknown department {department!r}; see `kefu policy show`")
        department = code
    user = User(
        name=name,
        role=role,
        display_name=display_name or name,
        department=department,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.exec(select(User).order_by(col(User.name))).all()


AS_OF_SLACK = timedelta(minutes=5)
"""How far ahead of the clock an `--as-of` may lie (clock skew between hosts), no more."""


def check_as_of(as_of: datetime | None, now: datetime, why: str) -> datetime:
    """The moment a cron job evaluates (`now` unless given); never in the future."""
    as_of = now if as_of is None else as_of
    if as_of.tzinfo is None:
        raise InvalidInput("--as-of needs a time zone")
    if as_of > now + AS_OF_SLACK:
        raise InvalidInput(f"--as-of {as_of.astimezone(UTC):%Y-%m-%d %H:%M} UTC is in the future; {why}")
    return as_of.astimezone(UTC)


def require_role(actor: User, roles: set[Role] | frozenset[Role], what: str) -> None:
    """Refuse, naming the roles that may, when `actor`'s role may not do `what`."""
    if actor.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise PermissionDenied(
            f"{article(actor.role)} {actor.role} may not {what} (roles allowed: {allowed})"
        )


# -- helpers ---------------------------------------------------------------------------


def _text(value: Any, field: str, *, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{field} is required")
        return None
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{field} is {len(text)} characters; at most {MAX_TEXT} are kept")
    return text


def _code(profile: Profile, kind: str, value: Any, field: str, *, required: bool = False) -> str | None:
    text = _text(value, field, required=required)
    if text is None:
        return None
    code = profile.resolve(kind, text)
    if code is None:
        choices = ", ".join(profile.vocabulary(kind))
        raise InvalidInput(f"{field}: unknown {text!r}; choose one of: {choices}")
    return code


def _subcategory(profile: Profile, category: str | None, value: Any) -> str | None:
    text = _text(value, "subcategory")
    if text is None:
        return None
    if category is None:
        raise InvalidInput("subcategory needs a category")
    subs = profile.taxonomy[category].sub
    wanted = text.casefold()
    for code, label in subs.items():
        if wanted in (code.casefold(), label.en.casefold(), label.zh.casefold()):
            return code
    choices = ", ".join(subs) or "(none defined)"
    raise InvalidInput(f"subcategory: {text!r} is not under {category}; choose one of: {choices}")


def _as_bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in ("yes", "y", "true", "1", "satisfied", "是", "满意"):
        return True
    if text in ("no", "n", "false", "0", "unsatisfied", "否", "不满意"):
        return False
    raise InvalidInput(f"{field} must be yes or no, not {value!r}")


def _as_amount(value: Any, field: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        amount = round(float(value), 2)
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be a number, not {value!r}") from None
    if amount < 0 or amount != amount or amount > 1e9:
        raise InvalidInput(f"{field} must be a non-negative amount, not {value!r}")
    return amount


def _as_score(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        score = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"score must be a whole number from 1 to 5, not {value!r}") from None
    if not 1 <= score <= 5:
        raise InvalidInput(f"score must be from 1 to 5, not {score}")
    return score


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def _event(
    session: Session,
    case: Case,
    *,
    actor: str,
    action: str,
    now: datetime,
    from_status: str | None = None,
    to_status: str | None = None,
    changes: dict[str, tuple[Any, Any]] | None = None,
    note: str | None = None,
) -> Event:
    assert case.id is not None
    payload = {k: [_jsonable(a), _jsonable(b)] for k, (a, b) in (changes or {}).items()}
    event = Event(
        case_id=case.id,
        at=now,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        changes_json=json.dumps(payload, ensure_ascii=False, sort_keys=True),
        note=note,
    )
    session.add(event)
    return event


def _set(case: Case, changes: dict[str, tuple[Any, Any]], **values: Any) -> None:
    """Assign fields on the case, remembering before → after for the event."""
    for name, value in values.items():
        before = getattr(case, name)
        if before != value:
            changes[name] = (before, value)
            setattr(case, name, value)


def next_case_code(session: Session, profile: Profile, received_at: datetime) -> str:
    """`PREFIX-YYYYMMDD-NNNN` by the local date of receipt; the counter row is locked by the
    write transaction, so concurrent intakes never share a number."""
    local_day = profile.work_calendar.local(received_at).strftime("%Y%m%d")
    key = f"{profile.profile.code_prefix}-{local_day}"
    counter = session.get(CodeCounter, key)
    if counter is None:
        counter = CodeCounter(day_key=key, last=0)
        session.add(counter)
    counter.last += 1
    return f"{key}-{counter.last:04d}"


# -- intake ----------------------------------------------------------------------------

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


@dataclass(frozen=True)
class Intake:
    """A complaint as received, validated against the policy; what `create_case` stores."""

    channel: str
    description: str
    received_at: datetime
    severity: str
    complexity: str = "simple"
    customer_name: str | None = None
    customer_phone: str | None = None
    customer_email: str | None = None
    order_no: str | None = None
    target: str | None = None
    target_name: str | None = None
    incident_at: datetime | None = None
    incident_place: str | None = None
    demand: str | None = None
    category: str | None = None
    subcategory: str | None = None
    party: str | None = None
    department: str | None = None
    source: str | None = None
    external_id: str | None = None


@functools.cache
def _column_widths() -> dict[str, int]:
    widths: dict[str, int] = {}
    for name in INTAKE_FIELDS:
        length = getattr(Case.__table__.c[name].type, "length", None)  # type: ignore[attr-defined]
        if isinstance(length, int):
            widths[name] = length
    return widths


def _check_column_widths(intake: Intake) -> None:
    """Refuse a value longer than its column holds (PostgreSQL would refuse it at commit)."""
    for name, width in _column_widths().items():
        value = getattr(intake, name)
        if isinstance(value, str) and len(value) > width:
            raise InvalidInput(f"{name} is {len(value)} characters; at most {width} fit")


def default_severity(profile: Profile) -> str:
    """The least severe level: what an unclassified complaint starts at."""
    return profile.severity_order()[-1]


EARLIEST_YEAR = 2000
"""Complaint and incident times before this year are typing or export mistakes, not history."""


def validate_intake(profile: Profile, fields: dict[str, Any], now: datetime) -> Intake:
    """Check and normalise intake fields (codes or labels in either language accepted)."""
    unknown = set(fields) - set(INTAKE_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown intake field(s): {', '.join(sorted(unknown))}")
    received_at = fields.get("received_at") or now
    if not isinstance(received_at, datetime) or received_at.tzinfo is None:
        raise InvalidInput("received_at must be a date and time with a time zone")
    if received_at > now + timedelta(minutes=5):
        raise InvalidInput("received_at is in the future")
    incident_at = fields.get("incident_at")
    if incident_at is not None and (not isinstance(incident_at, datetime) or incident_at.tzinfo is None):
        raise InvalidInput("incident_at must be a date and time with a time zone")
    for name, value in (("received_at", received_at), ("incident_at", incident_at)):
        if value is not None and profile.work_calendar.local(value).year < EARLIEST_YEAR:
            day = profile.work_calendar.local(value).date().isoformat()
            raise InvalidInput(f"{name} {day} is before {EARLIEST_YEAR}; check the date")
    category = _code(profile, "taxonomy", fields.get("category"), "category")
    severity = _code(profile, "severities", fields.get("severity"), "severity") or default_severity(profile)
    complexity = (_text(fields.get("complexity"), "complexity") or "simple").casefold()
    complexity = {"简单": "simple", "复杂": "complex"}.get(complexity, complexity)
    if complexity not in COMPLEXITIES:
        raise InvalidInput(f"complexity must be simple or complex, not {complexity!r}")
    phone = _text(fields.get("customer_phone"), "customer_phone")
    if phone is not None:
        phone = phone.replace(" ", "").replace("-", "")
        if not phone.lstrip("+").isdigit() or not 5 <= len(phone) <= 20:
            raise InvalidInput(f"customer_phone {phone!r} is not a phone number")
    email = _text(fields.get("customer_email"), "customer_email")
    if email is not None and ("@" not in email or " " in email):
        raise InvalidInput(f"customer_email {email!r} is not an e-mail address")
    intake = Intake(
        channel=_code(profile, "channels", fields.get("channel"), "channel", required=True) or "",
        description=_text(fields.get("description"), "description", required=True) or "",
        received_at=received_at,
        severity=severity,
        complexity=complexity,
        customer_name=_text(fields.get("customer_name"), "customer_name"),
        customer_phone=phone,
        customer_email=email,
        order_no=_text(fields.get("order_no"), "order_no"),
        target=_code(profile, "targets", fields.get("target"), "target"),
        target_name=_text(fields.get("target_name"), "target_name"),
        incident_at=incident_at,
        incident_place=_text(fields.get("incident_place"), "incident_place"),
        demand=_text(fields.get("demand"), "demand"),
        category=category,
        subcategory=_subcategory(profile, category, fields.get("subcategory")),
        party=_code(profile, "parties", fields.get("party"), "party"),
        department=_code(profile, "departments", fields.get("department"), "department"),
        source=_text(fields.get("source"), "source"),
        external_id=_text(fields.get("external_id"), "external_id"),
    )
    _check_column_widths(intake)
    return intake


def earlier_complaints(
    session: Session,
    profile: Profile,
    *,
    phone: str | None,
    order_no: str | None,
    received_at: datetime,
    exclude_id: int | None = None,
) -> Sequence[Case]:
    """Cases from the same phone or order within the repeat window before `received_at`."""
    conditions = []
    if phone:
        conditions.append(col(Case.customer_phone) == phone)
    if order_no:
        conditions.append(col(Case.order_no) == order_no)
    if not conditions or profile.repeat.window_days <= 0:
        return []
    since = received_at - timedelta(days=profile.repeat.window_days)
    query = (
        select(Case)
        .where(or_(*conditions))
        .where(col(Case.received_at) >= since, col(Case.received_at) <= received_at)
        .order_by(col(Case.received_at).desc(), col(Case.id).desc())
        .limit(20)
    )
    if exclude_id is not None:
        query = query.where(Case.id != exclude_id)
    return session.exec(query).all()


def create_case(*, session: Session, actor: User, now: datetime, **fields: Any) -> Case:
    """Record a new complaint: code, deadlines, repeat links, auto-escalation of P1."""
    require_role(actor, INTAKE_ROLES, "record a complaint")
    version, profile = policy_in_force(session, now)
    intake = validate_intake(profile, fields, now)
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
) -> Case:
    """Write one validated intake (shared by typed-in and imported complaints)."""
    assert version.id is not None
    repeats = earlier_complaints(
        session,
        profile,
        phone=intake.customer_phone,
        order_no=intake.order_no,
        received_at=intake.received_at,
    )
    case = Case(
        code=next_case_code(session, profile, intake.received_at),
        policy_version_id=version.id,
        status=Status.NEW,
        created_by=actor.name,
        updated_at=now,
        repeat_of=repeats[0].code if repeats else None,
        **{name: getattr(intake, name) for name in Intake.__dataclass_fields__},
    )
    if case.category and case.party and case.department:
        case.status = Status.TRIAGED
    deadlines = sla.compute_deadlines(profile, _clock_input(case, []), now)
    case.due_first_response = deadlines["first_response"]
    case.due_resolution = deadlines["resolution"]
    session.add(case)
    session.flush()
    created = {
        name: (None, getattr(case, name))
        for name in ("status", "channel", "severity", "category", "received_at")
        if getattr(case, name) is not None
    }
    _event(
        session,
        case,
        actor=actor.name,
        action="create",
        now=now,
        to_status=case.status,
        changes=created,
    )
    assert case.id is not None
    for earlier in repeats:
        assert earlier.id is not None
        session.add(CaseLink(case_id=case.id, other_id=earlier.id, kind="repeat"))
    if repeats:
        _event(
            session,
            case,
            actor=SYSTEM_ACTOR,
            action="link",
            now=now,
            changes={"repeat_of": (None, repeats[0].code)},
            note="repeat complaint: " + ", ".join(c.code for c in repeats),
        )
    if profile.severities[case.severity].escalate_on_intake:
        _escalate(session, case, profile, actor=SYSTEM_ACTOR, now=now, note="severity escalates on intake")
    return case


def _clock_input(case: Case, pauses: list[sla.Pause], reopened_at: datetime | None = None) -> sla.ClockInput:
    return sla.ClockInput(
        received_at=case.received_at,
        severity=case.severity,
        complexity=case.complexity,
        escalated_at=case.escalated_at,
        pauses=pauses,
        first_response_at=case.first_response_at,
        reopened_at=reopened_at,
    )


def _escalate(
    session: Session, case: Case, profile: Profile, *, actor: str, now: datetime, note: str
) -> None:
    before = case.status
    changes: dict[str, tuple[Any, Any]] = {}
    _set(case, changes, status=Status.ESCALATED, escalated_at=now)
    _start_coordination_clock(session, case, profile, now, changes)
    case.updated_at = now
    _event(
        session,
        case,
        actor=actor,
        action="escalate",
        now=now,
        from_status=before,
        to_status=case.status,
        changes=changes,
        note=note,
    )


def _status_history(session: Session, case: Case) -> Sequence[tuple[str | None, str | None, datetime]]:
    if case.id is None:
        return []
    return session.exec(
        select(Event.from_status, Event.to_status, Event.at)
        .where(Event.case_id == case.id)
        .order_by(col(Event.id))
    ).all()


def case_pauses(session: Session, case: Case) -> list[sla.Pause]:
    return sla.pauses_from_events(_status_history(session, case))


def case_clock_input(session: Session, case: Case) -> sla.ClockInput:
    """Everything the case's deadlines depend on, read from the case and its history."""
    history = _status_history(session, case)
    return _clock_input(case, sla.pauses_from_events(history), sla.reopened_at_from_events(history))


def _refresh_deadlines(
    session: Session,
    case: Case,
    profile: Profile,
    now: datetime,
    changes: dict[str, tuple[Any, Any]],
) -> None:
    deadlines = sla.compute_deadlines(profile, case_clock_input(session, case), now)
    _set(
        case,
        changes,
        due_first_response=deadlines["first_response"],
        due_resolution=deadlines["resolution"],
        due_coordination=deadlines["coordination"],
    )


def _start_coordination_clock(
    session: Session, case: Case, profile: Profile, now: datetime, changes: dict[str, tuple[Any, Any]]
) -> None:
    """Escalation starts the coordination clock only: complexity is set at triage, and the
    first-response and resolution deadlines stay as they were (a missed one stays missed)."""
    deadlines = sla.compute_deadlines(profile, case_clock_input(session, case), now)
    _set(case, changes, due_coordination=deadlines["coordination"])


def _restart_resolution_clock(
    session: Session, case: Case, profile: Profile, now: datetime, changes: dict[str, tuple[Any, Any]]
) -> None:
    """Back to work after a resolution: the resolution clock runs again from now."""
    history = _status_history(session, case)
    inputs = _clock_input(case, sla.pauses_from_events(history), reopened_at=now)
    _set(case, changes, due_resolution=sla.compute_deadlines(profile, inputs, now)["resolution"])


def recompute_deadlines(session: Session, case: Case, now: datetime) -> dict[str, datetime | None]:
    """The deadlines rebuilt from the policy revision and the event history alone."""
    profile = case_profile(session, case)
    return sla.compute_deadlines(profile, case_clock_input(session, case), now)


# -- reading ---------------------------------------------------------------------------


def get_case(session: Session, code: str) -> Case:
    case = session.exec(select(Case).where(Case.code == code.strip().upper())).first()
    if case is None:
        raise NotFound(f"no case {code!r}")
    return case


def case_events(session: Session, case: Case) -> Sequence[Event]:
    return session.exec(select(Event).where(Event.case_id == case.id).order_by(col(Event.id))).all()


def case_links(session: Session, case: Case) -> list[tuple[str, str]]:
    """(kind, other case code) for both directions of every link."""
    out: list[tuple[str, str]] = []
    rows = session.exec(
        select(CaseLink.kind, Case.code)
        .join(Case, col(Case.id) == CaseLink.other_id)
        .where(CaseLink.case_id == case.id)
    ).all()
    out += [(kind, code) for kind, code in rows]
    rows = session.exec(
        select(CaseLink.kind, Case.code)
        .join(Case, col(Case.id) == CaseLink.case_id)
        .where(CaseLink.other_id == case.id)
    ).all()
    out += [(f"{kind}_of_this", code) for kind, code in rows]
    return out


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None
    open_only: bool = False
    owner: str | None = None
    unassigned: bool = False
    department: str | None = None
    severity: str | None = None
    category: str | None = None
    text: str | None = None


def list_cases(session: Session, flt: CaseFilter, *, limit: int = 50, offset: int = 0) -> Sequence[Case]:
    """Cases matching a filter, most recently received first."""
    from .workflow import OPEN_STATUSES

    query = select(Case)
    if flt.status:
        query = query.where(Case.status == flt.status)
    elif flt.open_only:
        query = query.where(col(Case.status).in_([s.value for s in OPEN_STATUSES] + ["resolved"]))
    if flt.owner:
        query = query.where(Case.owner == flt.owner)
    if flt.unassigned:
        query = query.where(col(Case.owner).is_(None))
    if flt.department:
        query = query.where(Case.department == flt.department)
    if flt.severity:
        query = query.where(Case.severity == flt.severity)
    if flt.category:
        query = query.where(Case.category == flt.category)
    if flt.text:
        needle = flt.text.strip()
        query = query.where(
            or_(
                col(Case.code) == needle.upper(),
                col(Case.customer_phone) == needle,
                col(Case.order_no) == needle,
                col(Case.description).contains(needle),
            )
        )
    query = query.order_by(col(Case.received_at).desc(), col(Case.id).desc()).limit(limit).offset(offset)
    return session.exec(query).all()


# -- privacy ---------------------------------------------------------------------------


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    if len(phone) <= 4:
        return "*" * len(phone)
    keep_head = 3 if len(phone) >= 11 else 1
    return phone[:keep_head] + "*" * (len(phone) - keep_head - 4) + phone[-4:]


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return email
    local, _, domain = email.partition("@")
    return local[:1] + "***@" + domain


def may_see_personal_data(role: str) -> bool:
    return role in PERSONAL_DATA_ROLES


# -- transitions -----------------------------------------------------------------------


def move_case(
    *,
    session: Session,
    code: str,
    action: str,
    actor: User,
    now: datetime,
    expected_version: int | None = None,
    **fields: Any,
) -> Case:
    """Take one lifecycle action on a case; refused with a reason and no change if not allowed."""
    case = get_case(session, code)
    if expected_version is not None and case.version != expected_version:
        raise Conflict(
            f"{case.code} changed since you opened it (now {case.status}"
            f"{', owner ' + case.owner if case.owner else ''}); look again before acting"
        )
    reason = refusal(action, case.status, actor.role, is_owner=case.owner == actor.name, owner=case.owner)
    if reason:
        raise Refused(f"{case.code}: {reason}")
    transition = find_transition(action, case.status)
    assert transition is not None
    unknown = set(fields) - set(transition.required) - set(transition.optional)
    if unknown:
        raise InvalidInput(f"{action} takes no {', '.join(sorted(unknown))}")
    missing = [name for name in transition.required if fields.get(name) in (None, "")]
    if missing:
        raise InvalidInput(f"{case.code}: {action} needs {', '.join(missing)}")
    profile = case_profile(session, case)
    before = case.status
    changes: dict[str, tuple[Any, Any]] = {}
    note = _text(fields.get("note"), "note")
    handler = _HANDLERS[action]
    case_code = case.code  # a failed flush expires the case; keep the code for the message
    try:
        # The handler's own queries must not flush a half-made change: the case is written
        # once, below, so one action is one version and a stale row surfaces as a Conflict.
        with session.no_autoflush:
            to_status = handler(session, case, profile, actor, now, fields, changes)
            if before in sla.REOPENED_FROM and to_status == Status.IN_PROGRESS:
                _restart_resolution_clock(session, case, profile, now, changes)
        _set(case, changes, status=to_status)
        case.updated_at = now
        session.flush()
    except StaleDataError:
        raise Conflict(f"{case_code} was changed by someone else at the same moment; look again") from None
    _event(
        session,
        case,
        actor=actor.name,
        action=action,
        now=now,
        from_status=before,
        to_status=case.status,
        changes=changes,
        note=note,
    )
    if to_status == Status.CLOSED and before != Status.CLOSED and case.close_reason == "confirmed":
        schedule_revisit(session, case, profile, now)
    session.flush()
    return case


Handler = Any


def _do_triage(session, case, profile, actor, now, fields, changes):  # type: ignore[no-untyped-def]
    category = _code(profile, "taxonomy", fields["category"], "category", required=True)
    severity = _code(profile, "severities", fields["severity"], "severity", required=True)
    complexity = str(fields["complexity"]).strip().casefold()
    complexity = {"简单": "simple", "复杂": "complex"}.get(complexity, complexity)
    if complexity not in COMPLEXITIES:
        raise InvalidInput(f"complexity must be simple or complex, not {fields['complexity']!r}")
    _set(
        case,
        changes,
        category=category,
        subcategory=_subcategory(profile, category, fields.get("subcategory")),
        severity=severity,
        complexity=complexity,
        party=_code(profile, "parties", fields["party"], "party", required=True),
        department=_code(profile, "departments", fields["department"], "department", required=True),
    )
    _refresh_deadlines(session, case, profile, now, changes)
    assert severity is not None
    if profile.severities[severity].escalate_on_intake:
        _set(case, changes, escalated_at=now)
        _refresh_deadlines(session, case, profile, now, changes)
        return Status.ESCALATED
    return Status.TRIAGED


def _do_claim(session, case, profile, actor, now, fields, changes):  # type: ignore[no-untyped-def]
    _set(case, changes, owner=actor.name)
    return Status.IN_PROGRESS


def _do_assign(session, case, profile, actor, now, fields, changes):  # type: ignore[no-untyped-def]
    owner = find_user(session, str(fields["owner"]).strip())
    if owner is None or not owner.active:
        raise NotFound(f"no kefu user named {fields['owner']!r}; see `kefu user list`")
    if owner.role not in (Role.AGENT, Role.HANDLER, Role.SUPERVISOR):
        raise Refused(f"{owner.name} is {article(owner.role)} {owner.role} and cannot own cases")
    _set(case, changes, owner=owner.name)
    return Status.IN_PROGRESS


def _do_escalate(session, case, profile, actor, now, fields, changes):  # type: ignore[no-untyped-def]
    _set(case, changes, escalated_at=now)
    _start_coordination_clock(session, case, profile, now, changes)
    return Status.ESCALATED


def _do_wait(session, case, profile, actor, now, fields, changes):  # type: ignore[no-untyped-def]
    _set(case, changes, paused_at=now)
    return Status.PENDING_CUSTOMER


def _do_resume(session, case, profile, actor, now, fields, changes):  # type: ignore[no-untyped-def]
    _set(case, changes, paused_at=None)
    # The pause ends with this event; deadlines are recomputed including it.
    paused_since = changes["paused_at"][0] if "paused_at" in changes else None
    history = _status_history(session, case)
    pauses = sla.pauses_from_events(history)
    if paused_since is not None:
        pauses = [p for p in pauses if p.end is not None] + [sla.Pause(paused_since, now)]
    inputs = _clock_input(case, pauses, sla.reopened_at_from_events(history))
    deadlines = sla.compute_deadlines(profile, inputs, now)
    _set(
        case,
        changes,
        due_first_response=deadlines["first_response"]
        if case.first_response_at is None
        else case.due_first_response,
        due_resolution=deadlines["resolution"],
        due_coordination=deadlines["coordination"],
    )
    return Status.IN_PROGRESS


def _do_propose(session, case, profile, actor, now, fields, changes):  # type: ignore[no-untyped-def]
    resolution = _code(profile, "resolutions", fields["resolution"], "resolution", required=True)
    assert resolution is not None
    amount = _as_amount(fields.get("amount"), "amount")
    if profile.resolutions[resolution].needs_amount and not amount:
        raise InvalidInput(f"{case.code}: a {resolution} resolution needs an amount")
    if not profile.resolutions[resolution].needs_amount and amount:
        raise InvalidInput(
            f"{case.code}: {article(resolution)} {resolution} resolution takes no amount; "
            "choose a resolution that pays one"
        )
    kind = None
    if fields.get("compensation_kind"):
        kinds = profile.compensation.kinds
        wanted = str(fields["compensation_kind"]).strip().casefold()
        kind = next(
            (c for c, lbl in kinds.items() if wanted in (c, lbl.en.casefold(), lbl.zh.casefold())),
            None,
        )
        if kind is None:
            raise InvalidInput(f"compensation_kind must be one of: {', '.join(kinds)}")
    if kind is None and profile.resolutions[resolution].needs_kind and profile.compensation.kinds:
        raise InvalidInput(
            f"{case.code}: {article(resolution)} {resolution} resolution needs the kind of "
            f"compensation ({', '.join(profile.compensation.kinds)})"
        )
    _set(
        case,
        changes,
        resolution=resolution,
        compensation_amount=amount,
        compensation_kind=kind,
        resolution_note=_text(fields.get("note"), "note"),
    )
    _mark_first_response(case, now, changes)
    if amount and amount > profile.compensation.approval_threshold and actor.role not in SUPERVISING:
        return Status.PENDING_APPROVAL
    _mark_resolved(case, profile, now, changes)
    return Status.RESOLVED


def _do_approve(session, case, profile, actor, now, fields, changes):  # type: ignore[no-untyped-def]
    _mark_resolved(case, profile, now, changes)
    return Status.RESOLVED


def _do_deny(session, case, profile, actor, now, fields, changes):  # type: ignore[no-untyped-def]
    _set(case, changes, resolution=None, compensation_amount=None, compensation_kind=None)
    return Status.IN_PROGRESS


def _do_confirm(session, case, profile, actor, now, fields, changes):  # type: ignore[no-untyped-def]
    satisfied = _as_bool(fields["satisfied"], "satisfied")
    _set(case, changes, satisfied=satisfied, satisfaction_score=_as_score(fields.get("score")))
    if satisfied:
        _set(case, changes, closed_at=now, close_reason="confirmed")
        return Status.CLOSED
    _set(case, changes, reopen_count=case.reopen_count + 1, resolved_at=None)
    return Status.IN_PROGRESS


def _do_reject(session, case, profile, actor, now, fields, changes):  # type: ignore[no-untyped-def]
    reason = str(fields["reason"]).strip().casefold()
    if reason not in REJECT_REASONS:
        raise InvalidInput(f"reason must be one of: {', '.join(REJECT_REASONS)}")
    if reason == "duplicate":
        if not fields.get("duplicate_of"):
            raise InvalidInput(f"{case.code}: rejecting as duplicate needs duplicate_of (the original case)")
        original = get_case(session, str(fields["duplicate_of"]))
        if original.id == case.id:
            raise InvalidInput(f"{case.code} cannot be a duplicate of itself")
        session.add(CaseLink(case_id=case.id, other_id=original.id, kind="duplicate"))
        changes["duplicate_of"] = (None, original.code)
    elif fields.get("duplicate_of"):
        raise InvalidInput("duplicate_of goes with reason duplicate")
    _set(case, changes, closed_at=now, close_reason=reason)
    return Status.CLOSED


def _do_reopen(session, case, profile, actor, now, fields, changes):  # type: ignore[no-untyped-def]
    _set(
        case,
        changes,
        reopen_count=case.reopen_count + 1,
        resolved_at=None,
        closed_at=None,
        close_reason=None,
        satisfied=None,
    )
    return Status.IN_PROGRESS


def _do_revisit(session, case, profile, actor, now, fields, changes):  # type: ignore[no-untyped-def]
    """Record a revisit call (SPEC §6): satisfied closes it; unsatisfied reopens the case with
    the reason; unreachable retries after `revisit.retry_after` until `revisit.attempts` calls
    have been made, then ends the revisit as unreachable."""
    outcome = str(fields["outcome"]).strip().casefold()
    if outcome not in REVISIT_OUTCOMES:
        raise InvalidInput(f"outcome must be one of: {', '.join(REVISIT_OUTCOMES)}")
    note = _text(fields.get("note"), "note")
    score = _as_score(fields.get("score"))
    if outcome == "unsatisfied" and not note:
        raise InvalidInput(f"{case.code}: an unsatisfied revisit needs the reason in --note")
    if outcome == "unreachable" and score is not None:
        raise InvalidInput(f"{case.code}: an unreachable customer gives no score")
    revisit = session.exec(
        select(Revisit)
        .where(Revisit.case_id == case.id, col(Revisit.status).in_(["scheduled", "due"]))
        .order_by(col(Revisit.id).desc())
    ).first()
    if revisit is None:
        raise Refused(f"{case.code} has no revisit waiting")
    if revisit.due_at > now:
        local = profile.work_calendar.local(revisit.due_at)
        raise Refused(f"{case.code}: the revisit is not due until {local:%Y-%m-%d %H:%M %z}")
    revisit.updated_at = now
    revisit.note = note
    revisit.attempts += 1
    changes["revisit_attempts"] = (revisit.attempts - 1, revisit.attempts)
    if outcome == "unreachable":
        if revisit.attempts >= profile.revisit.attempts:
            revisit.status = "unreachable"
            revisit.outcome = "unreachable"
            _set(case, changes, revisit_outcome="unreachable")
        else:
            revisit.status = "scheduled"
            retry = Duration.parse(profile.revisit.retry_after)
            revisit.due_at = profile.work_calendar.add(now, retry)
            changes["revisit_retry_at"] = (None, revisit.due_at)
        return Status.CLOSED
    revisit.status = "done"
    revisit.outcome = outcome
    _set(case, changes, revisit_outcome=outcome)
    if score is not None:
        _set(case, changes, satisfaction_score=score)
    if outcome == "satisfied":
        return Status.CLOSED
    _set(
        case,
        changes,
        satisfied=False,
        reopen_count=case.reopen_count + 1,
        resolved_at=None,
        closed_at=None,
        close_reason=None,
    )
    return Status.IN_PROGRESS


_HANDLERS: dict[str, Handler] = {
    "triage": _do_triage,
    "claim": _do_claim,
    "assign": _do_assign,
    "escalate": _do_escalate,
    "wait": _do_wait,
    "resume": _do_resume,
    "propose": _do_propose,
    "approve": _do_approve,
    "deny": _do_deny,
    "confirm": _do_confirm,
    "reject": _do_reject,
    "reopen": _do_reopen,
    "revisit": _do_revisit,
}


def _mark_first_response(case: Case, now: datetime, changes: dict[str, tuple[Any, Any]]) -> None:
    if case.first_response_at is None:
        _set(case, changes, first_response_at=now)


def _mark_resolved(case: Case, profile: Profile, now: datetime, changes: dict[str, tuple[Any, Any]]) -> None:
    """Set resolved_at and the handling time in business minutes that reports average."""
    _set(case, changes, resolved_at=now)
    case.handling_business_minutes = profile.work_calendar.business_minutes_between(case.received_at, now)


def schedule_revisit(session: Session, case: Case, profile: Profile, now: datetime) -> Revisit:
    """Closing a case schedules its revisit at the policy's delay (SPEC §6); a revisit still
    waiting from an earlier closing is cancelled, so a case has one revisit waiting at most."""
    assert case.id is not None
    for earlier in session.exec(
        select(Revisit).where(Revisit.case_id == case.id, col(Revisit.status).in_(["scheduled", "due"]))
    ).all():
        earlier.status = "cancelled"
        earlier.updated_at = now
    due = profile.work_calendar.add(now, Duration.parse(profile.revisit.delay))
    revisit = Revisit(case_id=case.id, due_at=due, created_at=now, updated_at=now)
    session.add(revisit)
    return revisit


# -- notes and contacts ----------------------------------------------------------------


def add_note(
    *,
    session: Session,
    code: str,
    actor: User,
    now: datetime,
    text: str,
    contact: str | None = None,
    phrase: str | None = None,
) -> Event:
    """An internal note, or a logged customer contact (which meets the first-response clock)."""
    require_role(actor, INTAKE_ROLES, "write on cases")
    case = get_case(session, code)
    profile = case_profile(session, case)
    body = _text(text, "note")
    changes: dict[str, tuple[Any, Any]] = {}
    phrase = (phrase or "").strip() or None  # an empty choice (a blank form field) is none
    if phrase is not None:
        if phrase not in profile.phrases:
            raise InvalidInput(f"unknown phrase {phrase!r}; phrases: {', '.join(profile.phrases)}")
        changes["phrase"] = (None, phrase)
        body = body or profile.phrases[phrase].text(profile.profile.language)
    if contact is not None:
        contact = contact.strip().casefold()
        if contact not in CONTACT_KINDS:
            raise InvalidInput(f"contact must be one of: {', '.join(CONTACT_KINDS)}")
        _mark_first_response(case, now, changes)
        changes["contact"] = (None, contact)
        case.updated_at = now
    if not body:
        raise InvalidInput("the note is empty")
    event = _event(
        session,
        case,
        actor=actor.name,
        action="contact" if contact else "note",
        now=now,
        changes=changes,
        note=body,
    )
    # A note changes the case's history, so concurrent viewers must see a new version.
    case.updated_at = now
    session.add(case)
    case_code = case.code  # a failed flush expires the case; keep the code for the message
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(f"{case_code} was changed by someone else at the same moment; look again") from None
    return event


def attach_file(*, session: Session, code: str, actor: User, now: datetime, path: Path) -> Attachment:
    """Keep evidence by absolute path and SHA-256 (the file itself stays where it is)."""
    require_role(actor, INTAKE_ROLES, "attach evidence")
    case = get_case(session, code)
    if not path.is_file():
        raise NotFound(f"{path}: no such file")
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    assert case.id is not None
    attachment = Attachment(
        case_id=case.id,
        path=str(path.resolve()),
        sha256=digest.hexdigest(),
        size=size,
        added_at=now,
        added_by=actor.name,
    )
    session.add(attachment)
    _event(
        session,
        case,
        actor=actor.name,
        action="attach",
        now=now,
        changes={"attachment": (None, attachment.path)},
        note=f"sha256 {attachment.sha256}",
    )
    case.updated_at = now
    session.flush()
    return attachment


def case_attachments(session: Session, case: Case) -> Sequence[Attachment]:
    return session.exec(select(Attachment).where(Attachment.case_id == case.id)).all()


def parse_when(text: str, timezone: str, field: str = "time") -> datetime:
    """An ISO 8601 date or date-time; one without an offset is read in the profile's zone."""
    from zoneinfo import ZoneInfo

    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1) if len(value) > 10 else value)
    except ValueError:
        raise InvalidInput(
            f"{field} {text!r} is not a date-time; use ISO 8601 like 2026-11-24T09:30 "
            "(read in the profile's time zone) or 2026-11-24T01:30Z"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    return parsed.astimezone(UTC)


def update_user(
    *,
    session: Session,
    actor: User,
    name: str,
    now: datetime,
    role: str | None = None,
    department: str | None = None,
    display_name: str | None = None,
    active: bool | None = None,
) -> User:
    """Change a person's role, team ("" for none), display name or active flag (admins only);
    the last active admin can be neither demoted nor deactivated."""
    require_role(actor, {Role.ADMIN}, "change users")
    user = find_user(session, name.strip())
    if user is None:
        raise NotFound(f"no kefu user named {name!r}; see `kefu user list`")
    if role is not None and role not in set(Role):
        raise InvalidInput(f"unknown role {role!r}; roles are: {', '.join(r.value for r in Role)}")
    loses_admin = (
        user.role == Role.ADMIN
        and user.active
        and ((role is not None and role != Role.ADMIN) or active is False)
    )
    if loses_admin:
        admins = session.exec(
            select(func.count()).select_from(User).where(User.role == Role.ADMIN, col(User.active))
        ).one()
        if admins <= 1:
            raise Refused(f"{user.name} is the last active admin; make someone else admin first")
    if department is not None:
        if department.strip():
            _, profile = policy_in_force(session, now)
            code = profile.resolve("departments", department)
            if code is None:
                raise InvalidInput(f"unknown department {department!r}; see `kefu policy show`")
            user.department = code
        else:
            user.department = None
    if role is not None:
        user.role = role
    if display_name is not None:
        user.display_name = display_name.strip() or user.name
    if active is not None:
        user.active = active
    session.add(user)
    session.flush()
    return user
