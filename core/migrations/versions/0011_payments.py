"""payments: the compensation ledger

Adds `payments`, one row per proposal that carried an amount. Existing cases get their ledger
rebuilt from their history as `kefu.core.payments` would have kept it: every `propose` with an
amount is a row (an earlier amount that a later proposal overwrote on the case comes back),
pending approval or offered; an approval offers it, a denial denies it; the case closing from
resolved pays it, any other move out of resolved leaves it not taken up.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("no", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("resolution", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("proposed_by", sa.String(length=64), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "no", name="uq_payments_case_no"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index("ix_payments_case_id", ["case_id"], unique=False)
        batch_op.create_index("ix_payments_paid", ["status", "paid_at"], unique=False)
    conn = op.get_bind()
    table = sa.Table(
        "payments",
        sa.MetaData(),
        *(
            sa.Column(name, kind)
            for name, kind in (
                ("case_id", sa.Integer()),
                ("no", sa.Integer()),
                ("amount", sa.Float()),
                ("kind", sa.String(20)),
                ("resolution", sa.String(40)),
                ("status", sa.String(20)),
                ("proposed_by", sa.String(64)),
                ("proposed_at", sa.DateTime(timezone=True)),
                ("approved_by", sa.String(64)),
                ("approved_at", sa.DateTime(timezone=True)),
                ("paid_at", sa.DateTime(timezone=True)),
                ("closed_by", sa.String(64)),
                ("closed_at", sa.DateTime(timezone=True)),
                ("note", sa.Text()),
            )
        ),
    )
    events = conn.execute(
        sa.text(
            "SELECT e.case_id, e.action, e.from_status, e.to_status, e.actor, e.at, e.changes_json, e.note "
            "FROM events e WHERE e.case_id IN (SELECT DISTINCT case_id FROM events WHERE action = 'propose') "
            "ORDER BY e.case_id, e.id"
        )
    )
    rows: list[dict[str, Any]] = []
    case_id: int | None = None
    amount: Any = None
    kind: Any = None
    resolution: Any = None
    open_row: dict[str, Any] | None = None  # pending approval or offered
    no = 0
    for cid, action, from_status, to_status, actor, at, changes_json, note in events:
        if cid != case_id:
            case_id, amount, kind, resolution, open_row, no = cid, None, None, None, None, 0
        changes = json.loads(changes_json or "{}")
        amount = changes.get("compensation_amount", [None, amount])[1]
        kind = changes.get("compensation_kind", [None, kind])[1]
        resolution = changes.get("resolution", [None, resolution])[1]
        when = datetime.fromisoformat(at) if isinstance(at, str) else at
        moved = to_status is not None and to_status != from_status
        if open_row is not None and moved:  # as kefu.core.payments.follow
            if from_status == "pending_approval":
                if to_status == "resolved":
                    open_row.update(status="offered", approved_by=actor, approved_at=when)
                else:
                    open_row.update(status="denied", closed_by=actor, closed_at=when, note=note)
                    open_row = None
            elif from_status == "resolved":
                if to_status == "closed":
                    open_row.update(status="paid", paid_at=when)
                else:
                    open_row.update(status="declined", closed_by=actor, closed_at=when)
                open_row = None
        if action == "propose" and amount:
            no += 1
            waits = to_status == "pending_approval"
            open_row = {
                "case_id": cid,
                "no": no,
                "amount": float(amount),
                "kind": kind,
                "resolution": resolution,
                "status": "pending" if waits else "offered",
                "proposed_by": actor,
                "proposed_at": when,
                "approved_by": None if waits else actor,
                "approved_at": None if waits else when,
                "paid_at": None,
                "closed_by": None,
                "closed_at": None,
                "note": None,
            }
            rows.append(open_row)
    if rows:
        conn.execute(sa.insert(table), rows)


def downgrade() -> None:
    op.drop_table("payments")
