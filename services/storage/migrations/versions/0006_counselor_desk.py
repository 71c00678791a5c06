"""The counselor desk: on-call counselors, the case's reply chat, topic reservation and the card.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 15:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("counselors") as batch:
        batch.add_column(sa.Column("on_call", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("escalation_cases") as batch:
        batch.add_column(sa.Column("reply_chat_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("desk_reserved_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("card_message_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("card_through_message_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("escalation_cases") as batch:
        batch.drop_column("card_through_message_id")
        batch.drop_column("card_message_id")
        batch.drop_column("desk_reserved_at")
        batch.drop_column("reply_chat_id")
    with op.batch_alter_table("counselors") as batch:
        batch.drop_column("on_call")
