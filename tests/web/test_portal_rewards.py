"""The portal shows the member's tier and how far the next one is, the rewards they can
afford, redeems one for a voucher code (once per form), and explains purchases rule by rule."""
import re
from datetime import UTC, datetime

import pytest

from engine.ledger.balances import get_balance
from engine.rewards import RedeemReward, create_reward, list_vouchers, redeem_reward
from engine.rules import versions
from engine.settings import update_settings
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import assign_tier, define_tiers, review_tiers
from tests.web.conftest import text_of

FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')


@pytest.fixture
def catalogue(database, clock):
    define_tiers(database, [TierDefinition("basic", "Basic", 0), TierDefinition("silver", "Silver", 1000)],
                 TierPolicy(), now=clock())
    create_reward(database, code="MUG", name="Coffee mug", points_price=500, valid_from=clock(), now=clock())
    create_reward(database, code="BAG", name="Tote bag", points_price=2000, valid_from=clock(), now=clock())


def test_the_home_page_shows_the_tier_and_what_the_next_one_needs(browser, member_with_login, catalogue, earn):
    member = member_with_login()
    earn(member, 30_000)
    browser.sign_in(member.email)
    page = browser.get("/portal/").get_data(as_text=True)
    assert "Your tier: <span id=\"tier-name\">Basic</span>" in page
    assert '<progress class="progress" max="100" value="30"' in page
    assert "700 more qualifying points by" in text_of(browser.get("/portal/"))
    assert "to keep Basic" not in text_of(browser.get("/portal/"))  # the lowest tier is kept whatever


def test_the_home_page_says_what_keeping_the_tier_takes_or_until_when_grace_keeps_it(
        browser, member_with_login, catalogue, database, clock):
    member = member_with_login()
    assign_tier(database, member.public_id, "silver", reason="status match", actor="ops", now=clock())
    browser.sign_in(member.email)
    assert "1,000 more qualifying points by 31 Dec 2026 to keep Silver." in text_of(browser.get("/portal/"))
    define_tiers(database, [TierDefinition("basic", "Basic", 0), TierDefinition("silver", "Silver", 1000)],
                 TierPolicy(grace_months=2), now=clock())
    review_tiers(database, as_of=datetime(2027, 1, 1, tzinfo=UTC))  # not requalified: a grace period
    clock.advance(days=320)  # 2027-01-16
    browser.sign_in(member.email)
    # the review at the start of 1 Mar may take it: the last day kept is 28 Feb
    assert "You keep Silver through 28 Feb 2027: a grace period" in text_of(browser.get("/portal/"))


def test_rewards_within_reach_have_a_redeem_button_and_the_others_say_how_far(browser, member_with_login, catalogue):
    member = member_with_login(points=600)
    browser.sign_in(member.email)
    page = text_of(browser.get("/portal/"))
    assert "Coffee mug · 500 points Redeem" in page
    assert "Soon: Tote bag (1,400 more points)" in page


def test_a_reward_whose_limit_the_member_has_used_up_is_not_offered(browser, member_with_login, database, clock):
    create_reward(database, code="TOTE", name="Tote bag", points_price=100, per_member_limit=1, valid_from=clock(),
                  now=clock())
    member = member_with_login(points=600)
    browser.sign_in(member.email)
    assert "Tote bag · 100 points Redeem" in text_of(browser.get("/portal/"))
    redeem_reward(database, RedeemReward("TOTE", member.public_id), caller="web", idempotency_key="k", now=clock())
    page = text_of(browser.get("/portal/"))
    assert "Tote bag · 100 points Redeem" not in page and "Soon: Tote bag" not in page
    assert "Tote bag · code" in page  # the voucher it gave


def test_redeeming_shows_the_voucher_code_and_a_double_submit_redeems_once(browser, member_with_login, catalogue,
                                                                          database, clock):
    member = member_with_login(points=1200)
    browser.sign_in(member.email)
    home = browser.get("/portal/").get_data(as_text=True)
    form = {"csrf_token": browser.csrf("/portal/"), "form_key": FORM_KEY.search(home).group(1)}
    first = browser.client.post("/portal/rewards/MUG/redeem", data=form, follow_redirects=True)
    browser.client.post("/portal/rewards/MUG/redeem", data=form)  # the same form again
    [voucher] = list_vouchers(database, member.public_id)
    assert f"Your voucher code is {voucher.voucher_code}" in text_of(first)
    assert get_balance(database, member.public_id, as_of=clock()).available == 700
    assert voucher.voucher_code in text_of(browser.get("/portal/"))


def test_a_voucher_with_an_end_says_through_which_day_and_leaves_the_page_once_expired(browser, member_with_login,
                                                                                      database, clock):
    create_reward(database, code="CUP", name="Cup", points_price=100, valid_from=clock(), voucher_valid_days=30,
                  now=clock())  # the clock is 2 March, 10:00 UTC: usable through 1 April
    member = member_with_login(points=500)
    browser.sign_in(member.email)
    page = browser.submit("/portal/", {"form_key": "k-1"}, to="/portal/rewards/CUP/redeem", follow_redirects=True)
    [voucher] = list_vouchers(database, member.public_id)
    assert f"Your voucher code is {voucher.voucher_code}. Show it at the till through 1 Apr 2026" in text_of(page)
    assert "usable through 1 Apr 2026" in text_of(browser.get("/portal/"))
    clock.advance(days=31)
    assert voucher.voucher_code not in text_of(browser.get("/portal/"))


def test_a_programme_west_of_utc_shows_the_last_day_in_its_own_time(browser, member_with_login, database, clock):
    update_settings(database, {"timezone": "America/New_York"}, now=clock())
    create_reward(database, code="CUP", name="Cup", points_price=100, valid_from=clock(), voucher_valid_days=30,
                  now=clock())  # 2 March, 05:00 in New York: usable through 1 April there (until 04:00 UTC on 2 April)
    member = member_with_login(points=500)
    browser.sign_in(member.email)
    browser.submit("/portal/", {"form_key": "k-1"}, to="/portal/rewards/CUP/redeem")
    assert "usable through 1 Apr 2026" in text_of(browser.get("/portal/"))


def test_a_redemption_without_its_one_time_key_asks_to_try_again_and_redeems_nothing(
        browser, member_with_login, catalogue, database, clock):
    member = member_with_login(points=1200)
    browser.sign_in(member.email)
    page = browser.client.post("/portal/rewards/MUG/redeem", data={"csrf_token": browser.csrf("/portal/")},
                               follow_redirects=True)
    assert "That reward could not be redeemed: the page was out of date. Please try again." in text_of(page)
    assert list_vouchers(database, member.public_id) == []
    assert get_balance(database, member.public_id, as_of=clock()).available == 1200


def test_a_refused_redemption_is_explained_and_changes_nothing(browser, member_with_login, catalogue, database,
                                                                clock):
    member = member_with_login(points=600)
    browser.sign_in(member.email)
    page = browser.submit("/portal/", {"form_key": "k-1"}, to="/portal/rewards/BAG/redeem", follow_redirects=True)
    assert "That reward could not be redeemed: you do not have enough points for it yet." in text_of(page)
    assert get_balance(database, member.public_id, as_of=clock()).available == 600


def test_a_purchase_with_several_rules_is_explained_rule_by_rule(browser, member_with_login, earn, database, clock):
    bonus = {"key": "big-basket", "name": "Big basket bonus", "effect": {"kind": "fixed_per_transaction", "points": 50},
             "conditions": [{"kind": "basket_total", "minimum": 2000}]}
    versions.create_draft(database, bonus, now=clock())
    versions.publish_rules(database, ["big-basket"], now=clock())
    clock.advance(seconds=1)
    member = member_with_login()
    earn(member, 2500)
    browser.sign_in(member.email)
    assert "Purchase at Store 1: +75 Base rate: +25 · Big basket bonus: +50" in text_of(browser.get("/portal/"))


def test_without_tiers_or_rewards_the_page_shows_neither(browser, member_with_login):
    member = member_with_login(points=50)
    browser.sign_in(member.email)
    html = browser.get("/portal/").get_data(as_text=True)
    assert 'id="tier"' not in html and 'id="rewards"' not in html


def test_with_tiers_on_spend_the_page_says_how_much_more_to_buy(browser, member_with_login, earn, database, clock):
    define_tiers(database, [TierDefinition("basic", "Basic", 0), TierDefinition("silver", "Silver", 50_000)],
                 TierPolicy(measure="spend"), now=clock())
    member = member_with_login()
    earn(member, 40_000)
    browser.sign_in(member.email)
    assert "EUR 100.00 more in purchases by" in text_of(browser.get("/portal/"))
