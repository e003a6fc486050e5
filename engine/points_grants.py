"""Points grants: the same bonus for every member of a segment ("500 points to every gold
member", "our apologies for Saturday's outage"), asked for by one person, approved by another.

Guarantees:
- a grant moves no points until a different person approves it, whatever its size (it
  moves many balances at once); it is decided once, approved or rejected;
- approval takes the grant's audience, in the transaction that marks it approved: every
  member of the segment whose account is active at that moment. A list segment whose members
  were uploaded again after the grant was asked for is refused (``segment_changed``): the
  approver approves the list the requester chose, or rejects it. The credits follow in
  chunks of ``CHUNK`` members, a transaction each, so that a till selling to a member of
  the segment waits for one chunk at most (under a second for a grant to a million
  members), never for the whole grant (one transaction for all of them kept a till waiting
  21 s on a grant to 200,000). Per
  member: one ``adjust`` posting from the adjustment account, with the reason and the
  requester, and a lot available at once under the programme's expiry policy that first
  pays any debt, as the birthday bonus does; a member whose account was suspended or
  closed since the approval gets nothing and leaves the count. Each credit is recorded
  with the grant, whose key lets a grant credit a member once;
- crediting resumes where it stopped: a replay of the approval, :func:`credit_grant` (the
  console, the API, the CLI), :func:`finish_grants` (the scheduler's minutely round and the
  nightly ``grants`` job) finish what a stopped process, or one that gave up after its
  ``seconds`` (a web request), left; several processes may credit one grant at once (each
  takes chunks the others do not hold);
- the work is set-based SQL, whatever the segment's size: each chunk's accounts are locked
  in id order (as every bulk job locks them), so a grant never deadlocks with a job or a
  sale;
- both decisions are idempotent by key, like every command that moves points.
"""
from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.database import Database, is_postgres
from engine.errors import InvalidState, Problem, not_found, refuse_if
from engine.four_eyes import pending_to_decide
from engine.ledger import bulk
from engine.ledger.idempotency import run_idempotent
from engine.orm.ledger import PointsGrantQueueRow, PointsGrantRow
from engine.orm.members import MemberRow
from engine.orm.rules import SegmentRow
from engine.programme import lot_expires_at
from engine.rules.segments import segment_member_ids
from engine.settings import read_settings

MAX_POINTS = 10**6  # per member
MAX_REASON = 200
MAX_ACTOR = 100
CHUNK = 5_000  # members credited per transaction
_CHUNK = "grant_chunk"  # work tables
_WORK = "grant_members"

Progress = Callable[[int, int], None] | None


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
    # members credited, and those still queued to be; rejected: 0
    members: int
    total_points: int  # members × points
    decided_by: str | None = None
    decided_at: datetime | None = None
    credited: int = 0  # members credited so far (approved: ``members`` once done)


def request_grant(db: Database, command: GrantPoints, *, caller: str, idempotency_key: str,
                  now: datetime) -> PointsGrant:
    """File a grant for a second person's approval; nothing moves yet."""
    def work(session: Session) -> PointsGrant:
        refuse_if(_problems(command))
        # shared: a removal of the segment at the same time takes its turn before or after
        segment = session.scalar(sa.select(SegmentRow).where(SegmentRow.code == command.segment)
                                 .with_for_update(read=True))
        if segment is None:
            raise not_found("segment", command.segment)
        row = PointsGrantRow(public_id="grant_" + secrets.token_hex(8), segment_id=segment.id,
                             points=command.points, reason=command.reason.strip(),
                             requested_by=command.actor.strip(), requested_at=now, status="pending",
                             segment_revision=segment.revision)
        session.add(row)
        session.flush()
        return _grant(session, row, segment)

    return run_idempotent(db, caller=caller, key=idempotency_key, command="request_grant", request=command,
                          now=now, work=work, result_type=PointsGrant)


def decide_grant(db: Database, command: DecideGrant, *, caller: str, idempotency_key: str,
                 now: datetime, progress: Progress = None, seconds: float | None = None) -> PointsGrant:
    """Approve (take every active member of the segment now, and credit them chunk by chunk,
    for about ``seconds`` at most when given, as :func:`credit_grant`) or reject a pending
    grant; the requester cannot decide their own. The grant as it stands after: an
    approval's replay goes on with any crediting left."""
    def work(session: Session) -> PointsGrant:
        row = pending_to_decide(session, PointsGrantRow, command.grant_id, command.actor, name="points grant",
                                asked_for="a grant", code="grant", longest_actor=MAX_ACTOR)
        segment = session.get(SegmentRow, row.segment_id)
        if command.approve and row.segment_revision not in (None, segment.revision):
            raise InvalidState(f"the members of segment {segment.code!r} were uploaded again, or its predicate "
                               "changed, after the grant was asked for; reject it, and ask again for the segment "
                               "as it is now",
                               code="segment_changed")
        row.members = _queue(session, row, segment) if command.approve else 0
        row.status = "approved" if command.approve else "rejected"
        row.decided_by, row.decided_at = command.actor.strip(), now
        session.flush()
        return _grant(session, row, segment)

    decided = run_idempotent(db, caller=caller, key=idempotency_key, command="decide_grant", request=command,
                             now=now, work=work, result_type=PointsGrant)
    if decided.status != "approved":
        return decided
    return credit_grant(db, decided.grant_id, now=now, progress=progress, seconds=seconds)


def credit_grant(db: Database, grant_id: str, *, now: datetime, progress: Progress = None,
                 seconds: float | None = None) -> PointsGrant:
    """Credit the members an approved grant has still to credit, chunk by chunk (nothing when
    it is done: safe to repeat); ``progress(credited, members)`` after each chunk. With
    ``seconds``, no chunk is begun after that many seconds (one chunk at least is credited),
    and the rest is left for the next call: a web request answers in time, and the
    scheduler finishes the grant. The grant as it stands after (``credited`` < ``members``
    while members are left)."""
    deadline = None if seconds is None else time.monotonic() + seconds
    with db.transaction() as session:
        row = session.scalar(sa.select(PointsGrantRow).where(PointsGrantRow.public_id == grant_id))
        if row is None:
            raise not_found("points grant", grant_id)
        if row.status != "approved":
            raise InvalidState(f"points grant {row.public_id} is {row.status}: only an approved grant credits members",
                               code="grant_not_approved")
        grant_pk, total = row.id, row.members
        done = total - _queued(session, grant_pk)
        # never dated before the approval: a scheduler catching up on the days it was down
        # credits with the instant of a day that may precede the grant
        now = max(now, row.decided_at)
    # Chunks go up the member ids from the last one taken, so that a chunk need not read past
    # the queue entries earlier chunks deleted (their index entries stay until a vacuum); one
    # more pass from the start picks up what other processes skipped or left.
    after = 0
    while True:
        taken, last = _credit_chunk(db, grant_pk, after=after, now=now)
        if taken:
            done, after = done + taken, last
            if progress is not None:
                progress(done, total)
            if deadline is not None and time.monotonic() >= deadline:
                return get_grant(db, grant_id)
        elif after:
            after = 0
        elif not _wait_for_other_crediters(db, grant_pk):
            return get_grant(db, grant_id)


def _wait_for_other_crediters(db: Database, grant_pk: int) -> bool:
    """Wait until the chunks other processes are crediting are done; whether members are
    left in the queue even so (a process that stopped with them: ours to credit now)."""
    with db.transaction() as session:
        if not is_postgres(session):  # SQLite's writers take turns: nothing is held by another
            return False
        return bool(session.scalars(sa.select(PointsGrantQueueRow.member_id).where(
            PointsGrantQueueRow.grant_id == grant_pk).limit(1).with_for_update()).first())


def finish_grants(db: Database, *, now: datetime, progress: Progress = None) -> dict:
    """Finish every approved grant that still has members to credit (what a stopped process
    left); how many grants and members were credited."""
    with db.transaction() as session:
        unfinished = session.scalars(
            sa.select(PointsGrantRow.public_id).where(PointsGrantRow.id.in_(sa.select(PointsGrantQueueRow.grant_id)))
            .order_by(PointsGrantRow.id)).all()
    members = 0
    for grant_id in unfinished:
        before = get_grant(db, grant_id).credited
        members += credit_grant(db, grant_id, now=now, progress=progress).credited - before
    return {"grants": len(unfinished), "members": members}


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


def _queue(session: Session, grant: PointsGrantRow, segment: SegmentRow) -> int:
    """Queue the segment's active members for the grant's credits; how many."""
    session.execute(sa.insert(PointsGrantQueueRow).from_select(
        ["grant_id", "member_id"], sa.select(sa.literal(grant.id, sa.Integer), _active_members(segment).subquery().c.id)))
    return _queued(session, grant.id)


def _credit_chunk(db: Database, grant_pk: int, *, after: int, now: datetime) -> tuple[int, int]:
    """Credit up to ``CHUNK`` of the grant's queued members above member id ``after`` (those
    no other process is crediting), in one transaction; how many were taken from the queue
    (0: none) and the highest member id taken."""
    with db.transaction() as session:
        grant = session.get(PointsGrantRow, grant_pk)
        bulk.prepare(session)
        bulk.work_table(session, _CHUNK, "member_id BIGINT")
        skip_locked = " FOR UPDATE SKIP LOCKED" if is_postgres(session) else ""
        session.execute(sa.text(
            f"INSERT INTO {_CHUNK} (member_id) SELECT member_id FROM points_grant_queue WHERE grant_id = :grant "
            f"AND member_id > :after ORDER BY member_id LIMIT :chunk{skip_locked}"),
            {"grant": grant_pk, "after": after, "chunk": CHUNK})
        picked, last = session.execute(sa.text(f"SELECT COUNT(*), MAX(member_id) FROM {_CHUNK}")).one()
        if not picked:
            return 0, after
        chunk = f"SELECT member_id FROM {_CHUNK}"
        bulk.lock_accounts(session, chunk)
        bulk.work_table(session, _WORK, "member_id BIGINT, account_id BIGINT, points BIGINT, transaction_id BIGINT")
        # the member's account is active now, under its lock: closed or suspended since the approval, nothing
        session.execute(sa.text(
            f"INSERT INTO {_WORK} (member_id, account_id, points) SELECT a.member_id, a.id, :points FROM accounts a "
            f"JOIN members m ON m.id = a.member_id AND m.status = 'active' WHERE a.member_id IN ({chunk})"),
            {"points": grant.points})
        credited = session.scalar(sa.text(f"SELECT COUNT(*) FROM {_WORK}"))
        if credited:
            bulk.analyze(session, _WORK)
            bulk.credit_members(session, work=_WORK, at=now, expires_at=lot_expires_at(now, read_settings(session)),
                                description=grant.reason, reason="points_grant",
                                # the ledger names the grant, which keeps who asked and who approved (not
                                # the asker: what someone else approved is no part of what the asker may
                                # adjust alone in a day, engine.ledger.approvals)
                                actor=grant.public_id)
            session.execute(sa.text(
                "INSERT INTO points_grant_members (grant_id, member_id, transaction_id) "
                f"SELECT :grant, member_id, transaction_id FROM {_WORK}"), {"grant": grant_pk})
        session.execute(sa.text(f"DELETE FROM points_grant_queue WHERE grant_id = :grant AND member_id IN ({chunk})"),
                        {"grant": grant_pk})
        if credited < picked:
            session.execute(sa.update(PointsGrantRow).where(PointsGrantRow.id == grant_pk)
                            .values(members=PointsGrantRow.members - (picked - credited)))
    return picked, last


def _queued(session: Session, grant_pk: int) -> int:
    """How many members the grant has still to credit."""
    return int(session.scalar(sa.select(sa.func.count()).select_from(PointsGrantQueueRow)
                              .where(PointsGrantQueueRow.grant_id == grant_pk)))


def _active_members(segment: SegmentRow) -> sa.Select:
    return sa.select(MemberRow.id).where(MemberRow.status == "active", MemberRow.id.in_(segment_member_ids(segment)))


def _grant(session: Session, row: PointsGrantRow, segment: SegmentRow) -> PointsGrant:
    members, credited = row.members, 0
    if members is None:  # pending: what approving now would credit
        members = session.scalar(sa.select(sa.func.count()).select_from(_active_members(segment).subquery()))
    elif row.status == "approved":
        credited = members - _queued(session, row.id)
    return PointsGrant(grant_id=row.public_id, segment=segment.code, points=row.points, reason=row.reason,
                       status=row.status, requested_by=row.requested_by, requested_at=row.requested_at,
                       members=int(members), total_points=int(members) * row.points, decided_by=row.decided_by,
                       decided_at=row.decided_at, credited=int(credited))


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
