"""The connection to the programme's database and the unit of work around each service call.

Guarantees:
- nothing connects at import or construction time; the first transaction connects;
- ``transaction()`` commits everything the block did or, on any exception, nothing;
- on SQLite, foreign keys are enforced and a transaction takes the write lock when it
  begins (``BEGIN IMMEDIATE``), so a read-then-write inside one transaction can never be
  overtaken by another writer; on PostgreSQL the services take row locks themselves.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import sqlalchemy as sa
from psycopg.pq import ExecStatus
from psycopg.rows import namedtuple_row
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from engine.errors import Conflict

SQLITE_BUSY_TIMEOUT_MS = 10_000

# Failures after which the same request may well succeed if sent again: the database cannot be
# reached, is busy (SQLite's lock, a statement cancelled) or chose this transaction as a
# deadlock's victim. Nothing was committed, unless the connection broke during the commit
# itself; a command sent again under its idempotency key takes effect once either way.
# (The statements sent straight through the driver raise its own error, unwrapped.)
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (sa.exc.OperationalError, psycopg.OperationalError)
_NO_BEGIN = "loyalty_no_begin"  # execution option: SQLite statements run in autocommit


class Database:
    """One database: an SQLAlchemy engine and the sessions made from it."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int | None = None):
        self.url = make_url(url)
        options: dict = {"echo": echo}
        if self.is_sqlite:
            _ensure_sqlite_folder(self.url)
            options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        elif pool_size is not None:
            options["pool_size"] = pool_size
        self.engine = sa.create_engine(self.url, **options)
        if self.is_sqlite:
            _make_sqlite_transactional(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed when the block ends, rolled back on error."""
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def autocommit_session(self) -> Iterator[Session]:
        """A session for a read or two outside any transaction: no BEGIN, no COMMIT (each
        statement stands alone), no write lock on SQLite. Never for writes."""
        options = {_NO_BEGIN: True} if self.is_sqlite else {"isolation_level": "AUTOCOMMIT"}
        with self.engine.connect().execution_options(**options) as connection, Session(connection) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def is_postgres(session: Session) -> bool:
    """Whether the session talks to PostgreSQL (otherwise SQLite)."""
    return session.get_bind().dialect.name == "postgresql"


# Values in one statement's IN list: within every database's limit of bound parameters.
PARAMETER_BATCH = 500


def batches(values: list, size: int = PARAMETER_BATCH) -> Iterator[list]:
    """``values`` in consecutive slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def insert_unique(session: Session, row, conflict: Conflict) -> None:
    """Add ``row`` and flush; a unique key taken meanwhile by a concurrent transaction
    becomes ``conflict`` (the caller checked first, so this is only the race)."""
    session.add(row)
    try:
        session.flush()
    except IntegrityError as error:
        raise conflict from error


def insert_unless_taken(session: Session, table: sa.Table, unique: list[str], values: dict, returning):
    """INSERT ``values`` unless a row with the same ``unique`` columns exists (PostgreSQL
    first waits for a concurrent transaction inserting it); the ``returning`` column's value
    of the new row, or None when it was taken."""
    dialect = session.get_bind().dialect.name
    key = (dialect, table.name, tuple(unique), returning.name)
    statement = _UNLESS_TAKEN.get(key)
    if statement is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = _UNLESS_TAKEN[key] = (insert(table).on_conflict_do_nothing(index_elements=unique)
                                          .returning(returning))
    return session.execute(statement, values).scalar()


_UNLESS_TAKEN: dict[tuple, sa.Insert] = {}  # built once each: building costs more than sending


def postgresql_row(session: Session, statement: sa.TextClause, params: dict):
    """Run the hand-written PostgreSQL ``statement`` (``:name`` parameters) through the
    driver itself, on the session's connection and in its transaction; its first row as a
    named tuple, or None.

    For the few statements every accrual sends: SQLAlchemy's work around a statement
    (compiled-cache lookup, execution context, result set-up) costs the client about as
    much CPU as psycopg's own (measured: 223 µs against 102 µs for the idempotency claim).
    What it leaves out, so such a statement must not need it: type processing of
    parameters and results (give plain values; read no instants back), ORM events, and
    SQLAlchemy's statement events (the statement budget test counts at the driver).
    Pending ORM changes are flushed first, as ``session.execute`` would."""
    cursor = _driver_cursor(session, statement, params)
    # (the status, not ``description``: that builds an object per column on every call)
    result = cursor.pgresult
    return cursor.fetchone() if result is not None and result.status == ExecStatus.TUPLES_OK else None


def postgresql_rows(session: Session, statement: sa.TextClause | sa.Select | sa.CompoundSelect,
                    params: dict) -> list:
    """Like :func:`postgresql_row`, every row; ``statement`` may also be a Core query
    without expanding parameters (an ``IN`` list goes as ``= ANY(:list)``)."""
    return _driver_cursor(session, statement, params).fetchall()


def _driver_cursor(session: Session, statement, params: dict):
    found = _DRIVER_SQL.get(statement)
    if found is None:
        compiled = statement.compile(dialect=session.get_bind().dialect)
        # the values the statement carries itself (a Core query's literals), by their names
        found = _DRIVER_SQL[statement] = _DriverStatement(
            str(compiled), {k: v for k, v in compiled.params.items() if v is not None})
    session.flush()
    # One cursor per connection, kept with it for its lifetime (the pool's ``info``, cleared
    # when the pool connects afresh): a new cursor for every statement cost 1.7 % of the
    # instructions of a till's accrual.
    pooled = session.connection().connection
    cursor = pooled.info.get(_CURSOR)
    if cursor is None or cursor.closed:
        cursor = pooled.info[_CURSOR] = pooled.driver_connection.cursor(row_factory=_StatementRows())
    cursor.row_factory.current = found
    cursor.execute(found.sql, {**found.carried, **params} if found.carried else params)
    return cursor


class _DriverStatement:
    """A statement as the driver takes it (``%(name)s``), the values it carries itself, and
    the maker of its rows once known: a statement's text fixes its columns."""
    __slots__ = ("sql", "carried", "make_row")

    def __init__(self, sql: str, carried: dict):
        self.sql, self.carried, self.make_row = sql, carried, None


class _StatementRows:
    """psycopg's ``namedtuple_row``, made once per statement instead of on every execution
    (reading the columns' names from the result cost 5 % of the app's CPU per accrual)."""
    __slots__ = ("current",)

    def __init__(self):
        self.current: _DriverStatement | None = None

    def __call__(self, cursor):
        statement = self.current
        if statement.make_row is None:
            statement.make_row = namedtuple_row(cursor)
        return statement.make_row


_CURSOR = "loyalty_driver_cursor"
_DRIVER_SQL: dict = {}


def _ensure_sqlite_folder(url) -> None:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def utc_text(session: Session, column: str) -> str:
    """SQL for the instant in ``column`` as ISO 8601 text in UTC, to the second, without the
    zone (append ``'Z'``): how messages built in the database date things."""
    if is_postgres(session):
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
    return f"strftime('%Y-%m-%dT%H:%M:%S', {column})"  # SQLite keeps naive UTC text


def json_object(session: Session) -> str:
    """The SQL function that builds a JSON object from key, value, key, value, ..."""
    return "json_build_object" if is_postgres(session) else "json_object"


def local_day(session: Session, instant, zone):
    """SQL for the calendar day (a DATE on PostgreSQL, ISO text on SQLite) on which the
    instant ``instant`` falls in the time zone named by ``zone`` (a column or a value)."""
    if is_postgres(session):
        return sa.func.date(sa.func.timezone(zone, instant))
    return sa.func.loyalty_local_day(instant, zone)


def _local_day(instant: str | None, zone: str | None) -> str | None:
    # SQLite keeps instants as naive UTC text and knows no time zones: Python tells the day
    if instant is None or zone is None:
        return None
    return datetime.fromisoformat(instant).replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).date().isoformat()


def _make_sqlite_transactional(engine: sa.Engine) -> None:
    # pysqlite's own transaction handling begins lazily and not before SELECTs, which
    # would let two read-then-write transactions interleave. Take control of BEGIN.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()
        dbapi_connection.create_function("loyalty_local_day", 2, _local_day, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if not connection.get_execution_options().get(_NO_BEGIN):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
