"""Closing a member's account and erasing their personal data (the GDPR's right to erasure).

Guarantees, all in one transaction or none of it:
- refused while points are held for an unfinished payment at a till or the web shop (until
  it is taken, voided or lapses), and for a member already closed;
- the member's unreserved points, pending ones too, are forfeited by one ``adjust`` posting
  to the adjustment account, with the reason and the actor: the ledger keeps its history
  and stays balanced (its rows hold no personal data, only the member's internal id);
  points the member owed (a refund after they were spent) are written off to the same
  account by a second posting, so the closed account ends at zero;
- every card of the member is retired, every sign-in token revoked, the password, PIN,
  known devices and referral code deleted, the member's attributes and list-segment places
  removed, undelivered outbox
  messages deleted, and the stored answers of requests that named the member forgotten
  (a till's accrual answer carries the member's name);
- the profile keeps no personal data: the name becomes ``Erased member``, the e-mail,
  phone and birthday are emptied and every consent withdrawn;
- the member's status becomes ``closed``, so no accrual, hold, adjustment or redemption
  takes them any more.

Online sign-ups whose address was never confirmed (no password was ever set with the link
sent) are closed the same way by the nightly ``unconfirmed_sign_ups`` job,
``UNCONFIRMED_SIGN_UP_DAYS`` after they joined, unless they have a card or a posting by then:
someone may have typed another person's address, and the programme keeps no personal
data nobody confirmed.

Kept, as the law allows for them: the audit log (append-only; it names the member by their
public id and may hold an e-mail address typed at a failed sign-in) and what staff wrote in
free text (adjustment reasons, tier notes).

Idempotent by key, like every command that moves points: a retry gets the first answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.access.member_logins import SIGN_UP_ORIGIN, confirm_member_password
from engine.access.passwords import Passwords
from engine.database import Database, batches
from engine.errors import InvalidState, Problem, refuse_if
from engine.ledger.accounts import lock_member_account, post_transaction
from engine.ledger.idempotency import run_idempotent
from engine.ledger.lots import consume, member_lots, take_unreserved
from engine.members import member_row
from engine.orm.access import AccessTokenRow, MemberDeviceRow, MemberLoginRow
from engine.orm.cards import CardRow
from engine.orm.jobs import OutboxMessageRow
from engine.orm.ledger import AccountRow, EntryRow, HoldRow, IdempotencyKeyRow
from engine.orm.members import MemberProfileRow, MemberRow
from engine.orm.rules import MemberAttributeRow, ReferralCodeRow, SegmentMemberRow
from engine.webhooks import record_event, record_events

ERASED_NAME = "Erased member"
FORFEIT_PREFIX = "account closed: "
DEBT_WRITTEN_OFF_PREFIX = "debt forgiven: "  # (not longer than FORFEIT_PREFIX: MAX_REASON)
# the forfeit's posting keeps the reason in its description (200 characters) and the actor (100)
MAX_REASON = 200 - len(FORFEIT_PREFIX)
MAX_ACTOR = 100
UNCONFIRMED_SIGN_UP_DAYS = 30  # the welcome link lasts 7 days; support may send another


@dataclass(frozen=True)
class CloseMember:
    member_id: str
    reason: str
    actor: str


@dataclass(frozen=True)
class MemberClosed:
    member_id: str
    points_forfeited: int
    cards_retired: int
    transaction_id: int | None  # the forfeit's posting (None: nothing to forfeit)


def close_member(db: Database, command: CloseMember, *, caller: str, idempotency_key: str,
                 now: datetime) -> MemberClosed:
    """Close the member's account, forfeit their points and erase their personal data."""
    return run_idempotent(db, caller=caller, key=idempotency_key, command="close_member", request=command,
                          now=now, work=lambda session: _close(session, command, now), result_type=MemberClosed)


def close_own_account(db: Database, member_id: str, password: str, *, passwords: Passwords, idempotency_key: str,
                      now: datetime) -> MemberClosed:
    """The member closes their own account; their password confirms it (a wrong one is
    refused naming the ``password`` field, and counts toward the sign-in lockout)."""
    confirm_member_password(db, member_id, password, passwords=passwords, now=now)
    actor = f"member:{member_id}"
    return close_member(db, CloseMember(member_id, "closed by the member", actor), caller=actor,
                        idempotency_key=idempotency_key, now=now)


def _close(session: Session, command: CloseMember, now: datetime) -> MemberClosed:
    problems = []
    for field, longest in (("reason", MAX_REASON), ("actor", MAX_ACTOR)):
        text = getattr(command, field)
        if not (isinstance(text, str) and 0 < len(text.strip()) <= longest):
            problems.append(Problem(field, f"must be a text of 1 to {longest} characters"))
    refuse_if(problems)
    member = member_row(session, command.member_id)
    account = lock_member_account(session, member.id)
    if member.status == "closed":
        raise InvalidState(f"member {member.public_id} is closed already", code="member_closed")
    lapses = session.scalar(sa.select(sa.func.max(HoldRow.deadline)).where(HoldRow.member_id == member.id,
                                                                            HoldRow.status == "pending"))
    if lapses is not None:  # (at a till or at the web shop: the member cannot end it themselves)
        raise InvalidState(f"member {member.public_id} has points held for a payment in progress; it ends when the "
                           f"till or the web shop takes or voids it, or at the latest when it lapses at "
                           f"{lapses.isoformat(timespec='minutes')}: close the account after that",
                           code="points_held")
    lots = member_lots(session, member.id)
    points = sum(lot.remaining - lot.reserved for lot in lots)
    transaction_id = None
    if points:
        posted = post_transaction(session, kind="adjust", account=account, member_points=-points,
                                  system={"adjustment": points}, occurred_at=now, now=now,
                                  description=FORFEIT_PREFIX + command.reason.strip(),
                                  actor=command.actor.strip())
        consume(session, posted, take_unreserved(lots, points))
        transaction_id = posted.id
    forgiven = account.debt
    if forgiven:  # points the member owed (a refund after they were spent): nobody is left to owe them
        post_transaction(session, kind="adjust", account=account, member_points=forgiven,
                         system={"adjustment": -forgiven}, occurred_at=now, now=now,
                         description=DEBT_WRITTEN_OFF_PREFIX + command.reason.strip(), actor=command.actor.strip())
        account.debt = 0
    retired = _erase(session, [member.id], now)
    record_event(session, "member.closed", dict(member_id=member.public_id, points_forfeited=points,
                                                debt_forgiven=forgiven), now=now)
    session.execute(sa.delete(IdempotencyKeyRow).where(IdempotencyKeyRow.response.contains(member.public_id)))
    return MemberClosed(member.public_id, points, retired, transaction_id)


def close_unconfirmed_sign_ups(db: Database, *, as_of: datetime) -> int:
    """Close, as :func:`close_member` would, every member who joined online at least
    ``UNCONFIRMED_SIGN_UP_DAYS`` before ``as_of`` and never set a password, whose link is
    no longer live, and who has no card and no posting (so no points, holds or stored
    answers to forfeit or forget); how many. Set-based; a second run finds none left."""
    m, login = MemberRow, MemberLoginRow
    attribute, card, account, entry = MemberAttributeRow, CardRow, AccountRow, EntryRow
    with db.transaction() as session:
        unconfirmed = session.execute(
            sa.select(m.id, m.public_id).join(login, login.member_id == m.id).join(attribute, sa.and_(
                attribute.member_id == m.id, attribute.name == SIGN_UP_ORIGIN[0], attribute.value == SIGN_UP_ORIGIN[1]))
            .where(m.status == "active", m.enrolled_at <= as_of - timedelta(days=UNCONFIRMED_SIGN_UP_DAYS),
                   login.password_hash.is_(None), sa.or_(login.link_expires_at.is_(None), login.link_expires_at <= as_of),
                   ~sa.exists().where(card.member_id == m.id),
                   ~sa.exists().where(account.member_id == m.id, entry.account_id == account.id))
            .order_by(m.id).with_for_update(of=m)).all()
        if unconfirmed:
            _erase(session, [pk for pk, _ in unconfirmed], as_of)
            record_events(session, "member.closed", (dict(member_id=public_id, points_forfeited=0, debt_forgiven=0)
                                                     for _, public_id in unconfirmed), now=as_of)
        return len(unconfirmed)


def _erase(session: Session, member_pks: list[int], now: datetime) -> int:
    """Close the members and erase their personal data (what closing does besides the points
    and the stored answers); how many cards were retired."""
    retired = 0
    for chunk in batches(member_pks):
        retired += session.execute(sa.update(CardRow).where(CardRow.member_id.in_(chunk), CardRow.status != "retired")
                                   .values(status="retired", status_changed_at=now, block_reason=None)).rowcount
        # every kind of token (card sessions too), not only the sign-ins revoke_member_tokens ends
        session.execute(sa.update(AccessTokenRow).where(AccessTokenRow.member_id.in_(chunk),
                                                        AccessTokenRow.revoked_at.is_(None)).values(revoked_at=now))
        for column in (MemberLoginRow.member_id, MemberDeviceRow.member_id, MemberAttributeRow.member_id,
                       SegmentMemberRow.member_id, ReferralCodeRow.member_id):
            session.execute(sa.delete(column.class_).where(column.in_(chunk)))
        session.execute(sa.delete(OutboxMessageRow).where(OutboxMessageRow.member_id.in_(chunk),
                                                          OutboxMessageRow.delivered_at.is_(None)))
        session.execute(sa.update(MemberProfileRow).where(MemberProfileRow.member_id.in_(chunk)).values(
            full_name=ERASED_NAME, email=None, phone=None, birthday=None, consent_marketing_email=False,
            consent_marketing_sms=False, consent_profiling=False, consents_updated_at=now))
        session.execute(sa.update(MemberRow).where(MemberRow.id.in_(chunk)).values(status="closed"))
    return int(retired)
