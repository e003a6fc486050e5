"""a store is a shop with tills or an online store, whose orders earn by member id

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('stores', sa.Column('channel', sa.String(length=16), server_default='store', nullable=False))


def downgrade() -> None:
    op.drop_column('stores', 'channel')
