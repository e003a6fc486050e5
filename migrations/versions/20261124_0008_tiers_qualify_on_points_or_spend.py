"""tiers qualify on points or spend

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tier_policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('measure', sa.String(length=10), server_default='points', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('tier_policy', schema=None) as batch_op:
        batch_op.drop_column('measure')
