"""rate buckets shared by every process: sign-in attempts by source address

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'rate_buckets',
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('caller', sa.String(length=100), nullable=False),
        sa.Column('tokens', sa.Float(), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.Column('allowed', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'caller', name=op.f('pk_rate_buckets')),
    )
    op.create_index(op.f('ix_rate_buckets_at'), 'rate_buckets', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_rate_buckets_at'), table_name='rate_buckets')
    op.drop_table('rate_buckets')
