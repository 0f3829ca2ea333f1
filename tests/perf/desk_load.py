"""Processes for the TUI benchmarks: a headless TUI left open (optionally pressed like an agent
would), and a writer committing notes through the core services as another agent.

    python desk_load.py tui DB SECONDS [--keys] [--sample S]   # prints JSON: RSS samples (KB)
    python desk_load.py write DB SECONDS [--rate N]            # prints JSON: commits made
    python desk_load.py notes DB COUNT                          # prints JSON: each commit's latency
    python desk_load.py raw DB COUNT                            # the same with bare SQLite

Both are real processes on the real file: what a desk with several agents does to an open TUI.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path


def rss_kb() -> int:
    """This process's resident memory (Linux /proc), in KB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (Linux /proc), in seconds."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def run_tui(db: str, seconds: float, keys: bool, sample: float, user: str, open_case: bool = False) -> None:
    from kefu.tui.app import KefuApp

    samples: list[tuple[float, int]] = []

    async def pilot_script(pilot) -> None:  # type: ignore[no-untyped-def]
        started = time.monotonic()
        await pilot.pause(1.0)
        if open_case:  # sit on the first case of the queue instead of the queue
            await pilot.press("enter")
            await pilot.pause(1.0)
        next_sample = 0.0
        presses = ["down", "down", "down", "up", "right_square_bracket", "left_square_bracket", "tab"]
        turn = 0
        while (elapsed := time.monotonic() - started) < seconds:
            if elapsed >= next_sample:
                samples.append((round(elapsed, 1), rss_kb()))
                next_sample += sample
            if keys:
                await pilot.press(presses[turn % len(presses)])
                turn += 1
                await pilot.pause(0.25)
            else:
                await pilot.pause(0.5)
        samples.append((round(time.monotonic() - started, 1), rss_kb()))
        pilot.app.exit()

    app = KefuApp(db, user=user, lang="zh")
    app.run(headless=True, size=(120, 40), auto_pilot=pilot_script)
    print(json.dumps({"rss_kb": samples, "presses": keys}))


def run_writer(db: str, seconds: float, rate: float, user: str) -> None:
    from kefu.core import db as kdb
    from kefu.core import services

    engine = kdb.open_database(db)
    conn = sqlite3.connect(db)
    codes = [r[0] for r in conn.execute("SELECT code FROM cases WHERE status != 'closed' LIMIT 2000")]
    conn.close()
    rng = random.Random(7)
    with kdb.read_session(engine) as session:
        actor = services.find_user(session, user)
    assert actor is not None
    done = 0
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        with kdb.write_session(engine) as session:
            services.add_note(
                session=session,
                code=rng.choice(codes),
                actor=actor,
                now=datetime.now(UTC),
                text=f"跟进 {done}",
            )
        done += 1
        if rate > 0:
            time.sleep(max(0.0, started + done / rate - time.monotonic()))
    print(json.dumps({"commits": done, "seconds": round(time.monotonic() - started, 1)}))


def _wait_until(start_at: float) -> None:
    """All processes of a run start their transactions at one instant (after their imports)."""
    time.sleep(max(0.0, start_at - time.time()))


def run_notes(db: str, count: int, user: str, start_at: float) -> None:
    """`count` notes through the core services, one transaction each, as fast as it goes."""
    from kefu.core import db as kdb
    from kefu.core import services

    engine = kdb.open_database(db)
    conn = sqlite3.connect(db)
    codes = [r[0] for r in conn.execute("SELECT code FROM cases WHERE status != 'closed' LIMIT 500")]
    conn.close()
    rng = random.Random()
    with kdb.read_session(engine) as session:
        actor = services.find_user(session, user)
    assert actor is not None
    latencies = []
    _wait_until(start_at)
    first = time.time()
    for number in range(count):
        started = time.perf_counter()
        with kdb.write_session(engine) as session:
            services.add_note(
                session=session, code=rng.choice(codes), actor=actor, now=datetime.now(UTC), text=f"n{number}"
            )
        latencies.append(time.perf_counter() - started)
    print(json.dumps({"latencies": latencies, "window": [first, time.time()]}))


def run_raw(db: str, count: int, start_at: float) -> None:
    """The floor: `count` bare `BEGIN IMMEDIATE; INSERT; COMMIT` on the same file."""
    conn = sqlite3.connect(db, timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    latencies = []
    _wait_until(start_at)
    first = time.time()
    for number in range(count):
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO bench (note) VALUES (?)", (f"n{number}",))
        conn.execute("COMMIT")
        latencies.append(time.perf_counter() - started)
    conn.close()
    print(json.dumps({"latencies": latencies, "window": [first, time.time()]}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["tui", "write", "notes", "raw"])
    parser.add_argument("db")
    parser.add_argument("seconds", type=float)
    parser.add_argument("--keys", action="store_true")
    parser.add_argument("--open-case", action="store_true", help="tui: sit on a case, not the queue")
    parser.add_argument("--sample", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=0.0, help="commits per second; 0: as fast as it goes")
    parser.add_argument("--user", default="alice")
    parser.add_argument(
        "--start-at", type=float, default=0.0, help="time.time() to start the transactions at"
    )
    args = parser.parse_args()
    if args.what == "tui":
        run_tui(args.db, args.seconds, args.keys, args.sample, args.user, args.open_case)
    elif args.what == "write":
        run_writer(args.db, args.seconds, args.rate, args.user)
    elif args.what == "notes":
        run_notes(args.db, int(args.seconds), args.user, args.start_at)
    else:
        run_raw(args.db, int(args.seconds), args.start_at)


if __name__ == "__main__":
    main()
