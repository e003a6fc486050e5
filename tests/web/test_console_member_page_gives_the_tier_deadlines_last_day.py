"""The console's member page gives a tier deadline as its last day, the day the portal gives
the member (the review at the start of 1 January takes the points earned through 31 December)."""
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import define_tiers
from tests.web.conftest import text_of


def test_the_points_still_needed_for_the_next_tier_are_due_by_the_same_day_as_on_the_portal(
        console_as, browser, member_with_login, database, clock):
    define_tiers(database, [TierDefinition("basic", "Basic", 0), TierDefinition("gold", "Gold", 1000)], TierPolicy(),
                 now=clock())
    ada = member_with_login(points=0)
    browser.sign_in(ada.email)
    assert "1,000 more qualifying points by 31 Dec 2026 to reach Gold." in text_of(browser.get("/portal/"))
    page = text_of(console_as("support").get(f"/console/members/{ada.public_id}"))
    assert "1,000 more by 31 Dec 2026 for gold" in page
