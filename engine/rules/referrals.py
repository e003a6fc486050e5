"""Referral bonuses: the referrer and the referred member each get their bonus once, after the
referred member's first qualifying purchase.

A referral is recorded when a friend joins online with a member's referral code, or by
support (who referred whom, nothing more). The bonuses are the programme's settings
(``referrer_points``, ``referred_points``, ``referral_min_total_minor``) of the day the
referral is recorded: no one who records a referral chooses what it pays.

Guarantees:
- a member is referred at most once, never by themselves, never after their first purchase,
  and never in a cycle (a member cannot refer anyone up their own referral chain), so an
  accrual that credits a referrer never waits in a lock cycle with another accrual;
- the referred member's bonus is part of the purchase (entry ``referral`` of the breakdown,
  spread over the lines, so a refund of the purchase takes it back with the lines); the
  referrer's bonus is posted in the same transaction to the referrer's account (kind
  ``adjust``, actor ``referral``) with a lot pending like the purchase's; both happen once:
  the referral row is marked rewarded with the receipt.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from engine.database import Database, insert_unique
from engine.errors import Conflict, InvalidInput, InvalidState, Problem, not_found, refuse_if
from engine.ledger.accounts import lock_member_account, post_transaction
from engine.ledger.basket import Basket, LinePoints
from engine.ledger.lots import new_lot
from engine.orm.ledger import ReceiptRow
from engine.orm.members import MemberRow
from engine.orm.rules import ReferralCodeRow, ReferralRow
from engine.programme import lot_expires_at
from engine.rules.calculator import Evaluation
from engine.rules.awards import RuleAward
from engine.rules.outcome import split
from engine.settings import read_settings
from engine.webhooks import record_credit

REFERRAL = "referral"


@dataclass(frozen=True)
class Referral:
    referrer_id: str
    referred_id: str
    referrer_points: int
    referred_points: int
    min_total_minor: int
    rewarded_at: datetime | None


def record_referral(db: Database, *, referrer_id: str, referred_id: str, now: datetime) -> Referral:
    """Record that ``referrer_id`` referred ``referred_id`` (public ids of active members), with
    the programme's referral bonuses of today."""
    refuse_if([Problem("referred_id", "a member cannot refer themselves")] if referrer_id == referred_id else [])
    with db.transaction() as session:
        referrer, referred = _member(session, referrer_id), _member(session, referred_id)
        for member in (referrer, referred):
            if member.status != "active":
                raise InvalidState(f"member {member.public_id} is {member.status}", code="member_not_active")
        return record_in(session, referrer, referred, now=now)


def record_in(session: Session, referrer: MemberRow, referred: MemberRow, *, now: datetime) -> Referral:
    """Record the referral inside the caller's transaction (a sign-up's, or the one above)."""
    already = Conflict(f"member {referred.public_id} was already referred", code="already_referred")
    if session.scalar(sa.select(ReferralRow.id).where(ReferralRow.referred_id == referred.id)) is not None:
        raise already
    if session.scalar(sa.select(ReceiptRow.id).where(ReceiptRow.member_id == referred.id).limit(1)) is not None:
        raise InvalidState(f"member {referred.public_id} has already made a purchase", code="already_purchased")
    chain = referrer.id
    while chain is not None:
        if chain == referred.id:
            raise InvalidState(f"member {referred.public_id} is up the referral chain of {referrer.public_id}",
                               code="referral_cycle")
        chain = session.scalar(sa.select(ReferralRow.referrer_id).where(ReferralRow.referred_id == chain))
    settings = read_settings(session)
    row = ReferralRow(referrer_id=referrer.id, referred_id=referred.id, referrer_points=settings.referrer_points,
                      referred_points=settings.referred_points, min_total_minor=settings.referral_min_total_minor,
                      created_at=now)
    insert_unique(session, row, already)  # recorded meanwhile by a concurrent request
    return Referral(referrer.public_id, referred.public_id, row.referrer_points, row.referred_points,
                    row.min_total_minor, None)


# Codes are read aloud and typed on phones: no 0/O, 1/I/L. 31^8 is about 8.5 * 10^11.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


@dataclass(frozen=True)
class ReferralCard:
    """What a member sees of refer-a-friend: their code, today's bonuses, and how many friends
    they referred and how many of those have made their qualifying purchase."""

    code: str
    referrer_points: int
    referred_points: int
    min_total_minor: int
    referred: int
    rewarded: int


def referral_card(db: Database, member_id: str, *, now: datetime) -> ReferralCard:
    """The member's referral code (made the first time it is asked for) and their referrals."""
    with db.transaction() as session:
        member = _member(session, member_id)
        code = _code_of(session, member.id)
        while code is None:
            candidate = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            taken = session.scalar(sa.select(ReferralCodeRow.member_id).where(ReferralCodeRow.code == candidate))
            if taken is None:
                insert_unique(session, ReferralCodeRow(member_id=member.id, code=candidate, created_at=now),
                              Conflict("the referral code was made meanwhile; ask again", code="conflict"))
                code = candidate
        referred, rewarded = _friends(session, member.id)
        settings = read_settings(session)
        return ReferralCard(code, settings.referrer_points, settings.referred_points,
                            settings.referral_min_total_minor, referred, rewarded)


def referral_facts(db: Database, member_id: str) -> dict:
    """What the programme holds of the member's referrals, for their data export: their code
    (None before they asked for one; asking here makes none), who referred them, and how many
    friends they referred and how many of those bought (not who: that is the friends' data)."""
    with db.transaction() as session:
        member = _member(session, member_id)
        r, referrer = ReferralRow, aliased(MemberRow)
        referred_by = session.scalar(sa.select(referrer.public_id).join(r, r.referrer_id == referrer.id)
                                     .where(r.referred_id == member.id))
        referred, rewarded = _friends(session, member.id)
        return {"code": _code_of(session, member.id), "referred_by": referred_by, "friends_referred": referred,
                "friends_rewarded": rewarded}


def _code_of(session: Session, member_pk: int) -> str | None:
    return session.scalar(sa.select(ReferralCodeRow.code).where(ReferralCodeRow.member_id == member_pk))


def _friends(session: Session, member_pk: int) -> tuple[int, int]:
    """(friends the member referred, those of them whose qualifying purchase paid the bonus)."""
    return tuple(session.execute(sa.select(sa.func.count(), sa.func.count(ReferralRow.rewarded_at))
                                 .where(ReferralRow.referrer_id == member_pk)).one())


def referrer_by_code(session: Session, code: object) -> MemberRow:
    """The active member whose referral code ``code`` is (any case, spaces and dashes
    ignored); refuses, naming the ``referral_code`` field, when there is none."""
    text = "".join(ch for ch in code.upper() if ch not in " -") if isinstance(code, str) else ""
    member = None
    if len(text) == CODE_LENGTH:
        member = session.scalar(sa.select(MemberRow).join(ReferralCodeRow, ReferralCodeRow.member_id == MemberRow.id)
                                .where(ReferralCodeRow.code == text, MemberRow.status == "active"))
    if member is None:
        raise InvalidInput([Problem("referral_code", "no member has this referral code: check it with your friend")])
    return member


def pending_referral(session: Session, member: MemberRow, basket: Basket, *, first_purchase: bool) -> ReferralRow | None:
    """The member's unrewarded referral when this purchase qualifies for it (locked), else None."""
    if not first_purchase:
        return None
    row = session.scalar(sa.select(ReferralRow).where(ReferralRow.referred_id == member.id,
                                                      ReferralRow.rewarded_at.is_(None)).with_for_update())
    if row is None or basket.total_minor - basket.paid_with_points_minor < row.min_total_minor:
        return None
    return row


def referred_award(row: ReferralRow, line_nos: list[int], eligible: list[int]) -> RuleAward:
    """The referred member's bonus as a breakdown entry, spread over the lines."""
    return RuleAward(REFERRAL, None, None, row.referred_points, row.referred_points,
                     tuple(zip(line_nos, split(row.referred_points, eligible))))


def reward_referrer(session: Session, row: ReferralRow, *, receipt_id: int, basket: Basket, settings,
                    now: datetime) -> None:
    """Credit the referrer's bonus and mark the referral rewarded with the basket's receipt. A
    referrer no longer active then (closed, or suspended while fraud is looked into) gets
    nothing: the referred member's bonus stands, the referrer's is not owed later."""
    if row.referrer_points and session.get(MemberRow, row.referrer_id).status == "active":
        account = lock_member_account(session, row.referrer_id)
        transaction = post_transaction(
            session, kind="adjust", account=account, member_points=row.referrer_points,
            system={"adjustment": -row.referrer_points}, occurred_at=basket.occurred_at, now=now,
            description=f"referral bonus: receipt {basket.receipt_number}", actor=REFERRAL,
            lot=new_lot(account, row.referrer_points, earned_at=basket.occurred_at,
                        available_at=basket.occurred_at + timedelta(days=settings.pending_days),
                        expires_at=lot_expires_at(basket.occurred_at, settings)))
        row.referrer_transaction_id = transaction.id
        record_credit(session, member_id=session.get(MemberRow, row.referrer_id).public_id,
                      points=row.referrer_points, reason="referral_bonus", transaction_id=transaction.id,
                      at=basket.occurred_at, now=now)
    row.rewarded_at, row.receipt_id = now, receipt_id


def _member(session: Session, public_id: str) -> MemberRow:
    member = session.scalar(sa.select(MemberRow).where(MemberRow.public_id == public_id))
    if member is None:
        raise not_found("member", public_id)
    return member


def with_referred_bonus(evaluation: Evaluation, row: ReferralRow) -> Evaluation:
    """``evaluation`` plus the referred member's bonus, spread over the lines."""
    award = referred_award(row, [line.line_no for line in evaluation.lines],
                           [line.eligible_minor for line in evaluation.lines])
    lines = [LinePoints(line.line_no, line.eligible_minor, line.points + extra)
             for line, (_, extra) in zip(evaluation.lines, award.lines)]
    return Evaluation(lines, [*evaluation.awards, award])
