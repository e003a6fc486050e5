"""The statements an action sends, counted where the database driver takes them."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from unittest import mock

import psycopg
from sqlalchemy import event


def statements_of(database, action) -> list[str]:
    """What ``action`` sends, whitespace collapsed, counted where the driver takes it: on
    PostgreSQL some statements go to psycopg directly (``engine.database.postgresql_row``).
    BEGIN and COMMIT are counted on SQLite only (BEGIN IMMEDIATE is a statement there)."""
    seen = []

    def count(_connection, _cursor, statement, *_):
        seen.append(" ".join(statement.split()))
    if database.is_sqlite:
        event.listen(database.engine, "before_cursor_execute", count)
        try:
            action()
        finally:
            event.remove(database.engine, "before_cursor_execute", count)
        return seen
    with _counted_by_driver(seen.append):
        action()
    return seen


@contextmanager
def statements_by_thread() -> Iterator[dict[str, list[str]]]:
    """PostgreSQL: what each thread sends inside the block, by the thread's name (counted as
    :func:`statements_of` counts), for races between threads."""
    seen: dict[str, list[str]] = {}
    with _counted_by_driver(lambda statement: seen.setdefault(threading.current_thread().name, []).append(statement)):
        yield seen


@contextmanager
def _counted_by_driver(record: Callable[[str], None]) -> Iterator[None]:
    """Every statement psycopg is given inside the block, whitespace collapsed, to ``record``."""
    execute = psycopg.Cursor.execute

    def counted(cursor, query, *args, **kwargs):
        record(" ".join(str(query).split()))
        return execute(cursor, query, *args, **kwargs)
    with mock.patch.object(psycopg.Cursor, "execute", counted):
        yield
