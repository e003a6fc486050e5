"""a sale names the cashier who rang it up, as the till says it

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('receipts', sa.Column('cashier', sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column('receipts', 'cashier')
