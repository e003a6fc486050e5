"""Earning rules: versioned rule definitions, campaigns with budgets handed out in slices,
segments, member attributes, and what each receipt earned per rule version and per line.

A published rule version's definition never changes; only ``valid_until`` is set once, when
a later version supersedes it or it is retired. A version is in force for sales at instants
``published_at <= t < valid_until``.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine.orm.base import Base, one_of
from engine.orm.ledger import Points
from engine.orm.types import UTCDateTime

RULE_STATUSES = ("draft", "published", "superseded", "retired")
SEGMENT_KINDS = ("list", "predicate")


class RuleVersionRow(Base):
    __tablename__ = "rule_versions"
    __table_args__ = (
        sa.UniqueConstraint("rule_key", "version"),
        # one draft per rule: two saves of a new rule at one instant cannot both add one
        sa.Index("uq_rule_versions_one_draft_per_rule", "rule_key", unique=True,
                 postgresql_where=sa.text("status = 'draft'"), sqlite_where=sa.text("status = 'draft'")),
        sa.CheckConstraint(one_of("status", RULE_STATUSES), name="status"),
        sa.CheckConstraint("(status = 'draft') = (published_at IS NULL)", name="published_iff_not_draft"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_key: Mapped[str] = mapped_column(sa.String(64), index=True)
    version: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(12))
    definition: Mapped[dict] = mapped_column(sa.JSON)
    digest: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    actor: Mapped[str | None] = mapped_column(sa.String(100))


class CampaignRow(Base):
    """A time-boxed group of rules. ``budget`` (None: unlimited) is handed out through
    ``campaign_budget_slices`` so concurrent accruals lock different rows."""

    __tablename__ = "campaigns"
    __table_args__ = (
        sa.CheckConstraint("budget IS NULL OR budget > 0", name="budget_positive"),
        sa.CheckConstraint("holdout_share >= 0 AND holdout_share < 1", name="holdout_share_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    budget: Mapped[int | None] = mapped_column(Points)
    segment_code: Mapped[str | None] = mapped_column(sa.String(64))
    holdout_share: Mapped[Decimal] = mapped_column(sa.Numeric(5, 4), default=Decimal(0))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    member_cap: Mapped[int | None] = mapped_column(Points)  # what one member may get from it in all


class CampaignBudgetSliceRow(Base):
    __tablename__ = "campaign_budget_slices"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "slice_no"),
        sa.CheckConstraint("used >= 0 AND used <= size", name="used_within_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    slice_no: Mapped[int]
    size: Mapped[int] = mapped_column(Points)
    used: Mapped[int] = mapped_column(Points, default=0)


class SegmentRow(Base):
    """A named set of members: an uploaded ``list`` (``segment_members``) or a ``predicate``
    over the member's tier and attributes (``definition``: ``{"tier": [...], "attributes": {name: [values]}}``)."""

    __tablename__ = "segments"
    __table_args__ = (sa.CheckConstraint(one_of("kind", SEGMENT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    definition: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # one more with every upload of a list segment's members (a grant asked for one revision
    # is approved only for it: engine.points_grants)
    revision: Mapped[int] = mapped_column(default=1, server_default="1")


class SegmentMemberRow(Base):
    __tablename__ = "segment_members"

    segment_id: Mapped[int] = mapped_column(sa.ForeignKey("segments.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), primary_key=True, index=True)


class MemberAttributeRow(Base):
    __tablename__ = "member_attributes"

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(200))


class ReceiptRuleAwardRow(Base):
    """What one rule version (None: the base rate) gave one receipt, desired and applied."""

    __tablename__ = "receipt_rule_awards"
    __table_args__ = (sa.Index("ix_receipt_rule_awards_member_rule_day", "member_id", "rule_key", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(sa.ForeignKey("receipts.id"), index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"))
    rule_version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rule_versions.id"))
    rule_key: Mapped[str] = mapped_column(sa.String(64))
    campaign_code: Mapped[str | None] = mapped_column(sa.String(64))
    local_date: Mapped[date]
    desired: Mapped[int] = mapped_column(Points)
    applied: Mapped[int] = mapped_column(Points)
    capped_by: Mapped[str | None] = mapped_column(sa.String(20))
    # [[line_no, points], ...]: the lines the rule gave points to (what a support agent reads
    # to explain a line; refunds reverse receipt_lines.points, the lines' totals)
    line_points: Mapped[list] = mapped_column(sa.JSON, server_default="[]")


class ReferralRow(Base):
    """One member referred another: both get their bonus once, when the referred member's
    first purchase qualifies (its paid total reaches ``min_total_minor``)."""

    __tablename__ = "referrals"
    __table_args__ = (
        sa.CheckConstraint("referrer_id <> referred_id", name="not_self"),
        sa.CheckConstraint("referrer_points >= 0 AND referred_points >= 0", name="points_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referrer_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    referred_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), unique=True)
    referrer_points: Mapped[int] = mapped_column(Points)
    referred_points: Mapped[int] = mapped_column(Points)
    min_total_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rewarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    receipt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("receipts.id"))
    referrer_transaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_transactions.id"))


class ReferralCodeRow(Base):
    """The code a member gives friends who join online (``engine.rules.referrals``): made the
    first time the member asks for it, random, and only an active member's code refers."""

    __tablename__ = "referral_codes"

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(12), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
