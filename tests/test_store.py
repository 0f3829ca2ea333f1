"""The SQLite store under many users: pragmas, refusing foreign files, stale updates,
real processes racing for the same case, bursts of writers, and online backups.

Multi-user behaviour is tested with real processes (tests/helpers/kefu_race.py imports kefu,
waits for a go file, then runs the CLI), so the processes hit the file within a millisecond of
each other, as two agents pressing Enter at once would.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from conftest import NOW, Desk, make_desk
from sqlalchemy import event, text
from sqlmodel import Session, func, select

from kefu.core import db as kdb
from kefu.core import health, intake, lifecycle, services
from kefu.core.errors import Conflict, DatabaseError, InvalidInput
from kefu.core.identity import os_login
from kefu.core.models import Case, Event

ROOT = Path(__file__).resolve().parents[1]
KEFU = Path(sys.executable).parent / "kefu"  # the venv running the tests
RACE = Path(__file__).parent / "helpers" / "kefu_race.py"
PYTHON = sys.executable


@pytest.fixture
def cli_desk(tmp_path: Path) -> Iterator[Desk]:
    """A desk the CLI can drive: the OS user running the tests is one of its admins."""
    desk = make_desk(tmp_path / "kefu.db")
    with desk.write() as session:
        services.add_user(session=session, actor=desk.user("admin"), name=os_login(), role="admin", now=NOW)
    yield desk
    desk.engine.dispose()


def new_case(desk: Desk, *, triaged: bool = True) -> str:
    fields = {"category": "delay", "party": "courier", "department": "cs"} if triaged else {}
    with desk.write() as session:
        return intake.create_case(
            session=session,
            actor=desk.user("alice"),
            now=NOW,
            channel="hotline",
            description="where is my parcel",
            **fields,
        ).code


def run_kefu(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KEFU), *args], capture_output=True, text=True, timeout=60, cwd=ROOT)


def release(go: Path, procs: list[subprocess.Popen[str]], i: int = 0) -> None:
    """Wait until every helper waits at barrier `i` (kefu imported, run i next), then let them
    all go at once."""
    deadline = time.monotonic() + 60
    pattern = f"{go.name}.ready{i}.*"
    while len(list(go.parent.glob(pattern))) < len(procs):
        assert time.monotonic() < deadline, "helpers never became ready"
        assert all(p.poll() is None for p in procs), "a helper died while loading"
        time.sleep(0.005)
    Path(f"{go}.{i}").touch()


def race(
    go: Path,
    commands: list[list[str]],
    repeat: int = 1,
    *,
    each: bool = False,
    values: list[str] | None = None,
) -> list[subprocess.CompletedProcess[str]]:
    """Start one helper process per command and release them together (before every run
    with `each`); `{v}` in a command takes values[i] in run i."""
    env = {**os.environ, "KEFU_RACE_VALUES": ",".join(values or [])}
    if each:
        env["KEFU_RACE_EACH"] = "1"
    procs = [
        subprocess.Popen(
            [PYTHON, str(RACE), str(go), str(repeat), *cmd],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        for cmd in commands
    ]
    for i in range(repeat if each else 1):
        release(go, procs, i)
    results = []
    for proc, cmd in zip(procs, commands, strict=True):
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(cmd, proc.returncode, out, err))
    return results


# -- the file ---------------------------------------------------------------------------


def test_file_is_wal_with_foreign_keys_and_kefus_application_id(desk: Desk) -> None:
    raw = sqlite3.connect(desk.path)
    try:
        # journal_mode and application_id are stored in the file itself.
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA application_id").fetchone()[0] == 0x4B454655
    finally:
        raw.close()
    with desk.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
    assert kdb.check_schema(desk.engine) == kdb.code_head()
    with pytest.raises(DatabaseError, match="FOREIGN KEY constraint failed"):  # one sentence, no driver error
        with desk.write() as session:
            session.add(Event(case_id=999, at=NOW, actor="x", action="note"))
            session.flush()


def test_foreign_sqlite_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    other = tmp_path / "shop.db"
    raw = sqlite3.connect(other)
    raw.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    raw.commit()
    raw.close()
    before = other.read_bytes()
    result = run_kefu("--db", str(other), "case", "list")
    assert result.returncode == 3
    assert result.stderr.strip().splitlines() == [f"kefu: {other}: this SQLite file is not a kefu database"]
    assert result.stdout == ""
    # Not even switched to WAL: the shop's file is exactly as it was.
    assert other.read_bytes() == before
    assert not Path(f"{other}-wal").exists()


@pytest.mark.parametrize(
    "content,message",
    [
        (b"hello, I am a text file\n" * 100, "not a SQLite database"),
        (None, "no kefu database here; create one with `kefu init`"),
    ],
    ids=["text-file", "missing"],
)
def test_unusable_file_exits_3_with_one_line(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "kefu.db"
    if content is not None:
        path.write_bytes(content)
    result = run_kefu("--db", str(path), "case", "list", "--json")
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert result.stdout == ""
    assert not path.exists() or path.read_bytes() == content


def test_file_from_a_newer_kefu_is_refused(cli_desk: Desk) -> None:
    cli_desk.engine.dispose()
    raw = sqlite3.connect(cli_desk.path)
    raw.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    raw.commit()
    raw.close()
    with pytest.raises(DatabaseError, match="written by a newer kefu"):
        kdb.open_database(str(cli_desk.path))
    result = run_kefu("--db", str(cli_desk.path), "case", "list")
    assert result.returncode == 3
    assert result.stderr.strip().splitlines() == [
        "kefu: the database was written by a newer kefu (schema 9999_from_the_future); "
        "upgrade kefu before using it"
    ]
    assert "Traceback" not in result.stderr


def test_older_file_opened_by_many_processes_at_once_is_migrated_once(cli_desk: Desk, tmp_path: Path) -> None:
    """After an upgrade of kefu, every TUI and cron job opens the old file at once: one of
    them migrates it, the others wait and carry on; nobody sees "database is locked"."""
    code = new_case(cli_desk)
    # Back to the first schema, the way kefu migrates (foreign keys off, one transaction).
    command.downgrade(kdb._alembic_config(cli_desk.engine.execution_options(kefu_migrate=True)), "0001")
    cli_desk.engine.dispose()
    assert kdb.database_revision(kdb.make_engine(str(cli_desk.path))) == "0001"
    results = race(tmp_path / "go", [["--db", str(cli_desk.path), "case", "list", "--json"]] * 4)
    for r in results:
        assert r.returncode == 0, r.stderr
        assert [row["code"] for row in json.loads(r.stdout)] == [code]
    engine = kdb.make_engine(str(cli_desk.path))
    try:
        assert kdb.database_revision(engine) == kdb.code_head()
        assert kdb.integrity_check(engine) == []
    finally:
        engine.dispose()


def test_create_refuses_an_existing_file(desk: Desk) -> None:
    with pytest.raises(InvalidInput, match="already exists"):  # bad usage (2), not a bad file
        kdb.create_database(str(desk.path))


def test_database_errors_read_in_chinese(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    with pytest.raises(DatabaseError) as info:
        kdb.open_database(str(missing))
    assert info.value.message == f"{missing}: no kefu database here; create one with `kefu init`"
    assert info.value.text("zh") == f"{missing}：这里没有 kefu 数据库；请用 `kefu init` 创建"


def test_backup_refusals_name_the_option(desk: Desk, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as info:
        kdb.backup_sqlite(desk.engine, desk.path)
    assert (info.value.message, info.value.field) == (
        f"{desk.path} already exists; choose another --to",
        "to",
    )
    assert info.value.text("zh") == f"{desk.path} 已存在；请换一个 --to"


def test_doctor_details_in_english_and_chinese(desk: Desk) -> None:
    english = health.doctor(str(desk.path), NOW)
    chinese = health.doctor(str(desk.path), NOW, lang="zh")
    assert [(c["name"], c["ok"]) for c in english["checks"]] == [
        (c["name"], c["ok"]) for c in chinese["checks"]
    ]
    en = {c["name"]: c["detail"] for c in english["checks"]}
    zh = {c["name"]: c["detail"] for c in chinese["checks"]}
    assert (en["integrity"], zh["integrity"]) == ("ok", "正常")
    assert (en["cases"], zh["cases"]) == ("0 cases", "0 个工单")
    assert en["calendar"].startswith("cn calendar has official data for 2004–")
    assert zh["calendar"].startswith("中国法定节假日日历有 2004–")
    assert "；还没有 2027 年的数据" in zh["calendar"]
    refused = health.doctor(str(desk.path.with_name("none.db")), NOW, lang="zh")
    assert refused["ok"] is False and "这里没有 kefu 数据库" in refused["checks"][0]["detail"]


# -- stale updates --------------------------------------------------------------------


def test_expected_version_mismatch_is_a_conflict(desk: Desk) -> None:
    code = new_case(desk)
    with desk.read() as session:
        seen = lifecycle.get_case(session, code).version
    with desk.write() as session:
        lifecycle.move_case(
            session=session, code=code, action="claim", actor=desk.user("bob"), now=NOW,
            expected_version=seen,
        )  # fmt: skip
    with pytest.raises(Conflict, match="changed since you opened it .*owner bob"):
        with desk.write() as session:
            lifecycle.move_case(
                session=session, code=code, action="escalate", actor=desk.user("sue"),
                now=NOW, expected_version=seen, note="urgent",
            )  # fmt: skip
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        assert (case.status, case.owner, case.version) == ("in_progress", "bob", seen + 1)


@pytest.mark.parametrize("action", ["claim", "triage", "reject", "note"])
def test_stale_row_in_a_long_lived_session_is_a_conflict(desk: Desk, action: str) -> None:
    """A session that loaded the case before someone else committed must not overwrite it:
    the version column turns the second flush into Conflict, never a raw StaleDataError."""
    code = new_case(desk, triaged=action == "claim")
    stale = Session(desk.engine.execution_options(kefu_write=True), expire_on_commit=False)
    try:
        held = lifecycle.get_case(stale, code)  # noqa: F841 - the identity map holds it weakly
        stale.commit()  # the row stays in the session's identity map at its old version
        with desk.write() as session:
            services.add_note(session=session, code=code, actor=desk.user("bob"),
                              now=NOW + timedelta(minutes=1), text="first!")  # fmt: skip
        kwargs: dict[str, object] = {
            "claim": {},
            "triage": {
                "category": "delay",
                "severity": "P3",
                "complexity": "simple",
                "party": "courier",
                "department": "cs",
            },  # fmt: skip
            "reject": {"reason": "spam"},
        }.get(action, {})
        with pytest.raises(Conflict, match="changed by someone else"):
            if action == "note":
                services.add_note(session=stale, code=code, actor=desk.user("alice"),
                                  now=NOW + timedelta(minutes=2), text="second")  # fmt: skip
            else:
                lifecycle.move_case(session=stale, code=code, action=action,
                                   actor=desk.user("carol" if action != "claim" else "alice"),
                                   now=NOW + timedelta(minutes=2), **kwargs)  # fmt: skip
        stale.rollback()
    finally:
        stale.close()
    with desk.read() as session:
        case = lifecycle.get_case(session, code)
        notes = [e.note for e in lifecycle.case_events(session, case)]
    assert case.owner is None and case.status in ("new", "triaged")
    assert notes[-1] == "first!"


# -- real processes ---------------------------------------------------------------------


def test_two_processes_claiming_the_same_case(cli_desk: Desk, tmp_path: Path) -> None:
    db = str(cli_desk.path)
    rounds = 5
    codes = [new_case(cli_desk) for _ in range(rounds)]
    # Two processes, alice's and bob's, released together on a fresh case each round.
    alice, bob = race(
        tmp_path / "go",
        [["--db", db, "--as", who, "case", "move", "{v}", "claim"] for who in ("alice", "bob")],
        repeat=rounds,
        each=True,
        values=codes,
    )
    for r in (alice, bob):
        assert "locked" not in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert r.returncode in (0, 2)
    won = {"alice": alice.stdout.splitlines(), "bob": bob.stdout.splitlines()}
    lost = {"alice": alice.stderr.splitlines(), "bob": bob.stderr.splitlines()}
    assert len(won["alice"]) + len(won["bob"]) == rounds
    assert len(lost["alice"]) + len(lost["bob"]) == rounds
    for code in codes:
        winners = [who for who in won if any(line.startswith(code) for line in won[who])]
        assert len(winners) == 1, (code, won)
        winner = winners[0]
        loser = "bob" if winner == "alice" else "alice"
        assert f"{code}: claim → in_progress (owner {winner})" in won[winner]
        # The loser is told, in one line, that the case is gone and who has it.
        assert (
            f"kefu: {code}: cannot claim a case that is in_progress and owned by {winner} "
            "(only from escalated, triaged)"
        ) in lost[loser]
        with cli_desk.read() as session:
            case = lifecycle.get_case(session, code)
            claims = [e for e in lifecycle.case_events(session, case) if e.action == "claim"]
            assert (case.owner, case.version, len(claims)) == (winner, 2, 1)
    # The loser's exit status says so (a process that lost any round exits 2).
    assert {alice.returncode, bob.returncode} <= {0, 2} and 2 in (alice.returncode, bob.returncode)


def test_two_kefu_commands_started_together(cli_desk: Desk) -> None:
    """The same race with the installed `kefu` script, no helper in between."""
    db = str(cli_desk.path)
    code = new_case(cli_desk)
    procs = [
        subprocess.Popen(
            [str(KEFU), "--db", db, "--as", who, "case", "move", code, "claim"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("alice", "bob")
    ]
    results = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    assert sorted(r[0] for r in results) == [0, 2], results
    loser = next(r for r in results if r[0] == 2)
    assert len(loser[2].strip().splitlines()) == 1 and "owned by" in loser[2]


def test_burst_of_writers_loses_no_event(cli_desk: Desk, tmp_path: Path) -> None:
    db = str(cli_desk.path)
    code = new_case(cli_desk)
    writers, notes = 4, 25
    results = race(
        tmp_path / "go",
        [
            ["--db", db, "--as", who, "case", "note", code, f"{who}-{{i}}"]
            for who in ("alice", "bob", "hank", "sue")[:writers]
        ]
        # and a reader listing all the while: WAL readers never wait for the writers
        + [["--db", db, "--as", "ana", "case", "show", code, "--json"]],
        repeat=notes,
    )
    for r in results:
        assert r.returncode == 0, r.stderr
        assert "locked" not in r.stderr
    shown = [json.loads(doc) for doc in results[-1].stdout.replace("}\n{", "}\x00{").split("\x00")]
    assert len(shown) == notes
    versions = [doc["version"] for doc in shown]
    assert versions == sorted(versions)  # each read saw a committed, never-receding state
    assert all(len(doc["history"]) == doc["version"] for doc in shown)
    with cli_desk.read() as session:
        case = lifecycle.get_case(session, code)
        written = [e.note for e in lifecycle.case_events(session, case) if e.action == "note"]
    expected = {f"{who}-{i}" for who in ("alice", "bob", "hank", "sue")[:writers] for i in range(notes)}
    assert len(written) == writers * notes
    assert set(written) == expected
    # Every note bumped the version, one at a time: no update was lost.
    assert case.version == 1 + writers * notes


def test_concurrent_intake_never_shares_a_code(cli_desk: Desk, tmp_path: Path) -> None:
    db = str(cli_desk.path)
    results = race(
        tmp_path / "go",
        [
            ["--db", db, "--as", who, "case", "new", "--channel", "hotline", "-d", f"{who} {{i}}"]
            for who in ("alice", "bob", "hank")
        ],
        repeat=8,
    )
    codes = [line for r in results for line in r.stdout.split()]
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    assert len(codes) == len(set(codes)) == 24
    with cli_desk.read() as session:
        assert session.exec(select(func.count()).select_from(Case)).one() == 24


def test_backup_while_another_process_writes(cli_desk: Desk, tmp_path: Path) -> None:
    db = str(cli_desk.path)
    codes = [new_case(cli_desk) for _ in range(5)]
    target = tmp_path / "copy.db"
    notes = 400  # many: a write is a couple of milliseconds, the backup must start before the last

    def helper(go: Path, repeat: int, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [PYTHON, str(RACE), str(go), str(repeat), "--db", db, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )

    # Both processes load first; the backup is released once the writer is under way.
    writer = helper(tmp_path / "w", notes, "--as", "alice", "case", "note", codes[0], "busy {i}")
    backer = helper(tmp_path / "b", 1, "backup", "--to", str(target))

    def events() -> int:
        with cli_desk.read() as session:
            return session.exec(select(func.count()).select_from(Event)).one()

    start = events()
    release(tmp_path / "w", [writer])
    deadline = time.monotonic() + 30
    while events() < start + 5 and time.monotonic() < deadline:
        time.sleep(0.005)
    release(tmp_path / "b", [backer])
    backup_out, backup_err = backer.communicate(timeout=60)
    during = events()
    _, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    assert backer.returncode == 0, backup_err
    assert backup_out.strip() == str(target)
    assert during < start + notes, "the writer finished before the backup; nothing was tested"

    raw = sqlite3.connect(target)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert raw.execute("PRAGMA application_id").fetchone()[0] == 0x4B454655
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        copied_cases = raw.execute("SELECT count(*) FROM cases").fetchone()[0]
        copied_events = raw.execute("SELECT count(*) FROM events").fetchone()[0]
        version = raw.execute("SELECT version FROM cases WHERE code = ?", (codes[0],)).fetchone()[0]
        copied_notes = raw.execute(
            "SELECT count(*) FROM events WHERE action = 'note' AND case_id = "
            "(SELECT id FROM cases WHERE code = ?)",
            (codes[0],),
        ).fetchone()[0]
    finally:
        raw.close()
    assert copied_cases == 5
    # A moment of the source: some but not all of the writer's notes, each with its version.
    assert start < copied_events < start + notes
    assert copied_events == start + copied_notes
    assert version == 1 + copied_notes
    # kefu itself opens the copy.
    listed = run_kefu("--db", str(target), "case", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    # And refuses to overwrite it.
    again = run_kefu("--db", db, "backup", "--to", str(target))
    assert again.returncode == 2
    assert again.stderr.strip() == f"kefu: {target} already exists; choose another --to"
    # Nowhere to write: one line, no traceback, nothing left behind.
    nowhere = tmp_path / "no-such-dir" / "copy.db"
    failed = run_kefu("--db", db, "backup", "--to", str(nowhere))
    assert failed.returncode == 2
    assert failed.stderr.strip().splitlines() == [
        f"kefu: {nowhere.parent} is not a directory; choose another --to"
    ]
    assert sorted(p.name for p in tmp_path.iterdir() if "copy" in p.name) == ["copy.db"]


def test_write_session_turns_a_long_lock_into_a_clear_error(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holding the write lock past the busy timeout: one sentence, no change."""
    monkeypatch.setattr(kdb, "BUSY_TIMEOUT_S", 0.2)
    engine = kdb.make_engine(str(desk.path))
    holder = sqlite3.connect(desk.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseError, match="stayed busy") as refused:
            with kdb.write_session(engine) as session:
                session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        assert refused.value.exit_code == 3
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()


def test_unwritable_database_is_one_sentence(desk: Desk) -> None:
    """A read-only file (or a full disk) refuses the write with one line and no change."""
    code = new_case(desk)
    engine = kdb.make_engine(str(desk.path))

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.execute("PRAGMA query_only = ON")

    try:
        with pytest.raises(DatabaseError, match="cannot be written .*readonly.*nothing was changed"):
            with kdb.write_session(engine) as session:
                services.add_note(session=session, code=code, actor=desk.user("alice"),
                                  now=NOW, text="x")  # fmt: skip
    finally:
        engine.dispose()
    with desk.read() as session:
        events = lifecycle.case_events(session, lifecycle.get_case(session, code))
        assert [e.action for e in events] == ["create"]


def test_a_waiting_write_starts_as_soon_as_the_other_writer_commits(desk: Desk) -> None:
    """Waiting for another writer costs what it held the lock, not SQLite's sleeps of up to
    100 ms on top: the write begins within a few milliseconds of the other's commit."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(desk.path), "0.5"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    engine = kdb.make_engine(str(desk.path))
    try:
        with kdb.write_session(engine) as session:
            began = time.time()
            session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    finally:
        engine.dispose()
    released = float(holder.communicate(timeout=30)[0].strip())
    assert began - released < 0.025, f"the write began {began - released:.3f} s after the lock was free"


HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
print(time.time(), flush=True)
"""
