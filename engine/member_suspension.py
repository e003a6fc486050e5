"""Suspending a member's account while support looks into fraud, and reinstating it.

Guarantees:
- only an active member is suspended (``already_suspended`` for a suspended one) and only a
  suspended one reinstated (``not_suspended`` for an active one); a closed member is refused
  either way (``member_closed``); a reason of 1 to 200 characters is required to suspend;
- the member keeps, while suspended, the reason, who suspended them (the actor, e.g.
  ``staff:alice``) and when; reinstating clears them (the audit log keeps both staff
  requests);
- the change takes the member's account lock, as every ledger command does: a sale or a
  payment in flight finishes first, and every command after it sees the new status;
- while suspended, the member cannot earn (at a till or by a points grant or the birthday
  bonus), place a hold or pay with points, redeem a reward, nor have a voucher taken at a
  till: each is refused with ``member_not_active`` (``engine.members.refuse_unless_active``),
  or skipped by the bulk jobs; refunds of earlier receipts still take their points back,
  and staff adjustments still apply. The member still signs in and reads their balance and
  history;
- idempotent by key, like the other staff writes: a retry gets the first answer (a refusal
  too), so a double submit does not turn into ``already_suspended``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from engine.database import Database
from engine.errors import InvalidState, Problem, refuse_if
from engine.ledger.accounts import lock_member_account
from engine.ledger.idempotency import run_idempotent
from engine.members import member_row
from engine.orm.members import MemberRow

MAX_REASON = 200  # the column's length
MAX_ACTOR = 100


@dataclass(frozen=True)
class SuspendMember:
    member_id: str
    reason: str
    actor: str


@dataclass(frozen=True)
class ReinstateMember:
    member_id: str
    actor: str


@dataclass(frozen=True)
class MemberStatusChanged:
    member_id: str
    status: str  # after the change: "suspended" or "active"
    reason: str | None  # the suspension's reason (None when reinstated)
    changed_by: str
    changed_at: datetime


def suspend_member(db: Database, command: SuspendMember, *, caller: str, idempotency_key: str,
                   now: datetime) -> MemberStatusChanged:
    """Suspend an active member's account: no points earned or spent until reinstated."""
    return run_idempotent(db, caller=caller, key=idempotency_key, command="suspend_member", request=command,
                          now=now, work=lambda session: _suspend(session, command, now),
                          result_type=MemberStatusChanged)


def reinstate_member(db: Database, command: ReinstateMember, *, caller: str, idempotency_key: str,
                     now: datetime) -> MemberStatusChanged:
    """Reinstate a suspended member's account: it earns and spends again at once."""
    return run_idempotent(db, caller=caller, key=idempotency_key, command="reinstate_member", request=command,
                          now=now, work=lambda session: _reinstate(session, command, now),
                          result_type=MemberStatusChanged)


def _suspend(session: Session, command: SuspendMember, now: datetime) -> MemberStatusChanged:
    refuse_if(_text_problems(command, ("reason", MAX_REASON), ("actor", MAX_ACTOR)))
    member = _locked_member(session, command.member_id)
    if member.status == "suspended":
        raise InvalidState(f"member {member.public_id} is suspended already (since "
                           f"{member.suspended_at.isoformat()}, by {member.suspended_by})", code="already_suspended")
    member.status = "suspended"
    member.suspended_reason, member.suspended_by, member.suspended_at = \
        command.reason.strip(), command.actor.strip(), now
    session.flush()
    return MemberStatusChanged(member.public_id, "suspended", member.suspended_reason, member.suspended_by, now)


def _reinstate(session: Session, command: ReinstateMember, now: datetime) -> MemberStatusChanged:
    refuse_if(_text_problems(command, ("actor", MAX_ACTOR)))
    member = _locked_member(session, command.member_id)
    if member.status != "suspended":
        raise InvalidState(f"member {member.public_id} is {member.status}, not suspended; there is nothing to "
                           "reinstate", code="not_suspended")
    member.status = "active"
    member.suspended_reason = member.suspended_by = member.suspended_at = None
    session.flush()
    return MemberStatusChanged(member.public_id, "active", None, command.actor.strip(), now)


def _locked_member(session: Session, member_id: str) -> MemberRow:
    """The member's row and account, both locked (the account: as a ledger command takes it);
    refuses an unknown or closed member."""
    member = member_row(session, member_id, lock=True, to_change=True)
    lock_member_account(session, member.id)
    return member


def _text_problems(command, *fields: tuple[str, int]) -> list[Problem]:
    problems = []
    for field, longest in fields:
        text = getattr(command, field)
        if not (isinstance(text, str) and 0 < len(text.strip()) <= longest):
            problems.append(Problem(field, f"must be a text of 1 to {longest} characters"))
    return problems
