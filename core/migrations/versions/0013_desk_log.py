"""desk log: people and roles, personal data viewed, purges — chained like the history

Adds `desk_log` (`kefu.core.desklog`), one entry per existing user holding their state as found
(so a later change made with another tool is named by `kefu audit verify`), sealed in id order
and append-only by triggers like `events`; and `cases.purged_at` (`kefu purge`).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from kefu.core.history import DESK_LOG, guard_sql, seal  # the chain as kefu computes it now

    op.create_table(
        "desk_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("detail_json", sa.Text(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_desk_log_kind", "desk_log", ["kind"], unique=False)
    op.create_index("ix_desk_log_subject", "desk_log", ["subject"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))

    bind = op.get_bind()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # as kefu stores an instant: UTC
    users = bind.execute(
        sa.text("SELECT name, role, display_name, department, active FROM users ORDER BY id")
    ).all()
    for name, role, display_name, department, active in users:
        state = {"role": role, "display_name": display_name, "department": department, "active": bool(active)}
        bind.execute(
            sa.text(
                "INSERT INTO desk_log (at, actor, kind, subject, detail_json) "
                "VALUES (:at, 'kefu', 'user', :name, :detail)"
            ),
            {"at": now, "name": name, "detail": json.dumps(state, ensure_ascii=False, sort_keys=True)},
        )
    seal(bind, chain=DESK_LOG)
    if bind.dialect.name == "sqlite":
        for sql in guard_sql(DESK_LOG):
            op.execute(sql)


def downgrade() -> None:
    from kefu.core.history import DESK_LOG

    if op.get_bind().dialect.name == "sqlite":
        for name in DESK_LOG.triggers:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
    op.drop_index("ix_desk_log_subject", table_name="desk_log")
    op.drop_index("ix_desk_log_kind", table_name="desk_log")
    op.drop_table("desk_log")
