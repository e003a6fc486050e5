"""Assertions shared by the tests."""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from engine.database import Database
from tests.support.snapshot import table_contents


# A refusal is remembered with its idempotency key (so a retry gets the same answer):
# that record of the answer is the one row a refusal may add.
ANSWER_RECORDS = ("idempotency_keys",)


def contents_without_answers(db: Database) -> dict[str, list[tuple]]:
    return {table: rows for table, rows in table_contents(db).items() if table not in ANSWER_RECORDS}


@contextmanager
def refused_unchanged(db: Database, error: type[Exception], code: str | None = None):
    """The block must raise ``error`` (with ``code``, if given) and leave ``db`` as it was."""
    before = contents_without_answers(db)
    with pytest.raises(error) as caught:
        yield caught
    if code is not None:
        assert caught.value.code == code, caught.value
    assert contents_without_answers(db) == before, "the refusal changed the database"


# An HTTP refusal (401/403, or any staff request) and a refused operator command also leave
# their trace in the audit log and, like a refused command, their answer record; a sign-in
# attempt, refused or not, takes from its address's rate bucket.
REFUSAL_TRACES = ANSWER_RECORDS + ("audit_log", "rate_buckets")


def contents_without_traces(db: Database) -> dict[str, list[tuple]]:
    """Every table but the records a refusal leaves: its answer and its audit entry."""
    return {table: rows for table, rows in table_contents(db).items() if table not in REFUSAL_TRACES}


@contextmanager
def unchanged(db: Database):
    """The block (an HTTP request or an operator command that is refused) must leave ``db``
    as it was, but for the record of its answer and its audit entry."""
    before = contents_without_traces(db)
    yield
    assert contents_without_traces(db) == before, "the refused request changed the database"
