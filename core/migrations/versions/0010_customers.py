"""customers: one record per person, keyed by their canonical phone (or e-mail)

Adds `customers` (phone unique, e-mail, the latest name, created_at) and `cases.customer_id`.
Existing cases get their customer from their phone number (canonical since 0009), or from
their e-mail when they have no phone; cases with neither stay without one.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("phone"),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index("ix_customers_email", ["email"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_cases_customer_id", ["customer_id"], unique=False)
        batch_op.create_foreign_key("fk_cases_customer_id", "customers", ["customer_id"], ["id"])
    conn = op.get_bind()
    people: dict[tuple[str, str], dict[str, Any]] = {}
    rows = conn.execute(
        sa.text(
            "SELECT id, customer_phone, customer_email, customer_name, received_at FROM cases "
            "WHERE customer_phone IS NOT NULL OR customer_email IS NOT NULL ORDER BY received_at, id"
        )
    )
    members: dict[tuple[str, str], list[int]] = {}
    for case_id, phone, email, name, received in rows:
        key = ("phone", phone) if phone else ("email", str(email).lower())
        person = people.setdefault(
            key, {"phone": phone, "email": email, "name": None, "created_at": received}
        )
        person["email"] = person["email"] or email
        person["name"] = name or person["name"]
        members.setdefault(key, []).append(case_id)
    if not people:
        return
    table = sa.Table(
        "customers",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("phone", sa.String(40)),
        sa.Column("email", sa.String(200)),
        sa.Column("name", sa.String(100)),
        sa.Column("created_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    for key, person in people.items():
        created = person["created_at"] or now
        if isinstance(created, str):
            created = datetime.fromisoformat(created)
        person["created_at"] = created
        inserted = conn.execute(sa.insert(table).values(**person)).inserted_primary_key
        assert inserted is not None
        customer_id = inserted[0]
        conn.execute(
            sa.text("UPDATE cases SET customer_id = :c WHERE id = :i"),
            [{"c": customer_id, "i": case_id} for case_id in members[key]],
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint("fk_cases_customer_id", type_="foreignkey")
        batch_op.drop_index("ix_cases_customer_id")
        batch_op.drop_column("customer_id")
    op.drop_table("customers")
