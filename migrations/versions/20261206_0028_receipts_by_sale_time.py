"""receipts by sale time: the fraud checks and the dashboard read a window of days

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06
"""
from alembic import op


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_receipts_occurred_at', 'receipts', ['occurred_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_receipts_occurred_at', table_name='receipts')
