"""A member hears of every change of their tier but their entry into the lowest: an upgrade at the till, a
review's move down (or up) and staff's assignment each write one ``tier_changed`` message
with the tiers, the new one's name, the direction and when; a grace period's start writes
``tier_grace`` with the day it ends; the review writes them set-based, and a second run
writes none."""
from datetime import UTC, datetime

from engine.messages import pending_messages
from engine.tiers.service import assign_tier, review_tiers


def tier_messages(database, member):
    return [m.payload for m in pending_messages(database) if m.kind == "tier_changed" and m.member_id == member.public_id]


def test_an_upgrade_at_the_till_tells_the_member_their_new_tier(database, clock, make_member, earn, tiers):
    tiers()
    member = make_member()
    earn(member, 40000)  # 400 points: enrolled in Basic, which is no news
    assert tier_messages(database, member) == []
    earn(member, 15000)  # 550 points: Silver
    assert tier_messages(database, member) == [{"from_tier": "BASIC", "to_tier": "SILVER", "to_name": "Silver",
                                                "direction": "up", "at": "2026-03-02T10:00:00Z"}]


def test_a_review_that_moves_a_member_down_tells_them_once(database, clock, make_member, earn, tiers):
    tiers()
    member = make_member()
    earn(member, 600000)  # Platinum in 2026
    review_tiers(database, as_of=datetime(2027, 1, 1, tzinfo=UTC))  # requalified: no change, no message
    assert [(m["from_tier"], m["to_tier"]) for m in tier_messages(database, member)] == [(None, "PLATINUM")]
    review_tiers(database, as_of=datetime(2028, 1, 1, tzinfo=UTC))  # nothing earned in 2027
    review_tiers(database, as_of=datetime(2028, 1, 1, tzinfo=UTC))  # again: nothing more
    assert tier_messages(database, member)[-1] == {"from_tier": "PLATINUM", "to_tier": "GOLD", "to_name": "Gold",
                                                   "direction": "down", "at": "2028-01-01T00:00:00Z"}
    assert len(tier_messages(database, member)) == 2


def test_staff_putting_a_member_in_a_tier_tells_them_but_not_when_it_is_the_same_tier(database, clock, make_member,
                                                                                       tiers):
    tiers()
    member = make_member()  # no tier yet: the first review or accrual gives one
    assign_tier(database, member.public_id, "GOLD", reason="complaint", actor="ops", now=clock())
    assign_tier(database, member.public_id, "GOLD", reason="again", actor="ops", now=clock())
    assign_tier(database, member.public_id, "SILVER", reason="corrected", actor="ops", now=clock())
    assert [(m["from_tier"], m["to_tier"], m["direction"]) for m in tier_messages(database, member)] == [
        (None, "GOLD", "up"), ("GOLD", "SILVER", "down")]


def test_a_review_that_starts_a_grace_period_says_until_when_the_tier_is_kept(database, clock, make_member, tiers):
    tiers(grace_months=3)
    member = make_member()
    assign_tier(database, member.public_id, "PLATINUM", reason="status match", actor="ops", now=clock())
    review_tiers(database, as_of=datetime(2027, 1, 1, tzinfo=UTC))  # not requalified: grace
    review_tiers(database, as_of=datetime(2027, 1, 1, tzinfo=UTC))  # again: nothing more
    graces = [m.payload for m in pending_messages(database) if m.kind == "tier_grace"]
    assert graces == [{"tier": "PLATINUM", "tier_name": "Platinum", "kept_until": "2027-04-01T00:00:00Z"}]
    review_tiers(database, as_of=datetime(2027, 4, 1, tzinfo=UTC))  # the grace ends: one step down
    assert tier_messages(database, member)[-1]["to_tier"] == "GOLD"
