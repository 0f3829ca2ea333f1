"""audit spot checks, and the stored business handling time reports average

Adds `cases.handling_business_minutes` (set when a case is resolved; NULL on older rows, which
reports then compute on the fly) and the three spot-check tables: audit_batches (who drew what,
with the seed), audit_samples (the cases drawn) and audit_scores (points per checklist item).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("handling_business_minutes", sa.Integer(), nullable=True))

    op.create_table(
        "audit_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drawn_by", sa.String(length=64), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("by_agent", sa.Boolean(), nullable=False),
        sa.Column("period_from", sa.String(length=10), nullable=False),
        sa.Column("period_to", sa.String(length=10), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "audit_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=True),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scored_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["audit_batches.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("batch_id", "case_id"),
    )
    with op.batch_alter_table("audit_samples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_samples_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_samples_case_id"), ["case_id"], unique=False)
    op.create_table(
        "audit_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=60), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("max_score", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["sample_id"], ["audit_samples.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sample_id", "item"),
    )
    with op.batch_alter_table("audit_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_scores_sample_id"), ["sample_id"], unique=False)


def downgrade() -> None:
    op.drop_table("audit_scores")
    op.drop_table("audit_samples")
    op.drop_table("audit_batches")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("handling_business_minutes")
