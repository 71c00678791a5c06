"""Retention and the user's rights: documented holds on cases, purged case content, erased (anonymised) users.

Only columns are added: on SQLite a copy-and-move of escalation_cases would cascade-delete every case message.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("escalation_cases") as batch:
        batch.add_column(sa.Column("held_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("hold_reason", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("content_purged_at", sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its REFERENCES clause in place (ALTER TABLE cannot add a named constraint).
        op.execute("ALTER TABLE escalation_cases ADD COLUMN held_by_id INTEGER REFERENCES counselors (id)")
    else:
        op.add_column("escalation_cases", sa.Column("held_by_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_escalation_cases_held_by_id_counselors"), "escalation_cases", "counselors", ["held_by_id"], ["id"]
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("fk_escalation_cases_held_by_id_counselors"), "escalation_cases", type_="foreignkey")
    with op.batch_alter_table("escalation_cases") as batch:
        batch.drop_column("held_by_id")
        batch.drop_column("content_purged_at")
        batch.drop_column("hold_reason")
        batch.drop_column("held_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("erased_at")
