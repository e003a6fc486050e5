"""Maker-checker for staff adjustments: above the programme's threshold one person asks
and another approves.

Guarantees: an adjustment at or under ``adjustment_approval_threshold`` (either sign) is
applied at once, unless it would take what the same person adjusted without approval in
the last 24 hours (either sign, added up) above ``adjustment_daily_allowance``; any other
waits as a request and moves no points until a different person approves it (so splitting
a large adjustment into small ones does not pass it by one person); a request is decided
once (approved or rejected); approval applies the adjustment in the same transaction that
marks the request approved.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import Database
from engine.errors import refuse_if
from engine.four_eyes import pending_to_decide
from engine.ledger.adjustments import adjustment_problems, apply_adjustment, debit_lots
from engine.ledger.commands import AdjustPoints
from engine.ledger.idempotency import run_idempotent
from engine.members import member_row
from engine.orm.access import AdjustmentRequestRow
from engine.orm.ledger import LedgerTransactionRow
from engine.orm.members import MemberRow
from engine.settings import read_settings


@dataclass(frozen=True)
class AdjustmentRequest:
    request_id: str
    member_id: str
    points: int
    reason: str
    status: str  # "applied" (under the threshold), "pending", "approved", "rejected"
    requested_by: str
    requested_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    transaction_id: int | None = None


@dataclass(frozen=True)
class DecideAdjustment:
    request_id: str
    approve: bool
    actor: str


def request_adjustment(db: Database, command: AdjustPoints, *, caller: str, idempotency_key: str,
                       now: datetime) -> AdjustmentRequest:
    """Apply a small adjustment at once, or file a large one for a second person's approval."""
    def work(session: Session) -> AdjustmentRequest:
        refuse_if(adjustment_problems(command))
        settings = read_settings(session)
        if (abs(command.points) <= settings.adjustment_approval_threshold
                and abs(command.points) + _adjusted_alone(session, command.actor.strip(), now)
                <= settings.adjustment_daily_allowance):
            done = apply_adjustment(session, command, now=now)
            return AdjustmentRequest(request_id="", member_id=done.member_id, points=done.points,
                                     reason=done.reason, status="applied", requested_by=done.actor,
                                     requested_at=now, transaction_id=done.transaction_id)
        member = member_row(session, command.member_id, to_change=True)
        if command.points < 0:  # a debit the member cannot pay now is refused now, not at its approval
            debit_lots(session, member, -command.points)
        row = AdjustmentRequestRow(public_id="adj_" + secrets.token_hex(8), member_id=member.id,
                                   points=command.points, reason=command.reason.strip(),
                                   requested_by=command.actor.strip(), requested_at=now, status="pending")
        session.add(row)
        session.flush()
        return _request(row, member.public_id)

    return run_idempotent(db, caller=caller, key=idempotency_key, command="request_adjustment",
                          request=command, now=now, work=work, result_type=AdjustmentRequest)


def _adjusted_alone(session: Session, actor: str, now: datetime) -> int:
    """The points ``actor`` adjusted in the 24 hours before ``now`` without a second person's
    approval, either sign, added up. (Two of their requests at one instant may both pass: the
    allowance bounds a person's day, it is not a lock every adjustment waits on.)"""
    t, r = LedgerTransactionRow, AdjustmentRequestRow
    return session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(sa.func.abs(t.points)), 0))
        .where(t.kind == "adjust", t.actor == actor, t.posted_at > now - timedelta(days=1),
               ~sa.exists().where(r.transaction_id == t.id)))


def decide_adjustment(db: Database, command: DecideAdjustment, *, caller: str, idempotency_key: str,
                      now: datetime) -> AdjustmentRequest:
    """Approve (apply) or reject a pending request; the requester cannot decide their own."""
    def work(session: Session) -> AdjustmentRequest:
        # (decided_by keeps 64 characters: a longer name was refused by PostgreSQL at the flush)
        row = pending_to_decide(session, AdjustmentRequestRow, command.request_id, command.actor,
                                name="adjustment request", asked_for="an adjustment", code="adjustment",
                                longest_actor=64)
        member = session.get(MemberRow, row.member_id)
        if command.approve:
            done = apply_adjustment(session, AdjustPoints(member_id=member.public_id, points=row.points,
                                                          reason=row.reason, actor=row.requested_by), now=now)
            row.transaction_id = done.transaction_id
        row.status = "approved" if command.approve else "rejected"
        row.decided_by, row.decided_at = command.actor, now
        session.flush()
        return _request(row, member.public_id)

    return run_idempotent(db, caller=caller, key=idempotency_key, command="decide_adjustment",
                          request=command, now=now, work=work, result_type=AdjustmentRequest)


def list_adjustment_requests(db: Database, *, status: str | None = "pending", limit: int = 100,
                             offset: int = 0) -> list[AdjustmentRequest]:
    """Requests newest first (by default only those waiting for a decision)."""
    with db.transaction() as session:
        query = (sa.select(AdjustmentRequestRow, MemberRow.public_id)
                 .join(MemberRow, MemberRow.id == AdjustmentRequestRow.member_id)
                 .order_by(AdjustmentRequestRow.id.desc()).limit(limit).offset(offset))
        if status:
            query = query.where(AdjustmentRequestRow.status == status)
        return [_request(row, member) for row, member in session.execute(query)]


def _request(row: AdjustmentRequestRow, member_id: str) -> AdjustmentRequest:
    return AdjustmentRequest(request_id=row.public_id, member_id=member_id, points=row.points, reason=row.reason,
                             status=row.status, requested_by=row.requested_by, requested_at=row.requested_at,
                             decided_by=row.decided_by, decided_at=row.decided_at, transaction_id=row.transaction_id)
