"""closed months: each past month's postings summed once, for the liability statement, and
the posting time indexed for the reports' windows

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

from engine.orm.types import UTCDateTime


revision = '0040'
down_revision = '0039'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'closed_months',
        sa.Column('zone', sa.String(length=64), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('starts_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('ends_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('issuance', sa.BigInteger(), nullable=False),
        sa.Column('redemption', sa.BigInteger(), nullable=False),
        sa.Column('expiry', sa.BigInteger(), nullable=False),
        sa.Column('adjustment', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('zone', 'month', name=op.f('pk_closed_months')),
    )
    op.create_index('ix_ledger_transactions_posted_at', 'ledger_transactions', ['posted_at'],
                    postgresql_using='brin')


def downgrade() -> None:
    op.drop_index('ix_ledger_transactions_posted_at', table_name='ledger_transactions')
    op.drop_table('closed_months')
