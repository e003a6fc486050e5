"""Lots and accounts keep a fifth of each page free on PostgreSQL (migration 0041), so that
a balance or a lot changed in place is written beside the row, without index entries."""
import pytest
import sqlalchemy as sa

from engine import schema
from engine.database import Database
from engine.orm.ledger import ROOM_FOR_UPDATES_IN_PLACE

pytestmark = pytest.mark.postgres

TABLES = ("lots", "accounts")


def fill_factors(db: Database) -> dict[str, int | None]:
    with db.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT relname, reloptions FROM pg_class WHERE relname IN :tables")
                                  .bindparams(sa.bindparam("tables", expanding=True)), {"tables": list(TABLES)})
        return {name: next((int(option.partition("=")[2]) for option in options or ()
                            if option.startswith("fillfactor=")), None) for name, options in rows}


def test_lots_and_accounts_leave_a_fifth_of_each_page_free(postgres_db):
    wanted = ROOM_FOR_UPDATES_IN_PLACE["postgresql_with"]["fillfactor"]
    assert wanted == 80
    assert fill_factors(postgres_db) == {table: wanted for table in TABLES}


def test_going_back_before_the_migration_fills_the_pages_again_and_forward_frees_them(postgres_db):
    schema.downgrade(postgres_db, "0040")
    assert fill_factors(postgres_db) == {table: None for table in TABLES}
    schema.upgrade(postgres_db)
    assert fill_factors(postgres_db) == {table: 80 for table in TABLES}
