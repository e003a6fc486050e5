"""Lots: the points of one earning, and the order in which they are spent.

Guarantees (for a member whose account lock the caller holds):
- spendable points are those of lots that are available (past ``available_at``) and not
  expired, minus what holds reserve, minus any debt; never negative;
- spending takes the earliest-expiring lots first (lots that never expire last, then the
  oldest first);
- a new lot first pays off the member's debt (points owed after a refund);
- points given back (a refund's share of what paid for the sale, a cancelled voucher's
  price) keep the earning date and the expiry of the lots they were taken from: giving
  back never makes points live longer than they would have.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.ledger.accounts import PostedTransaction, insert_lot
from engine.ledger.allocation import take_in_order
from engine.orm.ledger import AccountRow, HoldRow, LotAllocationRow, LotRow

# Earliest expiry first; lots that never expire after all others; then oldest first.
SPENDING_ORDER = (LotRow.expires_at.is_(None), LotRow.expires_at, LotRow.available_at, LotRow.id)


@dataclass(frozen=True)
class Holdings:
    balance: int
    available: int
    pending: int
    reserved: int
    debt: int


def new_lot(account: AccountRow, points: int, *, earned_at: datetime, available_at: datetime,
            expires_at: datetime | None) -> dict:
    """The row of a new lot of ``points`` for the account's member, but its transaction; what
    the member owes is paid from it first (the account's debt goes down by as much)."""
    repaid = min(points, account.debt)
    if repaid:  # (only then: assigning marks the row changed, and every flush would look at it)
        account.debt -= repaid
    return dict(member_id=account.member_id, amount=points, remaining=points - repaid, reserved=0,
                earned_at=earned_at, available_at=available_at, expires_at=expires_at)


def add_lot(session: Session, account: AccountRow, transaction: PostedTransaction, points: int, *,
            earned_at: datetime, available_at: datetime, expires_at: datetime | None) -> None:
    """A lot of ``points`` for the account's member; whatever the member owes is paid first."""
    insert_lot(session, new_lot(account, points, earned_at=earned_at, available_at=available_at,
                                expires_at=expires_at), transaction.id)


def member_lots(session: Session, member_pk: int, *, spendable_at: datetime | None = None) -> list[LotRow]:
    """The member's lots with unreserved points, in spending order; with ``spendable_at``
    only those available and unexpired at that instant."""
    query = sa.select(LotRow).where(LotRow.member_id == member_pk, LotRow.remaining > LotRow.reserved)
    if spendable_at is not None:
        query = query.where(LotRow.available_at <= spendable_at,
                            sa.or_(LotRow.expires_at.is_(None), LotRow.expires_at > spendable_at))
    return list(session.scalars(query.order_by(*SPENDING_ORDER)))


def holdings(session: Session, account: AccountRow, as_of: datetime) -> Holdings:
    """Balance, available, pending and reserved points of the account's member at ``as_of``."""
    live = sa.or_(LotRow.expires_at.is_(None), LotRow.expires_at > as_of)
    is_available = sa.and_(LotRow.available_at <= as_of, live)
    row = session.execute(sa.select(
        sa.func.coalesce(sa.func.sum(sa.case((is_available, LotRow.remaining - LotRow.reserved), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((LotRow.available_at > as_of, LotRow.remaining), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(LotRow.reserved), 0),
    ).where(LotRow.member_id == account.member_id)).one()
    free, pending, reserved = (int(v) for v in row)
    return Holdings(balance=account.balance, available=max(0, free - account.debt), pending=pending,
                    reserved=reserved, debt=account.debt)


def consume(session: Session, transaction: PostedTransaction, taken: list[tuple[LotRow, int]],
            *, from_reserved: bool = False) -> None:
    """Take points from lots for ``transaction`` and record which lot gave how many."""
    for lot, points in taken:
        lot.remaining -= points
        if from_reserved:
            lot.reserved -= points
        session.add(LotAllocationRow(transaction_id=transaction.id, lot_id=lot.id, amount=points))


def spent_by_holds(session: Session, *holds) -> list[tuple[LotRow, int]]:
    """The lots the captured holds matching ``holds`` (conditions on ``HoldRow``) took points
    from, with how many each gave, latest-expiring first (the order they are given back in)."""
    return [(lot, amount) for lot, amount in session.execute(
        sa.select(LotRow, LotAllocationRow.amount)
        .join(LotAllocationRow, LotAllocationRow.lot_id == LotRow.id)
        .join(HoldRow, HoldRow.capture_transaction_id == LotAllocationRow.transaction_id)
        .where(*holds)
        .order_by(LotRow.expires_at.is_(None).desc(), LotRow.expires_at.desc(), LotRow.id.desc()))]


def give_back(session: Session, account: AccountRow, transaction: PostedTransaction,
              spent: list[tuple[LotRow, int]], points: int, *, now: datetime, skip: int = 0) -> None:
    """``points`` of what ``spent`` took (past the first ``skip``, given back before) back to
    the account's member for ``transaction``: available at once, each part as a lot with the
    earning date and the expiry of the lot it came from."""
    for source, amount in spent:
        usable = max(0, amount - skip)
        skip = max(0, skip - amount)
        give = min(usable, points)
        if give:
            add_lot(session, account, transaction, give, earned_at=source.earned_at,
                    available_at=now, expires_at=source.expires_at)
            points -= give


def take_unreserved(lots: list[LotRow], points: int) -> list[tuple[LotRow, int]]:
    """Up to ``points`` from the unreserved part of ``lots``, in the order given."""
    by_id = {lot.id: lot for lot in lots}
    taken = take_in_order(((lot.id, lot.remaining - lot.reserved) for lot in lots), points)
    return [(by_id[lot_id], amount) for lot_id, amount in taken]
