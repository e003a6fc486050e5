"""Assertions shared by the tests."""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from engine.database import Database
from tests.support.snapshot import table_contents


@contextmanager
def refused_unchanged(db: Database, error: type[Exception], code: str | None = None):
    """The block must raise ``error`` (with ``code``, if given) and leave ``db`` as it was."""
    before = table_contents(db)
    with pytest.raises(error) as caught:
        yield caught
    if code is not None:
        assert caught.value.code == code, caught.value
    assert table_contents(db) == before, "the refusal changed the database"
