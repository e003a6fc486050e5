"""vouchers that expire: a reward's voucher_valid_days, a voucher's expires_at

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import engine.orm.types


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('rewards', sa.Column('voucher_valid_days', sa.Integer(), nullable=True))
    op.add_column('vouchers', sa.Column('expires_at', engine.orm.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('vouchers', 'expires_at')
    op.drop_column('rewards', 'voucher_valid_days')
