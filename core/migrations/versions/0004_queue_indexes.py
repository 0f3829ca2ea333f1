"""an index for the TUI's "my team" queue

The team tab lists and counts a department's cases that are not closed
(`department = ? AND status IN (...)`); without this index that walks every case.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_cases_department_status", "cases", ["department", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_department_status", table_name="cases")
