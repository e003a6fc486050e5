"""a campaign may cap what one member gets from it in all

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('campaigns', sa.Column('member_cap', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column('campaigns', 'member_cap')
