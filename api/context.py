"""What a view needs from the application: the database and the clock."""
from __future__ import annotations

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
