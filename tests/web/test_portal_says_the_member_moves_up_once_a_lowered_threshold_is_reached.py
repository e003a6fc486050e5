"""After a marketer lowers the next tier's threshold below what a member has already
qualified with, the portal says the member moves up at their next purchase or review,
not that "0 more qualifying points" are needed."""
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import define_tiers
from tests.web.conftest import text_of


def test_a_member_past_a_lowered_threshold_is_told_they_move_up_at_the_next_purchase_or_review(
        browser, member_with_login, database, clock, earn):
    define_tiers(database, [TierDefinition("basic", "Basic", 0), TierDefinition("silver", "Silver", 1000)],
                 TierPolicy(), now=clock())
    member = member_with_login()
    earn(member, 60_000)  # 600 qualifying points
    browser.sign_in(member.email)
    assert "400 more qualifying points by 31 Dec 2026 to reach Silver." in text_of(browser.get("/portal/"))
    define_tiers(database, [TierDefinition("basic", "Basic", 0), TierDefinition("silver", "Silver", 500)],
                 TierPolicy(), now=clock())
    page = text_of(browser.get("/portal/"))
    assert "You have what it takes to reach Silver: you move up at your next purchase, or at your review on " \
           "1 Jan 2027." in page
    assert "0 more qualifying points" not in page
