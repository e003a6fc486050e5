"""Token buckets kept in the database, so that every process and node counts one caller
together (DESIGN: N nodes behave like one).

Guarantees:
- a take is one statement (an upsert), atomic under concurrent takes of the same bucket: a
  bucket of ``count`` refilling at ``count`` per ``period`` seconds never lets more through,
  however many processes share it;
- a take that is refused uses nothing: the caller's wait is how long until one request is
  back in the bucket;
- a clock that steps back refills nothing (the time since the last take counts from zero);
- a bucket idle for a day is deleted by :func:`purge_rate_buckets` (it is full by then, as a
  missing one is).
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from engine.database import Database, is_postgres
from engine.orm.access import RateBucketRow

MAX_CALLER = 100

_TAKE = """
INSERT INTO rate_buckets (kind, caller, tokens, at, allowed) VALUES (:kind, :caller, :full - 1, :now, TRUE)
ON CONFLICT (kind, caller) DO UPDATE SET
    tokens = CASE WHEN {refilled} >= 1 THEN {refilled} - 1 ELSE {refilled} END,
    allowed = {refilled} >= 1,
    at = {greatest}(rate_buckets.at, :now)
RETURNING tokens, allowed
"""


def _take_statement(least: str, greatest: str) -> sa.TextClause:
    # what the bucket holds at :now before this take, at most :full
    refilled = f"{least}(:full, rate_buckets.tokens + {greatest}(0, :now - rate_buckets.at) * :per_second)"
    return sa.text(_TAKE.format(refilled=refilled, greatest=greatest))


_TAKES = {"postgresql": _take_statement("LEAST", "GREATEST"), "sqlite": _take_statement("MIN", "MAX")}


def take(db: Database, kind: str, caller: str, *, count: int, period: float, now: datetime) -> float:
    """Take one request from the shared bucket of ``(kind, caller)``: 0 when it may go, else
    the seconds until it may."""
    per_second = count / period
    with db.transaction() as session:
        tokens, allowed = session.execute(_TAKES["postgresql" if is_postgres(session) else "sqlite"], {
            "kind": kind, "caller": caller[:MAX_CALLER], "full": float(count), "now": now.timestamp(),
            "per_second": per_second}).one()
    return 0.0 if allowed else (1 - tokens) / per_second


def purge_rate_buckets(db: Database, *, as_of: datetime) -> int:
    """Delete the buckets not taken from for a day before ``as_of``; how many."""
    with db.transaction() as session:
        return session.execute(sa.delete(RateBucketRow).where(
            RateBucketRow.at < (as_of - timedelta(days=1)).timestamp())).rowcount
