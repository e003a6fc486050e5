"""Closing a member's account: their points are forfeited by one balanced posting, their
cards retired, sign-ins ended, and no personal data is left in their profile, logins,
attributes, segments, outbox or stored answers; a closed member can no longer earn, be
adjusted, be given a tier or change anything; open holds and a second closure are refused; a retry replays."""
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine import cards
from engine.access.member_devices import devices_of
from engine.access.member_logins import member_principal, set_member_password, sign_in_member
from engine.access.passwords import Passwords
from engine.errors import InvalidInput, InvalidState, NotAuthenticated
from engine.ledger.balances import get_balance
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.commands import AdjustPoints, PlaceHold
from engine.ledger.adjustments import adjust_points
from engine.ledger.earning import earn_points
from engine.ledger.holds import place_hold
from engine.ledger.invariants import check_ledger
from engine.member_closure import ERASED_NAME, MAX_REASON, CloseMember, close_member
from engine.members import get_member, update_profile
from engine.orm.jobs import OutboxMessageRow
from engine.orm.ledger import IdempotencyKeyRow
from engine.orm.rules import ReferralCodeRow
from engine.rewards import (CancelVoucher, RedeemReward, UseVoucher, cancel_voucher, create_reward, redeem_reward,
                            use_voucher)
from engine.rules.referrals import referral_card
from engine.settings import get_settings
from engine.rules.segments import create_segment, member_attributes, set_member_attribute
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import assign_tier, define_tiers
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged

PASSWORDS = Passwords.cheap()


def close(database, clock, member, key=None):
    return close_member(database, CloseMember(member.public_id, "asked to leave", "staff:sam"), caller="staff:sam",
                        idempotency_key=key or new_key(), now=clock())


def test_closing_forfeits_the_points_retires_the_cards_and_erases_the_profile(database, clock, make_member, earn,
                                                                             make_card):
    member = make_member("Ada Lovelace", points=500, phone="+32 470 12 34 56")
    earn(member, 2500)  # 25 points still pending
    card = make_card(member)
    set_member_attribute(database, member.public_id, "city", "Gent")
    create_segment(database, code="vip", member_ids=[member.public_id], now=clock())
    set_member_password(database, member.public_id, "correct horse battery", passwords=PASSWORDS, now=clock())
    token = sign_in_member(database, email=member.email, password="correct horse battery", passwords=PASSWORDS,
                           now=clock()).token
    referral_card(database, member.public_id, now=clock())
    closed = close(database, clock, member)
    assert (closed.points_forfeited, closed.cards_retired) == (525, 1)
    balance = get_balance(database, member.public_id, as_of=clock())
    assert (balance.balance, balance.available, balance.pending) == (0, 0, 0)
    assert check_ledger(database) == []
    after = get_member(database, member.public_id)
    assert (after.status, after.full_name, after.email, after.phone, after.birthday) == (
        "closed", ERASED_NAME, None, None, None)
    assert not any(after.consents.values())
    assert cards.get_card(database, card.number).status == "retired"
    assert member_attributes(database, member.public_id) == {}
    assert devices_of(database, member.public_id) == []
    with database.transaction() as session:  # the code friends would type no longer names them
        assert session.scalar(sa.select(sa.func.count()).select_from(ReferralCodeRow)) == 0
    with pytest.raises(NotAuthenticated):
        member_principal(database, token, now=clock())
    with pytest.raises(NotAuthenticated):
        sign_in_member(database, email="member1@example.org", password="correct horse battery",
                       passwords=PASSWORDS, now=clock())


def test_no_stored_answer_or_undelivered_message_names_the_closed_member(database, clock, make_member, earn):
    member = make_member(points=100)
    earn(member, 1000)
    with database.transaction() as session:
        session.add(OutboxMessageRow(kind="expiry_warning", member_id=session.scalar(sa.text(
            "SELECT id FROM members WHERE public_id = :p"), {"p": member.public_id}), dedupe_key="x",
            payload="{}", created_at=clock()))
    close(database, clock, member)
    with database.transaction() as session:
        answers = session.scalars(sa.select(IdempotencyKeyRow.response)).all()
        messages = session.scalar(sa.select(sa.func.count()).select_from(OutboxMessageRow))
    assert [a for a in answers if a and member.public_id in a and '"points_forfeited"' not in a] == []
    assert messages == 0


def test_a_closed_member_earns_nothing_and_nothing_of_theirs_changes(database, clock, make_member, till):
    member = make_member(points=100)
    define_tiers(database, [TierDefinition("BASIC", "Basic", 0), TierDefinition("GOLD", "Gold", 1000)], TierPolicy(),
                 now=clock())
    close(database, clock, member)
    basket = Basket(till.store_code, till.code, "R1", clock(), "EUR", (BasketLine(1, "A", Decimal(1), 1000),),
                    member_id=member.public_id)
    for attempt, code in (
            (lambda: earn_points(database, basket, caller="t", idempotency_key=new_key(), now=clock()),
             "member_not_active"),
            (lambda: adjust_points(database, AdjustPoints(member.public_id, 50, "goodwill", "staff:sam"),
                                   caller="staff:sam", idempotency_key=new_key(), now=clock()), "member_closed"),
            (lambda: update_profile(database, member.public_id, {"full_name": "Ada again"}, now=clock()),
             "member_closed"),
            (lambda: set_member_attribute(database, member.public_id, "city", "Gent"), "member_closed"),
            (lambda: assign_tier(database, member.public_id, "GOLD", reason="loyal customer", actor="staff:sam",
                                 now=clock()), "member_closed"),
            (lambda: set_member_password(database, member.public_id, "correct horse battery", passwords=PASSWORDS,
                                         now=clock()), "member_closed")):
        with refused_unchanged(database, InvalidState, code=code):
            attempt()


def test_points_held_for_a_payment_must_be_settled_before_closing(database, clock, make_member, till):
    member = make_member(points=500)
    place_hold(database, PlaceHold(till.store_code, till.code, 200, member_id=member.public_id), caller="S1-T1",
               idempotency_key=new_key(), now=clock())
    with refused_unchanged(database, InvalidState, code="points_held") as refusal:
        close(database, clock, member)
    # the member cannot void it: they are told when it ends by itself
    lapses = (clock() + timedelta(minutes=get_settings(database).hold_timeout_minutes)).isoformat(timespec="minutes")
    assert f"or at the latest when it lapses at {lapses}" in refusal.value.message


def test_a_second_closure_is_refused_and_a_retry_replays_the_first_answer(database, clock, make_member):
    member = make_member(points=40)
    first = close(database, clock, member, key="close-1")
    assert close(database, clock, member, key="close-1") == first
    with refused_unchanged(database, InvalidState, code="member_closed"):
        close(database, clock, member)


def test_a_voucher_of_a_closed_account_can_be_used_but_not_refunded(database, clock, make_member):
    member = make_member(points=500)
    create_reward(database, code="MUG", name="Mug", points_price=300, valid_from=clock(), now=clock())
    first = redeem_reward(database, RedeemReward("MUG", member.public_id), caller="web", idempotency_key=new_key(),
                          now=clock())
    close(database, clock, member)
    with refused_unchanged(database, InvalidState, code="member_closed"):
        cancel_voucher(database, CancelVoucher(first.voucher_code), caller="staff:sam", idempotency_key=new_key(),
                       now=clock())
    assert use_voucher(database, UseVoucher(first.voucher_code), caller="S1-T1", idempotency_key=new_key(),
                       now=clock()).status == "used"


def test_a_reason_or_actor_longer_than_the_forfeits_posting_keeps_is_refused_and_nothing_changes(
        database, clock, make_member):
    member = make_member(points=40)
    for reason, actor, field in (("x" * (MAX_REASON + 1), "staff:sam", "reason"), ("left", "s" * 101, "actor"),
                                 ("  ", "staff:sam", "reason")):
        with refused_unchanged(database, InvalidInput) as refusal:
            close_member(database, CloseMember(member.public_id, reason, actor), caller="staff:sam",
                         idempotency_key=new_key(), now=clock())
        assert [p.field for p in refusal.value.problems] == [field]
    longest = close_member(database, CloseMember(member.public_id, "x" * MAX_REASON, "s" * 100), caller="staff:sam",
                           idempotency_key=new_key(), now=clock())
    assert longest.points_forfeited == 40  # the longest allowed fit the posting, on PostgreSQL too


def test_a_member_with_a_blocked_card_is_closed_and_the_card_retired(database, clock, make_member, make_card):
    member = make_member(points=10)
    card = make_card(member, status="blocked")
    assert close(database, clock, member).cards_retired == 1
    retired = cards.get_card(database, card.number)
    assert (retired.status, retired.block_reason) == ("retired", None)
