"""system notes as catalog messages, so the history reads in English and in Chinese

Adds `events.message_json`: the catalog key and parameters of a note kefu wrote itself (a
repeat link, an automatic escalation, a breach, an automatic close, an import's origin); the
English text stays in `note`. Notes written by earlier versions in English are recognised and
given their message, so old history is shown in Chinese too. People's own notes are left as
they are (message_json stays NULL).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import json
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLOCK = r"(?P<clock>first response|resolution|coordination)"
# The notes earlier versions wrote, and the message each one is (frozen here: a migration
# must not change meaning when the catalog does).
LEGACY_NOTES = (
    ("link", re.compile(r"repeat complaint: (?P<codes>.+)"), "note.repeat_complaint"),
    ("escalate", re.compile(r"severity escalates on intake"), "note.severity_escalates"),
    (
        "escalate",
        re.compile(CLOCK + r" deadline passed; escalated per the policy"),
        "note.escalated_on_breach",
    ),
    ("breach", re.compile(CLOCK + r" deadline (?P<due>\S+) passed unmet"), "note.deadline_passed"),
    (
        "close",
        re.compile(r"no answer within the confirmation window \((?P<window>[^,]+), ended (?P<ended>\S+)\)"),
        "note.no_answer",
    ),
    ("create", re.compile(r"imported from (?P<file>.+) line (?P<line>\d+)"), "note.imported"),
)
BATCH = 5000


def _message(action: str, note: str) -> str | None:
    for wanted, pattern, key in LEGACY_NOTES:
        match = pattern.fullmatch(note) if action == wanted else None
        if match is None:
            continue
        params: dict[str, object] = dict(match.groupdict())
        if "clock" in params:
            params["clock"] = str(params["clock"]).replace(" ", "_")
        if "codes" in params:
            params["codes"] = str(params["codes"]).split(", ")
        if "line" in params:
            params["line"] = int(str(params["line"]))
        return json.dumps({"key": key, "params": params}, ensure_ascii=False, sort_keys=True)
    return None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("message_json", sa.Text(), nullable=True))
    conn = op.get_bind()
    select = sa.text(
        "SELECT id, action, note FROM events WHERE id > :after AND note IS NOT NULL "
        "AND (actor = 'kefu' OR (action = 'create' AND note LIKE 'imported from %')) "
        "ORDER BY id LIMIT :batch"
    )
    update = sa.text("UPDATE events SET message_json = :m WHERE id = :id")
    after = 0
    while chunk := conn.execute(select, {"after": after, "batch": BATCH}).all():
        after = chunk[-1][0]
        found = [
            {"id": event_id, "m": message}
            for event_id, action, note in chunk
            if (message := _message(action, note)) is not None
        ]
        if found:
            conn.execute(update, found)


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("message_json")
