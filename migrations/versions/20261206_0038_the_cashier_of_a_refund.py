"""the cashier of a refund: who rang the return up, for the fraud checks

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('refunds', sa.Column('cashier', sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column('refunds', 'cashier')
