"""segment revisions: a points grant is approved for the list segment's members it was asked for

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '0044'
down_revision = '0043'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('segments', sa.Column('revision', sa.Integer(), server_default='1', nullable=False))
    op.add_column('points_grants', sa.Column('segment_revision', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column('points_grants', 'segment_revision')
    op.drop_column('segments', 'revision')
