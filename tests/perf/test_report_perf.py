"""Report benchmark: a year of 1,000,000 cases; `kefu report` over the whole year under 2 s
(by day, which keys every case on four local days, under 3 s).

Run with `pytest tests/perf -m perf -s`. The cases are bulk-inserted with executemany (no
services: speed), spread over 2026 in Shanghai time, with deadlines, resolutions, answers,
repeats, reopens, compensation and breaches in realistic shares. Each figure is printed with
its ratio to a baseline measured in the same run on the same rows: a bare
`SELECT category, count(*) FROM cases GROUP BY category` (one scan, no arithmetic).
"""

from __future__ import annotations

import random
import sqlite3
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import make_desk

from kefu.core import db as kdb
from kefu.core import policies, reports, services
from kefu.core.models import Case

pytestmark = pytest.mark.perf

CASES = 1_000_000
TARGET_S = 2.0
DAY_TARGET_S = 3.0
YEAR_START = datetime(2025, 12, 31, 16, 0, tzinfo=UTC)  # 2026-01-01 00:00 in Shanghai
NOW = datetime(2027, 1, 5, 2, 0, tzinfo=UTC)
OWNERS = tuple(f"agent{i:02d}" for i in range(40))


def _minute_strings(start: datetime, minutes: int) -> list[str]:
    """SQLite's stored form of every minute from `start` on (faster than strftime per value)."""
    out = []
    for day in range(minutes // 1440 + 1):
        base = start + timedelta(days=day)
        for minute in range(1440):
            at = base + timedelta(minutes=minute)
            out.append(at.strftime("%Y-%m-%d %H:%M:00.000000"))
    return out[:minutes]


def build_year(path: Path, cases: int = CASES, seed: int = 7) -> None:
    desk = make_desk(path, now=YEAR_START)
    with desk.read() as session:
        version, _ = policies.policy_in_force(session, YEAR_START)
    desk.engine.dispose()
    rng = random.Random(seed)
    year_minutes = 365 * 1440
    stamps = _minute_strings(YEAR_START, year_minutes + 20 * 1440)
    columns = [c.name for c in Case.__table__.columns if c.name != "id"]  # type: ignore[attr-defined]
    index = {name: i for i, name in enumerate(columns)}
    template: list[object] = [None] * len(columns)
    for name, value in {
        "policy_version_id": version.id,
        "version": 1,
        "customer_name": "张三",
        "description": "快递延误，客户要求尽快处理",
        "created_by": "alice",
        "severity": "P3",
        "complexity": "simple",
        "reopen_count": 0,
    }.items():
        template[index[name]] = value
    categories = ("delay", "damage")
    channels = ("hotline", "online")
    departments = ("cs", "ops")
    parties = ("courier", "station")
    random_ = rng.random
    received_minutes = sorted(int(random_() * year_minutes) for _ in range(cases))
    rows = []
    breaches = []
    for number, minute in enumerate(received_minutes, start=1):
        row = template[:]
        roll = random_()
        resolved = roll < 0.85
        closed = roll < 0.75
        allowed = 1440 * 3 if random_() < 0.5 else 480
        due_resolution = minute + allowed
        # about one resolved case in eight is late: (u² · 1.3 > 1) for u > 0.877
        resolved_minute = minute + int(random_() ** 2 * allowed * 1.3) if resolved else None
        handling = None if resolved_minute is None else (resolved_minute - minute) // 3
        row[index["code"]] = f"T-{number:07d}"
        row[index["status"]] = "closed" if closed else "resolved" if resolved else "in_progress"
        row[index["channel"]] = channels[number % 2]
        row[index["customer_phone"]] = f"138{number:08d}"
        row[index["order_no"]] = f"SF{number:010d}"
        row[index["received_at"]] = stamps[minute]
        row[index["updated_at"]] = stamps[minute]
        row[index["category"]] = categories[int(random_() * 2)]
        row[index["party"]] = parties[number % 2]
        row[index["department"]] = departments[int(random_() * 2)]
        row[index["owner"]] = OWNERS[number % len(OWNERS)]
        row[index["first_response_at"]] = stamps[minute + int(random_() * 40)]
        row[index["due_first_response"]] = stamps[minute + 30]
        row[index["due_resolution"]] = stamps[due_resolution]
        if resolved_minute is not None:
            row[index["resolved_at"]] = stamps[resolved_minute]
            row[index["handling_business_minutes"]] = handling
        if closed:
            assert resolved_minute is not None
            row[index["closed_at"]] = stamps[resolved_minute + 600]
            row[index["close_reason"]] = "confirmed"
            if random_() < 0.6:
                row[index["satisfied"]] = 1 if random_() < 0.85 else 0
            if random_() < 0.1:
                row[index["compensation_amount"]] = 50.0
                row[index["compensation_kind"]] = "cash"
        if random_() < 0.08:
            row[index["repeat_of"]] = f"T-{max(1, number - 1):07d}"
        if random_() < 0.04:
            row[index["reopen_count"]] = 1
        if resolved_minute is None or resolved_minute > due_resolution:
            breaches.append((number, "resolution", stamps[due_resolution], stamps[minute], "cs"))
        rows.append(tuple(row))
    conn = sqlite3.connect(str(path))
    with conn:
        conn.executemany(
            f"INSERT INTO cases ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            rows,
        )
        conn.executemany(
            "INSERT INTO breaches (case_id, kind, due_at, recorded_at, department) VALUES (?, ?, ?, ?, ?)",
            breaches,
        )
    conn.close()


@pytest.fixture(scope="module")
def year_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report-perf") / "year.db"
    started = time.perf_counter()
    build_year(path)
    print(f"\nbuilt {CASES:,} cases in {time.perf_counter() - started:.1f} s")
    return path


def _best_of(runs: int, action) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def test_report_over_a_year_of_a_million_cases(year_db: Path) -> None:
    engine = kdb.open_database(str(year_db))
    conn = sqlite3.connect(str(year_db))
    baseline = _best_of(
        3,
        lambda: conn.execute("SELECT category, count(*) FROM cases GROUP BY category").fetchall(),
    )
    conn.close()
    with kdb.read_session(engine) as session:
        admin = services.find_user(session, "admin")
        assert admin is not None
        _, profile = policies.policy_in_force(session, NOW)
        period = reports.make_period(date(2026, 1, 1), date(2026, 12, 31), "Asia/Shanghai")
        figures = {}
        results = {}
        for by in ("category", "agent", "department", "day"):

            def run(by: str = by) -> None:
                results[by] = reports.kpi_report(session=session, actor=admin, period=period, by=by, now=NOW)

            figures[by] = _best_of(5, run)
    engine.dispose()
    print(f"baseline  bare GROUP BY count: {baseline:.3f} s")
    for by, seconds in figures.items():
        print(f"report --by {by:<10} {seconds:.3f} s  ({seconds / baseline:.1f}x baseline)")
    total = results["category"].total
    assert total.volume == CASES
    assert results["day"].total.volume == CASES
    assert results["agent"].total.on_time == total.on_time
    assert total.handling_p90 is not None
    print(
        f"on-time {total.on_time.text()}  satisfied {total.satisfaction.text()}  "
        f"repeat {total.repeat.text()}  P90 {total.handling_p90} bm"
    )
    assert figures["category"] < TARGET_S, f"report took {figures['category']:.2f} s"
    # By day every case carries four local-day keys (receipt, both deadlines, closing): about
    # half as much work again as the default report.
    assert figures["day"] < DAY_TARGET_S, f"report --by day took {figures['day']:.2f} s"
