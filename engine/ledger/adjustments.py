"""Manual adjustments by staff: always with a reason and the actor who made them.

Guarantees: a credit forms a lot available at once (expiring by the programme's policy,
paying any debt first); a debit takes unreserved points earliest-expiring first and is
refused when the member has fewer (so is asking for one that waits for approval: it is
checked again when approved); the counter-entry goes to the adjustment account; each
is a ``points.adjusted`` webhook event.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from engine.database import Database
from engine.errors import InsufficientPoints, Problem, refuse_if
from engine.ledger.accounts import lock_member_account, post_transaction
from engine.ledger.commands import AdjustPoints, PointsAdjusted
from engine.ledger.idempotency import run_idempotent
from engine.ledger.lots import consume, member_lots, new_lot, take_unreserved
from engine.members import member_row
from engine.orm.ledger import LotRow
from engine.orm.members import MemberRow
from engine.programme import lot_expires_at
from engine.settings import read_settings
from engine.webhooks import record_event

MAX_ADJUSTMENT = 10**9


def adjust_points(db: Database, command: AdjustPoints, *, caller: str, idempotency_key: str,
                  now: datetime) -> PointsAdjusted:
    """Credit (positive) or debit (negative) a member's points by hand."""
    return run_idempotent(db, caller=caller, key=idempotency_key, command="adjust", request=command,
                          now=now, work=lambda session: apply_adjustment(session, command, now=now),
                          result_type=PointsAdjusted)


def apply_adjustment(session: Session, command: AdjustPoints, *, now: datetime) -> PointsAdjusted:
    """The adjustment inside a caller's (idempotent) transaction."""
    refuse_if(adjustment_problems(command))
    member = member_row(session, command.member_id, to_change=True)
    account = lock_member_account(session, member.id)
    points = command.points
    if points < 0:
        taken = debit_lots(session, member, -points)
    transaction = post_transaction(
        session, kind="adjust", account=account, member_points=points, system={"adjustment": -points},
        occurred_at=now, now=now, description=command.reason.strip(), actor=command.actor.strip(),
        lot=new_lot(account, points, earned_at=now, available_at=now,
                    expires_at=lot_expires_at(now, read_settings(session))) if points > 0 else None)
    if points < 0:
        consume(session, transaction, taken)
    session.flush()
    # not the reason: staff's free text may name people
    record_event(session, "points.adjusted", dict(member_id=member.public_id, points=points,
                                                  transaction_id=transaction.id), now=now)
    return PointsAdjusted(member_id=member.public_id, points=points, reason=command.reason.strip(),
                          actor=command.actor.strip(), transaction_id=transaction.id,
                          balance=account.balance)


def debit_lots(session: Session, member: MemberRow, points: int) -> list[tuple[LotRow, int]]:
    """What a debit of ``points`` would take from the member's lots (earliest-expiring first);
    refused with ``InsufficientPoints`` when the member has fewer points that can be taken."""
    taken = take_unreserved(member_lots(session, member.id), points)
    have = sum(amount for _, amount in taken)
    if have < points:
        raise InsufficientPoints(f"member {member.public_id} has {have} points that can be taken; "
                                 f"the adjustment asks for {points}")
    return taken


def adjustment_problems(command: AdjustPoints) -> list[Problem]:
    """Every problem with the adjustment's points, reason and actor."""
    problems = []
    if not (isinstance(command.points, int) and command.points != 0 and abs(command.points) <= MAX_ADJUSTMENT):
        problems.append(Problem("points", f"must be a non-zero whole number of at most {MAX_ADJUSTMENT}"))
    for field in ("reason", "actor"):
        value = getattr(command, field)
        if not (isinstance(value, str) and 0 < len(value.strip()) <= (200 if field == "reason" else 100)):
            missing = not isinstance(value, str) or not value.strip()
            problems.append(Problem(field, "is required" if missing else "is too long"))
    return problems
