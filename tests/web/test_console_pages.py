"""Every console page renders for a role allowed to see it, with data from the engine."""
from decimal import Decimal

import pytest

from engine.ledger.balances import get_balance
from engine.ledger.adjustments import adjust_points
from engine.ledger.commands import AdjustPoints, CaptureHold, PlaceHold, RefundLine, RefundReceipt
from engine.ledger.holds import capture_hold, place_hold
from engine.ledger.refunds import refund_receipt
from engine.members import get_member
from engine.rewards import RedeemReward, UseVoucher, create_reward, redeem_reward, use_voucher
from engine.rules import campaigns, versions
from engine.rules.customer_value import score_customers
from engine.rules.segments import create_segment, member_attributes, set_member_attribute
from engine.settings import update_settings
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import assign_tier, define_tiers
from tests.conftest import new_key
from tests.web.conftest import text_of

COFFEE = {"key": "coffee-bonus", "name": "Coffee bonus", "priority": 5,
          "conditions": [{"kind": "category", "values": ["coffee"]}],
          "effect": {"kind": "fixed_per_transaction", "points": 50}}


@pytest.fixture
def marketer(console_as):
    return console_as("marketer")


@pytest.fixture
def published_rule(database, clock):
    versions.create_draft(database, COFFEE, now=clock())
    versions.publish_rules(database, ["coffee-bonus"], now=clock())


@pytest.mark.parametrize("path, words", [
    ("/console/dashboard", "Points owed to members"), ("/console/liability", "Points owed, month by month"), ("/console/rules", "Coffee bonus"),
    ("/console/rules/coffee-bonus", "50 bonus points per sale"), ("/console/rules/new", "New earning rule"),
    ("/console/rules/coffee-bonus/edit", "Change rule"), ("/console/simulate", "Simulate a basket"),
    ("/console/campaigns", "New campaign"), ("/console/segments", "New segment"), ("/console/programme", "New reward"), ("/console/members", "Find"),
    ("/console/tiers", "The ladder, lowest first"),
])
def test_a_marketer_opens_every_programme_page(marketer, published_rule, till, path, words):
    page = marketer.get(path)
    assert page.status_code == 200, text_of(page)[:500]
    assert words in text_of(page)


def test_the_console_home_leads_a_marketer_to_the_dashboard_and_support_to_members(console_as):
    assert console_as("marketer").get("/console/").headers["Location"].endswith("/console/dashboard")
    assert console_as("support").get("/console/").headers["Location"].endswith("/console/members")


def test_a_member_page_shows_balance_and_ledger(console_as, make_member):
    ada = make_member("Ada Lovelace", points=500)
    page = console_as("support").get(f"/console/members/{ada.public_id}")
    assert page.status_code == 200
    assert "500" in text_of(page) and "test funding" in text_of(page)


def test_a_member_page_says_what_keeping_the_tier_takes(console_as, make_member, database, clock):
    define_tiers(database, [TierDefinition("basic", "Basic", 0), TierDefinition("gold", "Gold", 1000)], TierPolicy(),
                 now=clock())
    ada = make_member("Ada Lovelace")
    assign_tier(database, ada.public_id, "gold", reason="status match", actor="ops", now=clock())
    page = text_of(console_as("support").get(f"/console/members/{ada.public_id}"))
    assert "1,000 more by 31 Dec 2026 to keep gold." in page  # the last day, as the portal says it


def test_a_search_with_one_match_opens_that_member(console_as, make_member):
    ada = make_member("Ada Lovelace")
    found = console_as("support").get("/console/members", query_string={"q": "lovelace"})
    assert found.headers["Location"].endswith(f"/console/members/{ada.public_id}")


def test_an_unknown_page_under_the_console_is_an_html_page(marketer):
    page = marketer.get("/console/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html" and "Page not found" in text_of(page)


def test_support_sets_and_removes_a_members_attribute_and_sees_their_segments(console_as, make_member, database,
                                                                            clock):
    member = make_member()
    create_segment(database, code="students", now=clock(), predicate={"attributes": {"status": ["student"]}})
    support = console_as("support")
    page = f"/console/members/{member.public_id}"
    assert "No attributes." in text_of(support.get(page)) and "Segments: none" in text_of(support.get(page))
    set_it = support.submit(page, {"attribute_name": "status", "attribute_value": "student"},
                            to=f"{page}/attributes")
    assert set_it.status_code == 302
    shown = text_of(support.get(page))
    assert "status student" in shown and "Segments: students" in shown
    assert member_attributes(database, member.public_id) == {"status": "student"}
    assert support.submit(page, {}, to=f"{page}/attributes/status/remove").status_code == 302
    assert member_attributes(database, member.public_id) == {}


def test_an_attribute_the_console_cannot_take_is_shown_at_its_field_and_nothing_changes(console_as, make_member,
                                                                                       database):
    member = make_member()
    page = f"/console/members/{member.public_id}"
    refused = console_as("support").submit(page, {"attribute_name": "", "attribute_value": "v" * 201},
                                           to=f"{page}/attributes")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="attribute_name-error"' in html and 'id="attribute_value-error"' in html
    assert member_attributes(database, member.public_id) == {}


def test_an_attribute_name_with_a_slash_is_refused_at_its_field_as_its_remove_button_could_not_name_it(
        console_as, make_member, database):
    member = make_member()
    page = f"/console/members/{member.public_id}"
    refused = console_as("support").submit(page, {"attribute_name": "promo/2026", "attribute_value": "yes"},
                                           to=f"{page}/attributes")
    assert refused.status_code == 422
    assert 'id="attribute_name-error"' in refused.get_data(as_text=True)
    assert "without '/'" in text_of(refused)
    assert member_attributes(database, member.public_id) == {}


def test_a_marketer_reads_a_members_attributes_but_cannot_change_them(console_as, make_member, database):
    member = make_member()
    set_member_attribute(database, member.public_id, "status", "student")
    marketer = console_as("marketer")
    page = f"/console/members/{member.public_id}"
    shown = marketer.get(page)
    assert "status student" in text_of(shown) and 'id="attribute-form"' not in shown.get_data(as_text=True)
    refused = marketer.submit(page, {}, to=f"{page}/attributes/status/remove")
    assert refused.status_code == 403
    assert member_attributes(database, member.public_id) == {"status": "student"}


def test_an_unknown_member_is_a_page_not_found_also_for_its_forms(console_as):
    support = console_as("support")
    assert support.get("/console/members/MNOSUCH").status_code == 404
    refused = support.submit("/console/members", {"points": "ten", "reason": "x"}, to="/console/members/MNOSUCH")
    assert refused.status_code == 404 and "Page not found" in text_of(refused)


def test_an_auditor_checks_for_members_earning_unusually_often_at_one_till(console_as, make_member, earn):
    cashier = make_member()
    for _ in range(3):
        earn(cashier, 1000)
    auditor = console_as("auditor")
    page = auditor.get("/console/checks", query_string={"days": "7", "min_sales": "3"})
    assert page.status_code == 200
    assert f"{cashier.public_id} S1-T1 (S1)" in text_of(page) and 'href="/console/members/' in page.get_data(
        as_text=True)
    assert "Nobody earned on 10 or more" in text_of(auditor.get("/console/checks"))
    refused = auditor.get("/console/checks", query_string={"days": "0", "min_sales": "many"})
    assert refused.status_code == 422 and 'id="min_sales-error"' in refused.get_data(as_text=True)
    assert console_as("marketer").get("/console/checks").status_code == 403


def test_an_auditor_sees_the_cards_earning_on_one_cashiers_sales_and_a_cashiers_own_card(
        console_as, cashier_own_and_friends_sales):
    employee, friend = cashier_own_and_friends_sales
    auditor = console_as("auditor")
    page = text_of(auditor.get("/console/checks", query_string={"days": "1", "min_sales": "3"}))
    assert f"0042 (S1) {employee.public_id} the cashier's own card 1 of 4 5" in page
    assert f"0042 (S1) {friend.public_id} 3 of 4 30" in page
    below = text_of(auditor.get("/console/checks"))  # 10 sales by default: the own card alone
    assert employee.public_id in below and friend.public_id not in below


def test_an_auditor_sees_the_returns_each_cashier_rang_up(console_as, make_member, earn, database, clock):
    ada = make_member()
    earn(ada, 2000, 1000, receipt="R1", cashier="0042")
    auditor = console_as("auditor")
    assert "No return named a cashier in these days." in text_of(auditor.get("/console/checks"))
    refund_receipt(database, RefundReceipt("S1", "S1-T1", "R1", (RefundLine(1, Decimal(1)),), clock(), cashier="0042"),
                   caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert "0042 (S1) 1 EUR 20.00 20 1 1" in text_of(auditor.get("/console/checks"))


def test_an_auditor_sees_the_payments_with_points_each_cashier_took_their_own_card_first(
        console_as, make_member, database, clock, till):
    employee, customer = make_member(points=500), make_member(points=500)
    set_member_attribute(database, employee.public_id, "cashier", "0042")
    auditor = console_as("auditor")
    assert "No payment with points named a cashier in these days." in text_of(auditor.get("/console/checks"))
    for member, points, cashier in ((customer, 300, "0007"), (employee, 120, "0042")):
        command = PlaceHold(till.store_code, till.code, points, member_id=member.public_id, cashier=cashier)
        placed = place_hold(database, command, caller="S1-T1", idempotency_key=new_key(), now=clock())
        capture_hold(database, CaptureHold(placed.hold_id), caller="S1-T1", idempotency_key=new_key(), now=clock())
    page = text_of(auditor.get("/console/checks"))
    own, other = f"0042 ({till.store_code}) 1 120 1 0", f"0007 ({till.store_code}) 1 300 0 0"
    assert own in page and other in page and page.index(own) < page.index(other)


def test_support_closes_a_members_account_after_ticking_the_box(console_as, make_member, database, clock):
    ada = make_member("Ada Lovelace", points=200)
    support = console_as("support")
    page = f"/console/members/{ada.public_id}"
    unticked = support.submit(page, {"close_reason": "asked for erasure"}, to=f"{page}/close")
    assert unticked.status_code == 422 and "Tick the box: closing cannot be undone." in text_of(unticked)
    assert get_member(database, ada.public_id).status == "active"
    closed = support.submit(page, {"close_reason": "asked for erasure", "close_confirm": "yes"}, to=f"{page}/close",
                            follow_redirects=True)
    assert "200 points forfeited, 0 cards retired, personal data erased." in text_of(closed)
    assert "Erased member" in text_of(closed) and "Close the account" not in text_of(closed)
    assert "Close the account" not in text_of(console_as("marketer").get(f"/console/members/{make_member().public_id}"))


def test_an_auditor_reads_the_audit_log_filtered_and_page_by_page(console_as, make_member):
    support = console_as("support", username="sam")
    for _ in range(3):
        support.get(f"/console/members/{make_member().public_id}")
    auditor = console_as("auditor")
    page = text_of(auditor.get("/console/audit", query_string={"actor": "staff:sam"}))
    assert page.count("staff:sam GET /console/members/<member_id>") == 3
    assert "No entries for this filter." in text_of(auditor.get("/console/audit", query_string={"actor": "nobody"}))
    assert console_as("marketer").get("/console/audit").status_code == 403


def test_the_audit_log_gives_its_times_in_the_programmes_time_zone(console_as, make_member, database, clock):
    update_settings(database, {"timezone": "America/New_York"}, now=clock())
    console_as("support", username="sam").get(f"/console/members/{make_member().public_id}")  # 10:00 UTC
    page = text_of(console_as("auditor").get("/console/audit", query_string={"actor": "staff:sam"}))
    assert "2026-03-02 05:00:00 EST staff:sam GET /console/members/<member_id>" in page


def test_support_cancels_a_members_voucher_and_the_points_come_back(console_as, make_member, database, clock):
    ada = make_member("Ada Lovelace", points=500)
    create_reward(database, code="MUG", name="Mug", points_price=300, valid_from=clock(), now=clock())
    voucher = redeem_reward(database, RedeemReward("MUG", ada.public_id), caller="web", idempotency_key="k1",
                            now=clock())
    support = console_as("support")
    page = f"/console/members/{ada.public_id}"
    assert f"{voucher.voucher_code} MUG 300 issued" in text_of(support.get(page))
    done = support.submit(page, {}, to=f"{page}/vouchers/{voucher.voucher_code}/cancel", follow_redirects=True)
    assert f"Voucher {voucher.voucher_code} is cancelled: 300 points are back." in text_of(done)
    assert get_balance(database, ada.public_id, as_of=clock()).available == 500
    other = make_member()
    assert support.submit(page, {}, to=f"/console/members/{other.public_id}/vouchers/{voucher.voucher_code}/cancel"
                          ).status_code == 404


def test_support_sees_and_cancels_an_old_unused_voucher_behind_many_newer_ones(console_as, make_member, database,
                                                                               clock):
    ada = make_member("Ada Lovelace", points=100)
    create_reward(database, code="PEN", name="Pen", points_price=1, valid_from=clock(), now=clock())
    codes = [redeem_reward(database, RedeemReward("PEN", ada.public_id), caller="web", idempotency_key=f"k{n}",
                           now=clock()).voucher_code for n in range(55)]
    for code in codes[1:]:
        use_voucher(database, UseVoucher(code), caller="till", idempotency_key=f"use-{code}", now=clock())
    support = console_as("support")
    page = f"/console/members/{ada.public_id}"
    assert f"{codes[0]} PEN 1 issued" in text_of(support.get(page))
    done = support.submit(page, {}, to=f"{page}/vouchers/{codes[0]}/cancel", follow_redirects=True)
    assert f"Voucher {codes[0]} is cancelled: 1 points are back." in text_of(done)


def test_a_members_page_shows_a_vouchers_last_day_and_when_it_expired_unused(console_as, make_member, database, clock):
    ada = make_member("Ada Lovelace", points=500)
    create_reward(database, code="MUG", name="Mug", points_price=300, valid_from=clock(), voucher_valid_days=30,
                  now=clock())  # the clock is 2 March 2026: usable through 1 April
    voucher = redeem_reward(database, RedeemReward("MUG", ada.public_id), caller="web", idempotency_key="k1",
                            now=clock())
    support = console_as("support")
    page = f"/console/members/{ada.public_id}"
    assert f"{voucher.voucher_code} MUG 300 issued (usable through 1 Apr 2026)" in text_of(support.get(page))
    clock.advance(days=31)
    support = console_as("support", username="sam-next-month")  # the first session has ended
    assert f"{voucher.voucher_code} MUG 300 expired unused (usable through 1 Apr 2026)" in text_of(support.get(page))


def test_the_dashboard_shows_the_members_by_lifecycle_stage(marketer, database, clock, make_member, earn):
    make_member()
    earn(make_member(), 1000)
    score_customers(database, as_of=clock())
    page = text_of(marketer.get("/console/dashboard"))
    assert "Members by lifecycle stage" in page
    assert "New 1" in " ".join(page.split()) and "First purchase 1" in " ".join(page.split())


def test_the_dashboard_shows_stores_rewards_bought_and_breakage(marketer, make_member, earn):
    earn(make_member(), 2500)
    page = " ".join(text_of(marketer.get("/console/dashboard")).split())
    assert "S1 1 EUR 25.00 25" in page and "No rewards bought in these 30 days." in page
    assert "Breakage 0.0 %" in page


def test_the_liability_page_shows_the_points_owed_month_by_month(marketer, make_member):
    make_member(points=1250)
    page = " ".join(text_of(marketer.get("/console/liability")).split())
    assert "Points owed, month by month" in page
    assert "2026-03 0 0 0 0 +1,250 1,250 EUR 12.50 open" in page
    assert "Usable 0 vouchers, bought with 0 points" in page


def test_a_marketer_caps_what_one_member_gets_from_a_campaign_and_changes_the_cap(console_as, database):
    marketer = console_as("marketer")
    form = {"code": "summer", "name": "Summer", "starts": "2026-06-01", "ends": "2099-09-01", "member_cap": "500"}
    assert marketer.submit("/console/campaigns", form).status_code == 302
    assert "at most 500 points in all" in text_of(marketer.get("/console/campaigns/summer"))
    changed = marketer.submit("/console/campaigns/summer", {"name": "Summer", "ends": "2099-09-01", "member_cap": "800"})
    assert changed.status_code == 302 and campaigns.get_campaign(database, "summer").member_cap == 800


def test_a_members_ledger_is_read_page_by_page(console_as, make_member, database, clock):
    ada = make_member("Ada Lovelace")
    for n in range(1, 53):
        adjust_points(database, AdjustPoints(ada.public_id, n, f"goodwill {n}", "tests"), caller="tests",
                      idempotency_key=new_key(), now=clock())
    support = console_as("support")
    first = text_of(support.get(f"/console/members/{ada.public_id}"))
    assert "goodwill 52" in first and "goodwill 3 " in first and "goodwill 2 " not in first
    assert "Older" in first and "Newer" not in first
    second = text_of(support.get(f"/console/members/{ada.public_id}", query_string={"ledger_page": 2}))
    assert "goodwill 2 " in second and "goodwill 1 " in second and "goodwill 3 " not in second
    assert "Newer" in second and "Older" not in second
