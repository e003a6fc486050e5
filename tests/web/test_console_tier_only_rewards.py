"""A marketer makes a reward for some tiers only on the console, and opens it to every member
again; without the tiers' prices the form says what is missing."""
from engine.rewards import get_reward
from tests.web.conftest import LADDER, text_of


def test_a_marketer_makes_a_reward_for_gold_members_only_and_opens_it_again(console_as, database):
    marketer = console_as("marketer")
    assert marketer.submit("/console/tiers", LADDER).status_code == 302
    made = marketer.submit("/console/programme", {"code": "LOUNGE", "name": "Lounge pass", "points_price": "900",
                                                  "tier_price_gold": "200", "tier_only": "yes"})
    assert made.status_code == 302 and get_reward(database, "LOUNGE").tier_only
    assert "gold: 200 (these tiers only)" in text_of(marketer.get("/console/programme"))
    assert "For members of gold only" in text_of(marketer.get("/console/rewards/LOUNGE"))
    form = {"name": "Lounge pass", "points_price": "900", "per_member_limit": "", "ends": "", "tier_price_basic": "",
            "tier_price_gold": "200"}  # the box left unticked
    assert marketer.submit("/console/rewards/LOUNGE", form).status_code == 302
    assert not get_reward(database, "LOUNGE").tier_only


def test_a_reward_for_its_tiers_only_without_a_tier_price_is_refused_at_the_box(console_as, database):
    marketer = console_as("marketer")
    marketer.submit("/console/tiers", LADDER)
    refused = marketer.submit("/console/programme", {"code": "LOUNGE", "name": "Lounge pass", "points_price": "900",
                                                     "tier_only": "yes"})
    assert refused.status_code == 422 and 'id="tier_only-error"' in refused.get_data(as_text=True)
