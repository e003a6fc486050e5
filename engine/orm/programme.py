"""The programme's settings: exactly one row."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine.orm.base import Base, one_of
from engine.orm.types import UTCDateTime
from engine.programme import EXPIRY_POLICIES, EXPIRY_ROUNDINGS, NEGATIVE_BALANCE_POLICIES


class ProgrammeSettingsRow(Base):
    __tablename__ = "programme_settings"
    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint(one_of("expiry_policy", EXPIRY_POLICIES), name="expiry_policy"),
        sa.CheckConstraint(one_of("expiry_rounding", EXPIRY_ROUNDINGS), name="expiry_rounding"),
        sa.CheckConstraint(
            one_of("negative_balance_policy", NEGATIVE_BALANCE_POLICIES),
            name="negative_balance_policy",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    points_name: Mapped[str] = mapped_column(sa.String(40))
    currency: Mapped[str] = mapped_column(sa.String(3))
    currency_exponent: Mapped[int]
    timezone: Mapped[str] = mapped_column(sa.String(64))
    earn_points: Mapped[int]
    earn_per_minor: Mapped[int]
    pending_days: Mapped[int]
    expiry_policy: Mapped[str] = mapped_column(sa.String(20))
    expiry_months: Mapped[int | None]
    expiry_rounding: Mapped[str] = mapped_column(sa.String(20))
    negative_balance_policy: Mapped[str] = mapped_column(sa.String(20))
    redeem_points: Mapped[int]
    redeem_value_minor: Mapped[int]
    hold_timeout_minutes: Mapped[int]
    idempotency_retention_days: Mapped[int]
    adjustment_approval_threshold: Mapped[int] = mapped_column(server_default="1000")
    adjustment_daily_allowance: Mapped[int] = mapped_column(server_default="5000")
    uid_cards_redeem_with_pin: Mapped[bool] = mapped_column(server_default=sa.true())
    chip_cards_redeem_with_pin: Mapped[bool] = mapped_column(server_default=sa.false())
    staff_two_step_required: Mapped[bool] = mapped_column(server_default=sa.false())
    online_redeem_password_above: Mapped[int | None]
    member_new_device_code: Mapped[bool] = mapped_column(server_default=sa.false())
    offline_max_age_hours: Mapped[int] = mapped_column(server_default="72")
    pay_min_points: Mapped[int] = mapped_column(server_default="0")
    pay_max_points: Mapped[int | None]
    birthday_bonus_points: Mapped[int] = mapped_column(server_default="100")
    referrer_points: Mapped[int] = mapped_column(server_default="0")
    referred_points: Mapped[int] = mapped_column(server_default="0")
    referral_min_total_minor: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    expiry_warning_days: Mapped[int] = mapped_column(server_default="30")
    lapsed_after_days: Mapped[int] = mapped_column(server_default="180")
    loyal_purchases_per_year: Mapped[int] = mapped_column(server_default="6")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProgrammeRevisionRow(Base):
    """One row whose ``revision`` database triggers move forward whenever the programme's
    configuration changes (see engine/snapshot.py for the tables and why)."""

    __tablename__ = "programme_revision"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(sa.BigInteger)
