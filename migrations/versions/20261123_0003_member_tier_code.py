"""member tier code

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 22:03:55.741901
"""
from alembic import op
import sqlalchemy as sa
import engine.orm.types


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tier_code', sa.String(length=32), nullable=True))

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('tier_code')

    # ### end Alembic commands ###
