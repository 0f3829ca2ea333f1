"""indexes for the SLA clocks: first-response, coordination and confirmation-window searches

`kefu sla check` finds breach candidates with `status IN (...) AND due_x < :as_of`; these
indexes keep each of those searches a range scan instead of a walk through every case.
ix_cases_open_status (status, due_resolution) from 0001 already serves the resolution clock.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_cases_first_response_due",
        "cases",
        ["status", "first_response_at", "due_first_response"],
        unique=False,
    )
    op.create_index("ix_cases_coordination_due", "cases", ["status", "due_coordination"], unique=False)
    op.create_index("ix_cases_status_resolved", "cases", ["status", "resolved_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_status_resolved", table_name="cases")
    op.drop_index("ix_cases_coordination_due", table_name="cases")
    op.drop_index("ix_cases_first_response_due", table_name="cases")
