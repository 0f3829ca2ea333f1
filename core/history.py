"""History entries as rows: every writer of events stores them one way.

A person's move, the system's, an import and the SLA check all append events; this module is
how an event row is made (the changes as sorted JSON with instants in UTC, a system note as
its English text plus its catalog message, so it reads in either language later), whether it is
added through the ORM or inserted in bulk. See docs/ARCHITECTURE.md, "History".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

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
