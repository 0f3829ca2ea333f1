"""Many agents at once (issue 14): 8 processes writing notes through the core services.

Run with `pytest tests/perf/test_concurrency_perf.py -m perf -s`. Each process makes
`KEFU_PERF_NOTES` (default 500) notes on cases of a desk of `KEFU_PERF_CASES` (default 20,000),
one transaction each, as fast as it can; beside them, the same number of processes making bare
`BEGIN IMMEDIATE; INSERT; COMMIT` transactions on the same file (the floor, same run). The
processes start their transactions at one instant, after their imports. Printed:
transactions per second, p50 and p99 latency, wall and CPU, the load average, and the ratio to
the floor. Targets: >= 1,000 tx/s with p99 <= 50 ms, and no note lost.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_tui_perf import build_big_desk

pytestmark = pytest.mark.perf

CASES = int(os.environ.get("KEFU_PERF_CASES", "20000"))
PROCESSES = int(os.environ.get("KEFU_PERF_PROCESSES", "8"))
NOTES = int(os.environ.get("KEFU_PERF_NOTES", "500"))
TX_TARGET = 1000.0
P99_TARGET = 0.050
LOAD = Path(__file__).with_name("desk_load.py")


def _run(what: str, db: Path) -> tuple[float, float, list[float]]:
    """Seconds from the first transaction to the last, CPU seconds of the processes (their
    start included) and every transaction's latency, PROCESSES at once."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start_at = f"{time.time() + 2.0 + PROCESSES * 0.5:.3f}"  # after every process's imports
    procs = [
        subprocess.Popen(
            [sys.executable, str(LOAD), what, str(db), str(NOTES), "--user", user, "--start-at", start_at],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for user in (("alice", "bob", "hank", "sue") * PROCESSES)[:PROCESSES]
    ]
    latencies: list[float] = []
    windows = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-2000:]
        latencies += json.loads(out)["latencies"]
        windows.append(json.loads(out)["window"])
    wall = max(end for _, end in windows) - min(start for start, _ in windows)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, latencies


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def test_eight_agents_writing_at_once(tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    build_big_desk(db, cases=CASES)
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE bench (id INTEGER PRIMARY KEY, note TEXT)")
        notes_before = conn.execute("SELECT count(*) FROM events WHERE action = 'note'").fetchone()[0]
    raw_wall, raw_cpu, raw = _run("raw", db)
    wall, cpu, ours = _run("notes", db)
    with sqlite3.connect(db) as conn:
        notes = conn.execute("SELECT count(*) FROM events WHERE action = 'note'").fetchone()[0] - notes_before
    total = PROCESSES * NOTES
    tx, raw_tx = total / wall, total / raw_wall
    p50, p99 = _quantile(ours, 0.5), _quantile(ours, 0.99)
    load = os.getloadavg()
    print(f"\n{PROCESSES} processes x {NOTES} transactions on {CASES:,} cases; load {load[0]:.2f}")
    raw50, raw99 = _quantile(raw, 0.5) * 1000, _quantile(raw, 0.99) * 1000
    print(f"  bare SQLite: {raw_tx:8.0f} tx/s  p50 {raw50:6.1f} ms  p99 {raw99:6.1f} ms  "
          f"wall {raw_wall:.1f} s  CPU {raw_cpu:.1f} s")  # fmt: skip
    print(f"  kefu notes:  {tx:8.0f} tx/s  p50 {p50 * 1000:6.1f} ms  p99 {p99 * 1000:6.1f} ms  "
          f"wall {wall:.1f} s  CPU {cpu:.1f} s  ({tx / raw_tx:.3f}x bare; targets "
          f">= {TX_TARGET:.0f} tx/s, p99 <= {P99_TARGET * 1000:.0f} ms)")  # fmt: skip
    print(f"  notes recorded: {notes} of {total}")
    assert notes == total, "a note was lost"
    if tx < TX_TARGET or p99 > P99_TARGET:
        pytest.xfail(f"{tx:.0f} tx/s, p99 {p99 * 1000:.0f} ms")
