"""payments given back: a till's captured payment whose sale was called off before it earned

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa


revision = '0042'
down_revision = '0041'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # (in a batch: SQLite adds a foreign key only by copying the table)
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('return_transaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_holds_return_transaction_id_ledger_transactions'),
                                    'ledger_transactions', ['return_transaction_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_holds_return_transaction_id_ledger_transactions'),
                                 type_='foreignkey')
        batch_op.drop_column('return_transaction_id')
