"""programme settings for pay with points, birthday bonus and expiry warnings

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('programme_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pay_min_points', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('pay_max_points', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('birthday_bonus_points', sa.Integer(), server_default='100', nullable=False))
        batch_op.add_column(sa.Column('expiry_warning_days', sa.Integer(), server_default='30', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('programme_settings', schema=None) as batch_op:
        batch_op.drop_column('expiry_warning_days')
        batch_op.drop_column('birthday_bonus_points')
        batch_op.drop_column('pay_max_points')
        batch_op.drop_column('pay_min_points')
