"""Idempotent commands: one posting per (caller, key), and the first answer for every retry.

Guarantees:
- the key is claimed before any work, in the same transaction as the work, and held until
  it commits, so two requests with one key never make two postings: on PostgreSQL the
  claim is a transaction-scoped advisory lock on the key (a concurrent request with the
  same key finds it taken and is refused at once with ``RequestInFlight``); SQLite runs
  one writer at a time, so a second request simply waits and replays. The key's row, with
  the answer, is written when the work is done: claiming, looking for an earlier answer and
  recording cost two statements; the claim's statement also reads the configuration's
  revision, against which a till's request checks the snapshot it was pinned to
  (``engine.snapshot``);
- on PostgreSQL a command's work may write the key's row with its answer in its own last
  statement (:func:`answer_in_last_write`: an accrual's posting), one round trip fewer; the
  answer is the same, and a key's row found there is handled as when it is written here;
- the first answer is stored with the key, refusals included: a refused command's work is
  rolled back with its transaction, and a second transaction claims the key again (waiting
  for it if need be) and stores the refusal, unless an answer was stored meanwhile, which
  is then the answer (no savepoint: two round trips fewer for every command that succeeds);
  a retry gets that answer again, even if the world has changed since;
- the same key with a different request (another command or another body) is refused
  with ``IdempotencyKeyReused`` and changes nothing; a field added to a command since the
  first try, left at its default, does not make the retry different (``fingerprint_json``);
- an unexpected failure stores nothing: the request can be retried.
"""
from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import Database, insert_unless_taken, is_postgres, postgresql_row
from engine.errors import (IdempotencyKeyReused, LoyaltyError, Problem, RequestInFlight, error_from_plain,
                           error_to_plain, refuse_if)
from engine.orm.ledger import IdempotencyKeyRow
from engine.orm.programme import ProgrammeRevisionRow
from engine.plain import canonical_json, fingerprint_json, from_plain, to_plain
from engine.sealing import seal, unseal
from engine.settings import read_settings
from engine.snapshot import check_revision

Result = TypeVar("Result")
MAX_KEY_LENGTH = 255


def request_fingerprint(command: str, request) -> str:
    """The hash that tells whether a retry carries the same request as the first try."""
    return hashlib.sha256(fingerprint_json({"command": command, "request": request}).encode()).hexdigest()


def _fingerprint_of_every_field(command: str, request) -> str:
    # How keys stored before 2026-12-06 were fingerprinted (fields at their default
    # included): such a key is still honoured until it is purged with the retention.
    return hashlib.sha256(canonical_json({"command": command, "request": request}).encode()).hexdigest()


def run_idempotent(db: Database, *, caller: str, key: str, command: str, request, now: datetime,
                   work: Callable[[Session], Result], result_type: type[Result],
                   first_read: Callable[[Session, dict], object | None] | None = None) -> Result:
    """Run ``work`` once for ``(caller, key)`` and return its result, or replay the first answer.

    ``first_read`` (PostgreSQL only; a :class:`FirstRead`, or a function calling one): a read
    the work starts with, which takes the key's claim along in its statement (one round trip
    fewer)."""
    refuse_if(_key_problems(caller, key))
    fingerprint = request_fingerprint(command, request)
    try:
        with db.transaction() as session:
            carried = None
            if first_read is not None and is_postgres(session):
                carried = first_read(session, {"claim_lock": key_lock_id(caller, key), "claim_caller": caller,
                                               "claim_key": key})
            earlier = _claim(session, caller, key) if carried is None else _claimed(session, carried, key, True, False)
            if earlier is not None:
                return _replay(earlier, key, command, request, fingerprint, result_type)
            answer = session.info[_ANSWER] = AnswerToWrite(caller, key, command, fingerprint, now)
            try:
                result = work(session)
            except LoyaltyError as error:
                raise _Refused(error) from error  # leaving the block rolls the work back
            finally:
                del session.info[_ANSWER]
            if answer.written is None:
                _record(session, caller, key, command, fingerprint, now, "ok", _kept_answer(result))
            elif not answer.written:
                raise _just_answered(key)
            return result
    except _Refused as refused:
        refusal = refused.error
    if not refusal.remembered:
        raise refusal
    with db.transaction() as session:
        earlier = _claim(session, caller, key, wait=True)
        if earlier is not None:  # a request with the same key was answered meanwhile: its answer stands
            return _replay(earlier, key, command, request, fingerprint, result_type)
        _record(session, caller, key, command, fingerprint, now, "refused", error_to_plain(refusal))
    raise refusal


@dataclass
class AnswerToWrite:
    """The key of the idempotent command a transaction runs, for its work to write with the
    command's answer (:func:`answer_in_last_write`). ``written``: None while the work has
    not written it, then whether the key's row was new."""

    caller: str
    key: str
    command: str
    request_hash: str
    created_at: datetime
    written: bool | None = None

    def parameters(self, result, field: str) -> dict:
        """The key row's parameters of :data:`ANSWER_CTE`: the answer is ``result`` as
        ``run_idempotent`` stores it, with ``field`` (a top-level field of the result) left
        to the statement (``{value}``)."""
        plain = to_plain(result)
        plain[field] = _PLACE_OF_VALUE
        head, tail = json.dumps(plain).split(json.dumps(_PLACE_OF_VALUE))
        return {"answer_caller": self.caller, "answer_key": self.key, "answer_command": self.command,
                "answer_request_hash": self.request_hash, "answer_created_at": self.created_at,
                "answer_head": head, "answer_tail": tail}

    def found(self, key_row_id: int | None) -> None:
        """Take the statement's answer: the key row's id, None when the key's row existed."""
        self.written = key_row_id is not None


def answer_in_last_write(session: Session) -> AnswerToWrite | None:
    """The key of the idempotent command this transaction runs, when its work may write the
    key's row with the answer in its own last statement (on PostgreSQL, with
    :data:`ANSWER_CTE`); else None and ``run_idempotent`` writes it after the work. Work that
    writes it must return the result it wrote, and have nothing left that may fail but with a
    refusal (which rolls the row back with the rest)."""
    answer = session.info.get(_ANSWER)
    return answer if answer is not None and answer.written is None and is_postgres(session) else None


# The key's row with its answer, as a common table expression of the command's last write:
# ``{value}`` is the SQL of the answer's one field that statement decides (its new row's id).
ANSWER_CTE = """answered AS (
        INSERT INTO idempotency_keys (caller, key, command, request_hash, outcome, response, created_at)
        VALUES (:answer_caller, :answer_key, :answer_command, :answer_request_hash, 'ok',
                :answer_head || COALESCE(CAST({value} AS TEXT), 'null') || :answer_tail, :answer_created_at)
        ON CONFLICT (caller, key) DO NOTHING
        RETURNING id)"""
_ANSWER = "loyalty_answer_to_write"
# Stands for the statement's field while the answer is made JSON. No answer holds it (the API
# refuses text with a NUL character at the door); one that did would fail the split loudly,
# never store a wrong answer.
_PLACE_OF_VALUE = "\0the statement's value"


class _Refused(Exception):
    """Carries a command's refusal out of the transaction it rolls back."""

    def __init__(self, error: LoyaltyError):
        super().__init__(str(error))
        self.error = error


def purge_idempotency_keys(db: Database, *, as_of: datetime) -> int:
    """Forget keys older than the programme's retention; returns how many were purged.

    A key used again after it was purged is a new request."""
    with db.transaction() as session:
        cutoff = as_of - timedelta(days=read_settings(session).idempotency_retention_days)
        result = session.execute(sa.delete(IdempotencyKeyRow).where(IdempotencyKeyRow.created_at < cutoff))
        return result.rowcount


def key_lock_id(caller: str, key: str) -> int:
    """The PostgreSQL advisory lock that claims ``(caller, key)`` (64 bits of a hash: another
    key sharing it could only make a request wait for a retry, never run twice)."""
    digest = hashlib.sha256(f"loyalty-idempotency:{caller}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


# One round trip: try the key's lock, look for an answer committed before, and read the
# configuration's revision (which a till's request checks its pinned snapshot against).
_CLAIM_ON_POSTGRESQL = sa.text(
    "SELECT pg_try_advisory_xact_lock(:lock) AS claimed, k.command, k.request_hash, k.outcome, k.response, "
    "(SELECT revision FROM programme_revision WHERE id = 1) AS revision "
    "FROM (SELECT 1) AS one LEFT JOIN idempotency_keys AS k ON k.caller = :caller AND k.key = :key")


_KEYS = IdempotencyKeyRow.__table__
_REVISION = sa.select(ProgrammeRevisionRow.revision).where(ProgrammeRevisionRow.id == 1).subquery()
# The answer stored for the key, if any, with the configuration's revision: always one row.
_LOOK = (sa.select(_REVISION.c.revision, _KEYS.c.command, _KEYS.c.request_hash, _KEYS.c.outcome, _KEYS.c.response)
         .select_from(_REVISION.outerjoin(_KEYS, sa.and_(_KEYS.c.caller == sa.bindparam("caller"),
                                                          _KEYS.c.key == sa.bindparam("key")))))


# The claim as a subquery, for a read that takes it along (``run_idempotent``'s
# ``first_read``): the columns of _CLAIM_ON_POSTGRESQL, with parameters ``claim_lock``,
# ``claim_caller`` and ``claim_key``.
_ONE = sa.select(sa.literal(1).label("one")).subquery("one")
_CLAIM = (sa.select(sa.func.pg_try_advisory_xact_lock(sa.bindparam("claim_lock")).label("claimed"), _KEYS.c.command,
                   _KEYS.c.request_hash, _KEYS.c.outcome, _KEYS.c.response,
                   sa.select(ProgrammeRevisionRow.revision).where(ProgrammeRevisionRow.id == 1)
                   .scalar_subquery().label("revision"))
         .select_from(_ONE.outerjoin(_KEYS, sa.and_(_KEYS.c.caller == sa.bindparam("claim_caller"),
                                                    _KEYS.c.key == sa.bindparam("claim_key"))))
         .subquery("claim"))
class FirstRead:
    """A read that carries the claim: a statement made by :func:`carrying_claim`, sent through
    the driver (``engine.database.postgresql_row``) with ``parameters`` and the claim's; called
    with the session and the claim's parameters, it answers its row, which holds the claim's
    columns (None when the statement found nothing: the key is claimed on its own), and lets
    ``take(session, row)`` keep what the row holds besides the claim."""

    __slots__ = ("statement", "parameters", "take")

    def __init__(self, statement: sa.Select, parameters: dict, take: Callable[[Session, object], None]):
        self.statement, self.parameters, self.take = statement, parameters, take

    def __call__(self, session: Session, claim_parameters: dict):
        found = postgresql_row(session, self.statement, {**self.parameters, **claim_parameters})
        if found is not None:
            self.take(session, found)
        return found

    def with_columns(self, columns: tuple, parameters: dict) -> FirstRead:
        """This read with ``columns`` added to its statement (at the end of its row: ``take``
        sees them after its own) and ``parameters`` added to its parameters."""
        return FirstRead(_with_columns(self.statement, columns), {**self.parameters, **parameters}, self.take)


@functools.lru_cache(maxsize=64)
def _with_columns(statement: sa.Select, columns: tuple) -> sa.Select:
    # made once per pair (``columns`` built once each): the driver's statements are kept by
    # their statement object, and building one costs more than sending it
    return statement.add_columns(*columns)


def carrying_claim(statement: sa.Select) -> sa.Select:
    """``statement`` (a first read: one row at most) with the idempotency key's claim joined
    to it, for a :class:`FirstRead`."""
    return statement.add_columns(*_CLAIM.c).join(_CLAIM, sa.true())


def _claim(session: Session, caller: str, key: str, *, wait: bool = False):
    """Claim the key for this transaction; the earlier answer's row if there is one. With
    ``wait``, a request holding the key is waited for rather than refused."""
    postgresql = is_postgres(session)
    if postgresql and wait:
        # The lock first, in its own statement: the look that follows sees what the
        # request that held the key committed.
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(key_lock_id(caller, key))))
    if wait or not postgresql:  # on SQLite, the transaction holds the database's write lock
        found = session.execute(_LOOK, {"caller": caller, "key": key}).one()
    else:
        found = postgresql_row(session, _CLAIM_ON_POSTGRESQL, {"lock": key_lock_id(caller, key), "caller": caller,
                                                               "key": key})
    return _claimed(session, found, key, postgresql, wait)


def _claimed(session: Session, found, key: str, postgresql: bool, wait: bool):
    """What the claim's row says: the earlier answer's row, None when the key is ours, or
    ``RequestInFlight``."""
    check_revision(session, found.revision)
    if found.command is not None:
        return found
    if postgresql and not wait and not found.claimed:
        raise RequestInFlight(f"a request with idempotency key {key!r} is still being processed; "
                              "retry in a moment to get its answer")
    return None


def _replay(row, key: str, command: str, request, fingerprint: str, result_type):
    same = row.command == command and (row.request_hash == fingerprint
                                       or row.request_hash == _fingerprint_of_every_field(command, request))
    if not same:
        raise IdempotencyKeyReused(
            f"idempotency key {key!r} was already used for a different {row.command} request; "
            "use a new key for a new request")
    answer = json.loads(row.response)
    if row.outcome == "refused":
        raise error_from_plain(answer)
    for name in getattr(result_type, "SECRET_FIELDS", ()):
        answer[name] = unseal(answer[name], _secret_purpose(result_type, name))
    return from_plain(result_type, answer)


def _kept_answer(result) -> dict:
    """``result`` as the key's row keeps it for retries, its secret fields (a result type's
    ``SECRET_FIELDS``: a payment code) sealed with the data keys (``engine.sealing``; as
    they are without data keys, as every sealed secret)."""
    plain = to_plain(result)
    for name in getattr(type(result), "SECRET_FIELDS", ()):
        plain[name] = seal(plain[name], _secret_purpose(type(result), name))
    return plain


def _secret_purpose(result_type: type, name: str) -> str:
    return f"idempotency_keys.response {result_type.__name__}.{name}"


# The key's row with its answer; nothing when the key's row exists (then no id comes back).
_RECORD_ON_POSTGRESQL = sa.text(
    "INSERT INTO idempotency_keys (caller, key, command, request_hash, outcome, response, created_at) "
    "VALUES (:caller, :key, :command, :request_hash, :outcome, :response, :created_at) "
    "ON CONFLICT (caller, key) DO NOTHING RETURNING id")


def _record(session: Session, caller: str, key: str, command: str, fingerprint: str, now: datetime,
            outcome: str, answer: dict) -> None:
    row = dict(caller=caller, key=key, command=command, request_hash=fingerprint, created_at=now, outcome=outcome,
               response=json.dumps(answer))
    if is_postgres(session):
        recorded = postgresql_row(session, _RECORD_ON_POSTGRESQL, row) is not None
    else:
        recorded = insert_unless_taken(session, _KEYS, ["caller", "key"], row, returning=_KEYS.c.id) is not None
    if not recorded:
        raise _just_answered(key)


def _just_answered(key: str) -> RequestInFlight:
    # The claim's statement read before it locked: a first request that committed in
    # between is found only when the key's row is written. Everything is rolled back; a
    # retry replays it.
    return RequestInFlight(f"a request with idempotency key {key!r} has just been answered; "
                           "retry to get its answer")


def _key_problems(caller: str, key: str) -> list[Problem]:
    problems = []
    if not (isinstance(caller, str) and 0 < len(caller) <= 100):
        problems.append(Problem("caller", "must name who sends the request (1 to 100 characters)"))
    if not (isinstance(key, str) and 0 < len(key) <= MAX_KEY_LENGTH and key.isprintable() and key.isascii()):
        problems.append(Problem("idempotency_key",
                                f"must be 1 to {MAX_KEY_LENGTH} printable ASCII characters (a UUID is a good key)"))
    return problems
