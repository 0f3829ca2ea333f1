"""A full disk (issue 12): every command that writes a file says so in one sentence with exit 3,
leaves no empty or truncated file under the name asked for (an earlier file of that name stays
as it was), and loses nothing already stored. The disk is a real one: a small tmpfs mounted by
the test (root only, as CI runs), filled to the last byte; kefu runs as its own process."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="mounts a small tmpfs: needs root (CI runs as root)"
)

KEFU = str(Path(sys.executable).parent / "kefu")


def kefu(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KEFU_LANG": "en", "COLUMNS": "200"}
    return subprocess.run(
        [KEFU, "--db", str(db), *args], capture_output=True, text=True, env=env, timeout=120
    )


class Disk:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.filler = root / "filler"

    def fill(self) -> None:
        """Take every free byte (what is left after the files already there)."""
        with self.filler.open("ab", buffering=0) as f:
            for chunk in (65536, 4096, 512, 1):
                try:
                    while True:
                        f.write(b"\0" * chunk)
                except OSError:
                    pass
        assert shutil.disk_usage(self.root).free < 4096

    def leave(self, room: int) -> None:
        """Fill, then give back `room` bytes: enough for a file to start, not to finish."""
        self.fill()
        os.truncate(self.filler, max(0, self.filler.stat().st_size - room))

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def names(self) -> set[str]:
        return {p.name for p in self.root.iterdir()} - {"filler"}


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    root = tmp_path / "small"
    root.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(root)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield Disk(root)
    finally:
        subprocess.run(["umount", "-l", str(root)], check=False)


@pytest.fixture
def desk(tmp_path: Path) -> Path:
    db = tmp_path / "kefu.db"
    assert kefu(db, "init", "--sample").returncode == 0
    return db


def _cases(db: Path) -> list[tuple[str, int, str]]:
    listed = json.loads(kefu(db, "case", "list", "--json").stdout)
    return [(c["code"], c["version"], c["status"]) for c in listed]


def one_sentence(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 3, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    return done.stderr


def test_init_on_a_full_disk_leaves_no_file(disk: Disk) -> None:
    disk.fill()
    said = one_sentence(kefu(disk.root / "kefu.db", "init"))
    assert "kefu.db" in said and "full" in said
    assert disk.names() == set()
    disk.free()
    assert kefu(disk.root / "kefu.db", "init").returncode == 0  # and once there is room, it works


def test_an_export_is_written_whole_or_not_at_all(disk: Disk, desk: Path) -> None:
    out = disk.root / "cases.csv"
    assert kefu(desk, "report", "--by", "case", "--format", "csv", "--out", str(out)).returncode == 0
    before = out.read_bytes()
    assert before.count(b"\n") > 2
    disk.fill()
    said = one_sentence(kefu(desk, "report", "--by", "case", "--format", "json", "--out", str(out)))
    assert "cases.csv: cannot write: the disk is full" in said
    assert out.read_bytes() == before and disk.names() == {"cases.csv"}  # no half file, no leftovers
    one_sentence(kefu(desk, "report", "--format", "csv", "--out", str(disk.root / "kpi.csv")))
    assert disk.names() == {"cases.csv"}


def test_an_import_keeps_its_good_rows_when_the_errors_file_cannot_be_written(
    disk: Disk, desk: Path, tmp_path: Path
) -> None:
    source = tmp_path / "in.csv"
    with source.open("w", newline="", encoding="utf-8") as f:
        rows = csv.writer(f)
        rows.writerow(["external_id", "channel", "description", "received_at"])
        rows.writerow(["ok-1", "hotline", "包裹延误", "2026-11-20 10:00"])
        for n in range(2000):  # rejected rows: more than the disk has room for
            rows.writerow([f"bad-{n}", "hotline", "描述" * 50, "not a date"])
    errors = disk.root / "rejected.csv"
    disk.fill()
    said = one_sentence(kefu(desk, "import", str(source), "--errors", str(errors)))
    assert "rejected.csv" in said and "the disk is full" in said
    assert disk.names() == set()
    again = kefu(desk, "import", str(source))  # the good row is stored: a rerun finds it present
    assert again.returncode == 2 and "1 already present" in again.stderr + again.stdout


@pytest.mark.parametrize("room", [0, 64 * 1024])
def test_a_backup_to_a_full_disk_leaves_nothing(disk: Disk, desk: Path, tmp_path: Path, room: int) -> None:
    source = tmp_path / "in.csv"
    with source.open("w", newline="", encoding="utf-8") as f:  # a desk bigger than the room left
        rows = csv.writer(f)
        rows.writerow(["external_id", "channel", "description", "received_at"])
        rows.writerows(
            [f"b-{n}", "hotline", "包裹延误，客户很着急" * 20, "2026-11-20 10:00"] for n in range(500)
        )
    assert kefu(desk, "import", str(source)).returncode == 0
    disk.leave(room)
    said = one_sentence(kefu(desk, "backup", "--to", str(disk.root / "copy.db")))
    assert "copy.db" in said and "the disk is full" in said
    assert disk.names() == set()  # no copy, no .partial, no -journal


def test_a_desk_on_a_full_disk_refuses_the_write_and_loses_nothing(disk: Disk) -> None:
    db = disk.root / "kefu.db"
    assert kefu(db, "init", "--sample").returncode == 0
    cases = _cases(db)
    disk.fill()
    said = one_sentence(
        kefu(
            db,
            "case",
            "new",
            "--channel",
            "hotline",
            "--description",
            "很长的投诉" * 5000,
            "--severity",
            "P3",
        )
    )
    assert "full" in said
    source = disk.root.parent / "more.csv"
    lines = (f"m-{n},hotline,{'很长的投诉' * 300},2026-11-20 10:00\n" for n in range(50))
    source.write_text("external_id,channel,description,received_at\n" + "".join(lines), encoding="utf-8")
    imported = kefu(db, "import", str(source))
    assert (
        imported.returncode == 3 and "the disk is full" in imported.stderr + imported.stdout
    )  # a failure, not bad input
    disk.free()
    assert _cases(db) == cases  # nothing half-written
    doctor = kefu(db, "doctor")
    assert doctor.returncode == 0, doctor.stdout


def test_a_desk_on_a_read_only_mount_says_so(desk: Path, tmp_path: Path) -> None:
    view = tmp_path / "ro"
    view.mkdir()
    subprocess.run(["mount", "--bind", str(desk.parent), str(view)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
        said = one_sentence(kefu(view / "kefu.db", "case", "list"))
        assert "is on a read-only file system" in said
    finally:
        subprocess.run(["umount", "-l", str(view)], check=False)
