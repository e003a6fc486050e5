"""secrets the service reads back are sealed at rest: their columns become text

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None

# (table, column, length before): a sealed value is longer than the secret it holds
COLUMNS = (('terminal_credentials', 'secret', 100), ('staff_accounts', 'totp_secret', 64),
           ('staff_accounts', 'totp_pending', 64), ('webhook_endpoints', 'secret', 100))


def upgrade() -> None:
    # SQLite does not hold text to a VARCHAR's length (engine.sealing.SealedText keeps the
    # declared length there), and its batch mode would rebuild the tables, without their
    # revision triggers and under enforced foreign keys: only PostgreSQL's columns change
    if op.get_bind().dialect.name == "postgresql":
        for table, column, length in COLUMNS:
            op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column, length in COLUMNS:
            op.alter_column(table, column, type_=sa.String(length), existing_type=sa.Text())
