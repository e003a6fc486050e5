"""Suspending a member while fraud is looked into, and reinstating them: only active to
suspended and back, with the reason, who and when kept on the member; a closed member, a
second suspension and reinstating an active member are refused (a retry under the same key
replays the first answer). While suspended, nothing is earned, held, paid, redeemed or taken
at a till, and grants and the birthday bonus pass the member by; refunds still take points
back, and the member still signs in and reads."""
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from engine.access.member_logins import member_principal, set_member_password, sign_in_member
from engine.access.passwords import Passwords
from engine.errors import InvalidInput, InvalidState, NotFound
from engine.jobs.catalogue import JOBS
from engine.ledger.balances import get_balance, get_history
from engine.ledger.commands import CaptureHold, PlaceHold, RefundLine, RefundReceipt, VoidHold
from engine.ledger.holds import capture_hold, place_hold, void_hold
from engine.ledger.invariants import check_ledger
from engine.ledger.refunds import refund_receipt
from engine.member_closure import CloseMember, close_member
from engine.member_suspension import (MAX_REASON, ReinstateMember, SuspendMember, reinstate_member,
                                      suspend_member)
from engine.members import Suspension, get_member
from engine.points_grants import DecideGrant, GrantPoints, decide_grant, request_grant
from engine.rewards import RedeemReward, UseVoucher, create_reward, redeem_reward, use_voucher
from engine.rules.segments import create_segment
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged

PASSWORDS = Passwords.cheap()
PASSWORD = "correct horse battery"


@pytest.fixture
def suspend(database, clock):
    """``suspend(member, reason="...", key=None)``: support (sam) suspends the member."""
    def run(member, reason: str = "card shared by a cashier", *, key: str | None = None):
        return suspend_member(database, SuspendMember(member.public_id, reason, "staff:sam"), caller="staff:sam",
                              idempotency_key=key or new_key(), now=clock())
    return run


@pytest.fixture
def reinstate(database, clock):
    """``reinstate(member, key=None)``: support (kim) reinstates the member."""
    def run(member, *, key: str | None = None):
        return reinstate_member(database, ReinstateMember(member.public_id, "staff:kim"), caller="staff:kim",
                                idempotency_key=key or new_key(), now=clock())
    return run


def test_suspending_keeps_the_reason_who_and_when_and_reinstating_clears_them(database, clock, make_member,
                                                                              suspend, reinstate):
    member = make_member()
    suspended = suspend(member, "  card shared by a cashier  ")
    assert (suspended.status, suspended.reason, suspended.changed_by, suspended.changed_at) == (
        "suspended", "card shared by a cashier", "staff:sam", clock())
    after = get_member(database, member.public_id)
    assert (after.status, after.suspension) == ("suspended", Suspension("card shared by a cashier", "staff:sam",
                                                                        clock()))
    clock.advance(days=3)
    reinstated = reinstate(member)
    assert (reinstated.status, reinstated.reason, reinstated.changed_by, reinstated.changed_at) == (
        "active", None, "staff:kim", clock())
    assert (get_member(database, member.public_id).status, get_member(database, member.public_id).suspension) == (
        "active", None)


def test_a_suspended_member_is_not_suspended_again_nor_an_active_member_reinstated(database, make_member, suspend,
                                                                                    reinstate):
    member = make_member()
    with refused_unchanged(database, InvalidState, "not_suspended"):
        reinstate(member)
    suspend(member)
    with refused_unchanged(database, InvalidState, "already_suspended") as refused:
        suspend(member, "another reason")
    assert "suspended already" in refused.value.message
    assert get_member(database, member.public_id).suspension.reason == "card shared by a cashier"


def test_a_closed_or_unknown_member_is_neither_suspended_nor_reinstated(database, clock, make_member, suspend,
                                                                         reinstate):
    member = make_member()
    close_member(database, CloseMember(member.public_id, "asked to leave", "staff:sam"), caller="staff:sam",
                 idempotency_key=new_key(), now=clock())
    with refused_unchanged(database, InvalidState, "member_closed"):
        suspend(member)
    with refused_unchanged(database, InvalidState, "member_closed"):
        reinstate(member)
    with refused_unchanged(database, NotFound, "unknown_member"):
        suspend_member(database, SuspendMember("MNOSUCHMEMBER", "x", "staff:sam"), caller="staff:sam",
                       idempotency_key=new_key(), now=clock())


@pytest.mark.parametrize("reason", ["", "   ", "x" * (MAX_REASON + 1), None])
def test_a_suspension_needs_a_reason_of_1_to_200_characters(database, make_member, suspend, reason):
    member = make_member()
    with refused_unchanged(database, InvalidInput) as refused:
        suspend(member, reason)
    assert [p.field for p in refused.value.problems] == ["reason"]
    assert get_member(database, member.public_id).status == "active"


def test_a_retry_under_the_same_key_replays_the_first_answer_refusals_too(database, clock, make_member, suspend,
                                                                          reinstate):
    member = make_member()
    first = suspend(member, key="suspend-1")
    clock.advance(minutes=5)
    assert suspend(member, key="suspend-1") == first  # a double submit: not already_suspended
    other = make_member()
    with pytest.raises(InvalidState) as refused:
        reinstate(other, key="reinstate-1")
    suspend(other)
    with pytest.raises(InvalidState) as replayed:
        reinstate(other, key="reinstate-1")  # the first answer stands, though the member is suspended now
    assert (refused.value.code, replayed.value.code) == ("not_suspended", "not_suspended")
    assert get_member(database, other.public_id).status == "suspended"
    assert reinstate(member, key="reinstate-2") == reinstate(member, key="reinstate-2")
    assert get_member(database, member.public_id).status == "active"


def test_a_suspended_member_earns_nothing_at_the_till_by_id_or_by_card(database, make_member, make_card, suspend,
                                                                       reinstate, earn):
    member = make_member()
    card = make_card(member)
    suspend(member)
    with refused_unchanged(database, InvalidState, "member_not_active") as refused:
        earn(member, 2500)
    assert "suspended" in refused.value.message and "contact support" in refused.value.message
    with refused_unchanged(database, InvalidState, "member_not_active"):
        earn(member, 2500, card_number=card.number)
    reinstate(member)
    assert earn(member, 2500, card_number=card.number).points == 25


def test_a_suspended_member_cannot_place_a_hold_nor_capture_one_placed_before(database, clock, make_member, till,
                                                                               suspend):
    member = make_member(points=1000)

    def hold(points=200):
        return place_hold(database, PlaceHold(till.store_code, till.code, points, member_id=member.public_id),
                          caller="S1-T1", idempotency_key=new_key(), now=clock())
    placed = hold()
    suspend(member)
    with refused_unchanged(database, InvalidState, "member_not_active"):
        hold()
    with refused_unchanged(database, InvalidState, "member_not_active"):
        capture_hold(database, CaptureHold(placed.hold_id), caller="S1-T1", idempotency_key=new_key(), now=clock())
    void_hold(database, VoidHold(placed.hold_id), caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert get_balance(database, member.public_id, as_of=clock()).available == 1000
    assert check_ledger(database) == []


def test_a_suspended_member_cannot_redeem_a_reward(database, clock, make_member, suspend):
    member = make_member(points=500)
    create_reward(database, code="MUG", name="Mug", points_price=300, stock=5, valid_from=clock(), now=clock())
    suspend(member)
    with refused_unchanged(database, InvalidState, "member_not_active"):
        redeem_reward(database, RedeemReward("MUG", member.public_id), caller=f"member:{member.public_id}",
                      idempotency_key=new_key(), now=clock())


def test_a_till_cannot_take_a_suspended_members_voucher_until_they_are_reinstated(database, clock, make_member,
                                                                                  suspend, reinstate):
    member = make_member(points=500)
    create_reward(database, code="MUG", name="Mug", points_price=300, valid_from=clock(), now=clock())
    voucher = redeem_reward(database, RedeemReward("MUG", member.public_id), caller=f"member:{member.public_id}",
                            idempotency_key=new_key(), now=clock())
    suspend(member)
    with refused_unchanged(database, InvalidState, "member_not_active"):
        use_voucher(database, UseVoucher(voucher.voucher_code), caller="S1-T1", idempotency_key=new_key(),
                    now=clock())
    reinstate(member)
    assert use_voucher(database, UseVoucher(voucher.voucher_code), caller="S1-T1", idempotency_key=new_key(),
                       now=clock()).status == "used"


def test_a_refund_of_a_suspended_members_receipt_still_takes_the_points_back(database, clock, make_member, till,
                                                                             earn, suspend):
    member = make_member(points=100)
    earn(member, 2000, 3000, receipt="R1")  # 50 points, pending
    suspend(member)
    refunded = refund_receipt(database, RefundReceipt(till.store_code, till.code, "R1", (RefundLine(2, Decimal(1)),),
                                                      clock()), caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert (refunded.points_reversed, refunded.balance) == (30, 120)
    assert get_member(database, member.public_id).status == "suspended"
    assert check_ledger(database) == []


def test_a_suspended_member_still_signs_in_and_reads_their_balance_and_history(database, clock, make_member,
                                                                              suspend):
    member = make_member(points=400)
    set_member_password(database, member.public_id, PASSWORD, passwords=PASSWORDS, now=clock())
    suspend(member)
    signed_in = sign_in_member(database, email=member.email, password=PASSWORD, passwords=PASSWORDS, now=clock())
    assert member_principal(database, signed_in.token, now=clock()).name == member.public_id
    assert get_balance(database, member.public_id, as_of=clock()).available == 400
    assert [h.description for h in get_history(database, member.public_id)] == ["test funding"]


def test_points_grants_and_the_birthday_bonus_pass_a_suspended_member_by(database, clock, make_member, suspend):
    birthday = date(1990, 3, 5)
    active, suspended = make_member(birthday=birthday), make_member(birthday=birthday)
    suspend(suspended)
    create_segment(database, code="both", member_ids=[active.public_id, suspended.public_id], now=clock())
    grant = request_grant(database, GrantPoints("both", 50, "sorry for Saturday", "sam"), caller="staff:sam",
                          idempotency_key=new_key(), now=clock())
    decide_grant(database, DecideGrant(grant.grant_id, True, "kim"), caller="staff:kim", idempotency_key=new_key(),
                 now=clock())
    day = datetime(2026, 3, 5, tzinfo=UTC)
    assert JOBS["birthday_bonus"].run(database, day, None)["members"] == 1
    assert [get_balance(database, m.public_id, as_of=day).available for m in (active, suspended)] == [150, 0]
    assert check_ledger(database) == []
