"""Schema migrations: the models and the migrations describe the same schema, and each data
migration does what it says on a file written by the version before it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest import NOW, Desk
from sqlmodel import SQLModel

from kefu.core import db as kdb
from kefu.core import intake, lifecycle, views
from kefu.core.history import event_message
from kefu.core.messages import Message


def test_models_and_migrations_agree(desk: Desk) -> None:
    """A migrated file has every table, column and index the models declare, and no other."""
    with desk.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def _downgrade(desk: Desk, revision: str) -> None:
    command.downgrade(kdb._alembic_config(desk.engine.execution_options(kefu_migrate=True)), revision)


LEGACY = [
    (
        "kefu",
        "link",
        "repeat complaint: T-20261120-0001, T-20261119-0003",
        "note.repeat_complaint",
        {"codes": ["T-20261120-0001", "T-20261119-0003"]},
    ),
    ("kefu", "escalate", "severity escalates on intake", "note.severity_escalates", {}),
    (
        "kefu",
        "escalate",
        "first response deadline passed; escalated per the policy",
        "note.escalated_on_breach",
        {"clock": "first_response"},
    ),
    (
        "kefu",
        "breach",
        "resolution deadline 2026-11-24T18:00:00+08:00 passed unmet",
        "note.deadline_passed",
        {"clock": "resolution", "due": "2026-11-24T18:00:00+08:00"},
    ),
    (
        "kefu",
        "close",
        "no answer within the confirmation window (3wd, ended 2026-11-27T18:00:00+08:00)",
        "note.no_answer",
        {"window": "3wd", "ended": "2026-11-27T18:00:00+08:00"},
    ),
    (
        "admin",
        "create",
        "imported from hotline 11 月.csv line 42",
        "note.imported",
        {"file": "hotline 11 月.csv", "line": 42},
    ),
]


def test_0005_gives_legacy_system_notes_their_messages(desk: Desk) -> None:
    with desk.write() as session:
        case = intake.create_case(
            session=session, actor=desk.user("alice"), now=NOW, channel="hotline", description="x"
        )
        case_id = case.id
        code = case.code
    _downgrade(desk, "0004")
    desk.engine.dispose()
    with sqlite3.connect(desk.path) as conn:
        conn.execute("DELETE FROM events")
        for actor, action, note, _key, _params in LEGACY:
            conn.execute(
                "INSERT INTO events (case_id, at, actor, action, changes_json, note) "
                "VALUES (?, '2026-11-24 02:00:00.000000', ?, ?, '{}', ?)",
                (case_id, actor, action, note),
            )
        # A person's note that happens to read like one of kefu's stays a plain note.
        conn.execute(
            "INSERT INTO events (case_id, at, actor, action, changes_json, note) "
            "VALUES (?, '2026-11-24 02:00:00.000000', 'alice', 'note', '{}', 'severity escalates on intake')",
            (case_id,),
        )
    engine = kdb.open_database(str(desk.path))  # migrates forward
    try:
        with kdb.read_session(engine) as session:
            events = lifecycle.case_events(session, lifecycle.get_case(session, code))
            messages = [event_message(e) for e in events]
            detail = views.case_detail(
                session, lifecycle.get_case(session, code), desk.user("alice"), NOW
            ).as_json()
    finally:
        engine.dispose()
    for (_actor, _action, note, key, params), message in zip(LEGACY, messages, strict=False):
        assert message == Message(key, **params)
        assert message.text("en") == note  # the English reads exactly as it was written
    assert messages[-1] is None
    zh = [Message.from_dict(h["message"]).text("zh") for h in detail["history"] if h["message"]]
    assert zh[0] == "重复投诉：T-20261120-0001、T-20261119-0003"
    assert zh[3] == "解决时限 2026-11-24T18:00:00+08:00 已过，未达成"
    assert json.loads(json.dumps(detail["history"][0]["message"])) == detail["history"][0]["message"]


def test_0005_downgrades_cleanly(desk: Desk, tmp_path: Path) -> None:
    _downgrade(desk, "0004")
    with sqlite3.connect(desk.path) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(events)")]
    assert "message_json" not in columns


def test_the_revisions_kefu_reads_without_alembic_are_alembic_s() -> None:
    """`db._known_revisions` reads the migration files' revision lines so that a command does
    not import Alembic to check a file's schema (issue 14): the same chain, in order."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(kdb.MIGRATIONS_DIR))
    chain = [rev.revision for rev in script.walk_revisions()][::-1]  # walk_revisions: newest first
    assert list(kdb._known_revisions()) == chain and kdb.code_head() == script.get_current_head()


def test_a_cli_read_does_not_import_alembic(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    code = "import sys, kefu.cli; print('alembic' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
