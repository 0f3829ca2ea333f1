"""Tamper evidence (issue 12): every event is hashed and chained to the one before it in the
transaction that writes it; triggers refuse UPDATE / DELETE of sealed history; `kefu audit
verify` and `doctor` report an event changed, deleted or added with another tool — and a
later kefu write never launders an event added outside kefu."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from conftest import NOW, Desk, make_cli_desk
from conftest import cli_run as run

from kefu.core import db as kdb
from kefu.core import history, intake, lifecycle


@pytest.fixture
def desk(tmp_path: Path) -> Desk:
    desk = make_cli_desk(tmp_path / "kefu.db")
    with desk.write() as session:
        for n in range(3):
            code = intake.create_case(session=session, actor=desk.user("alice"), now=NOW, channel="hotline",
                                      description=f"包裹延误 {n}", category="delay", severity="P3",
                                      party="courier", department="cs").code  # fmt: skip
    with desk.write() as session:
        lifecycle.move_case(session=session, code=code, action="claim", actor=desk.user("alice"),
                            now=NOW + timedelta(minutes=5))  # fmt: skip
    return desk


def verify(desk: Desk) -> history.ChainCheck:
    with desk.engine.connect() as conn:
        return history.verify(conn)


def test_what_kefu_writes_is_sealed_and_verifies(desk: Desk) -> None:
    check = verify(desk)
    assert check.ok and check.events == 4 and check.broken == []
    with sqlite3.connect(desk.path) as conn:
        assert conn.execute("SELECT count(*) FROM events WHERE hash IS NULL").fetchone() == (0,)
    done = run(desk, "--as", "aud", "audit", "verify", "--json")
    found = json.loads(done.stdout)
    assert done.exit_code == 0 and found == {
        "ok": True, "events": 4, "append_only": True, "problems": [],
        "desk_log": {"entries": found["desk_log"]["entries"], "append_only": True, "problems": []},
        "users": [],
    }  # fmt: skip
    assert found["desk_log"]["entries"] >= 5  # the admin of init and each person added since


def test_sealed_history_cannot_be_updated_or_deleted_with_another_tool(desk: Desk) -> None:
    with sqlite3.connect(desk.path) as conn:
        for sql in ("UPDATE events SET note = 'x' WHERE id = 1", "DELETE FROM events WHERE id = 2"):
            with pytest.raises(sqlite3.IntegrityError, match="the history is append-only"):
                conn.execute(sql)


def test_tampering_is_reported_and_never_laundered(desk: Desk) -> None:
    with sqlite3.connect(desk.path) as conn:  # as someone in the desk's group could
        conn.executescript(
            "DROP TRIGGER events_sealed_no_update; DROP TRIGGER events_sealed_no_delete;"
            "UPDATE events SET note = '已赔偿' WHERE id = 1; DELETE FROM events WHERE id = 3;"
            "INSERT INTO events (case_id, at, actor, action, changes_json) "
            "VALUES (1, '2026-11-24 02:00:00.000000', 'sue', 'note', '{}');"
        )
    # A kefu write afterwards seals only its own events.
    with desk.write() as session:
        intake.create_case(session=session, actor=desk.user("alice"), now=NOW, channel="hotline",
                           description="后来的投诉")  # fmt: skip
    check = verify(desk)
    assert [(event, what) for event, _, what in check.broken] == [
        (1, "changed"), (4, "gap"), (4, "changed"), (5, "unsealed"),
    ]  # fmt: skip
    assert not check.guarded
    done = run(desk, "--as", "aud", "audit", "verify")
    assert done.exit_code == 1
    assert "event 1 of T-20261124-0001: changed after it was written" in done.stdout
    assert "event 5 of T-20261124-0001: added outside kefu" in done.stdout
    assert "append-only were removed" in done.stdout
    doctor = run(desk, "doctor")
    assert (
        doctor.exit_code == 1
        and "!!  history: the history or the record of people was altered outside kefu (4 problem(s))"
        in doctor.stdout
    )
    refused = run(desk, "--as", "alice", "audit", "verify")
    assert refused.exit_code == 2 and "may not verify the history" in refused.stderr


def test_an_existing_desk_is_sealed_by_the_migration(desk: Desk) -> None:
    command.downgrade(kdb._alembic_config(desk.engine.execution_options(kefu_migrate=True)), "0011")
    desk.engine.dispose()
    desk.engine = kdb.open_database(str(desk.path))
    check = verify(desk)
    assert check.ok and check.events == 4


def test_people_changed_outside_kefu_are_named(desk: Desk) -> None:
    """Someone in the group makes himself admin, revives a deactivated colleague and slips in
    a new user with sqlite3: `audit verify` names each, `doctor` fails; what kefu did itself
    (a role change through `user set`) is no finding."""
    assert run(desk, "user", "set", "alice", "--role", "supervisor").exit_code == 0
    with sqlite3.connect(desk.path) as conn:
        conn.executescript(
            "UPDATE users SET role = 'admin' WHERE name = 'bob';"
            "INSERT INTO users (name, role, display_name, active, created_at) "
            "VALUES ('mallory', 'admin', 'M', 1, '2026-11-24 02:00:00.000000');"
        )
    done = run(desk, "--as", "aud", "audit", "verify", "--json")
    found = json.loads(done.stdout)
    assert done.exit_code == 1 and not found["ok"]
    assert found["users"] == [
        {"name": "bob", "what": "changed", "fields": {"role": ["agent", "admin"]}},
        {"name": "mallory", "what": "added", "fields": {}},
    ]
    text = run(desk, "--as", "aud", "audit", "verify")
    assert "user bob: changed outside kefu — role is admin in the file, kefu recorded agent" in text.stdout
    assert "user mallory: in the file, but kefu never added them" in text.stdout
    doctor = run(desk, "doctor")
    assert doctor.exit_code == 1 and "history or the record of people was altered" in doctor.stdout


def test_the_record_of_people_is_append_only_and_chained(desk: Desk) -> None:
    with sqlite3.connect(desk.path) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE desk_log SET detail_json = '{}' WHERE id = 1")
        # Rewriting the record to match a forged role is found too: the entry no longer fits.
        conn.executescript(
            "DROP TRIGGER desk_log_sealed_no_update;"
            "UPDATE users SET role = 'admin' WHERE name = 'bob';"
            "UPDATE desk_log SET detail_json = replace(detail_json, '\"agent\"', '\"admin\"') "
            "WHERE subject = 'bob';"
        )
    found = json.loads(run(desk, "--as", "aud", "audit", "verify", "--json").stdout)
    assert found["users"] == []
    assert [(p["subject"], p["what"]) for p in found["desk_log"]["problems"]] == [("bob", "changed")]
    assert found["desk_log"]["append_only"] is False


def test_an_existing_desk_gets_its_people_recorded_by_the_migration(desk: Desk) -> None:
    command.downgrade(kdb._alembic_config(desk.engine.execution_options(kefu_migrate=True)), "0012")
    with sqlite3.connect(desk.path) as conn:
        conn.execute("UPDATE users SET role = 'supervisor' WHERE name = 'bob'")  # before 0013: as found
    desk.engine.dispose()
    desk.engine = kdb.open_database(str(desk.path))
    found = json.loads(run(desk, "--as", "aud", "audit", "verify", "--json").stdout)
    assert found["ok"] and found["users"] == []
    with sqlite3.connect(desk.path) as conn:
        conn.execute("UPDATE users SET active = 0 WHERE name = 'bob'")
    found = json.loads(run(desk, "--as", "aud", "audit", "verify", "--json").stdout)
    assert found["users"] == [{"name": "bob", "what": "changed", "fields": {"active": [True, False]}}]


def test_a_stand_in_trigger_or_an_odd_flag_is_no_cover(desk: Desk) -> None:
    """A no-op trigger under kefu's name is not a guard; `active = 2` is no value kefu writes;
    a changed flag reads yes / no, in either language."""
    with sqlite3.connect(desk.path) as conn:
        conn.executescript(
            "DROP TRIGGER events_sealed_no_delete;"
            "CREATE TRIGGER events_sealed_no_delete AFTER INSERT ON cases BEGIN SELECT 1; END;"
            "UPDATE users SET active = 2 WHERE name = 'bob';"
            "UPDATE users SET active = 0 WHERE name = 'carol';"
        )
    found = json.loads(run(desk, "--as", "aud", "audit", "verify", "--json").stdout)
    assert found["append_only"] is False
    assert found["users"] == [
        {"name": "bob", "what": "changed", "fields": {"active": [True, 2]}},
        {"name": "carol", "what": "changed", "fields": {"active": [True, False]}},
    ]
    text = run(desk, "--as", "aud", "audit", "verify").stdout
    assert "user carol: changed outside kefu — active is no in the file, kefu recorded yes" in text
    chinese = run(desk, "--as", "aud", "audit", "verify", lang="zh").stdout
    assert "用户 carol：在 kefu 之外被修改——启用 文件中为 否，kefu 记录为 是" in chinese
