"""History entries as rows: every writer of events stores them one way.

A person's move, the system's, an import and the SLA check all append events; this module is
how an event row is made (the changes as sorted JSON with instants in UTC, a system note as
its English text plus its catalog message, so it reads in either language later), whether it is
added through the ORM or inserted in bulk. See docs/ARCHITECTURE.md, "History".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import text as sa_text
from sqlmodel import Session, col, select

from .messages import Message, Text
from .models import Event

Changes = dict[str, tuple[Any, Any]]
"""Field name → (before, after), as a change records it."""

EVENT_COLUMNS = (
    "case_id",
    "at",
    "actor",
    "action",
    "from_status",
    "to_status",
    "changes_json",
    "note",
    "message_json",
)

_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode
_PLAIN = (str, int, float, bool)


def jsonable(value: Any) -> Any:
    """A change's value as stored: instants in UTC ISO 8601, enums as their values."""
    if value is None or type(value) in _PLAIN:
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):  # a day (delivered_on): no zone to convert
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def changes_json(changes: Mapping[str, tuple[Any, Any]] | None) -> str:
    payload = {}
    for name, (before, after) in (changes or {}).items():
        # The common values (None, text, numbers) as they are, without a call each: an import
        # writes this for every row.
        payload[name] = [
            before if before is None or type(before) in _PLAIN else jsonable(before),
            after if after is None or type(after) in _PLAIN else jsonable(after),
        ]
    return _encode(payload)


def event_row(
    *,
    actor: str,
    action: str,
    at: datetime,
    from_status: str | None = None,
    to_status: str | None = None,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    note: Text | None = None,
) -> dict[str, Any]:
    """One event's columns but `id` (`case_id` is None until the case is stored)."""
    message = note if isinstance(note, Message) else None
    return {
        "case_id": None,
        "at": at,
        "actor": actor,
        "action": str(action),
        "from_status": None if from_status is None else str(from_status),
        "to_status": None if to_status is None else str(to_status),
        "changes_json": changes_json(changes),
        "note": message.text("en") if message is not None else note,
        "message_json": _encode(message.as_dict()) if message is not None else None,
    }


def add_event(session: Session, case_id: int, row: Mapping[str, Any]) -> Event:
    """Append a row made by `event_row` to a case's history (in the caller's transaction)."""
    event = Event(**{**row, "case_id": case_id})
    session.add(event)
    return event


def event_message(event: Event) -> Message | None:
    """The catalog message of a system note, if the event has one."""
    if not event.message_json:
        return None
    try:
        return Message.from_dict(json.loads(event.message_json))
    except (KeyError, ValueError, TypeError):
        return None  # a key this kefu no longer knows: the stored English note stands


StatusChange = tuple[str | None, str | None, datetime]
"""(from_status, to_status, at) of one event, in history order: what the clocks read."""


def status_history(session: Session, case_id: int | None) -> list[StatusChange]:
    if case_id is None:
        return []
    rows: Sequence[StatusChange] = session.exec(
        select(Event.from_status, Event.to_status, Event.at)
        .where(Event.case_id == case_id)
        .order_by(col(Event.id))
    ).all()
    return list(rows)


# -- the chains: tamper evidence -----------------------------------------------------------

GENESIS = "0" * 64
"""What the first entry of a chain is chained to."""


@dataclass(frozen=True)
class Chain:
    """One append-only table whose rows are hashed and chained in id order: `table`'s `columns`
    (as stored, id first) and the column that names what a broken row is about."""

    table: str
    columns: str
    about: int
    """Index in `columns` of what a problem is reported against (a case id, a user name)."""
    triggers: tuple[str, str]
    """The triggers that refuse UPDATE and DELETE of a sealed row."""


EVENTS = Chain(
    "events",
    "id, case_id, at, actor, action, from_status, to_status, changes_json, note, message_json",
    1,
    ("events_sealed_no_update", "events_sealed_no_delete"),
)
"""Every case's history."""
DESK_LOG = Chain(
    "desk_log",
    "id, at, actor, kind, subject, detail_json",
    4,
    ("desk_log_sealed_no_update", "desk_log_sealed_no_delete"),
)
"""The desk's own record (`kefu.core.desklog`): people and roles, personal data viewed, purges."""
CHAINS = (EVENTS, DESK_LOG)

GUARD_TRIGGERS = EVENTS.triggers + DESK_LOG.triggers


def guard_sql(chain: Chain) -> list[str]:
    """The SQLite triggers that make `chain`'s sealed rows append-only (sealing sets a NULL hash)."""
    return [
        f"CREATE TRIGGER {name} BEFORE {verb} ON {chain.table} WHEN OLD.hash IS NOT NULL "
        "BEGIN SELECT RAISE(ABORT, 'kefu: the history is append-only'); END"
        for name, verb in zip(chain.triggers, ("UPDATE", "DELETE"), strict=True)
    ]


def _stored(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def link_hash(previous: str, row: Sequence[Any]) -> str:
    """The hash of one row (its chain's columns as stored) chained to `previous`."""
    body = json.dumps([previous, *(_stored(v) for v in row)], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def newest_ids(conn: Any) -> tuple[int, ...]:
    """Each chain's newest id when a write transaction starts (what `seal_all` may seal is after)."""
    query = " UNION ALL ".join(f"SELECT coalesce(max(id), 0) FROM {c.table}" for c in CHAINS)  # noqa: S608
    return tuple(int(r[0] or 0) for r in conn.execute(sa_text(query)).all())


def newest_event_id(conn: Any) -> int:
    """The newest event's id (the importer's batches write events only)."""
    return int(conn.execute(sa_text("SELECT coalesce(max(id), 0) FROM events")).scalar() or 0)


def seal_all(conn: Any, after: Sequence[int]) -> None:
    """`seal` every chain, `after` as `newest_ids` read them (`db.write_session`)."""
    for chain, first in zip(CHAINS, after, strict=True):
        seal(conn, after=first, chain=chain)


def seal(conn: Any, after: int = 0, chain: Chain = EVENTS) -> int:
    """Chain the rows this transaction wrote — unsealed, with ids after `after` — in id order
    to the newest sealed one, just before it commits (`db.write_session`, the importer's
    batches), whatever path wrote them. An unsealed row from before the transaction was
    written outside kefu: it is left unsealed for `verify` to report, never laundered."""
    rows = conn.execute(
        sa_text(f"SELECT {chain.columns} FROM {chain.table} WHERE hash IS NULL AND id > :after ORDER BY id"),  # noqa: S608
        {"after": after},
    ).all()
    if not rows:
        return 0
    previous = conn.execute(
        sa_text(
            f"SELECT hash FROM {chain.table} WHERE hash IS NOT NULL AND id < :first ORDER BY id DESC LIMIT 1"
        ),  # noqa: S608
        {"first": rows[0][0]},
    ).scalar()
    previous = previous or GENESIS
    sealed = []
    for row in rows:
        previous = link_hash(previous, tuple(row))
        sealed.append({"h": previous, "i": row[0]})
    conn.execute(sa_text(f"UPDATE {chain.table} SET hash = :h WHERE id = :i"), sealed)  # noqa: S608
    return len(sealed)


def reseal_from(conn: Any, first: int, chain: Chain = EVENTS) -> int:
    """Rows from id `first` on were rewritten by kefu itself (a purge's redaction): their hashes
    are recomputed from there, chained to the row before. The caller verified the chain first,
    holds the write lock, and lifts the triggers around its own UPDATE (`without_guards`)."""
    conn.execute(sa_text(f"UPDATE {chain.table} SET hash = NULL WHERE id >= :first"), {"first": first})  # noqa: S608
    return seal(conn, after=first - 1, chain=chain)


@contextmanager
def without_guards(conn: Any, chain: Chain = EVENTS) -> Iterator[None]:
    """Inside one write transaction: the append-only triggers dropped, put back before it ends
    (SQLite's DDL is transactional: no other connection ever sees them missing)."""
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        for name in chain.triggers:
            conn.execute(sa_text(f"DROP TRIGGER IF EXISTS {name}"))
    yield
    if sqlite:
        for sql in guard_sql(chain):
            conn.execute(sa_text(sql))


@dataclass(frozen=True)
class ChainCheck:
    """What `verify` found: rows checked, and the first few that break the chain."""

    events: int
    broken: list[tuple[int, Any, str]]
    """(row id, what it is about (a case id, a user name), what: "changed" / "unsealed" /
    "gap") of the first problems."""
    guarded: bool
    """Whether the triggers that refuse UPDATE / DELETE of sealed rows are in place."""

    @property
    def ok(self) -> bool:
        return not self.broken and self.guarded


def verify(conn: Any, limit: int = 20, chain: Chain = EVENTS) -> ChainCheck:
    """Walk a whole chain in id order and recompute it: a row changed after it was sealed, one
    deleted (the next one's link no longer fits; its id is missing) or one added outside kefu
    (left unsealed below sealed ones) is reported. Memory stays bounded: rows are streamed."""
    broken: list[tuple[int, Any, str]] = []
    previous, last_id, count = GENESIS, 0, 0
    result = conn.execution_options(yield_per=5000).execute(
        sa_text(f"SELECT {chain.columns}, hash FROM {chain.table} ORDER BY id")  # noqa: S608
    )
    for *row, stored in result:
        count += 1
        row_id, about = row[0], row[chain.about]
        if last_id and row_id != last_id + 1:  # a row was deleted here
            broken.append((row_id, about, "gap"))
        last_id = row_id
        if stored is None:  # kefu seals what it writes before committing: this came from elsewhere
            broken.append((row_id, about, "unsealed"))
            continue
        if stored != link_hash(previous, tuple(row)):
            broken.append((row_id, about, "changed"))
        previous = stored
        if len(broken) >= limit:
            break
    result.close()
    # SQLite is the only backend kefu opens (`db.make_engine`); PostgreSQL will need its own.
    # The triggers kefu made, as it made them: one with the right name doing something else
    # (a no-op put in its place) is no guard.
    found = dict(conn.execute(sa_text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all())
    wanted = dict(zip(chain.triggers, guard_sql(chain), strict=True))
    guarded = all(_same_sql(found.get(name), sql) for name, sql in wanted.items())
    return ChainCheck(count, broken[:limit], guarded)


def _same_sql(found: str | None, wanted: str) -> bool:
    return found is not None and " ".join(found.split()).casefold() == " ".join(wanted.split()).casefold()
