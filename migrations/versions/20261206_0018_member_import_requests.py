"""member imports asked for by one person and approved by another

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
import engine.orm.types


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'member_import_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=40), nullable=False),
        sa.Column('file_name', sa.String(length=200), nullable=False),
        sa.Column('csv', sa.Text(), nullable=False),
        sa.Column('members', sa.Integer(), nullable=False),
        sa.Column('points', sa.BigInteger(), nullable=False),
        sa.Column('cards', sa.Integer(), nullable=False),
        sa.Column('requested_by', sa.String(length=100), nullable=False),
        sa.Column('requested_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('decided_by', sa.String(length=100), nullable=True),
        sa.Column('decided_at', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')",
                           name=op.f('ck_member_import_requests_status')),
        sa.CheckConstraint("(status = 'pending') = (decided_at IS NULL)",
                           name=op.f('ck_member_import_requests_decided_once')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_member_import_requests')),
        sa.UniqueConstraint('public_id', name=op.f('uq_member_import_requests_public_id')),
    )
    op.create_index(op.f('ix_member_import_requests_status'), 'member_import_requests', ['status'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_member_import_requests_status'), table_name='member_import_requests')
    op.drop_table('member_import_requests')
