"""sign-in throttles of names nobody has (members' addresses, staff usernames): a lockout tells nobody whether a name is someone's

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

import engine.orm.types


revision = '0043'
down_revision = '0042'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sign_in_throttles',
        sa.Column('name_hash', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('locked_until', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_failed_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name_hash', name=op.f('pk_sign_in_throttles')))
    op.create_index(op.f('ix_sign_in_throttles_last_failed_at'), 'sign_in_throttles', ['last_failed_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_sign_in_throttles_last_failed_at'), table_name='sign_in_throttles')
    op.drop_table('sign_in_throttles')
