"""The rewards catalogue and the vouchers redeemed from it."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine.orm.base import Base, one_of
from engine.orm.types import UTCDateTime

VOUCHER_STATUSES = ("issued", "used", "cancelled")


class RewardRow(Base):
    __tablename__ = "rewards"
    __table_args__ = (sa.CheckConstraint("points_price > 0", name="price_positive"),
                      sa.CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
                      sa.CheckConstraint("per_member_limit IS NULL OR per_member_limit > 0", name="limit_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    points_price: Mapped[int] = mapped_column(sa.BigInteger)
    stock: Mapped[int | None]  # None: unlimited
    per_member_limit: Mapped[int | None]
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voucher_valid_days: Mapped[int | None]  # a voucher is usable this many days after it is issued; None: always
    tier_only: Mapped[bool] = mapped_column(server_default=sa.false())  # for the tiers with a tier price only
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RewardTierPriceRow(Base):
    """A tier benefit: the reward's price for members of that tier."""

    __tablename__ = "reward_tier_prices"
    __table_args__ = (sa.CheckConstraint("points > 0", name="points_positive"),)

    reward_id: Mapped[int] = mapped_column(sa.ForeignKey("rewards.id"), primary_key=True)
    tier_code: Mapped[str] = mapped_column(sa.ForeignKey("tiers.code"), primary_key=True)
    points: Mapped[int] = mapped_column(sa.BigInteger)


class VoucherRow(Base):
    __tablename__ = "vouchers"
    __table_args__ = (sa.CheckConstraint(one_of("status", VOUCHER_STATUSES), name="status"),
                      sa.Index("ix_vouchers_reward_id_member_id", "reward_id", "member_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(24), unique=True)
    reward_id: Mapped[int] = mapped_column(sa.ForeignKey("rewards.id"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"))
    points: Mapped[int] = mapped_column(sa.BigInteger)
    hold_id: Mapped[int] = mapped_column(sa.ForeignKey("holds.id"), unique=True)
    status: Mapped[str] = mapped_column(sa.String(10))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # not usable from then on
    return_transaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_transactions.id"))
