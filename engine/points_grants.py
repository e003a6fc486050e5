"""Points grants: the same bonus for every member of a segment ("500 points to every gold
member", "our apologies for Saturday's outage"), asked for by one person, approved by another.

Guarantees:
- a grant moves no points until a different person approves it, whatever its size (it
  moves many balances at once); it is decided once, approved or rejected;
- approval credits, in the transaction that marks the grant approved, every member of the
  segment whose account is active at that moment (suspended and closed accounts get
  nothing): per member, one ``adjust`` posting from the adjustment account, with the reason
  and the requester, and a lot available at once under the programme's expiry policy that
  first pays any debt, as the birthday bonus does. Each credit is recorded with the grant,
  whose key lets a grant credit a member once;
- the work is set-based SQL, whatever the segment's size: the accounts are locked in id
  order (as every bulk job locks them), so a grant never deadlocks with a job or a sale;
- both steps are idempotent by key, like every command that moves points.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import Database
from engine.errors import InvalidState, NotAllowed, Problem, not_found, refuse_if
from engine.ledger import bulk
from engine.ledger.idempotency import run_idempotent
from engine.orm.ledger import AccountRow, PointsGrantMemberRow, PointsGrantRow
from engine.orm.members import MemberRow
from engine.orm.rules import SegmentRow
from engine.programme import lot_expires_at
from engine.rules.segments import segment_member_ids
from engine.settings import read_settings

MAX_POINTS = 10**6  # per member
MAX_REASON = 200
MAX_ACTOR = 100
_WORK = "grant_members"
_WORK_TABLE = sa.table(_WORK, sa.column("member_id"), sa.column("account_id"), sa.column("points"),
                       sa.column("transaction_id"))


@dataclass(frozen=True)
class GrantPoints:
    segment: str
    points: int  # for each member
    reason: str
    actor: str


@dataclass(frozen=True)
class DecideGrant:
    grant_id: str
    approve: bool
    actor: str


@dataclass(frozen=True)
class PointsGrant:
    grant_id: str
    segment: str
    points: int
    reason: str
    status: str  # "pending", "approved", "rejected"
    requested_by: str
    requested_at: datetime
    # pending: the segment's active members now (what approving would credit); approved: the
    # members credited; rejected: 0
    members: int
    total_points: int  # members × points
    decided_by: str | None = None
    decided_at: datetime | None = None


def request_grant(db: Database, command: GrantPoints, *, caller: str, idempotency_key: str,
                  now: datetime) -> PointsGrant:
    """File a grant for a second person's approval; nothing moves yet."""
    def work(session: Session) -> PointsGrant:
        refuse_if(_problems(command))
        segment = session.scalar(sa.select(SegmentRow).where(SegmentRow.code == command.segment))
        if segment is None:
            raise not_found("segment", command.segment)
        row = PointsGrantRow(public_id="grant_" + secrets.token_hex(8), segment_id=segment.id,
                             points=command.points, reason=command.reason.strip(),
                             requested_by=command.actor.strip(), requested_at=now, status="pending")
        session.add(row)
        session.flush()
        return _grant(session, row, segment)

    return run_idempotent(db, caller=caller, key=idempotency_key, command="request_grant", request=command,
                          now=now, work=work, result_type=PointsGrant)


def decide_grant(db: Database, command: DecideGrant, *, caller: str, idempotency_key: str,
                 now: datetime) -> PointsGrant:
    """Approve (credit every active member of the segment now) or reject a pending grant;
    the requester cannot decide their own."""
    def work(session: Session) -> PointsGrant:
        if not (isinstance(command.actor, str) and 0 < len(command.actor.strip()) <= MAX_ACTOR):
            refuse_if([Problem("actor", f"is required, at most {MAX_ACTOR} characters")])
        row = session.scalar(sa.select(PointsGrantRow).where(PointsGrantRow.public_id == command.grant_id)
                             .with_for_update())
        if row is None:
            raise not_found("points grant", command.grant_id)
        if row.status != "pending":
            raise InvalidState(f"points grant {row.public_id} was already {row.status}", code="grant_already_decided")
        if row.requested_by == command.actor.strip():
            raise NotAllowed("the person who asked for a grant cannot approve or reject it", code="four_eyes_required")
        segment = session.get(SegmentRow, row.segment_id)
        row.members = _credit(session, row, segment, now=now) if command.approve else 0
        row.status = "approved" if command.approve else "rejected"
        row.decided_by, row.decided_at = command.actor.strip(), now
        session.flush()
        return _grant(session, row, segment)

    return run_idempotent(db, caller=caller, key=idempotency_key, command="decide_grant", request=command,
                          now=now, work=work, result_type=PointsGrant)


def list_grants(db: Database, *, status: str | None = None, limit: int = 50, offset: int = 0) -> list[PointsGrant]:
    """Grants newest first, all or those of one status."""
    with db.transaction() as session:
        query = (sa.select(PointsGrantRow, SegmentRow).join(SegmentRow, SegmentRow.id == PointsGrantRow.segment_id)
                 .order_by(PointsGrantRow.id.desc()).limit(limit).offset(offset))
        if status is not None:
            query = query.where(PointsGrantRow.status == status)
        return [_grant(session, row, segment) for row, segment in session.execute(query).all()]


def get_grant(db: Database, grant_id: str) -> PointsGrant:
    """One grant by its id."""
    with db.transaction() as session:
        found = session.execute(sa.select(PointsGrantRow, SegmentRow)
                                .join(SegmentRow, SegmentRow.id == PointsGrantRow.segment_id)
                                .where(PointsGrantRow.public_id == grant_id)).first()
        if found is None:
            raise not_found("points grant", grant_id)
        return _grant(session, *found)


def _credit(session: Session, grant: PointsGrantRow, segment: SegmentRow, *, now: datetime) -> int:
    """Credit the grant to the segment's active members; how many were credited."""
    bulk.prepare(session)
    settings = read_settings(session)
    members = _active_members(segment)
    bulk.lock_accounts(session, members)
    bulk.work_table(session, _WORK, "member_id BIGINT, account_id BIGINT, points BIGINT, transaction_id BIGINT")
    session.execute(sa.insert(_WORK_TABLE).from_select(
        ["member_id", "account_id", "points"],
        sa.select(AccountRow.member_id, AccountRow.id, sa.literal(grant.points, sa.BigInteger))
        .where(AccountRow.member_id.in_(members))))
    bulk.analyze(session, _WORK)
    count = session.scalar(sa.select(sa.func.count()).select_from(_WORK_TABLE))
    if count:
        bulk.credit_members(session, work=_WORK, at=now, expires_at=lot_expires_at(now, settings),
                            description=grant.reason, actor=grant.requested_by)
        session.execute(sa.insert(PointsGrantMemberRow).from_select(
            ["grant_id", "member_id", "transaction_id"],
            sa.select(sa.literal(grant.id, sa.Integer), _WORK_TABLE.c.member_id, _WORK_TABLE.c.transaction_id)))
    return int(count)


def _active_members(segment: SegmentRow) -> sa.Select:
    return sa.select(MemberRow.id).where(MemberRow.status == "active", MemberRow.id.in_(segment_member_ids(segment)))


def _grant(session: Session, row: PointsGrantRow, segment: SegmentRow) -> PointsGrant:
    members = row.members
    if members is None:  # pending: what approving now would credit
        members = session.scalar(sa.select(sa.func.count()).select_from(_active_members(segment).subquery()))
    return PointsGrant(grant_id=row.public_id, segment=segment.code, points=row.points, reason=row.reason,
                       status=row.status, requested_by=row.requested_by, requested_at=row.requested_at,
                       members=int(members), total_points=int(members) * row.points, decided_by=row.decided_by,
                       decided_at=row.decided_at)


def _problems(command: GrantPoints) -> list[Problem]:
    problems = []
    if not (isinstance(command.points, int) and not isinstance(command.points, bool)
            and 1 <= command.points <= MAX_POINTS):
        problems.append(Problem("points", f"must be a whole number of points from 1 to {MAX_POINTS} for each member"))
    if not (isinstance(command.segment, str) and command.segment):
        problems.append(Problem("segment", "is required"))
    for field, limit in (("reason", MAX_REASON), ("actor", MAX_ACTOR)):
        value = getattr(command, field)
        if not (isinstance(value, str) and 0 < len(value.strip()) <= limit):
            problems.append(Problem(field, f"must be a non-empty text of at most {limit} characters"))
    return problems
