"""What every operator command shares: the database it works on, the clock, the output."""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from engine.database import Database
from engine.plain import to_plain as plain


@dataclasses.dataclass
class Runtime:
    database_url: str
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    _db: Database | None = None
    webhook_private_hosts: frozenset[str] = frozenset()  # LOYALTY_WEBHOOK_PRIVATE_HOSTS

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.database_url)
        return self._db

    def now(self) -> datetime:
        return self.clock()

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


pass_runtime = click.make_pass_decorator(Runtime)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def emit(records: Iterable, columns: Sequence[str], *, as_json: bool, title: str | None = None) -> None:
    """Print records as a table for people or as a JSON list for scripts."""
    rows = [plain(r) for r in records]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(f"no {title or 'records'}")
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    Console(width=160).print(table)


def emit_one(record, *, as_json: bool) -> None:
    """Print one record as ``field: value`` lines, or as a JSON object."""
    data = plain(record)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    width = max(len(k) for k in data)
    for key, value in data.items():
        click.echo(f"{key.ljust(width)}  {'' if value is None else value}")


@contextmanager
def progress_bar(label: str, *, hidden: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr for long work; yields the ``progress(done, total)`` to call.
    The bar ends full even when the work reported no steps of its own."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), disable=hidden, transient=False) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)
        if bar.tasks[0].total is None:
            bar.update(task, completed=1, total=1)
