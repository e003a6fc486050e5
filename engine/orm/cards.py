"""Member cards: our applet cards and UID-only cards, with their lifecycle state."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.card_lifecycle import CARD_KINDS, CARD_STATUSES
from engine.orm.base import Base, one_of
from engine.orm.members import MemberRow
from engine.orm.types import UTCDateTime


class CardRow(Base):
    __tablename__ = "cards"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", CARD_KINDS), name="kind"),
        sa.CheckConstraint(one_of("status", CARD_STATUSES), name="status"),
        sa.CheckConstraint(
            "(kind = 'applet' AND key_version IS NOT NULL)"
            " OR (kind = 'uid' AND key_version IS NULL)",
            name="key_version_for_applet_only",
        ),
        sa.CheckConstraint(
            "(status = 'blocked') = (block_reason IS NOT NULL)", name="block_reason_when_blocked"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    key_version: Mapped[int | None]
    status: Mapped[str] = mapped_column(sa.String(10))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    block_reason: Mapped[str | None] = mapped_column(sa.String(200))
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cards.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    member: Mapped[MemberRow] = relationship(lazy="joined")
    replaced_by: Mapped[CardRow | None] = relationship(remote_side=[id])
