"""Bringing a database's schema to a revision with the Alembic migrations in ``migrations/``.

The same functions serve the operator CLI, the readiness check and the tests, so the
schema a test runs against is the schema production gets.
"""
from __future__ import annotations

import functools

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError

from engine.database import Database

# Date-prefixed revision files sort in the order they were written.
VERSION_TABLE = "alembic_version"  # Alembic's default name, which the migrations keep
FILE_TEMPLATE = "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s"


def alembic_config(db: Database | None = None) -> Config:
    """The Alembic configuration for the project's migrations (and ``db``, if given)."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("migrations")))
    config.set_main_option("file_template", FILE_TEMPLATE)
    if db is not None:
        config.set_main_option("sqlalchemy.url", db.url.render_as_string(hide_password=False)
                               .replace("%", "%%"))
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    """Migrate ``db`` forward to ``revision`` (by default the newest)."""
    _run(db, command.upgrade, revision)


def downgrade(db: Database, revision: str) -> None:
    """Migrate ``db`` back to ``revision`` (``base`` empties it)."""
    _run(db, command.downgrade, revision)


@functools.cache  # the migrations do not change while the code runs; parsing them is slow
def head_revision() -> str | None:
    """The newest revision among the migrations: the schema this code needs."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(db: Database) -> str | None:
    """The revision ``db`` is at (``None`` for an empty database).

    One plain query of Alembic's version table (load balancers ask this every few seconds):
    Alembic's own MigrationContext costs many times more and says the same."""
    with db.autocommit_session() as session:
        try:
            return session.scalar(sa.text(f"SELECT version_num FROM {VERSION_TABLE}"))
        except (ProgrammingError, OperationalError) as error:
            if _no_such_table(error):
                return None  # nothing was migrated yet
            raise


def _no_such_table(error: SQLAlchemyError) -> bool:
    return getattr(error.orig, "sqlstate", None) == "42P01" or "no such table" in str(error.orig)


def _run(db: Database, step, revision: str) -> None:
    config = alembic_config(db)
    with db.engine.connect() as connection:
        config.attributes["connection"] = connection
        step(config, revision)


def readiness_problems(db: Database) -> tuple[list[str], str | None]:
    """Why ``db`` cannot serve this code yet (empty when it can), and its schema revision."""
    head = head_revision()
    try:
        revision = current_revision(db)
    except SQLAlchemyError as error:
        return [f"the database does not answer: {type(error).__name__}: {error}"], None
    if revision != head:
        return [f"the database schema is at revision {revision or 'none'}, this code needs {head}; "
                "run: loyalty db upgrade"], revision
    return [], revision
