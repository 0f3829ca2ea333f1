"""SLA check benchmark: 1,000,000 cases of which 100,000 are open or waiting for confirmation.

Run with `pytest tests/perf -m perf -s`. The cases are bulk-inserted with executemany (no
services: speed): 900,000 closed over the past year, 5,000 resolved within the last days, and
95,000 open in every open status with deadlines around the check instant, about 1 % of them
already past. `kefu sla check` then runs twice at the same instant: first with the breaches
to record (and the escalations and auto-closes they bring), then the no-op re-run a cron job
normally is. Each figure is printed with its ratio to a baseline measured in the same run on
the same rows: one full scan of the cases table looking for overdue open cases the way a
query without an index would (`NOT INDEXED`).
"""

from __future__ import annotations

import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import make_desk

from kefu.core import db as kdb
from kefu.core import slacheck
from kefu.core.models import Case

pytestmark = pytest.mark.perf

CASES = 1_000_000
OPEN = 95_000
RESOLVED = 5_000
AS_OF = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tue 24 Nov 2026, 10:00 in Shanghai
NO_OP_TARGET_S = 1.0
OPEN_MIX = (
    ("new", 0.10),
    ("triaged", 0.15),
    ("in_progress", 0.45),
    ("escalated", 0.10),
    ("pending_customer", 0.10),
    ("pending_approval", 0.10),
)


class Stamps:
    """SQLite's stored form of whole minutes around AS_OF, by offset (faster than strftime)."""

    def __init__(self, days_before: int, days_after: int) -> None:
        self.first = -days_before * 1440
        start = AS_OF + timedelta(minutes=self.first)
        self.text = [
            (start + timedelta(minutes=m)).strftime("%Y-%m-%d %H:%M:00.000000")
            for m in range((days_before + days_after) * 1440)
        ]

    def at(self, minutes: float) -> str:
        return self.text[int(minutes) - self.first]


def build(path: Path, seed: int = 3) -> dict[str, int]:
    desk = make_desk(path, now=AS_OF - timedelta(days=400))
    desk.engine.dispose()
    rng = random.Random(seed)
    uniform = rng.uniform
    stamps = Stamps(days_before=400, days_after=10)
    columns = [c.name for c in Case.__table__.columns if c.name != "id"]  # type: ignore[attr-defined]
    at = {name: i for i, name in enumerate(columns)}
    template: list[object] = [None] * len(columns)
    for name, value in {
        "policy_version_id": 1,
        "version": 1,
        "channel": "hotline",
        "description": "快递延误，客户要求尽快处理",
        "created_by": "alice",
        "severity": "P2",
        "complexity": "simple",
        "reopen_count": 0,
        "category": "delay",
        "party": "courier",
        "department": "cs",
        "owner": "alice",
    }.items():
        template[at[name]] = value
    expected = {"first_response": 0, "resolution": 0, "coordination": 0}
    rows = []
    statuses = [s for s, _ in OPEN_MIX]
    weights = [w for _, w in OPEN_MIX]
    open_statuses = rng.choices(statuses, weights, k=OPEN)
    for number in range(1, CASES + 1):
        row = template[:]
        row[at["code"]] = f"T-BENCH-{number:07d}"
        if number <= OPEN:
            status = open_statuses[number - 1]
            received = -uniform(0, 2 * 1440)
            row[at["received_at"]] = stamps.at(received)
            if rng.random() < 0.9:
                row[at["first_response_at"]] = stamps.at(received + 10)
                row[at["due_first_response"]] = stamps.at(received + 30)
            else:
                due = uniform(-60, 240) if rng.random() < 0.5 else uniform(30, 2880)
                row[at["due_first_response"]] = stamps.at(due)
                expected["first_response"] += due <= 0 and status != "pending_customer"
            due = -uniform(1, 1440) if rng.random() < 0.01 else uniform(1, 5 * 1440)
            row[at["due_resolution"]] = stamps.at(due)
            expected["resolution"] += due <= 0 and status != "pending_customer"
            if status == "escalated":
                row[at["escalated_at"]] = stamps.at(received + 60)
                due = -uniform(1, 600) if rng.random() < 0.02 else uniform(1, 1440)
                row[at["due_coordination"]] = stamps.at(due)
                expected["coordination"] += due <= 0
            if status == "pending_customer":
                row[at["paused_at"]] = stamps.at(received + 120)
            row[at["updated_at"]] = row[at["received_at"]]
        elif number <= OPEN + RESOLVED:
            status = "resolved"
            resolved = -uniform(0, 6.5 * 1440)
            row[at["received_at"]] = stamps.at(resolved - 600)
            row[at["first_response_at"]] = stamps.at(resolved - 590)
            row[at["due_first_response"]] = stamps.at(resolved - 570)
            row[at["due_resolution"]] = stamps.at(resolved + 600)
            row[at["resolved_at"]] = stamps.at(resolved)
            row[at["resolution"]] = "apology"
            row[at["updated_at"]] = row[at["resolved_at"]]
        else:
            status = "closed"
            received = -uniform(4 * 1440, 395 * 1440)
            row[at["received_at"]] = stamps.at(received)
            row[at["first_response_at"]] = stamps.at(received + 10)
            row[at["due_first_response"]] = stamps.at(received + 30)
            row[at["due_resolution"]] = stamps.at(received + 1440)
            row[at["resolved_at"]] = stamps.at(received + 600)
            row[at["closed_at"]] = stamps.at(received + 1500)
            row[at["close_reason"]] = "confirmed"
            row[at["resolution"]] = "apology"
            row[at["updated_at"]] = row[at["closed_at"]]
        row[at["status"]] = status
        rows.append(tuple(row))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    placeholders = ", ".join("?" for _ in columns)
    # Indexes are dropped for the load and built again afterwards (much faster than
    # maintaining eight of them row by row); the schema ends up exactly as migrated.
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cases' AND sql IS NOT NULL"
    ).fetchall()
    with conn:
        for name, _sql in indexes:
            conn.execute(f"DROP INDEX {name}")
        conn.executemany(f"INSERT INTO cases ({', '.join(columns)}) VALUES ({placeholders})", rows)
        for _name, sql in indexes:
            conn.execute(sql)
    conn.execute("ANALYZE")
    conn.close()
    return expected


def timed(run):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = run()
    return result, time.perf_counter() - start


def test_sla_check_over_a_million_cases(tmp_path: Path) -> None:
    path = tmp_path / "bench.db"
    _, build_s = timed(lambda: build(path))
    engine = kdb.open_database(str(path))
    with sqlite3.connect(path) as conn:
        _, baseline_s = timed(
            lambda: conn.execute(
                "SELECT count(*) FROM cases NOT INDEXED WHERE status IN "
                "('new','triaged','in_progress','escalated','pending_approval') "
                "AND due_resolution <= ?",
                (AS_OF.strftime("%Y-%m-%d %H:%M:%S.000000"),),
            ).fetchone()
        )
    from kefu.core import services

    with kdb.read_session(engine) as session:
        admin = services.find_user(session, "admin")
        assert admin is not None
        session.expunge(admin)

    first, first_s = timed(lambda: slacheck.check_sla(engine=engine, actor=admin, now=AS_OF))
    again, again_s = timed(lambda: slacheck.check_sla(engine=engine, actor=admin, now=AS_OF))
    engine.dispose()

    print()
    print(f"  build 1,000,000 cases ({OPEN + RESOLVED:,} open or resolved): {build_s:6.1f} s")
    print(f"  baseline: one NOT INDEXED scan for overdue cases: {baseline_s * 1000:8.1f} ms")
    print(
        f"  sla check, first run: {first_s * 1000:8.1f} ms  ({first_s / baseline_s:5.2f}× baseline)"
        f"  new breaches {len(first.new_breaches):,}, escalated {len(first.escalated):,}, "
        f"auto-closed {len(first.auto_closed):,}, breached {len(first.breached):,}, "
        f"at risk {len(first.at_risk):,}"
    )
    print(
        f"  sla check, re-run:    {again_s * 1000:8.1f} ms  ({again_s / baseline_s:5.2f}× baseline)"
        f"  new breaches {len(again.new_breaches):,}, breached {len(again.breached):,}, "
        f"at risk {len(again.at_risk):,}"
    )
    assert first.new_breaches and first.escalated and first.auto_closed, "nothing to do"
    assert again.new_breaches == [] and again.escalated == [] and again.auto_closed == []
    assert again_s < NO_OP_TARGET_S, f"the no-op sla check took {again_s:.2f} s"
