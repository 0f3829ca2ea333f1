"""Open TUIs while others work (issue 14): what an idle TUI costs, and whether one open all day
keeps flat memory.

Run with `pytest tests/perf/test_tui_idle_perf.py -m perf -s`. Both build a desk of 100,000
cases (`KEFU_PERF_CASES`) and run real processes on it (`desk_load.py`): headless TUIs at
120x40 and a writer committing notes through the core services as fast as it can.

- Idle: N TUIs (`KEFU_PERF_TUIS`, default 3) sit on their queue (odd ones on a case) while the
  writer commits for
  `KEFU_PERF_SECONDS` (default 30); each TUI's CPU is read from /proc and printed as a share of
  one core, beside the same TUIs with nobody writing (the baseline, measured in the same run).
  Target: at most 5 % of a core each.
- Soak: one TUI pressed like an agent (arrows, page flips, tabs) while the writer commits one
  note a second, for `KEFU_SOAK_SECONDS` (default 120; 3600 for the hour); RSS is printed every
  `KEFU_SOAK_SAMPLE` seconds. Target: growth within 10 MB after the warm-up (the first sample
  after 20 % of the run).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from desk_load import cpu_seconds
from test_tui_perf import build_big_desk

pytestmark = pytest.mark.perf

CASES = int(os.environ.get("KEFU_PERF_CASES", "100000"))
TUIS = int(os.environ.get("KEFU_PERF_TUIS", "3"))
SECONDS = float(os.environ.get("KEFU_PERF_SECONDS", "30"))
SOAK_SECONDS = float(os.environ.get("KEFU_SOAK_SECONDS", "120"))
SOAK_SAMPLE = float(os.environ.get("KEFU_SOAK_SAMPLE", "10"))
IDLE_TARGET = 0.05
SOAK_TARGET_KB = 10 * 1024
LOAD = Path(__file__).with_name("desk_load.py")


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tui-idle") / "big.db"
    build_big_desk(path, cases=CASES)
    return path


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(LOAD), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(LOAD.parent)},
    )


def _idle_cpu(db: Path, *, writing: bool) -> tuple[list[float], dict[str, float]]:
    """CPU share of one core each TUI used over the window, and what the writer did."""
    # Half of them on their queue, half on a case (each screen re-reads what it shows).
    tuis = [
        _spawn("tui", str(db), str(SECONDS + 15), "--sample", "60", *(["--open-case"] if n % 2 else []))
        for n in range(TUIS)
    ]
    time.sleep(8)  # started, first page and counts drawn
    before = [cpu_seconds(t.pid) for t in tuis]
    started = time.monotonic()
    wrote: dict[str, float] = {}
    if writing:
        writer = _spawn("write", str(db), str(SECONDS), "--user", "bob")
        out, err = writer.communicate(timeout=SECONDS + 60)
        assert writer.returncode == 0, err[-2000:]
        wrote = json.loads(out)
    else:
        time.sleep(SECONDS)
    window = time.monotonic() - started
    after = [cpu_seconds(t.pid) for t in tuis]
    for t in tuis:
        _, err = t.communicate(timeout=120)
        assert t.returncode == 0, err[-2000:]
    return [(a - b) / window for a, b in zip(after, before, strict=True)], wrote


def test_idle_tuis_while_another_agent_writes(big: Path, tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    shutil.copy(big, db)
    quiet, _ = _idle_cpu(db, writing=False)
    busy, wrote = _idle_cpu(db, writing=True)
    load = os.getloadavg()
    print(f"\n{TUIS} idle TUIs on {CASES:,} cases, {SECONDS:.0f} s window; load {load[0]:.2f}")
    print(f"  nobody writing: {', '.join(f'{c:.1%}' for c in quiet)} of a core")
    rate = wrote["commits"] / wrote["seconds"]
    print(f"  one writer, {wrote['commits']:.0f} commits ({rate:.0f}/s): "
          f"{', '.join(f'{c:.1%}' for c in busy)} of a core (target <= {IDLE_TARGET:.0%})")  # fmt: skip
    worst = max(busy)
    print(f"  worst {worst:.1%}; {worst / max(max(quiet), 1e-3):.1f}x the quiet TUI")
    if worst > IDLE_TARGET:
        pytest.xfail(f"an idle TUI used {worst:.1%} of a core while another agent wrote")


def test_tui_memory_over_a_day(big: Path, tmp_path: Path) -> None:
    db = tmp_path / "desk.db"
    shutil.copy(big, db)
    tui = _spawn("tui", str(db), str(SOAK_SECONDS), "--keys", "--sample", str(SOAK_SAMPLE))
    time.sleep(5)
    writer = _spawn("write", str(db), str(SOAK_SECONDS - 5), "--rate", "1", "--user", "bob")
    out, err = tui.communicate(timeout=SOAK_SECONDS + 120)
    assert tui.returncode == 0, err[-2000:]
    writer.communicate(timeout=120)
    samples = json.loads(out)["rss_kb"]
    print(f"\nTUI soak on {CASES:,} cases, {SOAK_SECONDS:.0f} s, keys + one commit a second:")
    for at, kb in samples:
        print(f"  {at:7.1f} s  {kb / 1024:7.1f} MB")
    warm = next((kb for at, kb in samples if at >= SOAK_SECONDS * 0.2), samples[0][1])
    peak_after = max(kb for at, kb in samples if at >= SOAK_SECONDS * 0.2)
    growth = peak_after - warm
    print(f"  growth after warm-up: {growth / 1024:.1f} MB (target <= {SOAK_TARGET_KB / 1024:.0f} MB)")
    if growth > SOAK_TARGET_KB:
        pytest.xfail(f"the TUI grew {growth / 1024:.1f} MB after warm-up")
