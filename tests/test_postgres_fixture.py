import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.postgres


def test_the_postgres_fixture_really_talks_to_postgresql(postgres_db):
    with postgres_db.engine.connect() as connection:
        version = connection.execute(sa.text("SELECT version()")).scalar_one()
        server = connection.execute(sa.text("SHOW server_version_num")).scalar_one()
    assert postgres_db.engine.dialect.name == "postgresql"
    assert version.startswith("PostgreSQL") and int(server) >= 130000


def test_each_test_gets_a_database_of_its_own_with_the_migrated_schema(postgres_db):
    with postgres_db.engine.connect() as connection:
        name = connection.execute(sa.text("SELECT current_database()")).scalar_one()
        tables = set(sa.inspect(connection).get_table_names())
    assert name.startswith("test_")
    assert {"members", "cards", "stores", "terminals", "alembic_version"} <= tables
