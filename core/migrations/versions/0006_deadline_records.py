"""deadlines as records: every clock a case ran is a row

Adds the `deadlines` table (kefu.core.deadlines): one row per instance of a clock, with its
start, target, due time, when it was met, when and why it ended, the policy revision and the
calendar years it had to assume. Existing cases get their rows from what the desk holds:

- the current instance of each clock from the case's `due_*` columns (met by
  `first_response_at`, `resolved_at`, or — coordination — the first move out of `escalated`);
- each earlier resolution instance from the history: every event that took the case from a
  resolution back to work recorded the old due time and resolution it replaced, so a late
  resolution before a reopen is counted late, as it would have been had kefu kept rows then;
- a case waiting for the customer marks its unmet, not yet due instances stopped (`paused_at`).

The targets are read from each case's policy revision as written (frozen here: a migration
must not change meaning when the policy code does).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import json
import tomllib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from chinese_calendar import constants as cn_constants

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000
CLOCKS = ("first_response", "resolution", "coordination")
RESOLUTION_GIVEN = ("resolved", "closed")
_CN_YEARS = {d.year for d in cn_constants.holidays} | {d.year for d in cn_constants.workdays}


def _ts(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _create_table() -> None:
    op.create_table(
        "deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("clock", sa.String(length=60), nullable=False),
        sa.Column("instance", sa.Integer(), nullable=False),
        sa.Column("policy_version_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        _ts("started_at", nullable=False),
        _ts("due_at", nullable=False),
        _ts("met_at"),
        _ts("ended_at"),
        sa.Column("end_reason", sa.String(length=20), nullable=True),
        _ts("paused_at"),
        sa.Column("assumed_years", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["policy_version_id"], ["policy_versions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "clock", "instance"),
    )
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deadlines_ended",
            ["clock", "due_at"],
            unique=False,
            sqlite_where=sa.text("ended_at IS NOT NULL"),
            postgresql_where=sa.text("ended_at IS NOT NULL"),
        )


class _Policy:
    """What the backfill needs of a revision: its targets as written and its calendar."""

    def __init__(self, source: str) -> None:
        data = tomllib.loads(source)
        calendar = data.get("calendar", {})
        self.zone = ZoneInfo(str(calendar.get("timezone", "Asia/Shanghai")))
        self.cn = calendar.get("kind", "cn") == "cn"
        self.sla: dict[str, Any] = {}
        for key, value in data.get("sla", {}).items():  # "P2.complex" written dotted or nested
            severity, _, complex_ = str(key).partition(".")
            entry = self.sla.setdefault(severity, {})
            if complex_:
                entry.setdefault("complex", {}).update(value)
            else:
                entry.update(value)

    def target(self, severity: str, complexity: str, clock: str) -> str:
        entry = self.sla.get(severity, {})
        if complexity == "complex" and clock in entry.get("complex", {}):
            return str(entry["complex"][clock])
        return str(entry.get(clock, "?"))

    def assumed(self, start: datetime, due: datetime) -> str | None:
        if not self.cn:
            return None
        first, last = start.astimezone(self.zone).year, due.astimezone(self.zone).year
        return ",".join(str(y) for y in range(first, last + 1) if y not in _CN_YEARS) or None


def _aware(value: Any) -> datetime | None:
    if value is None:
        return None
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _rows(case: Any, events: list[Any], policy: _Policy) -> list[dict[str, Any]]:
    """The deadline rows of one case, from its columns and its history."""
    received = _aware(case.received_at)
    assert received is not None
    rows: list[dict[str, Any]] = []

    rejected = case.status == "closed" and case.close_reason in ("spam", "duplicate")

    def add(clock: str, instance: int, start: datetime, due: Any, met: Any, ended: Any = None) -> None:
        due_at = _aware(due)
        if due_at is None:
            return
        reason = None if ended is None else "replaced"
        if ended is None and rejected and met is None:  # a rejection stopped the clock
            ended, reason = case.closed_at, "cancelled"
        stopped = _aware(case.paused_at) if ended is None and met is None else None
        rows.append(
            {
                "case_id": case.id,
                "clock": clock,
                "instance": instance,
                "policy_version_id": case.policy_version_id,
                "target": policy.target(case.severity, case.complexity, clock),
                "started_at": start,
                "due_at": due_at,
                "met_at": _aware(met),
                "ended_at": _aware(ended),
                "end_reason": reason,
                "paused_at": stopped if stopped is not None and stopped < due_at else None,
                "assumed_years": policy.assumed(start, due_at),
            }
        )

    add("first_response", 1, received, case.due_first_response, case.first_response_at)
    # Resolution: each return to work after a resolution ended the instance before it.
    start, instance = received, 1
    for event in events:
        if event.from_status in RESOLUTION_GIVEN and event.to_status == "in_progress":
            at = _aware(event.at)
            assert at is not None
            changes = json.loads(event.changes_json or "{}")
            old_due = changes.get("due_resolution", [None])[0]
            old_met = changes.get("resolved_at", [None])[0]
            add("resolution", instance, start, old_due, old_met, ended=at)
            if old_due is not None:
                instance += 1
            start = at
    add("resolution", instance, start, case.due_resolution, case.resolved_at)
    escalated = _aware(case.escalated_at)
    if escalated is not None:
        picked_up = None
        for event in events:
            at = _aware(event.at)
            if event.from_status == "escalated" and at is not None and at >= escalated:
                picked_up = at
                break
        add("coordination", 1, escalated, case.due_coordination, picked_up)
    return rows


def upgrade() -> None:
    _create_table()
    conn = op.get_bind()
    policies = {
        row.id: _Policy(row.source_toml)
        for row in conn.execute(sa.text("SELECT id, source_toml FROM policy_versions")).all()
    }
    cases = sa.text(
        "SELECT id, policy_version_id, severity, complexity, status, close_reason, received_at, closed_at, "
        "escalated_at, paused_at, first_response_at, resolved_at, due_first_response, due_resolution, "
        "due_coordination FROM cases WHERE id > :after ORDER BY id LIMIT :batch"
    )
    events = sa.text(
        "SELECT case_id, at, from_status, to_status, changes_json FROM events "
        "WHERE case_id > :first - 1 AND case_id < :last + 1 AND from_status IS NOT NULL "
        "AND from_status != coalesce(to_status, '') ORDER BY case_id, id"
    )
    stamp = sa.DateTime(timezone=True)
    table = sa.table(
        "deadlines",
        *(sa.column(name) for name in ("case_id", "clock", "instance", "policy_version_id", "target")),
        *(sa.column(name, stamp) for name in ("started_at", "due_at", "met_at", "ended_at", "paused_at")),
        *(sa.column(name) for name in ("end_reason", "assumed_years")),
    )
    naive = conn.dialect.name == "sqlite"  # kefu stores UTC without an offset there
    after = 0
    while chunk := conn.execute(cases, {"after": after, "batch": BATCH}).all():
        after = chunk[-1].id
        history: dict[int, list[Any]] = {}
        for event in conn.execute(events, {"first": chunk[0].id, "last": after}):
            history.setdefault(event.case_id, []).append(event)
        rows = [
            r
            for case in chunk
            for r in _rows(case, history.get(case.id, []), policies[case.policy_version_id])
        ]
        if naive:
            for row in rows:
                for name in ("started_at", "due_at", "met_at", "ended_at", "paused_at"):
                    if row[name] is not None:
                        row[name] = row[name].astimezone(UTC).replace(tzinfo=None)
        if rows:
            conn.execute(sa.insert(table), rows)


def downgrade() -> None:
    op.drop_table("deadlines")
