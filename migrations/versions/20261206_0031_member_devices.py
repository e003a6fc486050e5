"""members' devices: a new one may need a code sent to the member's address

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

import engine.orm.types


revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # not batch_alter_table: on SQLite it rebuilds the table, without its revision triggers
    op.add_column('programme_settings', sa.Column('member_new_device_code', sa.Boolean(), server_default=sa.false(),
                                                  nullable=False))
    op.add_column('member_logins', sa.Column('device_code_hash', sa.String(length=64), nullable=True))
    op.add_column('member_logins', sa.Column('device_code_expires_at', engine.orm.types.UTCDateTime(timezone=True),
                                             nullable=True))
    op.create_table(
        'member_devices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_devices_member_id_members')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_member_devices')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_member_devices_token_hash')),
    )
    op.create_index(op.f('ix_member_devices_member_id'), 'member_devices', ['member_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_member_devices_member_id'), table_name='member_devices')
    op.drop_table('member_devices')
    op.drop_column('member_logins', 'device_code_expires_at')
    op.drop_column('member_logins', 'device_code_hash')
    op.drop_column('programme_settings', 'member_new_device_code')
