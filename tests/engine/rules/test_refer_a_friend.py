"""Refer a friend: a member's code, given to a friend who joins online, records the referral
with the programme's bonuses of that day; nobody who records a referral picks its points."""
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine.access.member_logins import sign_up_member
from engine.errors import InvalidInput, InvalidState
from engine.ledger.balances import get_history
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.earning import earn_points
from engine.ledger.invariants import check_ledger
from engine.member_closure import CloseMember, close_member
from engine.member_data import member_data
from engine.member_suspension import SuspendMember, suspend_member
from engine.orm.members import MemberProfileRow
from engine.orm.rules import ReferralRow
from engine.rules.referrals import CODE_ALPHABET, CODE_LENGTH, record_referral, referral_card
from engine.settings import update_settings
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged


@pytest.fixture(autouse=True)
def referral_bonuses(database, clock):
    update_settings(database, {"referrer_points": 500, "referred_points": 250, "referral_min_total_minor": 1000},
                    now=clock())


def joined(database, clock, email: str, code: str | None) -> str:
    """Sign up ``email`` with ``code``; the new member's public id."""
    sign_up_member(database, full_name="Grace Hopper", email=email, referral_code=code, now=clock())
    with database.transaction() as session:
        return session.execute(sa.text("SELECT m.public_id FROM members m JOIN member_profiles p "
                                       "ON p.member_id = m.id WHERE p.email = :email"), {"email": email}).scalar_one()


def referrals(database) -> list[tuple[int, int, int]]:
    with database.transaction() as session:
        return [(r.referrer_points, r.referred_points, r.min_total_minor)
                for r in session.scalars(sa.select(ReferralRow))]


def test_a_friend_who_joins_with_a_members_code_is_referred_with_todays_bonuses(database, clock, make_member, till):
    ada = make_member()
    code = referral_card(database, ada.public_id, now=clock()).code
    grace = joined(database, clock, "grace@example.org", code)
    update_settings(database, {"referrer_points": 1, "referred_points": 1}, now=clock())  # the promise stands
    basket = Basket(till.store_code, till.code, "R-1", clock(), "EUR", (BasketLine(1, "A", Decimal(1), 1200),),
                    member_id=grace)
    earned = earn_points(database, basket, caller="t", idempotency_key=new_key(), now=clock())
    assert {award.rule_key: award.applied for award in earned.rules}["referral"] == 250
    card = referral_card(database, ada.public_id, now=clock())
    assert (card.code, card.referred, card.rewarded, card.referrer_points) == (code, 1, 1, 1)


def test_a_members_code_is_made_once_and_easy_to_read_out(database, clock, make_member):
    ada = make_member()
    first, again = (referral_card(database, ada.public_id, now=clock()).code for _ in range(2))
    assert first == again and len(first) == CODE_LENGTH and set(first) <= set(CODE_ALPHABET)
    assert referral_card(database, make_member().public_id, now=clock()).code != first


def test_a_code_is_read_whatever_its_case_spaces_and_dashes(database, clock, make_member):
    code = referral_card(database, make_member().public_id, now=clock()).code
    joined(database, clock, "grace@example.org", f" {code[:4].lower()}-{code[4:]} ")
    assert referrals(database) == [(500, 250, 1000)]


def test_an_unknown_code_refuses_the_sign_up_naming_the_field_and_enrols_no_one(database, clock):
    with refused_unchanged(database, InvalidInput) as refused:
        sign_up_member(database, full_name="Grace Hopper", email="grace@example.org", referral_code="ABCD2345",
                       now=clock())
    assert [problem.field for problem in refused.value.problems] == ["referral_code"]


@pytest.mark.parametrize("leave", ["closed", "suspended"])
def test_the_code_of_a_member_who_is_not_active_refers_no_one(database, clock, make_member, leave):
    ada = make_member()
    code = referral_card(database, ada.public_id, now=clock()).code
    if leave == "closed":
        close_member(database, CloseMember(ada.public_id, "asked to leave", "staff:sam"), caller="staff:sam",
                     idempotency_key=new_key(), now=clock())
    else:
        suspend_member(database, SuspendMember(ada.public_id, "looked into", "staff:sam"), caller="staff:sam",
                       idempotency_key=new_key(), now=clock())
    with refused_unchanged(database, InvalidInput):
        sign_up_member(database, full_name="Grace Hopper", email="grace@example.org", referral_code=code,
                       now=clock())


def test_a_code_given_with_a_members_address_records_nothing_and_answers_the_same(database, clock, make_member):
    code = referral_card(database, make_member().public_id, now=clock()).code
    make_member(email="grace@example.org")
    sign_up_member(database, full_name="Grace Hopper", email="grace@example.org", referral_code=code, now=clock())
    assert referrals(database) == []
    with database.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(MemberProfileRow)) == 2


def test_support_records_a_referral_only_between_active_members(database, clock, make_member):
    ada, grace = make_member(), make_member()
    suspend_member(database, SuspendMember(grace.public_id, "looked into", "staff:sam"), caller="staff:sam",
                   idempotency_key=new_key(), now=clock())
    with refused_unchanged(database, InvalidState, "member_not_active"):
        record_referral(database, referrer_id=ada.public_id, referred_id=grace.public_id, now=clock())
    recorded = record_referral(database, referrer_id=ada.public_id, referred_id=make_member().public_id, now=clock())
    assert (recorded.referrer_points, recorded.referred_points, recorded.min_total_minor) == (500, 250, 1000)


def test_a_referrer_suspended_when_the_friend_buys_gets_no_bonus_and_the_friend_still_does(
        database, clock, make_member, till):
    ada = make_member()
    grace = joined(database, clock, "grace@example.org", referral_card(database, ada.public_id, now=clock()).code)
    suspend_member(database, SuspendMember(ada.public_id, "looked into", "staff:sam"), caller="staff:sam",
                   idempotency_key=new_key(), now=clock())
    basket = Basket(till.store_code, till.code, "R-1", clock(), "EUR", (BasketLine(1, "A", Decimal(1), 1200),),
                    member_id=grace)
    earned = earn_points(database, basket, caller="t", idempotency_key=new_key(), now=clock())
    assert {award.rule_key: award.applied for award in earned.rules}["referral"] == 250
    assert get_history(database, ada.public_id) == []
    assert check_ledger(database) == []


def test_a_members_data_export_tells_their_code_who_referred_them_and_how_many_friends_they_referred(
        database, clock, make_member):
    ada = make_member()
    assert member_data(database, ada.public_id, now=clock())["referrals"] == {
        "code": None, "referred_by": None, "friends_referred": 0, "friends_rewarded": 0}  # asking makes no code
    code = referral_card(database, ada.public_id, now=clock()).code
    grace = joined(database, clock, "grace@example.org", code)
    assert member_data(database, ada.public_id, now=clock())["referrals"] == {
        "code": code, "referred_by": None, "friends_referred": 1, "friends_rewarded": 0}
    assert member_data(database, grace, now=clock())["referrals"]["referred_by"] == ada.public_id
