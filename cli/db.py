"""``loyalty db``: bring the database schema up (or down) to a revision."""
from __future__ import annotations

import click
from alembic.util import CommandError

from cli.runtime import Runtime, pass_runtime
from engine import schema


@click.group("db")
def db_group() -> None:
    """Database schema migrations."""


@db_group.command()
@click.argument("revision", default="head")
@pass_runtime
def upgrade(runtime: Runtime, revision: str) -> None:
    """Migrate the database forward to REVISION (default: the newest)."""
    _migrate(schema.upgrade, runtime, revision)
    click.echo(f"database at revision {schema.current_revision(runtime.db)}")


@db_group.command()
@click.argument("revision")
@pass_runtime
def downgrade(runtime: Runtime, revision: str) -> None:
    """Migrate the database back to REVISION ('base' removes every table)."""
    _migrate(schema.downgrade, runtime, revision)
    click.echo(f"database at revision {schema.current_revision(runtime.db) or 'base'}")


@db_group.command()
@pass_runtime
def current(runtime: Runtime) -> None:
    """Show the database's revision and the newest one this code has."""
    click.echo(f"database at revision {schema.current_revision(runtime.db) or 'base'}; "
               f"newest is {schema.head_revision()}")


def _migrate(step, runtime: Runtime, revision: str) -> None:
    try:
        step(runtime.db, revision)
    except CommandError as error:  # unknown revision and the like
        raise click.ClickException(f"cannot migrate to {revision!r}: {error}") from error


COMMANDS = (db_group,)
