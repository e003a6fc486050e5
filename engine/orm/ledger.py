"""The points ledger: accounts, immutable transactions and entries, lots, holds, receipts,
refunds and idempotency keys.

Ledger transactions and entries are append-only (database triggers refuse UPDATE and
DELETE). Lots, holds and the member account's cached ``balance``/``debt`` are projections
that the invariant checks compare with the entries.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine.orm.base import Base, one_of
from engine.orm.types import UTCDateTime

ACCOUNT_KINDS = ("member", "issuance", "redemption", "expiry", "adjustment")
SYSTEM_ACCOUNTS = ("issuance", "redemption", "expiry", "adjustment")
TRANSACTION_KINDS = ("earn", "capture", "refund", "expire", "adjust")
HOLD_STATUSES = ("pending", "captured", "voided", "expired")
Points = sa.BigInteger


# Tables whose rows every posting changes in place (a balance, a lot's remaining points):
# a fifth of each page kept free on PostgreSQL, so that the new version of a row fits on its
# page and no index is written (migration 0041).
ROOM_FOR_UPDATES_IN_PLACE = {"postgresql_with": {"fillfactor": 80}}


class AccountRow(Base):
    """A member's points account (one per member) or one of the system accounts.

    ``balance`` and ``debt`` are kept for member accounts only, under the account's row
    lock; system account balances are sums of their entries, never a row every accrual
    would have to lock.
    """

    __tablename__ = "accounts"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", ACCOUNT_KINDS), name="kind"),
        sa.CheckConstraint("(kind = 'member') = (member_id IS NOT NULL)", name="member_iff_member_kind"),
        sa.CheckConstraint("debt >= 0", name="debt_not_negative"),
        ROOM_FOR_UPDATES_IN_PLACE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id"), unique=True)
    balance: Mapped[int] = mapped_column(Points, default=0)
    debt: Mapped[int] = mapped_column(Points, default=0)


class LedgerTransactionRow(Base):
    __tablename__ = "ledger_transactions"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", TRANSACTION_KINDS), name="kind"),
        # what one person adjusted lately (engine.ledger.approvals); partial, so that the
        # accruals, which are nearly every row, do not pay for it
        sa.Index("ix_ledger_transactions_adjustments_by_actor", "actor", "posted_at",
                 postgresql_where=sa.text("kind = 'adjust'"), sqlite_where=sa.text("kind = 'adjust'")),
        # the reports' windows by posting time; BRIN on PostgreSQL: rows are appended in
        # posting order, so block ranges suffice, and an accrual does not pay for a b-tree
        sa.Index("ix_ledger_transactions_posted_at", "posted_at", postgresql_using="brin"),
    )

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    points: Mapped[int] = mapped_column(Points)  # what the member's account moved by
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    description: Mapped[str] = mapped_column(sa.String(200))
    actor: Mapped[str | None] = mapped_column(sa.String(100))
    checksum: Mapped[str] = mapped_column(sa.String(64))


class ClosedMonthRow(Base):
    """A calendar month of the programme's time zone whose postings are summed once and for
    all (``engine.ledger.closed_months``): the system accounts' side by account kind."""

    __tablename__ = "closed_months"

    zone: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)  # "2026-11"
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issuance: Mapped[int] = mapped_column(sa.BigInteger)
    redemption: Mapped[int] = mapped_column(sa.BigInteger)
    expiry: Mapped[int] = mapped_column(sa.BigInteger)
    adjustment: Mapped[int] = mapped_column(sa.BigInteger)


class EntryRow(Base):
    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    transaction_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(Points)


class LotRow(Base):
    """Points earned together: spent earliest-expiring first, expired when due."""

    __tablename__ = "lots"
    __table_args__ = (
        sa.CheckConstraint("0 <= reserved AND reserved <= remaining AND remaining <= amount", name="bounds"),
        sa.Index("ix_lots_member_id_expires_at", "member_id", "expires_at"),
        ROOM_FOR_UPDATES_IN_PLACE,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"))
    transaction_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_transactions.id"), index=True)
    amount: Mapped[int] = mapped_column(Points)
    remaining: Mapped[int] = mapped_column(Points)
    reserved: Mapped[int] = mapped_column(Points, default=0)
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    available_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)


class LotAllocationRow(Base):
    """Points a transaction took from a lot (spent, expired, clawed back)."""

    __tablename__ = "lot_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_transactions.id"), index=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id"), index=True)
    amount: Mapped[int] = mapped_column(Points)


class HoldRow(Base):
    """Points reserved for a payment at the till, until captured, voided or expired."""

    __tablename__ = "holds"
    __table_args__ = (
        sa.CheckConstraint(one_of("status", HOLD_STATUSES), name="status"),
        sa.CheckConstraint("points > 0", name="points_positive"),
        sa.CheckConstraint("(status = 'captured') = (captured_points IS NOT NULL)", name="captured_iff_status"),
        sa.CheckConstraint("captured_points IS NULL OR (captured_points > 0 AND captured_points <= points)",
                           name="capture_within_hold"),
        sa.CheckConstraint("(status = 'pending') = (resolved_at IS NULL)", name="resolved_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(20), unique=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    terminal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("terminals.id"))
    points: Mapped[int] = mapped_column(Points)
    status: Mapped[str] = mapped_column(sa.String(10))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    captured_points: Mapped[int | None] = mapped_column(Points)
    capture_transaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_transactions.id"))
    # Where the hold was placed and the sale its points paid for (given at capture),
    # so a refund of that receipt can give them back.
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id"))
    receipt_number: Mapped[str | None] = mapped_column(sa.String(64))
    cashier: Mapped[str | None] = mapped_column(sa.String(32))  # who took the payment, when the till says
    # The posting that gave a captured payment's points back, its sale called off before it
    # earned (engine.ledger.holds.return_payment): at most once.
    return_transaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_transactions.id"))


class HoldLotRow(Base):
    __tablename__ = "hold_lots"

    hold_id: Mapped[int] = mapped_column(sa.ForeignKey("holds.id"), primary_key=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("lots.id"), primary_key=True, index=True)
    points: Mapped[int] = mapped_column(Points)


class ReceiptRow(Base):
    """A sale that earned (once): the unit of earning and of refunds."""

    __tablename__ = "receipts"
    # by sale time: the fraud checks and the dashboard read a window of days
    __table_args__ = (sa.UniqueConstraint("store_id", "terminal_id", "receipt_number"),
                      sa.Index("ix_receipts_occurred_at", "occurred_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"))
    terminal_id: Mapped[int] = mapped_column(sa.ForeignKey("terminals.id"))
    receipt_number: Mapped[str] = mapped_column(sa.String(64))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    currency: Mapped[str] = mapped_column(sa.String(3))
    total_minor: Mapped[int] = mapped_column(sa.BigInteger)
    paid_with_points_minor: Mapped[int] = mapped_column(sa.BigInteger)
    points: Mapped[int] = mapped_column(Points)
    transaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_transactions.id"))
    cashier: Mapped[str | None] = mapped_column(sa.String(32))  # the till's operator id, when it says one


class ReceiptLineRow(Base):
    __tablename__ = "receipt_lines"
    __table_args__ = (sa.UniqueConstraint("receipt_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(sa.ForeignKey("receipts.id"))
    line_no: Mapped[int]
    sku: Mapped[str] = mapped_column(sa.String(64))
    category: Mapped[str | None] = mapped_column(sa.String(64))
    brand: Mapped[str | None] = mapped_column(sa.String(64))
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3))
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    eligible_minor: Mapped[int] = mapped_column(sa.BigInteger)
    points: Mapped[int] = mapped_column(Points)


class RefundRow(Base):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(sa.ForeignKey("receipts.id"), index=True)
    transaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_transactions.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    points_reversed: Mapped[int] = mapped_column(Points)
    points_returned: Mapped[int] = mapped_column(Points)
    points_written_off: Mapped[int] = mapped_column(Points)
    debt_created: Mapped[int] = mapped_column(Points)
    cashier: Mapped[str | None] = mapped_column(sa.String(32))  # who rang the return up, when the till says


class RefundLineRow(Base):
    __tablename__ = "refund_lines"

    refund_id: Mapped[int] = mapped_column(sa.ForeignKey("refunds.id"), primary_key=True)
    receipt_line_id: Mapped[int] = mapped_column(sa.ForeignKey("receipt_lines.id"), primary_key=True,
                                                 index=True)
    quantity: Mapped[Decimal] = mapped_column(sa.Numeric(12, 3))
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    points: Mapped[int] = mapped_column(Points)


class IdempotencyKeyRow(Base):
    """The first answer to a caller's request key, replayed to every retry."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("caller", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caller: Mapped[str] = mapped_column(sa.String(100))
    key: Mapped[str] = mapped_column(sa.String(255))
    command: Mapped[str] = mapped_column(sa.String(40))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    outcome: Mapped[str | None] = mapped_column(sa.String(10))
    response: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


GRANT_STATUSES = ("pending", "approved", "rejected")


class PointsGrantRow(Base):
    """The same bonus for every active member of a segment; one person asks, another approves."""

    __tablename__ = "points_grants"
    __table_args__ = (sa.CheckConstraint(one_of("status", GRANT_STATUSES), name="status"),
                      sa.CheckConstraint("points > 0", name="points_positive"),
                      sa.CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided_once"))

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    segment_id: Mapped[int] = mapped_column(sa.ForeignKey("segments.id"), index=True)
    points: Mapped[int] = mapped_column(Points)  # for each member
    reason: Mapped[str] = mapped_column(sa.String(200))
    requested_by: Mapped[str] = mapped_column(sa.String(100))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(sa.String(10), index=True)
    decided_by: Mapped[str | None] = mapped_column(sa.String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    members: Mapped[int | None] = mapped_column(sa.Integer)  # approved: credited, or queued to be
    # the segment's revision when the grant was asked for: approved only for the same members
    # (None: asked before revisions were kept)
    segment_revision: Mapped[int | None] = mapped_column(sa.Integer)


class PointsGrantQueueRow(Base):
    """A member an approved grant has still to credit (the grant's audience, taken at approval;
    emptied chunk by chunk as the credits are posted)."""

    __tablename__ = "points_grant_queue"

    grant_id: Mapped[int] = mapped_column(sa.ForeignKey("points_grants.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), primary_key=True)


class PointsGrantMemberRow(Base):
    """One member's credit from a grant (the key: a grant credits a member once)."""

    __tablename__ = "points_grant_members"

    grant_id: Mapped[int] = mapped_column(sa.ForeignKey("points_grants.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), primary_key=True, index=True)
    transaction_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_transactions.id"))
