"""Small adjustments add up: what one person adjusts without approval in 24 hours is bounded
by the programme's daily allowance, beyond which even a small one waits for a second person."""
import pytest

from engine.ledger.approvals import DecideAdjustment, decide_adjustment, request_adjustment
from engine.ledger.balances import get_balance
from engine.ledger.commands import AdjustPoints
from engine.points_grants import DecideGrant, GrantPoints, decide_grant, request_grant
from engine.rules.segments import create_segment
from engine.settings import update_settings
from tests.conftest import new_key


@pytest.fixture(autouse=True)
def allowance(database, clock):
    update_settings(database, {"adjustment_approval_threshold": 1000, "adjustment_daily_allowance": 2500},
                    now=clock())


def adjust(database, clock, member, points, actor="staff:sam"):
    return request_adjustment(database, AdjustPoints(member.public_id, points, "goodwill", actor), caller=actor,
                              idempotency_key=new_key(), now=clock())


def test_small_adjustments_by_one_person_wait_for_approval_once_they_add_up_past_the_allowance(
        database, clock, make_member):
    member = make_member()
    statuses = [adjust(database, clock, member, points).status for points in (900, -900, 700, 1)]
    assert statuses == ["applied", "applied", "applied", "pending"]  # 900 + 900 + 700 = 2500, either sign
    assert get_balance(database, member.public_id, as_of=clock()).available == 700


def test_each_person_has_their_own_allowance(database, clock, make_member):
    member = make_member()
    assert [adjust(database, clock, member, 1000).status for _ in range(3)] == ["applied", "applied", "pending"]
    assert adjust(database, clock, member, 1000, actor="staff:kim").status == "applied"


def test_an_approved_adjustment_does_not_count_against_the_allowance(database, clock, make_member):
    member = make_member()
    asked = adjust(database, clock, member, 5000)
    decide_adjustment(database, DecideAdjustment(asked.request_id, True, "staff:kim"), caller="staff:kim",
                      idempotency_key=new_key(), now=clock())
    assert adjust(database, clock, member, 1000).status == "applied"


def test_the_allowance_comes_back_after_24_hours(database, clock, make_member):
    member = make_member()
    for _ in range(2):
        adjust(database, clock, member, 1000)
    assert adjust(database, clock, member, 1000).status == "pending"
    clock.advance(hours=24)
    assert adjust(database, clock, member, 1000).status == "applied"


def test_a_points_grant_someone_else_approved_does_not_count_against_the_askers_allowance(
        database, clock, make_member):
    member, friend = make_member(), make_member()
    create_segment(database, code="best", member_ids=[member.public_id, friend.public_id], now=clock())
    asked = request_grant(database, GrantPoints("best", 2500, "sorry for Saturday", "staff:sam"), caller="staff:sam",
                          idempotency_key=new_key(), now=clock())
    decide_grant(database, DecideGrant(asked.grant_id, True, "staff:kim"), caller="staff:kim",
                 idempotency_key=new_key(), now=clock())
    assert adjust(database, clock, member, 1000).status == "applied"
