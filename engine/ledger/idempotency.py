"""Idempotent commands: one posting per (caller, key), and the first answer for every retry.

Guarantees:
- the key is claimed (inserted) before any work, in the same transaction as the work, so
  two requests with one key never make two postings; a concurrent request with the same
  key is refused with ``RequestInFlight`` when the first is still running after
  ``IN_FLIGHT_WAIT`` (PostgreSQL; SQLite runs one writer at a time, so the second simply
  waits and replays);
- the first answer is stored with the key, refusals included (the work is rolled back to
  a savepoint, the refusal is kept); a retry gets that answer again, even if the world
  has changed since;
- the same key with a different request (another command or another body) is refused
  with ``IdempotencyKeyReused`` and changes nothing;
- an unexpected failure stores nothing: the request can be retried.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import Database, insert_unless_taken
from engine.errors import (IdempotencyKeyReused, LoyaltyError, Problem, RequestInFlight, error_from_plain,
                           error_to_plain, refuse_if)
from engine.orm.ledger import IdempotencyKeyRow
from engine.plain import canonical_json, from_plain, to_plain
from engine.settings import read_settings

Result = TypeVar("Result")
MAX_KEY_LENGTH = 255
IN_FLIGHT_WAIT = "250ms"  # how long a retry waits for the first request before 409
LOCK_NOT_AVAILABLE = "55P03"


def request_fingerprint(command: str, request) -> str:
    """The hash that tells whether a retry carries the same request as the first try."""
    return hashlib.sha256(canonical_json({"command": command, "request": request}).encode()).hexdigest()


def run_idempotent(db: Database, *, caller: str, key: str, command: str, request, now: datetime,
                   work: Callable[[Session], Result], result_type: type[Result]) -> Result:
    """Run ``work`` once for ``(caller, key)`` and return its result, or replay the first answer."""
    refuse_if(_key_problems(caller, key))
    fingerprint = request_fingerprint(command, request)
    refusal: LoyaltyError | None = None
    with db.transaction() as session:
        if not _claim(session, caller, key, command, fingerprint, now):
            return _replay(session, caller, key, command, fingerprint, result_type)
        try:
            with session.begin_nested():
                result = work(session)
        except LoyaltyError as error:
            refusal = error
            _record(session, caller, key, "refused", error_to_plain(error))
        else:
            _record(session, caller, key, "ok", to_plain(result))
    if refusal is not None:
        raise refusal
    return result


def purge_idempotency_keys(db: Database, *, as_of: datetime) -> int:
    """Forget keys older than the programme's retention; returns how many were purged.

    A key used again after it was purged is a new request."""
    with db.transaction() as session:
        cutoff = as_of - timedelta(days=read_settings(session).idempotency_retention_days)
        result = session.execute(sa.delete(IdempotencyKeyRow).where(IdempotencyKeyRow.created_at < cutoff))
        return result.rowcount


def _claim(session: Session, caller: str, key: str, command: str, fingerprint: str, now: datetime) -> bool:
    keys = IdempotencyKeyRow.__table__

    def insert() -> bool:
        return insert_unless_taken(session, keys, ["caller", "key"], dict(
            caller=caller, key=key, command=command, request_hash=fingerprint, created_at=now),
            returning=keys.c.id) is not None
    if session.get_bind().dialect.name != "postgresql":
        return insert()
    # The insert waits while another transaction holds the same key uncommitted: bound it.
    session.execute(sa.text(f"SET LOCAL lock_timeout = '{IN_FLIGHT_WAIT}'"))
    try:
        claimed = insert()
    except sa.exc.OperationalError as error:
        if getattr(error.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise RequestInFlight(f"a request with idempotency key {key!r} is still being processed; "
                                  "retry in a moment to get its answer") from None
        raise
    session.execute(sa.text("SET LOCAL lock_timeout = DEFAULT"))
    return claimed


def _replay(session: Session, caller: str, key: str, command: str, fingerprint: str, result_type):
    row = session.execute(sa.select(IdempotencyKeyRow).where(
        IdempotencyKeyRow.caller == caller, IdempotencyKeyRow.key == key)).scalar_one()
    if row.command != command or row.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            f"idempotency key {key!r} was already used for a different {row.command} request; "
            "use a new key for a new request")
    answer = json.loads(row.response)
    if row.outcome == "refused":
        raise error_from_plain(answer)
    return from_plain(result_type, answer)


def _record(session: Session, caller: str, key: str, outcome: str, answer: dict) -> None:
    keys = IdempotencyKeyRow.__table__
    session.execute(sa.update(keys).where(keys.c.caller == caller, keys.c.key == key)
                    .values(outcome=outcome, response=json.dumps(answer)))


def _key_problems(caller: str, key: str) -> list[Problem]:
    problems = []
    if not (isinstance(caller, str) and 0 < len(caller) <= 100):
        problems.append(Problem("caller", "must name who sends the request (1 to 100 characters)"))
    if not (isinstance(key, str) and 0 < len(key) <= MAX_KEY_LENGTH and key.isprintable() and key.isascii()):
        problems.append(Problem("idempotency_key",
                                f"must be 1 to {MAX_KEY_LENGTH} printable ASCII characters (a UUID is a good key)"))
    return problems
