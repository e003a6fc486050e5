"""a programme may ask every staff member to sign in in two steps

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # not batch_alter_table: on SQLite it rebuilds the table, without its revision triggers
    op.add_column('programme_settings', sa.Column('staff_two_step_required', sa.Boolean(),
                                                  server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column('programme_settings', 'staff_two_step_required')
