import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import engine.orm
from engine import schema
from engine.database import Database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db(request, tmp_path):
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        yield db
        db.dispose()
        return
    cluster = request.getfixturevalue("postgres_cluster")
    db = Database(cluster.create_database("migrations_test"))
    yield db
    db.dispose()
    cluster.drop_database("migrations_test")


def differences(db: Database) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, engine.orm.metadata)


def table_names(db: Database) -> set[str]:
    with db.engine.connect() as connection:
        return set(sa.inspect(connection).get_table_names())


def test_upgrade_downgrade_and_upgrade_again_leaves_the_schema_the_models_describe(empty_db):
    schema.upgrade(empty_db)
    assert schema.current_revision(empty_db) == schema.head_revision()
    assert differences(empty_db) == []

    schema.downgrade(empty_db, "base")
    assert schema.current_revision(empty_db) is None
    assert table_names(empty_db) <= {"alembic_version"}

    schema.upgrade(empty_db)
    assert differences(empty_db) == []


def test_revisions_form_one_line_without_branches():
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(schema.alembic_config())
    assert len(scripts.get_heads()) == 1
    for revision in scripts.walk_revisions():
        assert revision.doc, f"revision {revision.revision} has no message"
