"""where two steps are required, setting an authenticator up takes an admin's one-time code

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

import engine.orm.types


revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('staff_accounts', sa.Column('setup_code_hash', sa.String(length=64), nullable=True))
    op.add_column('staff_accounts', sa.Column('setup_code_expires_at', engine.orm.types.UTCDateTime(timezone=True),
                                              nullable=True))


def downgrade() -> None:
    op.drop_column('staff_accounts', 'setup_code_expires_at')
    op.drop_column('staff_accounts', 'setup_code_hash')
