"""the customer lifecycle's settings: when a member is lapsed, when loyal

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('programme_settings',
                  sa.Column('lapsed_after_days', sa.Integer(), server_default='180', nullable=False))
    op.add_column('programme_settings',
                  sa.Column('loyal_purchases_per_year', sa.Integer(), server_default='6', nullable=False))


def downgrade() -> None:
    # Not a batch: on SQLite it would copy the table and lose the triggers that move the
    # programme's revision (revision 0009); SQLite drops a plain column itself since 3.35.
    op.drop_column('programme_settings', 'loyal_purchases_per_year')
    op.drop_column('programme_settings', 'lapsed_after_days')
