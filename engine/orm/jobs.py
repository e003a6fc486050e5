"""Scheduled jobs: their runs (claimed once per job and ``as_of``), the outbox of messages
they leave for later delivery, and the birthday bonuses given (once per member per year)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine.orm.base import Base, one_of
from engine.orm.types import UTCDateTime

JOB_RUN_STATUSES = ("running", "done", "failed")


class JobRunRow(Base):
    """One run of a job for one ``as_of``: the unique key is the claim."""

    __tablename__ = "job_runs"
    __table_args__ = (
        sa.UniqueConstraint("job", "as_of"),
        sa.CheckConstraint(one_of("status", JOB_RUN_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(40))
    as_of: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(sa.String(10))
    worker: Mapped[str] = mapped_column(sa.String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    summary: Mapped[str | None] = mapped_column(sa.Text)
    error: Mapped[str | None] = mapped_column(sa.Text)


class OutboxMessageRow(Base):
    """A message for a member, written by a job, delivered later by someone else."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), index=True)
    dedupe_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    payload: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BirthdayBonusRow(Base):
    """The birthday bonus a member got in one year (the key makes it once a year)."""

    __tablename__ = "birthday_bonuses"

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    transaction_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_transactions.id"))
    points: Mapped[int] = mapped_column(sa.BigInteger)
