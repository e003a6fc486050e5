"""Stores and the terminals (tills) in them."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.orm.base import Base, one_of
from engine.orm.types import UTCDateTime

TERMINAL_STATUSES = ("active", "retired")


class StoreRow(Base):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    group_code: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    # "store": a shop with tills; "online": a web shop, whose backend posts orders by member id
    channel: Mapped[str] = mapped_column(sa.String(16), default="store", server_default="store")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TerminalRow(Base):
    __tablename__ = "terminals"
    __table_args__ = (sa.CheckConstraint(one_of("status", TERMINAL_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    store: Mapped[StoreRow] = relationship(lazy="joined")
