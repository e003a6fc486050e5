"""A member enrolled or imported since the last tier review (which places them) is in the
lowest tier everywhere it matters: the rewards' tier prices, rules on the tier, and the
tier report; never priced or counted as if they had no tier."""
from datetime import timedelta

import pytest

from engine import reports
from engine.member_closure import CloseMember, close_member
from engine.rewards import create_reward, list_rewards
from engine.rules.versions import create_draft, publish_rules
from engine.tiers.service import assign_tier, member_tier
from tests.conftest import new_key


@pytest.fixture
def new_member(database, clock, tiers, make_member):
    tiers()  # Basic (the lowest), Silver, Gold, Platinum
    member = make_member()
    assert member_tier(database, member.public_id) is None  # placed by the next review
    return member


def test_a_member_not_placed_yet_pays_the_lowest_tiers_price_and_sees_its_rewards(database, clock, new_member):
    create_reward(database, code="MUG", name="Mug", points_price=500, tier_prices={"BASIC": 100},
                  valid_from=clock(), now=clock())
    create_reward(database, code="WELCOME", name="Welcome", points_price=50, tier_prices={"BASIC": 50},
                  tier_only=True, valid_from=clock(), now=clock())
    offered = {r.code: r.price_for_member for r in list_rewards(database, as_of=clock(), member_id=new_member.public_id)}
    assert offered == {"MUG": 100, "WELCOME": 50}


def test_a_rule_for_the_lowest_tier_applies_to_a_member_not_placed_yet(database, clock, new_member, earn):
    create_draft(database, {"key": "basic-bonus", "name": "Basic bonus",
                            "effect": {"kind": "fixed_per_transaction", "points": 7},
                            "conditions": [{"kind": "tier", "values": ["BASIC"]}]}, now=clock())
    publish_rules(database, ["basic-bonus"], now=clock())
    clock.advance(seconds=1)
    earned = earn(new_member, 1000)
    assert {a.rule_key: a.applied for a in earned.rules}.get("basic-bonus") == 7


def test_the_tier_report_counts_members_not_placed_yet_in_the_lowest_tier_and_no_closed_member(
        database, clock, new_member, make_member):
    gold, leaving = make_member(), make_member()
    assign_tier(database, gold.public_id, "GOLD", reason="match", actor="ops", now=clock())
    close_member(database, CloseMember(leaving.public_id, "asked to leave", "staff:sam"), caller="staff:sam",
                 idempotency_key=new_key(), now=clock() + timedelta(seconds=1))
    assert reports.tier_distribution(database) == [("BASIC", 1), ("GOLD", 1)]
