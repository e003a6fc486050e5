"""A calendar review of the year before that has not run yet (the scheduler down over New
Year, or a sale on 1 January before the job) does not take away an upgrade this year's points
gave: the upgrade moves the member's review to the next 1 January, as a daily run would have."""
from datetime import UTC, datetime

from engine.tiers.service import assign_tier, member_tier, review_tiers, tier_history


def test_a_review_run_late_leaves_an_upgrade_made_since_its_date(database, clock, make_member, earn, tiers):
    tiers()  # calendar year, reviewed on 1 January
    member = make_member()
    assign_tier(database, member.public_id, "GOLD", reason="status match", actor="ops", now=clock())
    earn(member, 100000)  # 1,000 points in 2026: short of Gold's 2,000
    clock.advance(days=307)  # 3 January 2027; the review of 1 January has not run
    assert clock().date().isoformat() == "2027-01-03"
    earn(member, 600000)  # 6,000 points in 2027: Platinum (5,000)
    upgraded = member_tier(database, member.public_id)
    assert (upgraded.tier_code, upgraded.review_due_at) == ("PLATINUM", datetime(2028, 1, 1, tzinfo=UTC))
    review_tiers(database, as_of=datetime(2027, 1, 1, tzinfo=UTC))  # the catch-up
    assert member_tier(database, member.public_id).tier_code == "PLATINUM"
    assert [c["reason"] for c in tier_history(database, member.public_id)][-1] == "upgrade"
