"""Deferred questions: free text that came while Rasa was unreachable, kept (encrypted) to answer once it is back.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deferred_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_deferred_questions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deferred_questions")),
    )
    op.create_index(op.f("ix_deferred_questions_user_id"), "deferred_questions", ["user_id"])
    op.create_index(op.f("ix_deferred_questions_asked_at"), "deferred_questions", ["asked_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_deferred_questions_asked_at"), table_name="deferred_questions")
    op.drop_index(op.f("ix_deferred_questions_user_id"), table_name="deferred_questions")
    op.drop_table("deferred_questions")
