"""webhook deliveries are taken due per endpoint: the index leads with the endpoint

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-06
"""
from alembic import op


revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_webhook_deliveries_due', table_name='webhook_deliveries')
    op.create_index('ix_webhook_deliveries_due', 'webhook_deliveries',
                    ['endpoint_id', 'status', 'next_attempt_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_webhook_deliveries_due', table_name='webhook_deliveries')
    op.create_index('ix_webhook_deliveries_due', 'webhook_deliveries', ['status', 'next_attempt_at'], unique=False)
