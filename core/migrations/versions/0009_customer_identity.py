"""customer identity: phone and order numbers in one canonical form

Re-writes every case's `customer_phone` and `order_no` the way kefu.core.customers now stores
them (so `+86 138 1234 5678`, `0086 13812345678` and `13812345678` are one customer, `sf 100`
and `SF100` one order), with the rule frozen here: a migration must not change meaning when the
code does. A number that does not read as one is left as it was.

Then the repeat links are recomputed as kefu now links them, whatever order the cases were
entered in: every case is linked to the earlier complaints of the same phone or order within
its revision's repeat window, its `repeat_of` names the newest of them, and a case that gains
links gets one `link` event saying so. Links already there stay.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import json
import re
import tomllib
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import phonenumbers
import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000
_EXTENSION = re.compile(
    r"^(?P<number>.*?\d)\s*(?:转|分机|ext\.?|x|#|-)\s*(?P<ext>\d{1,6})\s*$", re.IGNORECASE
)
_SHORT = re.compile(r"\d{3,6}")
_LETTER = re.compile(r"[^\W\d_]")


def _parse(text: str) -> tuple[phonenumbers.PhoneNumber, str | None] | None:
    if _LETTER.search(text):
        return None
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    extension = number.extension or None
    number.extension = None
    return number, extension


def phone_key(text: str) -> str | None:
    raw = unicodedata.normalize("NFKC", text).strip()
    if not raw:
        return None
    found, extension = _parse(raw), None
    if found is None:
        match = _EXTENSION.match(raw)
        if match is not None:
            found, extension = _parse(match.group("number")), match.group("ext")
    if found is None:
        digits = re.sub(r"[\s\-()]", "", raw)
        return digits if _SHORT.fullmatch(digits) else None
    number, ext = found
    extension = extension or ext
    if number.country_code == 86:
        canonical = re.sub(
            r"\D", "", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        )
    else:
        canonical = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return f"{canonical}-{extension}" if extension else canonical


def order_key(text: str) -> str:
    return re.sub(r"[\s\-_]+", "", unicodedata.normalize("NFKC", text).strip()).upper()


def upgrade() -> None:
    conn = op.get_bind()
    select = sa.text(
        "SELECT id, customer_phone, order_no FROM cases WHERE id > :after "
        "AND (customer_phone IS NOT NULL OR order_no IS NOT NULL) ORDER BY id LIMIT :batch"
    )
    update = sa.text("UPDATE cases SET customer_phone = :phone, order_no = :order_no WHERE id = :id")
    after = 0
    while chunk := conn.execute(select, {"after": after, "batch": BATCH}).all():
        after = chunk[-1].id
        changed = []
        for row in chunk:
            phone = (phone_key(row.customer_phone) or row.customer_phone) if row.customer_phone else None
            order = (order_key(row.order_no) or row.order_no) if row.order_no else None
            if (phone, order) != (row.customer_phone, row.order_no):
                changed.append({"id": row.id, "phone": phone, "order_no": order})
        if changed:
            conn.execute(update, changed)
    _relink(conn)


def _aware(value: Any) -> datetime:
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _relink(conn: Any) -> None:
    days = {}
    for version_id, source in conn.execute(sa.text("SELECT id, source_toml FROM policy_versions")):
        days[version_id] = int(tomllib.loads(source).get("repeat", {}).get("window_days", 30))
    existing = {
        (a, b)
        for a, b in conn.execute(sa.text("SELECT case_id, other_id FROM case_links WHERE kind = 'repeat'"))
    }
    gained: dict[int, list[int]] = {}
    info: dict[int, tuple[str, datetime, str | None]] = {}
    for column in ("customer_phone", "order_no"):
        rows = conn.execute(
            sa.text(
                f"SELECT id, code, {column} AS k, received_at, policy_version_id, repeat_of FROM cases "
                f"WHERE {column} IS NOT NULL ORDER BY {column}, received_at, id"
            )
        )
        group: list[tuple[int, datetime]] = []
        key = None
        for case_id, code, k, received, version_id, repeat_of in rows:
            at = _aware(received)
            info[case_id] = (code, at, repeat_of)
            if k != key:
                group, key = [], k
            window = timedelta(days=days.get(version_id, 30))
            if window > timedelta(0):
                for other_id, other_at in group:
                    if at - window <= other_at <= at and (case_id, other_id) not in existing:
                        existing.add((case_id, other_id))
                        gained.setdefault(case_id, []).append(other_id)
            group.append((case_id, at))
    if not gained:
        return
    now = datetime.now(UTC)
    stamp = now.replace(tzinfo=None) if conn.dialect.name == "sqlite" else now  # UTC, as kefu stores
    links = [{"c": c, "o": o} for c, others in gained.items() for o in others]
    conn.execute(sa.text("INSERT INTO case_links (case_id, other_id, kind) VALUES (:c, :o, 'repeat')"), links)
    linked: dict[int, list[int]] = {}
    for a, b in existing:
        linked.setdefault(a, []).append(b)
    events = []
    updates = []
    for case_id, others in gained.items():
        code, _at, before = info[case_id]
        newest = max(linked[case_id], key=lambda o: (info[o][1], o))
        after = info[newest][0]
        codes = [info[o][0] for o in sorted(others, key=lambda o: (info[o][1], o), reverse=True)]
        changes = {"repeat_of": [before, after]} if after != before else {"linked": [None, codes[0]]}
        message = {"key": "note.repeat_complaint", "params": {"codes": codes}}
        events.append(
            {
                "case_id": case_id,
                "at": stamp,
                "actor": "kefu",
                "action": "link",
                "changes_json": json.dumps(changes, ensure_ascii=False, sort_keys=True),
                "note": "repeat complaint: " + ", ".join(codes),
                "message_json": json.dumps(message, ensure_ascii=False, sort_keys=True),
            }
        )
        if after != before:
            updates.append({"c": case_id, "r": after})
    table = sa.table(
        "events",
        sa.column("case_id"),
        sa.column("at", sa.DateTime(timezone=True)),
        *(sa.column(n) for n in ("actor", "action", "changes_json", "note", "message_json")),
    )
    conn.execute(sa.insert(table), events)
    if updates:
        conn.execute(sa.text("UPDATE cases SET repeat_of = :r, version = version + 1 WHERE id = :c"), updates)


def downgrade() -> None:
    """The canonical forms stay (they are phone and order numbers still)."""
