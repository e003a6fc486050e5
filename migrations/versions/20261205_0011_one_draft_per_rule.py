"""one draft per rule, held by a partial unique index

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

Two saves of a new rule at one instant (a double click) could each add a draft, and every
reader expects at most one. Drafts earn nothing; where a rule has several, the newest is the
one the console showed last and is kept.
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

DRAFT = sa.text("status = 'draft'")


def upgrade() -> None:
    op.execute("""
        DELETE FROM rule_versions WHERE status = 'draft' AND version < (
            SELECT MAX(newer.version) FROM rule_versions AS newer
            WHERE newer.rule_key = rule_versions.rule_key AND newer.status = 'draft')""")
    op.create_index('uq_rule_versions_one_draft_per_rule', 'rule_versions', ['rule_key'], unique=True,
                    postgresql_where=DRAFT, sqlite_where=DRAFT)


def downgrade() -> None:
    op.drop_index('uq_rule_versions_one_draft_per_rule', table_name='rule_versions')
