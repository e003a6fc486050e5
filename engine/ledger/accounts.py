"""Member accounts, their lock, and posting a balanced transaction.

Guarantees: ``lock_member_account`` is the first lock every command takes for a member
(row lock on PostgreSQL; SQLite transactions already hold the database's write lock), so
read-then-write sequences on one member never interleave (an accrual's card-session check
takes it early, reading the account with the card: ``remember_locked_account``).
``prepare_posting`` refuses an unbalanced set of entries; writing a posting
(``post_transaction``, ``write_posting``, or within the receipt's statement, see
``engine.ledger.receipts``) makes only INSERTs into the ledger and moves the member's
cached balance by exactly the member entries.
"""
from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine.database import is_postgres
from engine.orm.ledger import AccountRow, EntryRow, LedgerTransactionRow, LotRow
from engine.orm.members import MemberRow
from engine.snapshot import programme


def member_account_code(public_id: str) -> str:
    """The account code of a member's points account."""
    return f"member:{public_id}"


def open_member_account(session: Session, member: MemberRow) -> AccountRow:
    """Create the points account of a newly enrolled member (balance zero)."""
    account = AccountRow(code=member_account_code(member.public_id), kind="member", member_id=member.id,
                         balance=0, debt=0)
    session.add(account)
    return account


_LOCK = (sa.select(AccountRow).where(AccountRow.member_id == sa.bindparam("member_pk")).with_for_update()
         .execution_options(populate_existing=True))


_LOCKED_KEY = "member_accounts_locked"


def lock_member_account(session: Session, member_pk: int) -> AccountRow:
    """The member's account row, locked until the transaction ends."""
    locked = session.info.get(_LOCKED_KEY)
    if locked is not None and member_pk in locked:
        return locked[member_pk]
    return session.execute(_LOCK, {"member_pk": member_pk}).scalar_one()


# A column of a first read that locks the member's account (``FOR UPDATE OF accounts``):
# whether the row it locked is the version its statement's snapshot sees. A statement reads
# with the snapshot it started with, so when it waited for the lock, what the lock's holder
# committed is not in what it read besides the account; every write under the account's lock
# makes a new version of the row (a posting moves the balance; one that moves no points
# calls ``mark_account_written``), so when the versions agree nothing committed under the
# lock was missed. (PostgreSQL; ``xmin`` is the transaction that made a row version.)
LOCKED_AS_SEEN = sa.literal_column(
    "accounts.xmin = (SELECT seen.xmin FROM accounts AS seen WHERE seen.id = accounts.id)").label("locked_as_seen")
# (SQL of a receipt's statement that posts nothing: see ``mark_account_written``)
ACCOUNT_WRITTEN_CTE = "account_written AS (UPDATE accounts SET balance = balance WHERE id = :written_account_id)"
_ACCOUNT_WRITTEN = sa.text(f"WITH {ACCOUNT_WRITTEN_CTE} SELECT 1")


def mark_account_written(session: Session, account: AccountRow) -> None:
    """Make a new version of ``account``'s row, unchanged, for a write under the account's lock
    that moves no points but changes what an accrual reads of the member (a refund moving no
    points; a sale earning none does it in its receipt's statement, ``ACCOUNT_WRITTEN_CTE``):
    an accrual whose first read waited for the lock sees it (``LOCKED_AS_SEEN``) and reads
    the member's facts again. PostgreSQL only: SQLite runs one writer at a time."""
    if is_postgres(session):
        session.execute(_ACCOUNT_WRITTEN, {"written_account_id": account.id})


def remember_locked_account(session: Session, account: AccountRow) -> None:
    """Let ``lock_member_account`` answer ``account`` for the rest of the transaction: it was
    read, with ``FOR UPDATE OF accounts`` and ``populate_existing``, along with something else."""
    session.info.setdefault(_LOCKED_KEY, {})[account.member_id] = account


def system_account_ids(session: Session) -> Mapping[str, int]:
    """Ids of the system accounts (created by the first migration, never changed)."""
    return programme(session).system_accounts


def transaction_checksum(kind: str, member_pk: int, occurred_at: datetime,
                         entries: Sequence[tuple[int, int]]) -> str:
    """A fingerprint of a transaction's content: the invariant check recomputes it, so an
    entry changed behind the engine's back is found."""
    # UTC: the database gives instants back in UTC, whatever offset they were posted with.
    text = "|".join([kind, str(member_pk), occurred_at.astimezone(UTC).isoformat(),
                     *(f"{account}:{amount}" for account, amount in sorted(entries))])
    return hashlib.sha256(text.encode()).hexdigest()


_INSERT_TRANSACTION = sa.insert(LedgerTransactionRow.__table__).returning(LedgerTransactionRow.__table__.c.id)
_INSERT_ENTRIES = sa.insert(EntryRow.__table__)
_INSERT_LOT = sa.insert(LotRow.__table__)


@dataclass(frozen=True)
class PostedTransaction:
    """A ledger transaction just posted: its id, for the rows that refer to it."""
    id: int


@dataclass(frozen=True)
class Posting:
    """A balanced transaction, checked, ready to be written (by ``write_posting``, or on
    PostgreSQL within a larger statement: ``posting_ctes``, ``parameters``, ``written``)."""
    account: AccountRow
    member_points: int
    values: dict  # the ledger_transactions row
    entries: tuple[tuple[int, int], ...]  # (account id, amount)
    lot: dict | None

    def parameters(self) -> dict:
        """The parameters of ``posting_ctes(len(entries), lot is not None)``."""
        return dict(self.values, account_id=self.account.id,
                    **{f"{name}{n}": value for n, entry in enumerate(self.entries) for name, value in zip("am", entry)},
                    **{f"lot_{name}": value for name, value in (self.lot or {}).items()})

    def written(self) -> None:
        """Tell the session the statement moved the account's balance."""
        set_committed_value(self.account, "balance", self.account.balance + self.member_points)


def prepare_posting(session: Session, *, kind: str, account: AccountRow, member_points: int,
                    system: dict[str, int], occurred_at: datetime, now: datetime, description: str,
                    actor: str | None = None, lot: dict | None = None) -> Posting:
    """One balanced transaction: ``member_points`` on the member's account and the ``system``
    amounts (by system account kind) on the others; zero amounts are left out. ``lot`` (a
    row from ``engine.ledger.lots.new_lot``) is inserted with the transaction.

    The caller holds the account's lock and keeps lots consistent with the balance.
    """
    ids = system_account_ids(session)
    entries = [(account.id, member_points)] + [(ids[k], amount) for k, amount in system.items()]
    entries = tuple((a, amount) for a, amount in entries if amount != 0)
    if sum(amount for _, amount in entries) != 0 or len(entries) < 2:
        raise AssertionError(f"unbalanced {kind} transaction: {entries}")  # a bug, never input
    values = dict(kind=kind, member_id=account.member_id, points=member_points, occurred_at=occurred_at,
                  posted_at=now, description=description[:200], actor=actor,
                  checksum=transaction_checksum(kind, account.member_id, occurred_at, entries))
    return Posting(account, member_points, values, entries, lot)


def post_transaction(session: Session, **posting) -> PostedTransaction:
    """Post one balanced transaction (the arguments of ``prepare_posting``)."""
    return write_posting(session, prepare_posting(session, **posting))


def write_posting(session: Session, posting: Posting) -> PostedTransaction:
    """Write ``posting``: only INSERTs into the ledger, and the member's cached balance moved
    by exactly the member entry."""
    # Plain INSERTs, not ORM objects: ledger rows are never read back or changed in the
    # transaction that writes them, and the unit of work costs more than the statements.
    if is_postgres(session):
        # One round trip: the balance, the transaction, its entries and its lot.
        session.flush()  # the account row must hold the balance the ORM knows before moving it
        transaction_id = session.execute(_posting_on_postgresql(len(posting.entries), posting.lot is not None),
                                         posting.parameters()).scalar()
        posting.written()
        return PostedTransaction(transaction_id)
    transaction_id = session.execute(_INSERT_TRANSACTION, posting.values).scalar_one()
    session.execute(_INSERT_ENTRIES, [{"transaction_id": transaction_id, "account_id": a, "amount": amount}
                                      for a, amount in posting.entries])
    posting.account.balance += posting.member_points
    if posting.lot is not None:
        insert_lot(session, posting.lot, transaction_id)
    return PostedTransaction(transaction_id)


def insert_lot(session: Session, lot: dict, transaction_id: int) -> None:
    """Insert ``lot`` (a row from ``engine.ledger.lots.new_lot``) for a posted transaction."""
    session.execute(_INSERT_LOT, {**lot, "transaction_id": transaction_id})


@functools.cache
def _posting_on_postgresql(entry_count: int, with_lot: bool) -> sa.TextClause:
    return sa.text(f"WITH {posting_ctes(entry_count, with_lot)} SELECT id FROM posted")


@functools.cache
def posting_ctes(entry_count: int, with_lot: bool) -> str:
    """The common table expressions that write a posting on PostgreSQL (``posted`` holds the
    new transaction's id), for a statement of its own or a larger one."""
    rows = ", ".join(f"(CAST(:a{n} AS INTEGER), CAST(:m{n} AS BIGINT))" for n in range(entry_count))
    lot = """,
         lot AS (INSERT INTO lots
                     (transaction_id, member_id, amount, remaining, reserved, earned_at, available_at, expires_at)
                 SELECT posted.id, CAST(:lot_member_id AS INTEGER), CAST(:lot_amount AS BIGINT),
                        CAST(:lot_remaining AS BIGINT), CAST(:lot_reserved AS BIGINT),
                        CAST(:lot_earned_at AS TIMESTAMP WITH TIME ZONE),
                        CAST(:lot_available_at AS TIMESTAMP WITH TIME ZONE),
                        CAST(:lot_expires_at AS TIMESTAMP WITH TIME ZONE)
                 FROM posted)""" if with_lot else ""
    return f"""moved AS (UPDATE accounts SET balance = balance + :points WHERE id = :account_id),
         posted AS (INSERT INTO ledger_transactions
                        (kind, member_id, points, occurred_at, posted_at, description, actor, checksum)
                    VALUES (:kind, :member_id, :points, :occurred_at, :posted_at, :description, :actor, :checksum)
                    RETURNING id){lot},
         entries AS (INSERT INTO ledger_entries (transaction_id, account_id, amount)
                     SELECT posted.id, entry.account_id, entry.amount
                     FROM posted, (VALUES {rows}) AS entry (account_id, amount))"""
