"""a reward above a price needs the member's password online

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # not batch_alter_table: on SQLite it rebuilds the table, without its revision triggers
    op.add_column('programme_settings', sa.Column('online_redeem_password_above', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column('programme_settings', 'online_redeem_password_above')
