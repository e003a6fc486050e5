"""What a member holds and how it came to be: balance, availability, history.

Read-only. ``as_of`` decides what is pending, available and expiring.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from engine.database import Database
from engine.ledger.lots import holdings
from engine.members import member_row
from engine.orm.ledger import AccountRow, LedgerTransactionRow, LotRow, ReceiptRow
from engine.orm.rules import ReceiptRuleAwardRow, RuleVersionRow


@dataclass(frozen=True)
class ExpiringPoints:
    expires_at: datetime
    points: int


@dataclass(frozen=True)
class PendingPoints:
    available_at: datetime
    points: int


@dataclass(frozen=True)
class Balance:
    member_id: str
    balance: int  # every point the member holds (pending and reserved included), minus debt
    available: int  # what can be spent now
    pending: int  # earned, not spendable until the return window closes
    reserved: int  # held for a payment at the till
    debt: int  # points owed after a refund of spent points; paid off by the next earnings
    expiring: list[ExpiringPoints]  # within the window asked for, soonest first


@dataclass(frozen=True)
class RulePoints:
    """What one earning rule gave a purchase: its key, the name members see, the points."""

    rule_key: str
    name: str
    points: int


@dataclass(frozen=True)
class HistoryItem:
    transaction_id: int
    kind: str
    points: int
    occurred_at: datetime
    description: str
    actor: str | None
    rules: tuple[RulePoints, ...] = ()  # a purchase: why it earned what it did, rule by rule


def get_balance(db: Database, member_id: str, *, as_of: datetime,
                expiring_within: timedelta = timedelta(days=90)) -> Balance:
    """The member's points at ``as_of``, with what expires within ``expiring_within``."""
    with db.transaction() as session:
        member = member_row(session, member_id)
        account = session.scalar(sa.select(AccountRow).where(AccountRow.member_id == member.id))
        held = holdings(session, account, as_of)
        rows = session.execute(
            sa.select(LotRow.expires_at, sa.func.sum(LotRow.remaining - LotRow.reserved))
            .where(LotRow.member_id == member.id, LotRow.remaining > LotRow.reserved,
                   LotRow.expires_at > as_of, LotRow.expires_at <= as_of + expiring_within)
            .group_by(LotRow.expires_at).order_by(LotRow.expires_at))
        return Balance(member_id=member.public_id, balance=held.balance, available=held.available,
                       pending=held.pending, reserved=held.reserved, debt=held.debt,
                       expiring=[ExpiringPoints(at, int(points)) for at, points in rows])


def get_history(db: Database, member_id: str, *, limit: int = 50, offset: int = 0) -> list[HistoryItem]:
    """The member's ledger transactions, newest first, one page at a time."""
    with db.transaction() as session:
        member = member_row(session, member_id)
        rows = list(session.scalars(sa.select(LedgerTransactionRow)
                                    .where(LedgerTransactionRow.member_id == member.id)
                                    .order_by(LedgerTransactionRow.id.desc()).limit(limit).offset(offset)))
        explained = _rule_points(session, member.id, [r.id for r in rows if r.kind == "earn"])
        return [HistoryItem(transaction_id=r.id, kind=r.kind, points=r.points, occurred_at=r.occurred_at,
                            description=r.description, actor=r.actor, rules=tuple(explained.get(r.id, ())))
                for r in rows]


# How the breakdown names what is not a marketer's rule.
BUILT_IN_RULE_NAMES = {"base": "Base rate", "referral": "Referral bonus"}


def _rule_points(session, member_pk: int, transaction_ids: list[int]) -> dict[int, list[RulePoints]]:
    """Each purchase's rule awards (as recorded at accrual), in the order they were applied."""
    if not transaction_ids:
        return {}
    awards = session.execute(
        sa.select(ReceiptRow.transaction_id, ReceiptRuleAwardRow.rule_key, RuleVersionRow.definition,
                  ReceiptRuleAwardRow.applied)
        .join(ReceiptRuleAwardRow, ReceiptRuleAwardRow.receipt_id == ReceiptRow.id)
        .outerjoin(RuleVersionRow, RuleVersionRow.id == ReceiptRuleAwardRow.rule_version_id)
        # receipts are indexed by member: the member's receipts, then the page's purchases
        .where(ReceiptRow.member_id == member_pk, ReceiptRow.transaction_id.in_(transaction_ids),
               ReceiptRuleAwardRow.applied != 0)
        .order_by(ReceiptRuleAwardRow.id))
    explained: dict[int, list[RulePoints]] = {}
    for transaction_id, key, definition, applied in awards:
        name = (definition or {}).get("name") or BUILT_IN_RULE_NAMES.get(key, key)
        explained.setdefault(transaction_id, []).append(RulePoints(key, name, int(applied)))
    return explained


def get_pending(db: Database, member_id: str, *, as_of: datetime) -> list[PendingPoints]:
    """When the member's pending points become spendable: one line per ``available_at``
    instant after ``as_of``, soonest first. The points add up to ``get_balance(...).pending``
    at the same ``as_of`` (both count the remaining points of lots not yet available)."""
    with db.transaction() as session:
        member = member_row(session, member_id)
        rows = session.execute(
            sa.select(LotRow.available_at, sa.func.sum(LotRow.remaining))
            .where(LotRow.member_id == member.id, LotRow.available_at > as_of, LotRow.remaining > 0)
            .group_by(LotRow.available_at).order_by(LotRow.available_at))
        return [PendingPoints(at, int(points)) for at, points in rows]
