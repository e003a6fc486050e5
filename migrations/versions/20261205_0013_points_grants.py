"""points grants: the same bonus for every active member of a segment, with four eyes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa
import engine.orm.types


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'points_grants',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=40), nullable=False),
        sa.Column('segment_id', sa.Integer(), nullable=False),
        sa.Column('points', sa.BigInteger(), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('requested_by', sa.String(length=100), nullable=False),
        sa.Column('requested_at', engine.orm.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('decided_by', sa.String(length=100), nullable=True),
        sa.Column('decided_at', engine.orm.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('members', sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f('ck_points_grants_status')),
        sa.CheckConstraint('points > 0', name=op.f('ck_points_grants_points_positive')),
        sa.CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name=op.f('ck_points_grants_decided_once')),
        sa.ForeignKeyConstraint(['segment_id'], ['segments.id'], name=op.f('fk_points_grants_segment_id_segments')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_points_grants')),
        sa.UniqueConstraint('public_id', name=op.f('uq_points_grants_public_id')),
    )
    op.create_index(op.f('ix_points_grants_segment_id'), 'points_grants', ['segment_id'], unique=False)
    op.create_index(op.f('ix_points_grants_status'), 'points_grants', ['status'], unique=False)
    op.create_table(
        'points_grant_members',
        sa.Column('grant_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('transaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.ForeignKeyConstraint(['grant_id'], ['points_grants.id'],
                                name=op.f('fk_points_grant_members_grant_id_points_grants')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_points_grant_members_member_id_members')),
        sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'],
                                name=op.f('fk_points_grant_members_transaction_id_ledger_transactions')),
        sa.PrimaryKeyConstraint('grant_id', 'member_id', name=op.f('pk_points_grant_members')),
    )
    op.create_index(op.f('ix_points_grant_members_member_id'), 'points_grant_members', ['member_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_points_grant_members_member_id'), table_name='points_grant_members')
    op.drop_table('points_grant_members')
    op.drop_index(op.f('ix_points_grants_status'), table_name='points_grants')
    op.drop_index(op.f('ix_points_grants_segment_id'), table_name='points_grants')
    op.drop_table('points_grants')
