"""Maker-checker for staff adjustments: above the programme's threshold one person asks
and another approves.

Guarantees: an adjustment at or under ``adjustment_approval_threshold`` (either sign) is
applied at once; a larger one waits as a request and moves no points until a different
person approves it; a request is decided once (approved or rejected); approval applies
the adjustment in the same transaction that marks the request approved.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import Database
from engine.errors import refuse_if
from engine.four_eyes import pending_to_decide
from engine.ledger.adjustments import adjustment_problems, apply_adjustment
from engine.ledger.commands import AdjustPoints
from engine.ledger.idempotency import run_idempotent
from engine.members import member_row
from engine.orm.access import AdjustmentRequestRow
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
        threshold = read_settings(session).adjustment_approval_threshold
        if abs(command.points) <= threshold:
            done = apply_adjustment(session, command, now=now)
            return AdjustmentRequest(request_id="", member_id=done.member_id, points=done.points,
                                     reason=done.reason, status="applied", requested_by=done.actor,
                                     requested_at=now, transaction_id=done.transaction_id)
        member = member_row(session, command.member_id, to_change=True)
        row = AdjustmentRequestRow(public_id="adj_" + secrets.token_hex(8), member_id=member.id,
                                   points=command.points, reason=command.reason.strip(),
                                   requested_by=command.actor.strip(), requested_at=now, status="pending")
        session.add(row)
        session.flush()
        return _request(row, member.public_id)

    return run_idempotent(db, caller=caller, key=idempotency_key, command="request_adjustment",
                          request=command, now=now, work=work, result_type=AdjustmentRequest)


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
