"""what one person may adjust in a day without a second person; an index to add it up

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # not batch_alter_table: on SQLite it rebuilds the table, without its revision triggers
    op.add_column('programme_settings', sa.Column('adjustment_daily_allowance', sa.Integer(), server_default='5000',
                                                  nullable=False))
    op.create_index('ix_ledger_transactions_adjustments_by_actor', 'ledger_transactions', ['actor', 'posted_at'],
                    unique=False, postgresql_where=sa.text("kind = 'adjust'"), sqlite_where=sa.text("kind = 'adjust'"))


def downgrade() -> None:
    op.drop_index('ix_ledger_transactions_adjustments_by_actor', table_name='ledger_transactions',
                  postgresql_where=sa.text("kind = 'adjust'"), sqlite_where=sa.text("kind = 'adjust'"))
    op.drop_column('programme_settings', 'adjustment_daily_allowance')
