"""history chain: every event hashed and chained to the one before; sealed history append-only

Adds `events.hash` (SHA-256 of the event chained to the previous one, `kefu.core.history`),
seals every existing event in id order, and adds triggers that refuse UPDATE or DELETE of a
sealed event (sealing itself sets a hash that was NULL).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGERS = {
    "events_sealed_no_update": "UPDATE",
    "events_sealed_no_delete": "DELETE",
}


def upgrade() -> None:
    from kefu.core.history import seal  # the chain as kefu computes it now

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_events_unsealed",
        "events",
        ["id"],
        unique=False,
        sqlite_where=sa.text("hash IS NULL"),
        postgresql_where=sa.text("hash IS NULL"),
    )
    seal(op.get_bind())
    if op.get_bind().dialect.name == "sqlite":
        for name, verb in TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {verb} ON events WHEN OLD.hash IS NOT NULL "
                "BEGIN SELECT RAISE(ABORT, 'kefu: the history is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_events_unsealed", table_name="events")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("hash")
