"""Tiers: their definitions, the programme's tier policy, each member's tier state (with
``members.tier_code`` as the cached current tier) and the history of every change."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine.orm.base import Base, one_of
from engine.orm.types import UTCDateTime

TIER_WINDOWS = ("rolling_months", "calendar_year")
TIER_REVIEWS = ("calendar", "anniversary")
TIER_MEASURES = ("points", "spend")  # qualifying points earned, or money spent (minor units)
TIER_CHANGE_REASONS = ("enrolment", "upgrade", "review", "grace", "manual")


class TierRow(Base):
    __tablename__ = "tiers"
    # rank: 0 for the lowest tier, then 1, 2, ... (negative only inside define_tiers' transaction)
    __table_args__ = (sa.CheckConstraint("threshold >= 0", name="threshold_not_negative"),)

    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    rank: Mapped[int] = mapped_column(unique=True)
    threshold: Mapped[int] = mapped_column(sa.BigInteger)
    earn_multiplier: Mapped[Decimal] = mapped_column(sa.Numeric(6, 3))


class TierPolicyRow(Base):
    __tablename__ = "tier_policy"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),
                      sa.CheckConstraint(one_of("window_kind", TIER_WINDOWS), name="window_kind"),
                      sa.CheckConstraint(one_of("review", TIER_REVIEWS), name="review"))

    id: Mapped[int] = mapped_column(primary_key=True)
    window_kind: Mapped[str] = mapped_column(sa.String(20))
    window_months: Mapped[int]
    review: Mapped[str] = mapped_column(sa.String(20))
    grace_months: Mapped[int]
    measure: Mapped[str] = mapped_column(sa.String(10), server_default="points")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MemberTierRow(Base):
    __tablename__ = "member_tiers"

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), primary_key=True)
    tier_code: Mapped[str] = mapped_column(sa.ForeignKey("tiers.code"))
    since: Mapped[datetime] = mapped_column(UTCDateTime())
    review_due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    grace_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TierChangeRow(Base):
    __tablename__ = "tier_changes"
    __table_args__ = (sa.CheckConstraint(one_of("reason", TIER_CHANGE_REASONS), name="reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    from_code: Mapped[str | None] = mapped_column(sa.String(32))
    to_code: Mapped[str] = mapped_column(sa.String(32))
    reason: Mapped[str] = mapped_column(sa.String(12))
    note: Mapped[str | None] = mapped_column(sa.String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
