"""Who may do what in the console: the same permissions as the JSON API, refusals change
nothing and are audited."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from engine.audit import list_audit
from engine.ledger.approvals import list_adjustment_requests
from engine.messages import pending_messages
from engine.ledger.balances import get_balance
from engine.rewards import get_reward
from engine.rules.campaigns import get_campaign, held_out
from engine.rules.lift import campaign_lift
from engine.settings import update_settings
from engine.tiers.service import list_tiers
from tests.web.conftest import LADDER, text_of


def test_without_signing_in_every_page_leads_to_sign_in(browser):
    page = browser.get("/console/rules")
    assert page.status_code == 302 and "/console/sign-in?next=/console/rules" in page.headers["Location"]


def test_a_wrong_password_is_refused_with_a_readable_message(browser, staff_with_login):
    staff_with_login("marketer", username="mia")
    page = browser.sign_in_staff("mia", "not the password")
    assert page.status_code == 401 and "Wrong username or password" in text_of(page)


def test_a_signed_in_member_cannot_open_the_console(browser, member_with_login):
    ada = member_with_login()
    assert browser.sign_in(ada.email).status_code == 302
    assert browser.get("/console/dashboard").headers["Location"].startswith("/console/sign-in")


def test_a_support_agent_cannot_read_the_dashboard_and_the_refusal_is_audited(console_as, database):
    page = console_as("support", username="sam").get("/console/dashboard")
    assert page.status_code == 403 and "Not for your role" in text_of(page)
    assert [(e.actor, e.outcome) for e in list_audit(database, actor="staff:sam")][0] == ("staff:sam", "403")


def test_a_marketer_cannot_move_a_members_points(console_as, make_member, database, clock):
    ada = make_member(points=100)
    marketer = console_as("marketer")
    assert "Adjust the balance" not in text_of(marketer.get(f"/console/members/{ada.public_id}"))
    refused = marketer.submit(f"/console/members/{ada.public_id}", {"points": "5000", "reason": "friend"})
    assert refused.status_code == 403
    assert get_balance(database, ada.public_id, as_of=clock()).balance == 100


def test_a_large_adjustment_waits_for_someone_else_to_approve_it(console_as, make_member, database, clock):
    update_settings(database, {"adjustment_approval_threshold": 1000}, now=clock())
    ada = make_member()
    sam = console_as("support", username="sam")
    asked = sam.submit(f"/console/members/{ada.public_id}", {"points": "5000", "reason": "lost receipts"})
    assert asked.status_code == 302
    [pending] = list_adjustment_requests(database)
    own = sam.submit("/console/adjustments", {}, to=f"/console/adjustments/{pending.request_id}/approve")
    assert own.status_code == 302 and get_balance(database, ada.public_id, as_of=clock()).balance == 0
    assert "cannot approve" in text_of(sam.get("/console/adjustments")).lower()
    other = console_as("support", username="tom")
    other.submit("/console/adjustments", {}, to=f"/console/adjustments/{pending.request_id}/approve")
    assert get_balance(database, ada.public_id, as_of=clock()).balance == 5000


def test_a_marketer_creates_a_campaign_and_a_reward(console_as, clock):
    marketer = console_as("marketer")
    made = marketer.submit("/console/campaigns", {"code": "summer", "name": "Summer", "starts": "2026-06-01",
                                                  "ends": "2026-09-01", "budget": "100000", "holdout": "10"})
    assert made.status_code == 302
    assert "Summer" in text_of(marketer.get("/console/campaigns")) and "10.0%" in text_of(marketer.get("/console/campaigns"))
    reward = marketer.submit("/console/programme", {"code": "MUG", "name": "Coffee mug", "points_price": "500",
                                                   "stock": "10"})
    assert reward.status_code == 302 and "Coffee mug" in text_of(marketer.get("/console/programme"))


def test_a_campaigns_dates_are_days_of_the_programmes_own_time_zone(console_as, database, clock):
    update_settings(database, {"timezone": "America/New_York"}, now=clock())
    marketer = console_as("marketer")
    marketer.submit("/console/campaigns", {"code": "summer", "name": "Summer", "starts": "2026-07-01",
                                           "ends": "2026-08-31", "holdout": "0"})
    campaign = get_campaign(database, "summer")
    assert (campaign.starts_at, campaign.ends_at) == (datetime(2026, 7, 1, tzinfo=ZoneInfo("America/New_York")),
                                                      datetime(2026, 9, 1, tzinfo=ZoneInfo("America/New_York")))
    page = " ".join(text_of(marketer.get("/console/campaigns/summer")).split())
    assert "From 1 Jul 2026 Until 31 Aug 2026" in page


def test_a_marketer_ends_a_running_campaign_from_its_list(console_as, clock):
    marketer = console_as("marketer")
    marketer.submit("/console/campaigns", {"code": "summer", "name": "Summer", "starts": "2026-01-01",
                                           "ends": "2099-01-01"})
    assert "End now" in text_of(marketer.get("/console/campaigns"))
    ended = marketer.submit("/console/campaigns", {}, to="/console/campaigns/summer/end", follow_redirects=True)
    assert "Campaign summer has ended" in text_of(ended) and "End now" not in text_of(ended)
    again = marketer.submit("/console/campaigns", {}, to="/console/campaigns/summer/end")
    assert again.status_code == 409 and "ended at" in text_of(again)


def test_a_marketer_raises_a_campaign_budget_and_moves_its_end_on_its_page(console_as, database):
    marketer = console_as("marketer")
    marketer.submit("/console/campaigns", {"code": "summer", "name": "Summer", "starts": "2026-01-01",
                                           "ends": "2099-01-01", "budget": "1000"})
    assert 'href="/console/campaigns/summer"' in marketer.get("/console/campaigns").get_data(as_text=True)
    page = marketer.get("/console/campaigns/summer")
    assert page.status_code == 200 and "Save changes" in text_of(page) and 'value="2099-01-01"' in page.get_data(
        as_text=True)
    changed = marketer.submit("/console/campaigns/summer", {"name": "Summer", "ends": "2099-01-31", "budget": "5000"},
                              follow_redirects=True)  # the last day: the campaign ends as 1 February begins
    assert "Campaign summer is changed." in text_of(changed)
    campaign = get_campaign(database, "summer")
    assert (campaign.budget, campaign.ends_at.date().isoformat()) == (5000, "2099-02-01")
    assert marketer.get("/console/campaigns/winter").status_code == 404


def test_a_marketer_restocks_reprices_and_withdraws_a_reward_on_its_page(console_as, database, clock):
    marketer = console_as("marketer")
    assert marketer.submit("/console/tiers", LADDER).status_code == 302
    marketer.submit("/console/programme", {"code": "MUG", "name": "Mug", "points_price": "500", "stock": "2"})
    assert 'href="/console/rewards/MUG"' in marketer.get("/console/programme").get_data(as_text=True)
    form = {"name": "Mug", "points_price": "450", "restock": "10", "per_member_limit": "", "ends": "",
            "tier_price_basic": "", "tier_price_gold": "400"}
    changed = marketer.submit("/console/rewards/MUG", form, follow_redirects=True)
    assert "Reward Mug is changed." in text_of(changed)
    reward = get_reward(database, "MUG")
    assert (reward.points_price, reward.stock, reward.tier_prices) == (450, 12, {"gold": 400})
    clock.advance(minutes=5)
    withdrawn = marketer.submit("/console/rewards/MUG", {}, to="/console/rewards/MUG/withdraw", follow_redirects=True)
    assert "Reward Mug is withdrawn" in text_of(withdrawn) and "Mug MUG (withdrawn)" in text_of(withdrawn)
    assert "Withdraw Mug now" not in text_of(marketer.get("/console/rewards/MUG"))
    assert marketer.get("/console/rewards/CUP").status_code == 404


def test_a_marketer_gives_a_rewards_vouchers_an_end_and_takes_it_away(console_as, database, clock):
    marketer = console_as("marketer")
    marketer.submit("/console/programme", {"code": "MUG", "name": "Mug", "points_price": "500",
                                           "voucher_valid_days": "30"})
    assert "Vouchers usable for 30 days after they are issued" in text_of(marketer.get("/console/rewards/MUG"))
    form = {"name": "Mug", "points_price": "500", "per_member_limit": "", "ends": "", "voucher_valid_days": ""}
    assert "Reward Mug is changed." in text_of(marketer.submit("/console/rewards/MUG", form, follow_redirects=True))
    assert "Vouchers usable for without end" in text_of(marketer.get("/console/rewards/MUG"))
    assert get_reward(database, "MUG").voucher_valid_days is None


def test_a_campaign_page_shows_its_lift_against_the_holdout_group(console_as, make_member, earn, clock, database):
    members = [make_member() for _ in range(8)]
    marketer = console_as("marketer")
    marketer.submit("/console/campaigns", {"code": "summer", "name": "Summer", "starts": "2026-01-01",
                                           "ends": "2099-01-01", "holdout": "50"})
    targeted = [m for m in members if not held_out("summer", m.public_id, Decimal("0.5"))]
    earn(targeted[0], 2500)
    lift = campaign_lift(database, "summer", as_of=clock())
    page = text_of(marketer.get("/console/campaigns/summer"))
    assert f"Targeted {lift.targeted.members} 1 " in page and f"Held out {lift.control.members} 0 " in page
    if lift.control.members:
        assert "95% interval" in page


def test_an_auditor_reads_a_campaign_page_without_a_form_and_is_refused_a_change(console_as, database):
    console_as("marketer").submit("/console/campaigns", {"code": "summer", "name": "Summer", "starts": "2026-01-01",
                                                         "ends": "2099-01-01", "budget": "1000"})
    auditor = console_as("auditor")
    page = auditor.get("/console/campaigns/summer")
    assert page.status_code == 200 and "Save changes" not in text_of(page) and "0 of 1,000" in text_of(page)
    refused = auditor.submit("/console/campaigns/summer", {"name": "Winter", "ends": "2099-01-01", "budget": "1"})
    assert refused.status_code == 403 and get_campaign(database, "summer").name == "Summer"


def test_an_ended_campaign_page_says_it_can_no_longer_be_changed(console_as):
    marketer = console_as("marketer")
    marketer.submit("/console/campaigns", {"code": "summer", "name": "Summer", "starts": "2026-01-01",
                                           "ends": "2099-01-01"})
    marketer.submit("/console/campaigns", {}, to="/console/campaigns/summer/end")
    page = marketer.get("/console/campaigns/summer")
    assert "can no longer be changed" in text_of(page) and "Save changes" not in text_of(page)
    refused = marketer.submit("/console/campaigns/summer", {"name": "Later", "ends": "2099-01-01"})
    assert refused.status_code == 409 and "ended at" in text_of(refused)


def test_campaign_problems_are_shown_next_to_their_fields(console_as):
    page = console_as("marketer").submit("/console/campaigns", {"code": "x", "name": "X", "starts": "2026-09-01",
                                                                 "ends": "2026-06-01", "budget": "lots"})
    assert page.status_code == 422
    assert 'id="budget-error"' in page.get_data(as_text=True)


def test_signing_out_ends_the_staff_session(console_as):
    marketer = console_as("marketer")
    marketer.submit("/console/rules", {}, to="/console/sign-out")
    assert marketer.get("/console/rules").status_code == 302


def test_a_marketer_defines_the_tier_ladder_in_a_form(console_as, database):
    marketer = console_as("marketer")
    ladder = {"tier0_code": "basic", "tier0_name": "Basic", "tier0_threshold": "0",
              "tier1_code": "gold", "tier1_name": "Gold", "tier1_threshold": "1000", "tier1_earn_multiplier": "1.5",
              "window": "rolling_months", "window_months": "12", "review": "anniversary", "grace_months": "1"}
    assert marketer.submit("/console/tiers", ladder).status_code == 302
    tiers, policy = list_tiers(database)
    assert [(t.code, t.threshold, t.earn_multiplier) for t in tiers] == [("basic", 0, 1), ("gold", 1000, Decimal("1.5"))]
    assert (policy.window, policy.grace_months) == ("rolling_months", 1)
    refused = marketer.submit("/console/tiers", ladder | {"tier1_threshold": "0"})
    assert refused.status_code == 422 and "thresholds must rise" in text_of(refused).lower()


def test_only_roles_that_approve_see_or_decide_adjustments(console_as, make_member, database, clock):
    update_settings(database, {"adjustment_approval_threshold": 10}, now=clock())
    console_as("support", username="sam").submit(f"/console/members/{make_member().public_id}",
                                                {"points": "500", "reason": "goodwill"})
    [pending] = list_adjustment_requests(database)
    marketer = console_as("marketer")
    assert marketer.get("/console/adjustments").status_code == 403
    refused = marketer.submit("/console/members", {}, to=f"/console/adjustments/{pending.request_id}/approve")
    assert refused.status_code == 403
    assert list_adjustment_requests(database)[0].status == "pending"


def test_support_sends_a_member_a_link_to_set_their_password_and_a_marketer_cannot(console_as, make_member, database):
    ada = make_member(email="ada@example.org")
    sam = console_as("support")
    page = f"/console/members/{ada.public_id}"
    assert "Send a link to set the password" in text_of(sam.get(page))
    sent = sam.submit(page, {}, to=f"{page}/invitation")
    assert sent.status_code == 302
    assert "A link to set the password waits for the mailer" in text_of(sam.get(page))
    assert [m.payload["purpose"] for m in pending_messages(database)] == ["invitation"]
    marketer = console_as("marketer")
    assert "Send a link to set the password" not in text_of(marketer.get(page))
    assert marketer.submit(page, {}, to=f"{page}/invitation").status_code == 403
