"""Lots: the points of one earning, and the order in which they are spent.

Guarantees (for a member whose account lock the caller holds):
- spendable points are those of lots that are available (past ``available_at``) and not
  expired, minus what holds reserve, minus any debt; never negative;
- spending takes the earliest-expiring lots first (lots that never expire last, then the
  oldest first);
- a new lot first pays off the member's debt (points owed after a refund).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.ledger.accounts import PostedTransaction, insert_lot
from engine.ledger.allocation import take_in_order
from engine.orm.ledger import AccountRow, LotAllocationRow, LotRow

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


def take_unreserved(lots: list[LotRow], points: int) -> list[tuple[LotRow, int]]:
    """Up to ``points`` from the unreserved part of ``lots``, in the order given."""
    by_id = {lot.id: lot for lot in lots}
    taken = take_in_order(((lot.id, lot.remaining - lot.reserved) for lot in lots), points)
    return [(by_id[lot_id], amount) for lot_id, amount in taken]
