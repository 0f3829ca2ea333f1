"""Service functions for what is not a status change: the policy, people, notes, evidence.

Each function takes an explicit session, actor and `now`, checks the rules (roles, the
policy's vocabularies) and writes in the caller's transaction (`db.write_session`), so a change
and its history commit together or not at all. Intake lives in `kefu.core.intake`, status
changes in `kefu.core.lifecycle`, reading the policy in `kefu.core.policies`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from . import deadlines, desklog, payments
from .db import backup_sqlite
from .errors import Conflict, InvalidInput, NotFound, PermissionDenied, Refused
from .history import Changes, add_event, event_row
from .lifecycle import check_goods_days, clean_text, get_case, goods_day, meet_first_response, move_case
from .messages import Message
from .models import Attachment, Case, Event, Payment, PolicyVersion, User
from .policies import case_profile, policy_in_force
from .policy import load_profile_text
from .when import DateOnly, WhenError, parse_instant
from .when import parse_day as when_day
from .workflow import (
    ADMINS,
    CONTACT_KINDS,
    INTAKE_ROLES,
    PERSONAL_DATA_ROLES,
    SUPERVISING,
    Action,
    EventKind,
    PaymentStatus,
    Role,
    Status,
    role_refusal,
    word_code,
)

# -- roles -----------------------------------------------------------------------------


def require_role(actor: User, roles: frozenset[Role], what: Message) -> None:
    """Refuse, naming the roles that may, when `actor`'s role may not do `what` (a `do.*`
    message)."""
    reason = role_refusal(actor.role, roles, what)
    if reason is not None:
        raise PermissionDenied(reason)


def may_see_personal_data(role: str) -> bool:
    return role in PERSONAL_DATA_ROLES


def writing_refusal(role: str) -> Message | None:
    """Why `role` may not write on cases (notes, contacts), or None when it may."""
    return role_refusal(role, INTAKE_ROLES, Message("do.write_on_cases"))


# -- policy ----------------------------------------------------------------------------


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
    require_role(actor, ADMINS, Message("do.apply_policy"))
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
    """The first policy revision and the first admin (whoever ran `kefu init`). The revision is
    in force from the profile's `effective` date when it names one (complaints received since
    then, imported later, are governed by it), else from now."""
    profile = load_profile_text(text, origin)
    admin = User(name=admin_name, role=Role.ADMIN, display_name=admin_name, created_at=now)
    session.add(admin)
    version = PolicyVersion(
        profile=profile.name,
        version=1,
        effective_at=profile.effective_at() or now,
        applied_at=now,
        applied_by=admin_name,
        source_toml=text,
        origin=origin,
    )
    session.add(version)
    session.flush()
    desklog.record_user(session, actor=admin_name, user=admin, now=now)
    return admin, version


# -- people ----------------------------------------------------------------------------


def open_cases_of(session: Session, name: str) -> list[str]:
    """The codes of the open cases `name` owns, oldest first."""
    query = (
        select(Case.code)
        .where(Case.owner == name, col(Case.status) != Status.CLOSED)
        .order_by(col(Case.received_at), col(Case.id))
    )
    return list(session.exec(query).all())


def hand_over(*, session: Session, actor: User, name: str, to: str, now: datetime) -> list[str]:
    """Give every open case `name` owns to `to` (an agent who leaves): each one an `assign`
    through the door, by `actor` (a supervisor or admin), with the reason in its note."""
    require_role(actor, SUPERVISING, Message("do.hand_over"))
    if to == name:
        raise InvalidInput(Message("user.hand_over_self", name=name), field="hand_over_to")
    codes = open_cases_of(session, name)
    note = Message("note.handed_over", name=name, to=to)  # read in each reader's language
    for code in codes:
        move_case(
            session=session, code=code, action=Action.ASSIGN, actor=actor, now=now, owner=to, system_note=note
        )
    return codes


def find_user(session: Session, name: str) -> User | None:
    return session.exec(select(User).where(User.name == name)).first()


def resolve_actor(session: Session, login: str, as_user: str | None = None) -> User:
    """The kefu user acting: the OS login, or `as_user` when the OS login is an admin."""
    user = find_user(session, login)
    if user is not None and not user.active:
        raise PermissionDenied(Message("user.inactive", login=login))
    if user is None:
        raise PermissionDenied(Message("user.not_kefu_user", login=login))
    if as_user is None or as_user == login:
        return user
    if user.role != Role.ADMIN:
        raise PermissionDenied(Message("user.as_for_admins", login=login, role=user.role))
    other = find_user(session, as_user)
    if other is not None and not other.active:
        raise PermissionDenied(Message("user.inactive", login=as_user))
    if other is None:
        raise NotFound(Message("user.not_found", name=as_user))
    return other


def _check_role(role: str) -> None:
    if role not in set(Role):
        raise InvalidInput(Message("user.bad_role", role=role, roles=[r.value for r in Role]), field="role")


def _department_code(session: Session, department: str, now: datetime) -> str:
    _, profile = policy_in_force(session, now)
    code = profile.resolve("departments", department)
    if code is None:
        raise InvalidInput(Message("user.bad_department", department=department), field="department")
    return code


LOGIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._@-]{0,63}")
"""An OS login as kefu takes it (POSIX portable names, plus @ for directory logins): no spaces,
no control characters, at most 64 characters."""


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
    require_role(actor, ADMINS, Message("do.add_users"))
    name = name.strip()
    if not LOGIN_NAME.fullmatch(name):
        raise InvalidInput(Message("user.bad_name", name=name), field="name")
    display_name = clean_text(display_name, "display_name") or ""
    _check_role(role)
    if find_user(session, name) is not None:
        raise Refused(Message("user.exists", name=name))
    if department is not None:
        department = _department_code(session, department, now)
    user = User(
        name=name,
        role=role,
        display_name=display_name or name,
        department=department,
        created_at=now,
    )
    session.add(user)
    session.flush()
    desklog.record_user(session, actor=actor.name, user=user, now=now)
    return user


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
    require_role(actor, ADMINS, Message("do.change_users"))
    user = find_user(session, name.strip())
    if user is None:
        raise NotFound(Message("user.not_found", name=name))
    if role is not None:
        _check_role(role)
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
            raise Refused(Message("user.last_admin", name=user.name))
    if department is not None:
        user.department = _department_code(session, department, now) if department.strip() else None
    if role is not None:
        user.role = role
    if display_name is not None:
        user.display_name = clean_text(display_name, "display_name") or user.name
    if active is not None:
        user.active = active
    session.add(user)
    session.flush()
    desklog.record_user(session, actor=actor.name, user=user, now=now)
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.exec(select(User).order_by(col(User.name))).all()


# -- the file ------------------------------------------------------------------------


def take_backup(*, engine: Engine, actor: User, target: Path) -> None:
    """A consistent online copy of the desk (supervisors and admins: a cron job's work)."""
    require_role(actor, SUPERVISING, Message("do.backup"))
    backup_sqlite(engine, target)


# -- times given by people -----------------------------------------------------------------

CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of this host's clock a time may lie (a receipt time, an `--as-of`): the skew
between hosts, no more."""


def check_as_of(as_of: datetime | None, now: datetime, why: Message) -> datetime:
    """The moment a cron job evaluates (`now` unless given); never in the future."""
    as_of = now if as_of is None else as_of
    if as_of.tzinfo is None:
        raise InvalidInput(Message("as_of.needs_tz"), field="as_of")
    if as_of > now + CLOCK_SKEW:
        when = f"{as_of.astimezone(UTC):%Y-%m-%d %H:%M}"
        raise InvalidInput(Message("as_of.future", when=when, why=why), field="as_of")
    return as_of.astimezone(UTC)


def parse_when(
    text: str,
    timezone: str,
    field: str = "time",
    *,
    date_only: DateOnly = DateOnly.START,
    business_hours: list[str] | None = None,
) -> datetime:
    """A date-time as people write it (`kefu.core.when`: ISO 8601, slashes, 年月日, Excel
    serials); one without an offset is read in the profile's zone; a date alone as `date_only`
    says (the start of the day unless the caller refuses it)."""
    from zoneinfo import ZoneInfo

    try:
        return parse_instant(text, ZoneInfo(timezone), date_only=date_only, business_hours=business_hours)
    except WhenError as exc:
        raise InvalidInput(Message("when.in_field", field=field, reason=exc.msg), field=field) from None


def parse_day(text: str, field: str = "date") -> date:
    """A calendar day: 2026-11-03, 2026/11/3, 2026.11.3, 2026年11月3日 (`kefu.core.when`)."""
    try:
        return when_day(text)
    except WhenError as exc:
        raise InvalidInput(Message("when.in_field", field=field, reason=exc.msg), field=field) from None


# -- notes and evidence ----------------------------------------------------------------


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
    reason = writing_refusal(actor.role)
    if reason is not None:
        raise PermissionDenied(reason)
    case = get_case(session, code)
    profile = case_profile(session, case)
    body = clean_text(text, "note")
    changes: Changes = {}
    phrase = (phrase or "").strip() or None  # an empty choice (a blank form field) is none
    if phrase is not None:
        if phrase not in profile.phrases:
            raise InvalidInput(
                Message("note.unknown_phrase", phrase=phrase, phrases=list(profile.phrases)), field="phrase"
            )
        changes["phrase"] = (None, phrase)
        body = body or profile.phrases[phrase].text(profile.profile.language)
    kind = None
    if contact is not None:
        kind = word_code(contact, CONTACT_KINDS)
        if kind is None:
            raise InvalidInput(Message("note.contact_kind", kinds=list(CONTACT_KINDS)), field="contact")
    if not body:
        raise InvalidInput(Message("note.empty"), field="text")
    if kind is not None:
        meet_first_response(case, now, changes)
        changes["contact"] = (None, kind)
        deadlines.sync(session, case, profile, now)
    assert case.id is not None
    row = event_row(
        actor=actor.name,
        action=EventKind.CONTACT if kind else EventKind.NOTE,
        at=now,
        changes=changes,
        note=body,
    )
    event = add_event(session, case.id, row)
    # A note changes the case's history, so concurrent viewers must see a new version.
    case.updated_at = now
    session.add(case)
    case_code = case.code  # a failed flush expires the case; keep the code for the message
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(Message("case.concurrent", code=case_code)) from None
    return event


def set_goods_days(
    *,
    session: Session,
    code: str,
    actor: User,
    now: datetime,
    delivered_on: date | datetime | None = None,
    returned_on: date | datetime | None = None,
) -> Case:
    """Record the sign-off / delivery / sale date or the goods-returned date learnt after
    intake (what statutory periods count from): one `update` event, the deadline records
    brought in line (a changed anchor replaces the duty's instance)."""
    reason = writing_refusal(actor.role)
    if reason is not None:
        raise PermissionDenied(reason)
    case = get_case(session, code)
    profile = case_profile(session, case)
    wanted = {
        "delivered_on": goods_day(profile, delivered_on, "delivered_on", now),
        "returned_on": goods_day(profile, returned_on, "returned_on", now),
    }
    changes: Changes = {}
    for name, day in wanted.items():
        if day is not None and getattr(case, name) != day:
            changes[name] = (getattr(case, name), day)
    if not changes:
        raise InvalidInput(Message("case.nothing_to_set", code=case.code))
    check_goods_days(wanted["delivered_on"] or case.delivered_on, wanted["returned_on"] or case.returned_on)
    with session.no_autoflush:  # one UPDATE of the case (one version) with its event
        for name, (_before, after) in changes.items():
            setattr(case, name, after)
        deadlines.sync(session, case, profile, now)
        assert case.id is not None
        items = [
            Message("note.recorded_item", field=name, day=after.isoformat())
            for name, (_b, after) in changes.items()
        ]
        row = event_row(
            actor=actor.name,
            action=EventKind.UPDATE,
            at=now,
            changes=changes,
            note=Message("note.recorded", items=items),
        )
        add_event(session, case.id, row)
        case.updated_at = now
        session.add(case)
    case_code = case.code
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(Message("case.concurrent", code=case_code)) from None
    return case


def attach_file(*, session: Session, code: str, actor: User, now: datetime, path: Path) -> Attachment:
    """Keep evidence by absolute path and SHA-256 (the file itself stays where it is)."""
    require_role(actor, INTAKE_ROLES, Message("do.attach"))
    case = get_case(session, code)
    if not path.is_file():
        raise NotFound(Message("file.missing", path=str(path)))
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
    row = event_row(
        actor=actor.name,
        action=EventKind.ATTACH,
        at=now,
        changes={"attachment": (None, attachment.path)},
        note=f"sha256 {attachment.sha256}",
    )
    add_event(session, case.id, row)
    case.updated_at = now
    session.flush()
    return attachment


@dataclass(frozen=True)
class Voided:
    """A payment voided: the case and its paid total before and after (as the event records)."""

    code: str
    no: int
    before: float
    after: float
    currency: str


def void_payment(
    *, session: Session, code: str, no: int, actor: User, now: datetime, note: str | None
) -> Voided:
    """A supervisor's correction: payment `no` of case `code` was never made. The row stays,
    marked void with who, when and why; the case's history gets one `update` event with the
    paid total before -> after."""
    require_role(actor, SUPERVISING, Message("do.void_payment"))
    case = get_case(session, code)
    row = session.exec(select(Payment).where(Payment.case_id == case.id, Payment.no == no)).first()
    if row is None:
        raise NotFound(Message("payment.not_found", code=case.code, no=no))
    if row.status != PaymentStatus.PAID:
        raise InvalidInput(Message("payment.not_paid", code=case.code, no=no, status=row.status), field="no")
    why = clean_text(note, "note")
    if not why:
        raise InvalidInput(Message("payment.void_needs_reason", code=case.code, no=no), field="note")
    before = payments.paid_total(session, case.id)
    row.status, row.closed_by, row.closed_at, row.note = PaymentStatus.VOID, actor.name, now, why
    session.add(row)
    after = round(before - row.amount, 2)
    assert case.id is not None
    add_event(
        session,
        case.id,
        event_row(
            actor=actor.name,
            action=EventKind.UPDATE,
            at=now,
            changes={"payment": (f"#{no} {row.amount:g}", None), "compensation_total": (before, after)},
            note=why,
        ),
    )
    case.updated_at = now  # a new version: another desk's stale view of the case is refused
    session.add(case)
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(Message("case.concurrent", code=code)) from None
    return Voided(case.code, row.no, before, after, case_profile(session, case).compensation.currency)


def case_attachments(session: Session, case_id: int | None) -> Sequence[Attachment]:
    return session.exec(select(Attachment).where(Attachment.case_id == case_id)).all()


# -- privacy ---------------------------------------------------------------------------


def mask_phone(phone: str | None) -> str | None:
    """A number with its middle hidden: 138****5678, 8***6666; a short service or extension
    number keeps only its ends (9**55), so no number is shown whole."""
    if not phone:
        return phone
    if len(phone) <= 4:
        return "*" * len(phone)
    keep_head = 3 if len(phone) >= 11 else 1
    keep_tail = 4 if len(phone) >= 8 else 2
    return phone[:keep_head] + "*" * (len(phone) - keep_head - keep_tail) + phone[-keep_tail:]


_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_NUMBER_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"\d{17}[\dXx]"  # a resident ID number
    r"|(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}"  # a mobile, maybe spaced
    r"|0\d{2,3}[\s-]?\d{7,8}"  # a landline with its area code
    r"|\d{4}(?:[\s-]\d{4}){3}(?:[\s-]?\d{1,3})?"  # a bank card written in groups
    r"|\d{5,}"  # any other run of five or more digits: a card, a local or service number, an account
    r")(?![0-9A-Za-z])"
)
"""Personal numbers written inside free text. Four digits or fewer (a year, an amount) stay."""


def mask_text(text: str | None, name: str | None = None) -> str | None:
    """Free text (a description, a demand, a note) as a role without personal data reads it:
    e-mail addresses, phone, ID and card numbers, and the case's own customer's name masked."""
    return _personal_in_text(
        text,
        name,
        email=lambda found: mask_email(found) or "",
        number=lambda found: mask_phone(re.sub(r"[\s-]", "", found)) or "",
        person=lambda found: mask_name(found) or "",
    )


REDACTED = "***"
"""What personal data in free text becomes once purged (`redact_text`)."""


def redact_text(text: str | None, known: Iterable[str] = ()) -> str | None:
    """Free text after retention (`kefu purge`): every e-mail address, phone, ID and card number,
    and each of the case's `known` personal values (every name, number, e-mail and order number
    it ever recorded, two characters or more) replaced by `REDACTED` — nothing of them kept,
    not even the ends."""
    found = _personal_in_text(text, None, email=_redacted, number=_redacted, person=_redacted)
    for value in sorted({k for k in known if k and len(k) >= 2}, key=len, reverse=True):
        if found:
            found = found.replace(value, REDACTED)
    return found


def _redacted(_: str) -> str:
    return REDACTED


def _personal_in_text(
    text: str | None, name: str | None, *, email: Callable[[str], str], number: Callable[[str], str],
    person: Callable[[str], str],
) -> str | None:  # fmt: skip
    """`text` with each e-mail, personal number and the customer's `name` (two characters or
    more) replaced by what the given function makes of it."""
    if not text:
        return text
    found = _EMAIL_IN_TEXT.sub(lambda m: email(m.group()), text)
    found = _NUMBER_IN_TEXT.sub(lambda m: number(m.group()), found)
    if name and len(name) >= 2:
        found = found.replace(name, person(name))
    return found


def reveals_personal_data(text: str) -> bool:
    """Whether a search text reads as a number or e-mail (what a masked role may not look up
    inside free text: it would confirm whose complaint it is)."""
    return bool(_EMAIL_IN_TEXT.search(text) or re.search(r"\d{5,}", re.sub(r"[\s-]", "", text)))


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)


def mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return email
    local, _, domain = email.partition("@")
    return local[:1] + "***@" + domain
