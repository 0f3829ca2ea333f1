"""A damaged file (issue 12): garbage in the middle pages of the desk. Every command says so in
one sentence with exit 3 (exit 1 is the contract's "found problems"), never a traceback;
`doctor` reports the damage and the way back (the latest backup) instead of crashing; `backup`
does not copy a damaged desk over as if it were good."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from conftest import NOW, Desk, make_cli_desk
from conftest import cli_run as run

from kefu.core import intake


@pytest.fixture
def damaged(tmp_path: Path) -> Desk:
    desk = make_cli_desk(tmp_path / "kefu.db")
    with desk.write() as session:
        for n in range(60):
            intake.create_case(session=session, actor=desk.user("alice"), now=NOW, channel="hotline",
                               description=f"包裹延误第{n}天，客户很着急" * 5,
                               customer_phone=f"1380000{n:04d}")  # fmt: skip
    desk.engine.dispose()
    size, page = desk.path.stat().st_size, 4096
    noise = random.Random(7)
    with open(desk.path, "r+b") as f:
        for n in range(2, size // page):  # every page but the first two (the header, the schema)
            f.seek(n * page + 100)
            f.write(noise.randbytes(600))
    return desk


@pytest.mark.parametrize(
    "args",
    [("case", "list"), ("sla", "check"), ("report",), ("case", "new", "--channel", "hotline", "-d", "新投诉"),
     ("backup", "--to", "copy.db")],
    ids=lambda a: " ".join(a[:2]),
)  # fmt: skip
def test_every_command_on_a_damaged_file_is_one_sentence_and_exit_3(
    damaged: Desk, args: tuple[str, ...]
) -> None:
    os.chdir(damaged.path.parent)
    done = run(damaged, "--as", "sue", *args)
    assert done.exit_code == 3, done.output
    assert "Traceback" not in done.output and done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"kefu: {damaged.path} is damaged (")
    assert "nothing was changed; restore your latest `kefu backup`" in done.stderr
    assert not (damaged.path.parent / "copy.db").exists()


def test_doctor_reports_the_damage_and_the_way_back(damaged: Desk) -> None:
    done = run(damaged, "doctor")
    assert done.exit_code == 1 and "Traceback" not in done.output
    assert "!!  database: database disk image is malformed" in done.stdout
    assert "restore your latest `kefu backup`" in done.stdout


def test_a_backup_of_a_damaged_desk_is_refused_and_the_last_good_one_kept(tmp_path: Path) -> None:
    """SQLite's backup copies pages as they are; the copy is checked before it takes the
    backup's name, so a damaged desk never replaces a good backup."""
    from kefu.core import db as kdb
    from kefu.core.errors import DatabaseError

    desk = make_cli_desk(tmp_path / "kefu.db")
    with desk.write() as session:
        for n in range(60):
            intake.create_case(session=session, actor=desk.user("alice"), now=NOW, channel="hotline",
                               description=f"包裹延误第{n}天" * 20)  # fmt: skip
    desk.engine.dispose()
    size = desk.path.stat().st_size
    with open(desk.path, "r+b") as f:
        for n in range(size // 4096 - 6, size // 4096 - 1):  # the b-tree headers of pages near the end
            f.seek(n * 4096)
            f.write(b"\x0d" + random.Random(n).randbytes(11))
    with pytest.raises(DatabaseError, match="is damaged .*no backup was written"):
        kdb.backup_sqlite(desk.engine, tmp_path / "backup.db")
    assert not [p for p in tmp_path.iterdir() if "backup" in p.name]


def _busy_desk(tmp_path: Path) -> Desk:
    """A desk of 80 cases: their history fills several pages, so one can be damaged alone."""
    desk = make_cli_desk(tmp_path / "kefu.db")
    with desk.write() as session:
        for n in range(80):
            intake.create_case(session=session, actor=desk.user("alice"), now=NOW, channel="hotline",
                               description=f"包裹延误第{n}天，客户很着急" * 8)  # fmt: skip
    return desk


def _damage_old_history(desk: Desk, table: str = "events", which: int = 1) -> None:
    """Garbage in an early leaf page of the history (or `table`): a new case appends at the
    other end of the b-tree, so SQLite itself would let it through."""
    import sqlite3

    desk.engine.dispose()
    with sqlite3.connect(desk.path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        leaves = [
            r[0]
            for r in conn.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf'", (table,))
        ]
    assert len(leaves) > which
    with open(desk.path, "r+b") as f:
        f.seek((leaves[which] - 1) * 4096)
        f.write(b"\x0d" + random.Random(3).randbytes(200))


def test_once_damage_is_found_no_kefu_write_goes_into_the_file(tmp_path: Path) -> None:
    """The batch jobs quick-check the file before they write; whoever finds the damage (a
    batch job, doctor, backup, any command's statement) marks the desk, and every later write
    is refused in one sentence while reads go on; a restored backup and `doctor` mend it."""
    desk = _busy_desk(tmp_path)
    assert run(desk, "backup", "--to", str(tmp_path / "good.db")).exit_code == 0
    _damage_old_history(desk)
    source = tmp_path / "in.csv"
    source.write_text("channel,description\nhotline,导入的投诉\n", encoding="utf-8")
    refused = run(desk, "import", str(source))
    assert refused.exit_code == 3 and "is damaged (" in refused.stderr and "Traceback" not in refused.output
    assert (tmp_path / "kefu.db.damaged").exists()
    new = run(desk, "--as", "alice", "case", "new", "--channel", "hotline", "-d", "新投诉")
    assert (
        new.exit_code == 3 and "was found damaged" in new.stderr and "kefu writes nothing to it" in new.stderr
    )
    assert run(desk, "--as", "alice", "case", "list", "--json").exit_code == 0  # reading goes on
    # The way back: the backup over the file (nobody working), then doctor.
    for companion in ("-wal", "-shm"):
        Path(f"{desk.path}{companion}").unlink(missing_ok=True)
    (tmp_path / "good.db").replace(desk.path)
    doctor = run(desk, "doctor")
    assert doctor.exit_code == 0 and "the damage mark was removed" in doctor.stdout
    assert run(desk, "--as", "alice", "case", "new", "--channel", "hotline", "-d", "新投诉").exit_code == 0


def test_doctor_marks_a_damaged_desk(tmp_path: Path) -> None:
    desk = _busy_desk(tmp_path)
    _damage_old_history(desk)
    assert run(desk, "doctor").exit_code == 1
    new = run(desk, "--as", "alice", "case", "new", "--channel", "hotline", "-d", "新投诉")
    assert new.exit_code == 3 and "was found damaged" in new.stderr


def test_doctor_reports_every_check_when_the_cases_are_damaged(tmp_path: Path) -> None:
    """Damage in the pages doctor's own reads need (the policy revisions): it still lists its
    checks and exits 1."""
    desk = _busy_desk(tmp_path)
    _damage_old_history(desk, "policy_versions", 0)
    done = run(desk, "doctor")
    assert done.exit_code == 1 and "Traceback" not in done.output, done.output
    assert "!!  integrity:" in done.stdout and "!!  cases:" in done.stdout and "ok  schema:" in done.stdout


def test_verify_on_a_damaged_desk_is_no_all_clear(tmp_path: Path) -> None:
    """The nightly `audit verify` fails on a damaged file even when the chains' pages are intact."""
    desk = _busy_desk(tmp_path)
    _damage_old_history(desk, "cases")
    done = run(desk, "--as", "aud", "audit", "verify", "--json")
    assert done.exit_code == 3 and "is damaged (" in done.stderr and done.stdout == ""
