"""room on every page of lots and accounts for their rows' next versions (PostgreSQL)

Every posting changes an account's balance, and every spending, expiry or refund a lot's
remaining points, in place. PostgreSQL writes a changed row as a new version; when the
version fits on the row's own page (and no indexed column changed), no index is touched
(a heap-only update). Pages filled to the brim leave no room for it, so every change
wrote an entry into each of the table's indexes. A fill factor of 80 keeps a fifth of each
page free for those versions. It applies to pages written from now on; the pages of an
existing database take it when rewritten (VACUUM FULL, or pg_repack without a lock).

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-07
"""
from alembic import op


revision = '0041'
down_revision = '0040'
branch_labels = None
depends_on = None

TABLES = ("lots", "accounts")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} SET (fillfactor = 80)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
