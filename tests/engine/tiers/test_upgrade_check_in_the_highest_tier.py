"""An accrual checks for an immediate upgrade by summing the member's qualifying points in
the window; a member already in the highest tier has nothing to reach, so the sum is not
asked for."""
from engine.tiers.service import member_tier
from tests.support.statements import statements_of

QUALIFYING_SUM = "x.kind IN ('earn', 'refund')"  # the tier window's sum (engine.tiers.service._points_sql)


def test_a_member_in_the_highest_tier_earns_without_the_qualifying_sum(database, make_member, earn, tiers):
    tiers()
    member = make_member()
    earn(member, 500000)  # 5,000 points: Platinum at once
    assert member_tier(database, member.public_id).tier_code == "PLATINUM"
    sent = statements_of(database, lambda: earn(member, 1000))
    assert sent and not [s for s in sent if QUALIFYING_SUM in s]
    assert member_tier(database, member.public_id).tier_code == "PLATINUM"


def test_a_member_below_the_highest_tier_still_moves_up_at_once(database, make_member, earn, tiers):
    tiers()
    member = make_member()
    earn(member, 55000)  # 550 points: Silver
    sent = statements_of(database, lambda: earn(member, 150000))  # 1,500 more: Gold
    assert [s for s in sent if QUALIFYING_SUM in s]
    assert member_tier(database, member.public_id).tier_code == "GOLD"
