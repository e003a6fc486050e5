"""Expiring points: due lots post their unreserved remainder to the expiry account.

Guarantees: a function of ``as_of`` only; lots are never deleted (their ``remaining`` goes
down and an ``expire`` transaction records how much and from which lots); reserved points
are never expired; running it twice for the same ``as_of`` expires nothing the second time;
each member is handled in a transaction of their own, under the member's account lock.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from engine.database import Database
from engine.ledger.accounts import lock_member_account, post_transaction
from engine.ledger.lots import SPENDING_ORDER, consume
from engine.orm.ledger import LotRow


@dataclass(frozen=True)
class ExpiryRun:
    members: int
    lots: int
    points: int


def _due(as_of: datetime):
    return sa.and_(LotRow.expires_at <= as_of, LotRow.remaining > LotRow.reserved)


def expire_lots(db: Database, *, as_of: datetime) -> ExpiryRun:
    """Expire every lot due at ``as_of``; returns how many members, lots and points."""
    with db.transaction() as session:
        members = list(session.scalars(sa.select(LotRow.member_id).distinct().where(_due(as_of))))
    lots = points = 0
    for member_pk in members:
        with db.transaction() as session:
            account = lock_member_account(session, member_pk)
            due = list(session.scalars(sa.select(LotRow).where(LotRow.member_id == member_pk, _due(as_of))
                                       .order_by(*SPENDING_ORDER)))
            if not due:
                continue  # someone else expired them meanwhile
            taken = [(lot, lot.remaining - lot.reserved) for lot in due]
            total = sum(amount for _, amount in taken)
            transaction = post_transaction(
                session, kind="expire", account=account, member_points=-total, system={"expiry": total},
                occurred_at=max(lot.expires_at for lot in due), now=as_of,
                description=f"{total} points expired")
            consume(session, transaction, taken)
            lots += len(due)
            points += total
    return ExpiryRun(members=len(members), lots=lots, points=points)
