"""a grant's queue: approved grants credit their members chunk by chunk

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'points_grant_queue',
        sa.Column('grant_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['grant_id'], ['points_grants.id'],
                                name=op.f('fk_points_grant_queue_grant_id_points_grants')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_points_grant_queue_member_id_members')),
        sa.PrimaryKeyConstraint('grant_id', 'member_id', name=op.f('pk_points_grant_queue')),
    )


def downgrade() -> None:
    op.drop_table('points_grant_queue')
