"""a hash chain over the audit log, append-only like it

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

VERBS = ('update', 'delete')


def upgrade() -> None:
    op.create_table('audit_chain',
                    sa.Column('entry_id', sa.BigInteger(), autoincrement=False, nullable=False),
                    sa.Column('link', sa.String(length=64), nullable=False),
                    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_audit_chain')))
    # as the audit log's (0004): links are added, never changed or removed
    for verb in VERBS:
        name, message = f'audit_chain_no_{verb}', f'audit_chain is append-only: {verb} refused'
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f"CREATE TRIGGER {name} BEFORE {verb.upper()} ON audit_chain "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
        else:
            op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                       f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$")
            op.execute(f"CREATE TRIGGER {name} BEFORE {verb.upper()} ON audit_chain "
                       f"FOR EACH ROW EXECUTE FUNCTION {name}()")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        for verb in VERBS:
            op.execute(f'DROP TRIGGER IF EXISTS audit_chain_no_{verb} ON audit_chain')
            op.execute(f'DROP FUNCTION IF EXISTS audit_chain_no_{verb}()')
    op.drop_table('audit_chain')
