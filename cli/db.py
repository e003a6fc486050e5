"""``loyalty db``: bring the database schema up (or down) to a revision; back up the
embedded database."""
from __future__ import annotations

from pathlib import Path

import click
from alembic.util import CommandError

from cli.runtime import Runtime, emit_one, json_option, pass_runtime
from engine import schema
from engine.backup import back_up


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


@db_group.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@pass_runtime
def backup(runtime: Runtime, file: Path, as_json: bool) -> None:
    """Copy the embedded SQLite database to FILE (a new file) while the service runs, and
    check the copy (integrity, schema, ledger). To restore: stop the service and the
    scheduler, and put the copy in place of the database file (removing its -wal and -shm
    files). PostgreSQL: use pg_dump."""
    done = back_up(runtime.db, file)
    if as_json:
        emit_one(done, as_json=True)
    else:
        click.echo(f"backed up {done.members:,} members ({done.size_bytes / 2**20:,.1f} MiB, schema "
                   f"{done.revision}) to {done.path}; the copy is whole and its ledger sound")


def _migrate(step, runtime: Runtime, revision: str) -> None:
    try:
        step(runtime.db, revision)
    except CommandError as error:  # unknown revision and the like
        raise click.ClickException(f"cannot migrate to {revision!r}: {error}") from error


COMMANDS = (db_group,)
