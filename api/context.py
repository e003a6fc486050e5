"""What a view needs from the application: the database and the clock."""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import current_app

from engine.access.passwords import Passwords
from engine.database import Database

DATABASE_KEY = "loyalty.database"
PASSWORDS_KEY = "loyalty.passwords"


def database() -> Database:
    return current_app.extensions[DATABASE_KEY]


def passwords() -> Passwords:
    return current_app.extensions[PASSWORDS_KEY]


def now() -> datetime:
    """The current instant; tests inject a clock with the CLOCK config key."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock else datetime.now(UTC)


@contextmanager
def quiet_answer() -> Iterator[None]:
    """The block takes at least QUIET_ANSWER_SECONDS, so that its time does not tell what it
    found (a member's address writes a link, another writes nothing): tests inject the wait
    with the SLEEP config key."""
    started = time.monotonic()
    yield
    left = current_app.config.get("QUIET_ANSWER_SECONDS", 0) - (time.monotonic() - started)
    if left > 0:
        current_app.config.get("SLEEP", time.sleep)(left)
