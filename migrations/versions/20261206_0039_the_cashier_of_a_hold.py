"""the cashier of a hold: who took a payment with points, for the fraud checks

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('holds', sa.Column('cashier', sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column('holds', 'cashier')
