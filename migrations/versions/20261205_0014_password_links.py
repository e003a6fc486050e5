"""a member's password link: first sign-in and forgotten passwords

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa
import engine.orm.types


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('member_logins', sa.Column('link_hash', sa.String(length=64), nullable=True))
    op.add_column('member_logins', sa.Column('link_expires_at', engine.orm.types.UTCDateTime(timezone=True),
                                             nullable=True))
    op.create_index('uq_member_logins_link_hash', 'member_logins', ['link_hash'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_member_logins_link_hash', table_name='member_logins')
    op.drop_column('member_logins', 'link_expires_at')
    op.drop_column('member_logins', 'link_hash')
