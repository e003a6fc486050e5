"""The whole content of a database, to prove that a refusal changed nothing."""
from __future__ import annotations

import sqlalchemy as sa

import engine.orm
from engine.database import Database


def table_contents(db: Database) -> dict[str, list[tuple]]:
    contents = {}
    with db.engine.connect() as connection:
        for table in engine.orm.metadata.sorted_tables:
            rows = connection.execute(sa.select(table).order_by(*table.primary_key.columns))
            contents[table.name] = [tuple(row) for row in rows]
    return contents


def contents_but_audit(db: Database) -> dict[str, list[tuple]]:
    """Every table but the audit log, which records refused commands and requests too."""
    return {table: rows for table, rows in table_contents(db).items() if table != "audit_log"}
