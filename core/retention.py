"""Retention: personal data of closed cases kept no longer than the policy says.

`kefu purge` anonymises every case closed before the cut-off (now minus `--older-than` days,
by default the policy's `retention.personal_data_days`): the customer's name, phone, e-mail and
order number are removed from the case and from every event of its history; phone, ID and card
numbers, e-mail addresses and the customer's name written in its free text (description,
demand, resolution note, notes, revisit and audit notes) become `services.REDACTED`; evidence
attachments are unlisted; a customer record no case refers to any more (all their cases purged,
or a number corrected away from) is removed. What the statistics read —
dates, clocks and deadline records, category, severity, department, owner, outcome, amounts,
satisfaction, repeat and merge links — stays, so reports of past months do not change.

The history is append-only and hash-chained, and a purge rewrites sealed events. It does so as
kefu's own act, in one write transaction: it verifies the chain first (a purge never launders
an event changed outside kefu), lifts the append-only triggers for its own UPDATE, re-chains
from the first event it changed, puts the triggers back, adds a `purge` event to each case and
an entry to the desk log naming the cut-off and the events re-chained.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, update
from sqlalchemy import text as sa_text
from sqlmodel import Session, col, select

from . import desklog, history
from .db import require_sound
from .errors import InvalidInput, Refused
from .messages import Message
from .models import Case, Event, User
from .policies import policy_in_force
from .services import REDACTED, redact_text, require_role
from .workflow import ADMINS, EventKind, Status

PERSONAL_FIELDS = ("customer_name", "customer_phone", "customer_email", "order_no")
"""The case's fields that are personal data: removed."""
TEXT_FIELDS = ("description", "demand", "resolution_note", "note")
"""Free text that may hold personal data: redacted (`services.redact_text`)."""
BATCH = 500
"""Cases handled per round of statements (memory stays bounded whatever the desk's size)."""
MAX_DAYS = 36_500
"""The longest `--older-than` (a hundred years): more is a typing mistake."""
LISTED = 10_000
"""A dry run names at most this many cases (and counts them all)."""


@dataclass(frozen=True)
class PurgeResult:
    days: int
    cutoff: datetime
    cases: int
    """Cases anonymised (or, in a dry run, that would be)."""
    codes: list[str] = field(default_factory=list)
    """Their codes, oldest closed first (up to `LISTED`)."""
    events: int = 0
    """History events whose content was redacted."""
    attachments: list[str] = field(default_factory=list)
    """Paths of evidence files no longer listed: the shop's to delete from disk."""
    customers: int = 0
    """Customer records removed (no case of theirs left)."""
    resealed: int = 0
    """Events re-chained from the first one changed."""
    dry_run: bool = False

    def as_json(self, zone: Any) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "older_than_days": self.days,
            "closed_before": self.cutoff.astimezone(zone).isoformat(),
            "cases": self.cases,
            "codes": self.codes,
            # what only doing it finds out: unknown (null) in a dry run
            "events_redacted": None if self.dry_run else self.events,
            "attachments": None if self.dry_run else self.attachments,
            "customers_removed": None if self.dry_run else self.customers,
            "events_resealed": None if self.dry_run else self.resealed,
        }


def _due(session: Session, cutoff: datetime) -> Any:
    return (
        select(Case.id, Case.code)
        .where(Case.status == Status.CLOSED, col(Case.closed_at) < cutoff, col(Case.purged_at).is_(None))
        .order_by(col(Case.closed_at), col(Case.id))
    )


def _batches(session: Session, cutoff: datetime) -> Iterator[list[tuple[int, str]]]:
    """The cases due, `BATCH` at a time, read before each round changes any (a purged case
    no longer matches, so each round reads from the start)."""
    while True:
        rows = list(session.exec(_due(session, cutoff).limit(BATCH)).all())
        if not rows:
            return
        yield rows


def purge(
    *, session: Session, actor: User, now: datetime, older_than_days: int | None = None, dry_run: bool = False
) -> PurgeResult:
    """Anonymise the closed cases past retention (admins); see the module's docstring."""
    require_role(actor, ADMINS, Message("do.purge"))
    _, profile = policy_in_force(session, now)
    days = profile.retention.personal_data_days if older_than_days is None else older_than_days
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(Message("purge.bad_days", days=days, most=MAX_DAYS), field="older_than")
    cutoff = now - timedelta(days=days)
    if dry_run:
        count = session.exec(select(func.count()).select_from(_due(session, cutoff).subquery())).one()
        listed = [code for _, code in session.exec(_due(session, cutoff).limit(LISTED)).all()]
        return PurgeResult(days, cutoff, count, listed, dry_run=True)
    require_sound(session.get_bind())  # type: ignore[arg-type]
    conn = session.connection()
    check = history.verify(conn, limit=1)
    if check.broken:
        raise Refused(Message("purge.history_broken"))
    cases = events = 0
    codes: list[str] = []
    attachments: list[str] = []
    first_changed: int | None = None
    with history.without_guards(conn):
        for rows in _batches(session, cutoff):
            ids = [case_id for case_id, _ in rows]
            history_rows = _history_of(conn, ids)
            known = _known_values(conn, ids, history_rows)
            changed, low = _redact_events(conn, known, history_rows)
            events += changed
            if low is not None:
                first_changed = low if first_changed is None else min(first_changed, low)
            attachments += _unlist_attachments(conn, ids)
            _redact_cases(conn, known, now)
            _add_purge_events(conn, ids, actor.name, now, days)
            cases += len(rows)
            codes += [code for _, code in rows][: max(0, LISTED - len(codes))]
        resealed = history.reseal_from(conn, first_changed) if first_changed is not None else 0
    customers = _drop_orphan_customers(conn) if cases else 0
    if cases:
        desklog.record(
            session, kind=desklog.Kind.PURGE, actor=actor.name, subject=cutoff.date().isoformat(), now=now,
            detail={"cases": cases, "days": days, "events_redacted": events, "resealed_from": first_changed},
        )  # fmt: skip
    return PurgeResult(days, cutoff, cases, codes, events, attachments, customers, resealed)


def _history_of(conn: Any, ids: list[int]) -> list[Any]:
    """The batch's events, read once: what the values are learnt from and what is redacted."""
    query = select(Event.id, Event.case_id, Event.changes_json, Event.note).where(col(Event.case_id).in_(ids))
    return list(conn.execute(query).all())


def _known_values(conn: Any, ids: list[int], events: list[Any]) -> dict[int, set[str]]:
    """Per case, every personal value it ever recorded: the current ones and each before /
    after of a correction in its history (a name corrected later is still in the old notes)."""
    known: dict[int, set[str]] = {case_id: set() for case_id in ids}
    columns = "id, " + ", ".join(PERSONAL_FIELDS)
    current = sa_text(f"SELECT {columns} FROM cases WHERE id IN ({_ids(ids)})")  # noqa: S608
    for case_id, *values in conn.execute(current).all():
        known[case_id].update(v for v in values if v)
    for _, case_id, changes_text, _ in events:
        for key, pair in json.loads(changes_text or "{}").items():
            if key in PERSONAL_FIELDS and isinstance(pair, list):
                known[case_id].update(v for v in pair if isinstance(v, str) and v)
    return known


def _redact_events(conn: Any, known: dict[int, set[str]], events: list[Any]) -> tuple[int, int | None]:
    """Personal fields' values removed from the events' changes (evidence paths too: a path
    often names the customer), the free text in them and their notes redacted; returns how many
    events changed and the lowest id changed."""
    updates = []
    for event_id, case_id, changes_text, note in events:
        values = known[case_id]
        changes = json.loads(changes_text or "{}")
        for key, pair in changes.items():
            if key in PERSONAL_FIELDS:
                changes[key] = [None, None]
            elif key == "attachment" and isinstance(pair, list):
                changes[key] = [REDACTED if v else v for v in pair]
            elif key in TEXT_FIELDS and isinstance(pair, list):
                changes[key] = [redact_text(v, values) if isinstance(v, str) else v for v in pair]
        new_changes = history.changes_json({k: tuple(v) for k, v in changes.items()})
        new_note = redact_text(note, values)
        if new_changes != changes_text or new_note != note:
            updates.append({"i": event_id, "c": new_changes, "n": new_note})
    if updates:
        conn.execute(sa_text("UPDATE events SET changes_json = :c, note = :n WHERE id = :i"), updates)
    return len(updates), min((u["i"] for u in updates), default=None)


def _redact_cases(conn: Any, known: dict[int, set[str]], now: datetime) -> None:
    ids = list(known)
    texts = conn.execute(
        select(Case.id, Case.description, Case.demand, Case.resolution_note).where(col(Case.id).in_(ids))
    ).all()
    cases = Case.__table__  # type: ignore[attr-defined]
    conn.execute(
        update(cases)
        .where(cases.c.id == bindparam("b_id"))
        .values(
            customer_name=None, customer_phone=None, customer_email=None, order_no=None, customer_id=None,
            description=bindparam("b_description"), demand=bindparam("b_demand"),
            resolution_note=bindparam("b_resolution_note"), purged_at=now, updated_at=now,
            version=cases.c.version + 1,
        ),
        [
            {"b_id": i, "b_description": redact_text(d, known[i]) or "", "b_demand": redact_text(m, known[i]),
             "b_resolution_note": redact_text(r, known[i])}
            for i, d, m, r in texts
        ],
    )  # fmt: skip
    for table in ("payments", "revisits", "audit_samples"):
        notes = conn.execute(
            sa_text(
                f"SELECT id, case_id, note FROM {table} WHERE note IS NOT NULL AND case_id IN ({_ids(ids)})"
            )  # noqa: S608
        ).all()
        changed = [
            {"i": i, "n": redact_text(n, known[c])} for i, c, n in notes if redact_text(n, known[c]) != n
        ]
        if changed:
            conn.execute(sa_text(f"UPDATE {table} SET note = :n WHERE id = :i"), changed)  # noqa: S608


def _unlist_attachments(conn: Any, ids: list[int]) -> list[str]:
    paths = [
        r[0]
        for r in conn.execute(sa_text(f"SELECT path FROM attachments WHERE case_id IN ({_ids(ids)})"))  # noqa: S608
    ]
    if paths:
        conn.execute(sa_text(f"DELETE FROM attachments WHERE case_id IN ({_ids(ids)})"))  # noqa: S608
    return paths


def _add_purge_events(conn: Any, ids: list[int], actor: str, now: datetime, days: int) -> None:
    row = history.event_row(
        actor=actor, action=EventKind.PURGE, at=now, note=Message("note.purged", days=days),
        changes={"purged_at": (None, now)},
    )  # fmt: skip
    conn.execute(insert(Event), [{**row, "case_id": case_id} for case_id in ids])


def _drop_orphan_customers(conn: Any) -> int:
    done = conn.execute(sa_text("DELETE FROM customers WHERE id NOT IN (SELECT customer_id FROM cases "
                                "WHERE customer_id IS NOT NULL)"))  # fmt: skip
    return int(done.rowcount or 0)


def _ids(ids: list[int]) -> str:
    return ",".join(str(int(i)) for i in ids)
