"""staff accounts may sign in with a code from an authenticator app as well

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('staff_accounts', sa.Column('totp_secret', sa.String(length=64), nullable=True))
    op.add_column('staff_accounts', sa.Column('totp_pending', sa.String(length=64), nullable=True))
    op.add_column('staff_accounts', sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
    op.add_column('staff_accounts', sa.Column('recovery_codes', sa.Text(), nullable=True))


def downgrade() -> None:
    for column in ('recovery_codes', 'totp_last_step', 'totp_pending', 'totp_secret'):
        op.drop_column('staff_accounts', column)
