"""CLI command benchmark (issue 14): how long a whole `kefu` command takes beside
`sqlite-utils query` on the same desk file, measured in one run, alternated.

Targets (issue 14): a read (`case list --json`, `case show --json`, `--version`) within 1.2x the
time of `sqlite-utils query` on the same file; a write (`case move ... claim`) within 1.5x.
Today kefu is far from them; the benchmark prints the figures and ratios (wall and CPU, the
load average) and marks itself xfail while a target is missed, so progress is measured, not
asserted into a flaky unit test.

Run with `pytest tests/perf/test_cli_perf.py -m perf -s`; `KEFU_PERF_CASES` sets the desk's size
(default 100,000; the desk is built once with `kefu import`).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_import_perf import KEFU, SQLITE_UTILS, write_export

pytestmark = pytest.mark.perf

CASES = int(os.environ.get("KEFU_PERF_CASES", "100000"))
ROUNDS = 5
READ_TARGET = 1.2
WRITE_TARGET = 1.5


def _timed(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one process (its children's CPU included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "KEFU_LANG": "en"})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode in (0, 1), done.stderr[-500:]
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _pair(kefu: list[str], peer: list[str]) -> tuple[float, float, float, float]:
    """Median wall and CPU of each, run alternately."""
    ours, theirs = [], []
    for _ in range(ROUNDS):
        ours.append(_timed(kefu))
        theirs.append(_timed(peer))
    med = statistics.median
    return (
        med(w for w, _ in ours),
        med(c for _, c in ours),
        med(w for w, _ in theirs),
        med(c for _, c in theirs),
    )


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-perf")
    db = root / "kefu.db"
    subprocess.run([KEFU, "--db", str(db), "init", "--profile", "express"], check=True, capture_output=True)
    export = root / "export.csv"
    write_export(export, CASES)
    subprocess.run([KEFU, "--db", str(db), "import", str(export)], capture_output=True)
    return db


def test_whole_commands_beside_sqlite_utils(desk: Path) -> None:
    db = str(desk)
    first = subprocess.run([KEFU, "--db", db, "case", "list", "--json", "--limit", "1"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    code = json.loads(first.stdout)[0]["code"]
    select_list = "SELECT code, status, received_at FROM cases ORDER BY received_at DESC LIMIT 50"
    select_case = f"SELECT * FROM cases WHERE code = '{code}'"  # noqa: S608
    rows = [
        ("case list --json", [KEFU, "--db", db, "case", "list", "--json"],
         [SQLITE_UTILS, "query", db, select_list], READ_TARGET),
        ("case show --json", [KEFU, "--db", db, "case", "show", code, "--json"],
         [SQLITE_UTILS, "query", db, select_case], READ_TARGET),
        ("--version", [KEFU, "--version"], [SQLITE_UTILS, "--version"], READ_TARGET),
    ]  # fmt: skip
    missed = []
    print(f"\n{CASES:,} cases; load average {os.getloadavg()[0]:.2f}")
    for name, ours, peer, target in rows:
        wall, cpu, peer_wall, peer_cpu = _pair(ours, peer)
        ratio = wall / peer_wall
        print(f"{name:18} kefu {wall * 1000:7.0f} ms wall {cpu * 1000:7.0f} ms CPU | sqlite-utils "
              f"{peer_wall * 1000:5.0f} ms wall {peer_cpu * 1000:5.0f} ms CPU | "
              f"{ratio:5.2f}x (target {target}x)")  # fmt: skip
        if ratio > target:
            missed.append(name)
    claim = _timed([KEFU, "--db", db, "case", "move", code, "triage", "--category", "delay",
                    "--severity", "P3", "--complexity", "simple", "--party", "courier",
                    "--department", "cs"])  # fmt: skip
    peer_write = _timed([SQLITE_UTILS, "query", db, "UPDATE cases SET updated_at = updated_at WHERE id = 1"])
    ratio = claim[0] / peer_write[0]
    print(f"{'case move triage':18} kefu {claim[0] * 1000:7.0f} ms wall {claim[1] * 1000:7.0f} ms CPU | "
          f"sqlite-utils write {peer_write[0] * 1000:5.0f} ms | "
          f"{ratio:5.2f}x (target {WRITE_TARGET}x)")  # fmt: skip
    if ratio > WRITE_TARGET:
        missed.append("case move")
    # The floor the product's own stack sets: a command that reads or writes the desk through the
    # core imports Typer, SQLAlchemy's ORM and SQLModel (pydantic) before it does any work.
    floor = [sys.executable, "-c", "import typer, sqlalchemy.orm, sqlmodel, rich.console"]
    floor_wall, floor_cpu, peer_wall, _ = _pair(floor, [SQLITE_UTILS, "--version"])
    print(f"{'import floor':18} python -c 'import typer, sqlalchemy.orm, sqlmodel, rich.console' "
          f"{floor_wall * 1000:5.0f} ms wall {floor_cpu * 1000:5.0f} ms CPU = "
          f"{floor_wall / peer_wall:4.2f}x sqlite-utils --version")  # fmt: skip
    if missed:
        pytest.xfail(f"issue 14's targets missed for: {', '.join(missed)}")
