from datetime import UTC, datetime, timedelta

from api.web.pages import day, last_day
from engine.ledger.balances import get_balance
from engine.ledger.commands import PlaceHold
from engine.ledger.holds import place_hold
from engine.settings import update_settings
from tests.web.conftest import text_of


def test_the_home_page_shows_available_pending_with_its_date_and_points_expiring_soon(
        browser, member_with_login, earn, clock, database):
    member = member_with_login(points=500)
    earn(member, 8000, occurred_at=clock() - timedelta(days=700))  # old points: they expire soon
    earn(member, 2500)
    browser.sign_in(member.email)
    page = text_of(browser.get("/portal/"))
    [expiring] = get_balance(database, member.public_id, as_of=clock()).expiring
    assert "Points you can spend now 580" in page
    assert "On the way: 25 points" in page and f"25 points from {day(clock() + timedelta(days=14))}" in page
    assert f"80 points expire after {last_day(expiring.expires_at)}" in page


def test_nothing_pending_and_nothing_expiring_is_said_in_words(browser, member_with_login):
    member = member_with_login(points=50)
    browser.sign_in(member.email)
    page = text_of(browser.get("/portal/"))
    assert "Nothing pending." in page and "No points expire in the next 90 days." in page


def test_points_set_aside_for_a_payment_at_the_till_are_explained(browser, member_with_login, database, clock, till):
    member = member_with_login(points=300)
    place_hold(database, _hold(member, till, 120), caller="S1-T1", idempotency_key="hold-1", now=clock())
    browser.sign_in(member.email)
    page = text_of(browser.get("/portal/"))
    assert "Points you can spend now 180" in page
    assert "120 more are set aside for a payment at the till." in page


def test_each_history_line_says_what_happened_in_words(browser, member_with_login, earn, clock):
    member = member_with_login(points=40)
    earn(member, 2500)
    browser.sign_in(member.email)
    page = text_of(browser.get("/portal/history"))
    assert "Purchase at Store 1: +25" in page
    assert "From our service team: test funding: +40" in page
    assert day(clock()) in page


def test_the_history_is_paged_twenty_lines_at_a_time(browser, member_with_login, earn):
    member = member_with_login()
    for _ in range(21):
        earn(member, 100)
    browser.sign_in(member.email)
    first = browser.get("/portal/history").get_data(True)
    assert first.count("Purchase at Store 1: ") == 20 and "Older" in first and "Newer" not in first
    second = browser.get("/portal/history?page=2").get_data(True)
    assert second.count("Purchase at Store 1: ") == 1 and "Newer" in second and "Older" not in second
    assert browser.get("/portal/history?page=nonsense").status_code == 200


def test_the_home_page_invents_no_tier_and_no_rewards_while_there_are_none(browser, member_with_login):
    member = member_with_login(points=50)
    browser.sign_in(member.email)
    page = text_of(browser.get("/portal/")).lower()
    assert "tier" not in page and "reward" not in page


def _hold(member, till, points):
    return PlaceHold(member_id=member.public_id, points=points, store_code=till.store_code, terminal_code=till.code)


def test_a_sale_in_the_evening_west_of_utc_is_dated_by_the_programmes_own_day(browser, member_with_login, earn, clock,
                                                                              database):
    update_settings(database, {"timezone": "America/New_York"}, now=clock())
    member = member_with_login()
    earn(member, 2500, occurred_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # 1 March, 20:00 in New York
    browser.sign_in(member.email)
    history = text_of(browser.get("/portal/history"))
    assert "1 Mar 2026" in history and "2 Mar 2026" not in history
