"""Case alerts: when the counselors' desk was last alerted about an unclaimed case (re-alerts after 2 or 15 min).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('escalation_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_alert_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('escalation_cases', schema=None) as batch_op:
        batch_op.drop_column('last_alert_at')
