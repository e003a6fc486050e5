"""a suspended member's reason, who suspended them and when

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import engine.orm.types


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('members', sa.Column('suspended_reason', sa.String(length=200), nullable=True))
    op.add_column('members', sa.Column('suspended_by', sa.String(length=100), nullable=True))
    op.add_column('members', sa.Column('suspended_at', engine.orm.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('members', 'suspended_at')
    op.drop_column('members', 'suspended_by')
    op.drop_column('members', 'suspended_reason')
