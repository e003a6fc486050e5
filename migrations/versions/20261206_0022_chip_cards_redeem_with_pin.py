"""a programme may ask chip cards for the member's PIN to pay with points

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # not batch_alter_table: on SQLite it rebuilds the table, without its revision triggers
    op.add_column('programme_settings', sa.Column('chip_cards_redeem_with_pin', sa.Boolean(),
                                                  server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column('programme_settings', 'chip_cards_redeem_with_pin')
