"""Members, and their personal data kept apart from the member record.

The member row holds only what the programme needs to account for points (an opaque
public id, status, enrolment); names, contacts, birthday and consents live in the profile,
so personal data can be exported or erased without touching the ledger.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.orm.base import Base, one_of
from engine.orm.types import UTCDateTime

MEMBER_STATUSES = ("active", "suspended", "closed")


class MemberRow(Base):
    __tablename__ = "members"
    __table_args__ = (sa.CheckConstraint(one_of("status", MEMBER_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(20), unique=True)
    status: Mapped[str] = mapped_column(sa.String(10))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The member's current tier code (None before any tier is assigned). The tiers module
    # owns it and keeps its history; rules read it as a member condition.
    tier_code: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # While the status is "suspended" (``engine.member_suspension``): why, by whom, since when;
    # empty otherwise (reinstating clears them; the audit log keeps both staff actions).
    suspended_reason: Mapped[str | None] = mapped_column(sa.String(200))
    suspended_by: Mapped[str | None] = mapped_column(sa.String(100))
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    profile: Mapped[MemberProfileRow] = relationship(lazy="joined", back_populates="member")


class MemberProfileRow(Base):
    __tablename__ = "member_profiles"

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    birthday: Mapped[date | None]
    consent_marketing_email: Mapped[bool] = mapped_column(default=False)
    consent_marketing_sms: Mapped[bool] = mapped_column(default=False)
    consent_profiling: Mapped[bool] = mapped_column(default=False)
    consents_updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    member: Mapped[MemberRow] = relationship(back_populates="profile")


IMPORT_STATUSES = ("pending", "approved", "rejected")


class MemberImportRequestRow(Base):
    """A file of members to import, asked for by one person and approved by another (the
    import credits opening points); ``answer`` is the import's outcome once approved."""

    __tablename__ = "member_import_requests"
    __table_args__ = (sa.CheckConstraint(one_of("status", IMPORT_STATUSES), name="status"),
                      sa.CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided_once"))

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    file_name: Mapped[str] = mapped_column(sa.String(200))
    csv: Mapped[str] = mapped_column(sa.Text)
    members: Mapped[int]
    points: Mapped[int] = mapped_column(sa.BigInteger)
    cards: Mapped[int]
    requested_by: Mapped[str] = mapped_column(sa.String(100))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(sa.String(10), index=True)
    decided_by: Mapped[str | None] = mapped_column(sa.String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(sa.Text)
