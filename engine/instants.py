"""Instants the engine takes from outside: with a time zone, and between the years 1900 and
9000 in UTC.

Why the bounds: an instant near the calendar's ends (the year 1 at +01:00, 9999-12-31 at
-01:00) overflows Python's datetime when converted to UTC or moved by a month, which would
surface as a fault deep in a command; nothing a loyalty programme does lies outside them.
"""
from __future__ import annotations

from datetime import UTC, datetime

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
RANGE_TEXT = "from the year 1900 to 9000"


def in_utc(value: object) -> datetime | None:
    """``value`` as the same instant in UTC when it is an aware datetime within the bounds;
    None otherwise."""
    if not (isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None):
        return None
    try:
        instant = value.astimezone(UTC)
    except OverflowError:
        return None
    return instant if EARLIEST <= instant < LATEST else None
