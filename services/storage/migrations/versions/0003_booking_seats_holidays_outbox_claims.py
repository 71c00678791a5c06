"""Booking: slot seats (capacity held by the database), closed days and public holidays, rescheduling link,
outbox claims (worker and time), users' follow-up consent.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 12:55:32.674720
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # appointments first: SQLite rebuilds this table for the new foreign key, and nothing may reference it yet
    # (dropping the old copy with foreign keys on would cascade into referencing rows).
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rescheduled_from_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_appointments_provider_id_starts_at', ['provider_id', 'starts_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_appointments_rescheduled_from_id_appointments'), 'appointments', ['rescheduled_from_id'], ['id'], ondelete='SET NULL')

    # Plain ADD COLUMN, never a batch rebuild: on SQLite a rebuild drops the old users table, and with foreign keys
    # on that deletes every appointment, outbox entry and trail row hanging off it (ON DELETE CASCADE).
    op.add_column('outbox', sa.Column('claimed_by', sa.String(length=64), nullable=True))
    op.add_column('outbox', sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('follow_up_consent', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table('public_holidays',
    sa.Column('country_code', sa.String(length=2), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('country_code', 'day', name=op.f('pk_public_holidays'))
    )
    op.create_table('provider_closed_days',
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_provider_closed_days_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('provider_id', 'day', name=op.f('pk_provider_closed_days'))
    )
    op.create_table('slot_seats',
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seat_number', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('seat_number >= 1', name=op.f('ck_slot_seats_seat_number_positive')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_slot_seats_appointment_id_appointments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_slot_seats_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('provider_id', 'starts_at', 'seat_number', name=op.f('pk_slot_seats')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_slot_seats_appointment_id'))
    )
    # Seats of the appointments booked before this revision (none is expected: booking did not exist yet).
    op.execute(
        "INSERT INTO slot_seats (provider_id, starts_at, seat_number, appointment_id) "
        "SELECT a.provider_id, a.starts_at, "
        "(SELECT COUNT(*) FROM appointments b WHERE b.provider_id = a.provider_id AND b.starts_at = a.starts_at "
        "AND b.status = 'booked' AND b.id <= a.id), a.id "
        "FROM appointments a WHERE a.status = 'booked'"
    )


def downgrade() -> None:
    op.drop_table('slot_seats')
    op.drop_table('provider_closed_days')
    op.drop_table('public_holidays')

    # Native DROP COLUMN (SQLite 3.35+): a batch rebuild would drop these tables, cascading into their children.
    op.execute('ALTER TABLE users DROP COLUMN follow_up_consent')
    op.execute('ALTER TABLE outbox DROP COLUMN claimed_at')
    op.execute('ALTER TABLE outbox DROP COLUMN claimed_by')

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appointments_rescheduled_from_id_appointments'), type_='foreignkey')
        batch_op.drop_index('ix_appointments_provider_id_starts_at')
        batch_op.drop_column('rescheduled_from_id')
