"""The desk's own record: people and their roles, personal data viewed, retention purges.

Cases have their history (`events`); what happens to the desk itself is kept in `desk_log`, one
append-only table hashed and chained like the history (`history.DESK_LOG`, sealed by
`db.write_session` before each commit):

- every person kefu adds or changes, with their whole state after it (role, team, display name,
  active), so `user_drift` can replay the record and name any user or role in the `users`
  table that kefu did not put there — someone who edited the file with another tool;
- every time a case's unmasked personal data is shown to someone who neither owns nor recorded
  it (`record_view`), and every unmasked export: who, when, which case;
- every retention purge (`kefu.core.retention`).

See docs/ARCHITECTURE.md, "Tamper evidence".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlalchemy import text as sa_text
from sqlmodel import Session, col, select

from .db import write_session
from .errors import PermissionDenied
from .messages import Message
from .models import DeskEntry, User
from .workflow import AUDIT_READERS, PERSONAL_DATA_ROLES, role_refusal


class Kind(StrEnum):
    USER = "user"
    """A person's state after kefu added or changed them (detail: the state)."""
    VIEWED = "viewed"
    """A case's personal data shown to someone not on the case (detail: where)."""
    EXPORT = "export"
    """An unmasked export (subject: the period)."""
    PURGE = "purge"
    """Personal data of closed cases removed after retention (detail: cases, cut-off)."""


USER_FIELDS = ("role", "display_name", "department", "active")
"""What the record keeps of a person (with their login as the subject)."""

_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def record(session: Session, *, kind: Kind, actor: str, subject: str, now: datetime, detail: Any) -> None:
    """Append one entry (sealed with the transaction that writes it)."""
    session.add(DeskEntry(at=now, actor=actor, kind=kind, subject=subject, detail_json=_encode(detail)))


def user_state(user: User) -> dict[str, Any]:
    return {name: getattr(user, name) for name in USER_FIELDS}


def record_user(session: Session, *, actor: str, user: User, now: datetime) -> None:
    """A person as kefu just added or changed them (`services.add_user`, `update_user`, `init`)."""
    record(session, kind=Kind.USER, actor=actor, subject=user.name, now=now, detail=user_state(user))


class Shown(Protocol):
    """A case as shown: a `Case`, or a line of a customer's timeline."""

    @property
    def code(self) -> str: ...
    @property
    def owner(self) -> str | None: ...
    @property
    def created_by(self) -> str | None: ...


def on_the_case(case: Shown, viewer: User) -> bool:
    """Whether `viewer` is on `case`: its owner, or who recorded it."""
    return viewer.name in (case.owner, case.created_by)


def record_view(session: Session, *, viewer: User, cases: Iterable[Shown], now: datetime, where: str) -> int:
    """Personal data of `cases` shown unmasked to `viewer` (`where`: "case", "customer",
    "tui"): one entry per case `viewer` is not on. A role that sees it masked leaves none.
    Returns how many were recorded."""
    if viewer.role not in PERSONAL_DATA_ROLES:
        return 0
    count = 0
    for case in cases:
        if not on_the_case(case, viewer):
            record(
                session,
                kind=Kind.VIEWED,
                actor=viewer.name,
                subject=case.code,
                now=now,
                detail={"where": where},
            )
            count += 1
    return count


def note_views(engine: Engine, *, viewer: User, cases: Sequence[Shown], now: datetime, where: str) -> int:
    """`record_view` in a write transaction of its own, opened only when there is something to
    record — called after the read and before anything is shown, so a view that cannot be
    recorded is not shown (the command fails as any write would)."""
    if viewer.role not in PERSONAL_DATA_ROLES or all(on_the_case(c, viewer) for c in cases):
        return 0
    with write_session(engine) as session:
        return record_view(session, viewer=viewer, cases=cases, now=now, where=where)


def note_export(engine: Engine, *, actor: User, period: str, now: datetime) -> None:
    """An unmasked export of the cases received in `period`, recorded before a row is read."""
    with write_session(engine) as session:
        record(
            session, kind=Kind.EXPORT, actor=actor.name, subject=period, now=now, detail={"unmasked": True}
        )


# -- reading it ----------------------------------------------------------------------------


@dataclass(frozen=True)
class UserDrift:
    """A person whose row in `users` is not what kefu recorded."""

    name: str
    what: str
    """"added" (no record of kefu adding them), "changed" (fields differ), "removed"."""
    fields: dict[str, tuple[Any, Any]]
    """Field → (recorded, found in the file), for "changed"."""


def recorded_users(session: Session) -> dict[str, dict[str, Any]]:
    """Each login's state as kefu last recorded it."""
    rows = session.exec(
        select(DeskEntry.subject, DeskEntry.detail_json)
        .where(DeskEntry.kind == Kind.USER)
        .order_by(col(DeskEntry.id))
    ).all()
    return {subject: json.loads(detail) for subject, detail in rows}


def user_drift(session: Session) -> list[UserDrift]:
    """Replay the record and compare it with the `users` table: a user inserted, deleted or
    changed (made admin, reactivated, ...) with another tool is named."""
    recorded = recorded_users(session)
    # The rows as stored, not as the ORM reads them: `active = 2` or 'yes' is no kefu value.
    raw = session.connection().execute(
        sa_text("SELECT name, role, display_name, department, active FROM users")
    )
    found = {
        name: {"role": role, "display_name": shown, "department": team, "active": _stored_flag(active)}
        for name, role, shown, team, active in raw
    }
    drift = []
    for name in sorted(found.keys() | recorded.keys()):
        if name not in recorded:
            drift.append(UserDrift(name, "added", {}))
        elif name not in found:
            drift.append(UserDrift(name, "removed", {}))
        else:
            fields = {
                f: (recorded[name].get(f), found[name][f])
                for f in USER_FIELDS
                if recorded[name].get(f) != found[name][f]
            }
            if fields:
                drift.append(UserDrift(name, "changed", fields))
    return drift


def _stored_flag(value: Any) -> Any:
    """A stored boolean as kefu writes it (0 / 1), anything else as found."""
    return {0: False, 1: True}.get(value, value) if not isinstance(value, float) else value


def entries(
    session: Session,
    *,
    actor: User,
    kinds: Sequence[Kind],
    subject: str | None = None,
    by: str | None = None,
    limit: int = 1000,
) -> list[DeskEntry]:
    """`kefu audit access`: the record's entries of `kinds`, newest first (auditors,
    supervisors and admins)."""
    reason = role_refusal(actor.role, AUDIT_READERS, Message("do.read_desk_log"))
    if reason is not None:
        raise PermissionDenied(reason)
    query = select(DeskEntry).where(col(DeskEntry.kind).in_([str(k) for k in kinds]))
    if subject is not None:
        query = query.where(DeskEntry.subject == subject)
    if by is not None:
        query = query.where(DeskEntry.actor == by)
    return list(session.exec(query.order_by(col(DeskEntry.id).desc()).limit(limit)).all())
