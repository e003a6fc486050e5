"""A durable local outbox for accruals (and returns of points paid for sales called off, and
returns of goods of sales still queued here) the server could not take yet (SQLite file).

The rule (reliable submission): an accrual is written here with its idempotency key
*before* the first attempt to send it; it is marked sent only when the server answered.
After a crash, a timeout or an outage the same key is sent again, so the server (which
is idempotent by key) records the sale exactly once even when the first attempt reached
it and only the answer was lost. Entries are replayed in the order they were written;
an entry the server refuses (4xx) is set aside as rejected, for an operator to look at,
and does not hold up the ones behind it (``resend`` puts it back in line under a new key
once its cause is put right). A 401 is not a refusal of the sale: the server
did not accept the till itself (a revoked or mistyped key, a clock gone wrong), so every
entry stays pending until that is fixed, as when the server cannot be reached. Nor is a sale
refused only for a time that lies ahead of the server's clock (a till's clock that ran fast):
it waits, and the server takes it once its time has come.

The outbox also keeps the till's payments with points, each written before its capture is
sent and settled in the same transaction as the entry that ends its sale (the accrual, or the
return of the points): a payment still open when the till starts again belongs to a sale the
till died in, and its points are given back (``TillAgent.give_back_unfinished_payments``).

The outbox also keeps the till's offline counter, used in offline card challenges, so
no two offline challenges of this till are ever built from the same counter. The server takes
each (card, till, counter) once, so a till installed again (a new outbox file) must not start
from 1: the counter never falls behind the till's clock (milliseconds since 1970), which is
past every counter an earlier install handed out while its clock was right.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from terminal.errors import ApiError, ApiUnreachable

ACCRUAL = "accrual"  # the kinds of entries: a sale to earn,
PAYMENT_RETURN = "payment_return"  # the points paid for a sale called off, to give back,
REFUND = "refund"  # a return of goods of a sale still queued here, to go after it

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'rejected')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    result TEXT,
    done_at TEXT
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS payments (
    hold_id TEXT PRIMARY KEY,
    receipt_number TEXT NOT NULL,
    points INTEGER NOT NULL,
    taken_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'earned', 'given_back', 'not_taken'))
);
"""


@dataclass(frozen=True)
class Entry:
    seq: int
    kind: str
    idempotency_key: str
    body: dict
    status: str
    attempts: int
    last_error: str | None
    result: dict | None


@dataclass(frozen=True)
class Payment:
    """A payment with points of a sale of this till (its captured hold)."""
    hold_id: str
    receipt_number: str
    points: int


@dataclass(frozen=True)
class ReplayReport:
    sent: int
    rejected: int
    left: int


class Outbox:
    """The outbox in one SQLite file (created on first use)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def add(self, kind: str, idempotency_key: str, body: dict, *, now: datetime,
            payment: str | None = None) -> Entry:
        """Write an entry (durably) before it is sent; the same key twice is one entry.

        ``payment``: the hold id of the sale's payment with points, which this entry settles
        (the sale earns, or the points go back), in the same transaction: a till that dies
        just after never gives back the points of a sale that earns, nor forgets them."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("INSERT OR IGNORE INTO outbox (kind, idempotency_key, body, created_at)"
                            " VALUES (?, ?, ?, ?)",
                            (kind, idempotency_key, json.dumps(body, sort_keys=True), now.isoformat()))
            if payment is not None:
                self.db.execute("UPDATE payments SET status = ? WHERE hold_id = ? AND status = 'open'",
                                ("earned" if kind == ACCRUAL else "given_back", payment))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return self.get(idempotency_key)

    def payment_taken(self, payment: Payment, *, now: datetime) -> None:
        """Record a payment with points (durably) before its capture is sent: until an entry
        settles it (see ``add``), its sale is unfinished, and a till restarted after a crash
        gives the points back (``unfinished_payments``)."""
        self.db.execute("INSERT OR IGNORE INTO payments (hold_id, receipt_number, points, taken_at) "
                        "VALUES (?, ?, ?, ?)", (payment.hold_id, payment.receipt_number, payment.points,
                                                now.isoformat()))

    def payment_not_taken(self, hold_id: str) -> None:
        """The payment's hold was voided: nothing was paid, nothing to give back."""
        self.db.execute("UPDATE payments SET status = 'not_taken' WHERE hold_id = ? AND status = 'open'",
                        (hold_id,))

    def unfinished_payments(self) -> list[Payment]:
        """Payments whose sale neither earned nor was called off, in the order they were taken."""
        rows = self.db.execute("SELECT hold_id, receipt_number, points FROM payments WHERE status = 'open' "
                               "ORDER BY taken_at, rowid")
        return [Payment(row[0], row[1], int(row[2])) for row in rows]

    def get(self, idempotency_key: str) -> Entry:
        row = self.db.execute("SELECT seq, kind, idempotency_key, body, status, attempts, "
                              "last_error, result FROM outbox WHERE idempotency_key = ?",
                              (idempotency_key,)).fetchone()
        if row is None:
            raise KeyError(idempotency_key)
        return _entry(row)

    def entries(self, status: str | None = None) -> list[Entry]:
        """Entries in the order they were written (optionally of one status)."""
        query = ("SELECT seq, kind, idempotency_key, body, status, attempts, last_error, result "
                 "FROM outbox")
        rows = (self.db.execute(query + " WHERE status = ? ORDER BY seq", (status,))
                if status else self.db.execute(query + " ORDER BY seq"))
        return [_entry(row) for row in rows]

    def pending(self) -> list[Entry]:
        return self.entries("pending")

    def mark_sent(self, idempotency_key: str, result: dict, *, now: datetime) -> None:
        self.db.execute("UPDATE outbox SET status = 'sent', result = ?, done_at = ?, "
                        "attempts = attempts + 1 WHERE idempotency_key = ? AND status = 'pending'",
                        (json.dumps(result), now.isoformat(), idempotency_key))

    def mark_rejected(self, idempotency_key: str, error: str, *, now: datetime) -> None:
        self.db.execute("UPDATE outbox SET status = 'rejected', last_error = ?, done_at = ?, "
                        "attempts = attempts + 1 WHERE idempotency_key = ? AND status = 'pending'",
                        (error, now.isoformat(), idempotency_key))

    def resend(self, seq: int, idempotency_key: str) -> Entry:
        """Put a rejected entry back in line under a new key, once what the server refused is
        put right (a card unblocked, a till's store corrected): the server answers a key with
        its first answer, so the old key would only be refused again. A new key cannot make a
        sale earn twice: the server takes each receipt once, whatever the key."""
        refused = next((e for e in self.entries("rejected") if e.seq == seq), None)
        if refused is None:
            raise ValueError(f"outbox entry {seq} is not one the server refused")
        receipt = refused.body.get("receipt_number")
        if refused.kind == ACCRUAL and any(e.body.get("receipt_number") == receipt
                                           for e in self.entries() if e.kind == PAYMENT_RETURN):
            raise ValueError(f"the sale of outbox entry {seq} (receipt {receipt}) was called off at the till and "
                             "the points paid for it given back: it does not earn")
        self.db.execute("UPDATE outbox SET status = 'pending', idempotency_key = ?, done_at = NULL "
                        "WHERE seq = ? AND status = 'rejected'", (idempotency_key, seq))
        return self.get(idempotency_key)

    def note_failure(self, idempotency_key: str, error: str) -> None:
        self.db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ? "
                        "WHERE idempotency_key = ?", (error, idempotency_key))

    def send(self, entry: Entry, deliver: Callable[[Entry], dict], *, now: datetime) -> dict:
        """Try one entry: sent (returns the server's answer), rejected (ApiError raised) or
        still pending (ApiUnreachable raised)."""
        try:
            result = deliver(entry)
        except ApiUnreachable as error:
            self.note_failure(entry.idempotency_key, error.message)
            raise
        except ApiError as error:
            if error.refuses_the_till:  # the sale was not judged
                self.note_failure(entry.idempotency_key, f"401 {error.error}: {error.message}")
                raise ApiUnreachable(f"The loyalty server does not accept this till's requests now "
                                     f"({error.message}); the sale waits in the outbox.") from error
            if _only_ahead_of_the_server(error):
                self.note_failure(entry.idempotency_key, f"{error.status} {error.error}: {error.problems}")
                raise ApiUnreachable("The loyalty server's clock has not reached the sale's time yet; the sale "
                                     "waits in the outbox.") from error
            self.mark_rejected(entry.idempotency_key, f"{error.status} {error.error}: "
                               f"{error.message}", now=now)
            raise
        self.mark_sent(entry.idempotency_key, result, now=now)
        return result

    def replay(self, deliver: Callable[[Entry], dict], *, now: datetime,
               stop_before: int | None = None, limit: int | None = None) -> ReplayReport:
        """Send the pending entries in order (those written before entry ``stop_before``, when
        given; the first ``limit`` of them, when given); stop at the first one the server cannot
        take now."""
        sent = rejected = 0
        for number, entry in enumerate(self.pending()):
            if (stop_before is not None and entry.seq >= stop_before) or (limit is not None and number >= limit):
                break
            try:
                self.send(entry, deliver, now=now)
                sent += 1
            except ApiError:
                rejected += 1
            except ApiUnreachable:
                break
        return ReplayReport(sent, rejected, len(self.pending()))

    def next_counter(self, name: str = "offline", *, at_least: int = 1) -> int:
        """The next value of a durable counter: one more than the last, or ``at_least`` when that
        is more (1, 2, ... without it); never handed out twice."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("INSERT OR IGNORE INTO counters (name, value) VALUES (?, 0)", (name,))
            self.db.execute("UPDATE counters SET value = MAX(value + 1, ?) WHERE name = ?", (at_least, name))
            (value,) = self.db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return value


def _only_ahead_of_the_server(error: ApiError) -> bool:
    """The server refused the entry for nothing but a time ahead of its clock: a wait, not a
    refusal (the entry was stamped by a clock that ran fast)."""
    return error.status == 422 and error.problems == {"occurred_at": ["lies in the future"]}


def _entry(row) -> Entry:
    return Entry(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5], row[6],
                 json.loads(row[7]) if row[7] else None)
