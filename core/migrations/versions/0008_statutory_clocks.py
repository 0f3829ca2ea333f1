"""statutory clocks: the legal duties of `[statutory.*]` as deadline records

Adds to `cases` the dates statutory periods count from (`delivered_on`: sign-off / delivery /
sale; `returned_on`: the returned goods received) and the projection of the earliest unmet
statutory duty (`due_statutory`, `statutory_clock`, indexed); widens `breaches.kind` to name a
statutory clock; indexes the open deadline records by clock and due time. Existing cases get
the records of the duties that count from receipt (the other anchors are new fields, empty
on old cases), computed as kefu.core.statutory counts
(民法典 201, 203: from the day after receipt; a last day off moves to the next working day; ends
at 24:00), met at the first resolution, cancelled on a rejection. Frozen here: a migration
must not change meaning when the policy code does.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import json
import tomllib
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import sqlalchemy as sa
from alembic import op
from chinese_calendar import constants as cn_constants

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000
_CN_YEARS = {d.year for d in cn_constants.holidays} | {d.year for d in cn_constants.workdays}


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


class _Days:
    """The official calendar: entered years first, then chinesecalendar, then weekdays."""

    def __init__(self, conn: Any) -> None:
        self.entered: dict[int, tuple[set[date], set[date]]] = {}
        for (text,) in conn.execute(sa.text("SELECT arrangement_json FROM calendar_years")):
            data = json.loads(text)
            off: set[date] = set()
            for h in data.get("holidays", []):
                day = date.fromisoformat(h["from"])
                while day <= date.fromisoformat(h["to"]):
                    off.add(day)
                    day += timedelta(days=1)
            self.entered[int(data["year"])] = (
                off,
                {date.fromisoformat(w["date"]) for w in data.get("workdays", [])},
            )

    def working(self, day: date) -> bool:
        if day.year in self.entered:
            off, on = self.entered[day.year]
            return day in on or (day.weekday() < 5 and day not in off)
        if day.year in _CN_YEARS:
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5


def _duties(source: str) -> tuple[ZoneInfo, list[tuple[str, str, int, list[str]]]]:
    data = tomllib.loads(source)
    zone = ZoneInfo(str(data.get("calendar", {}).get("timezone", "Asia/Shanghai")))
    found = []
    for code, rule in data.get("statutory", {}).items():
        if rule.get("anchor", "received") != "received" or rule.get("kind", "duty") != "duty":
            continue
        target = str(rule["target"]).strip().lower()
        if not target.endswith("d") or not target[:-1].isdigit():
            continue
        found.append((code, target, int(target[:-1]), list(rule.get("categories", []))))
    return zone, found


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivered_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("returned_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("due_statutory", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("statutory_clock", sa.String(length=60), nullable=True))
        batch_op.create_index("ix_cases_due_statutory", ["due_statutory"], unique=False)
    with op.batch_alter_table("breaches", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=20), type_=sa.String(length=60))
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deadlines_open",
            ["clock", "due_at"],
            unique=False,
            sqlite_where=sa.text("met_at IS NULL AND ended_at IS NULL"),
            postgresql_where=sa.text("met_at IS NULL AND ended_at IS NULL"),
        )
    conn = op.get_bind()
    days = _Days(conn)
    policies = {
        row.id: _duties(row.source_toml)
        for row in conn.execute(sa.text("SELECT id, source_toml FROM policy_versions")).all()
    }
    if not any(rules for _, rules in policies.values()):
        return
    cases = sa.text(
        "SELECT id, policy_version_id, category, status, close_reason, received_at, closed_at "
        "FROM cases WHERE id > :after ORDER BY id LIMIT :batch"
    )
    first_resolved = sa.text(
        "SELECT case_id, min(at) AS at FROM events WHERE to_status = 'resolved' "
        "AND case_id > :first - 1 AND case_id < :last + 1 GROUP BY case_id"
    )
    stamp = sa.DateTime(timezone=True)
    table = sa.table(
        "deadlines",
        *(sa.column(n) for n in ("case_id", "clock", "instance", "policy_version_id", "target")),
        *(sa.column(n, stamp) for n in ("started_at", "due_at", "met_at", "ended_at", "paused_at")),
        *(sa.column(n) for n in ("end_reason", "assumed_years")),
    )
    cases_table = sa.table(
        "cases", sa.column("id"), sa.column("due_statutory", stamp), sa.column("statutory_clock")
    )
    naive = conn.dialect.name == "sqlite"

    def stored(value: datetime | None) -> datetime | None:
        if value is None or not naive:
            return value
        return value.astimezone(UTC).replace(tzinfo=None)

    after = 0
    while chunk := conn.execute(cases, {"after": after, "batch": BATCH}).all():
        after = chunk[-1].id
        resolved = {
            r.case_id: _aware(r.at)
            for r in conn.execute(first_resolved, {"first": chunk[0].id, "last": after})
        }
        rows: list[dict[str, Any]] = []
        projections: list[dict[str, Any]] = []
        for case in chunk:
            zone, rules = policies[case.policy_version_id]
            received = _aware(case.received_at)
            assert received is not None
            rejected = case.status == "closed" and case.close_reason in ("spam", "duplicate")
            earliest: tuple[datetime, str] | None = None
            for code, target, amount, categories in rules:
                if categories and case.category not in categories:
                    continue
                last = received.astimezone(zone).date() + timedelta(days=amount)
                while not days.working(last):
                    last += timedelta(days=1)
                due = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
                met = resolved.get(case.id)
                ended = _aware(case.closed_at) if rejected and met is None else None
                rows.append(
                    {
                        "case_id": case.id,
                        "clock": f"statutory.{code}",
                        "instance": 1,
                        "policy_version_id": case.policy_version_id,
                        "target": target,
                        "started_at": stored(received),
                        "due_at": stored(due),
                        "met_at": stored(met),
                        "ended_at": stored(ended),
                        "end_reason": "cancelled" if ended is not None else None,
                        "paused_at": None,
                        "assumed_years": None,
                    }
                )
                if met is None and ended is None and case.status != "closed":
                    if earliest is None or due < earliest[0]:
                        earliest = (due, f"statutory.{code}")
            if earliest is not None:
                projections.append({"i": case.id, "d": stored(earliest[0]), "c": earliest[1]})
        if rows:
            conn.execute(sa.insert(table), rows)
        if projections:
            conn.execute(
                sa.update(cases_table)
                .where(cases_table.c.id == sa.bindparam("i"))
                .values(due_statutory=sa.bindparam("d"), statutory_clock=sa.bindparam("c")),
                projections,
            )


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM deadlines WHERE clock LIKE 'statutory.%'"))
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_index("ix_deadlines_open")
    with op.batch_alter_table("breaches", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=60), type_=sa.String(length=20))
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_due_statutory")
        batch_op.drop_column("statutory_clock")
        batch_op.drop_column("due_statutory")
        batch_op.drop_column("returned_on")
        batch_op.drop_column("delivered_on")
