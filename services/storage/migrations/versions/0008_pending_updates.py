"""Pending updates: each inbound update is stored (encrypted) on arrival until handled, so a crash loses none.

The ledger's state gains "received" (a non-native enum of length 16: no schema change needed for it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_key", sa.String(length=32), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_updates")),
        sa.UniqueConstraint("channel", "update_id", name=op.f("uq_pending_updates_channel")),
    )
    op.create_index("ix_pending_updates_chat", "pending_updates", ["channel", "chat_key", "update_id"])
    op.create_index(op.f("ix_pending_updates_received_at"), "pending_updates", ["received_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pending_updates_received_at"), table_name="pending_updates")
    op.drop_index("ix_pending_updates_chat", table_name="pending_updates")
    op.drop_table("pending_updates")
