"""The member portal in a real headless Chromium against a real HTTP server on 127.0.0.1.

Screenshots of the main pages land in ``.test-runtime/screenshots`` (git ignores it).
Under CI=true a missing Chromium fails these tests instead of skipping them.
"""
from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

from api.web.pages import day, last_day
from engine.cards import get_card, list_cards
from engine.ledger.balances import get_balance
from engine.members import get_member
from engine.payment_codes import payment_codes_of
from engine.rewards import create_reward, list_vouchers
from engine.stores import create_store
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import define_tiers
from tests.support.password_links import sent_path
from tests.web.conftest import PASSWORD, leaving_the_page, shoot

pytestmark = pytest.mark.slow


@pytest.fixture
def database(sqlite_db):
    """A real server and a real browser: once, on the embedded database."""
    return sqlite_db


@pytest.fixture
def ada(clock, member_with_login, earn, make_card):
    """A member with 500 points to spend, 80 older points that expire soon, 25 pending and a card."""
    ada = member_with_login("Ada Lovelace", points=500)
    earn(ada, 8000, occurred_at=clock() - timedelta(days=700))
    earn(ada, 2500)
    make_card(ada)
    return ada


def sign_in(driver, server, email: str, password: str = PASSWORD) -> None:
    driver.get(server.url("/portal/"))
    WebDriverWait(driver, 10).until(seen.url_contains("/portal/sign-in"))
    driver.find_element(By.ID, "email").send_keys(email)
    with leaving_the_page(driver):
        driver.find_element(By.ID, "password").send_keys(password, Keys.RETURN)  # the keyboard, not the mouse


def text(driver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def test_a_member_signs_in_and_reads_available_pending_and_expiring_points(driver, server, database, clock, ada):
    sign_in(driver, server, ada.email)
    WebDriverWait(driver, 10).until(seen.presence_of_element_located((By.ID, "available")))
    balance = get_balance(database, ada.public_id, as_of=clock())
    assert (balance.available, balance.pending, [e.points for e in balance.expiring]) == (580, 25, [80])
    assert text(driver, "available") == "580"
    assert text(driver, "pending-total") == "25"
    assert f"25 points from {day(clock() + timedelta(days=14))}" in text(driver, "pending")
    assert f"80 points expire after {last_day(balance.expiring[0].expires_at)}" in text(driver, "expiring")
    assert "Purchase at Store 1: +25" in driver.find_element(By.TAG_NAME, "main").text
    shoot(driver, "portal-home-desktop")

    driver.set_window_size(390, 844)  # a phone
    driver.refresh()
    main = driver.find_element(By.TAG_NAME, "main")
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 390, "sideways scrolling"
    assert main.find_element(By.ID, "available").is_displayed()
    shoot(driver, "portal-home-phone")

    with leaving_the_page(driver):
        driver.find_element(By.LINK_TEXT, "History").click()
    WebDriverWait(driver, 10).until(seen.title_contains("History"))
    assert "From our service team: test funding: +500" in driver.find_element(By.TAG_NAME, "main").text
    shoot(driver, "portal-history-phone")


def test_a_member_blocks_a_lost_card_after_confirming(driver, server, database, ada):
    [card_number] = [card.number for card in list_cards(database, member_id=ada.public_id)]
    sign_in(driver, server, ada.email)
    with leaving_the_page(driver):
        WebDriverWait(driver, 10).until(seen.element_to_be_clickable((By.LINK_TEXT, "My card is lost"))).click()
    WebDriverWait(driver, 10).until(seen.title_contains("Block my card"))
    assert get_card(database, card_number).status == "active"  # nothing happens before the confirmation
    shoot(driver, "portal-card-lost-confirm")
    with leaving_the_page(driver):
        driver.find_element(By.XPATH, "//button[normalize-space()='Yes, block this card']").click()
    notice = WebDriverWait(driver, 10).until(seen.presence_of_element_located((By.CSS_SELECTOR, ".notice")))
    assert f"card ending {card_number[-4:]} is blocked" in notice.text
    assert get_card(database, card_number).status == "blocked"
    assert driver.find_elements(By.LINK_TEXT, "My card is lost") == []
    assert "Blocked" in text(driver, "cards")


def test_a_member_changes_their_consents(driver, server, database, ada):
    assert get_member(database, ada.public_id).consents == {"marketing_email": False, "marketing_sms": False,
                                                            "profiling": False}
    sign_in(driver, server, ada.email)
    with leaving_the_page(driver):
        WebDriverWait(driver, 10).until(seen.element_to_be_clickable((By.LINK_TEXT, "My account"))).click()
    WebDriverWait(driver, 10).until(seen.element_to_be_clickable((By.ID, "marketing_email"))).click()
    driver.find_element(By.ID, "profiling").send_keys(Keys.SPACE)  # a checkbox ticked from the keyboard
    with leaving_the_page(driver):
        driver.find_element(By.XPATH, "//button[normalize-space()='Save my choices']").click()
    notice = WebDriverWait(driver, 10).until(seen.presence_of_element_located((By.CSS_SELECTOR, ".notice")))
    assert notice.text == "Your choices are saved."
    assert driver.find_element(By.ID, "marketing_email").is_selected()
    shoot(driver, "portal-account")
    driver.set_window_size(390, 844)
    shoot(driver, "portal-account-phone")
    assert get_member(database, ada.public_id).consents == {"marketing_email": True, "marketing_sms": False,
                                                            "profiling": True}


def test_a_wrong_password_shows_an_error_on_the_sign_in_form_then_the_right_one_signs_in_and_out(
        driver, server, ada):
    sign_in(driver, server, ada.email, "not the password at all")
    error = WebDriverWait(driver, 10).until(seen.presence_of_element_located((By.ID, "sign-in-error")))
    assert error.text == "Wrong e-mail or password."
    assert driver.find_element(By.ID, "email").get_attribute("value") == ada.email
    assert driver.find_element(By.ID, "password").get_attribute("value") == ""
    assert "/portal/sign-in" in driver.current_url
    shoot(driver, "portal-sign-in-error")
    with leaving_the_page(driver):
        driver.find_element(By.ID, "password").send_keys(PASSWORD, Keys.RETURN)
    WebDriverWait(driver, 10).until(seen.presence_of_element_located((By.ID, "available")))
    with leaving_the_page(driver):
        driver.find_element(By.XPATH, "//button[normalize-space()='Sign out']").click()
    notice = WebDriverWait(driver, 10).until(seen.presence_of_element_located((By.CSS_SELECTOR, ".notice")))
    assert notice.text == "You are signed out." and "/portal/sign-in" in driver.current_url
    driver.get(server.url("/portal/history"))
    assert driver.current_url == server.url("/portal/sign-in?next=/portal/history")


def test_a_member_sees_their_tier_and_redeems_a_reward_for_a_voucher_code(driver, server, database, clock, ada):
    define_tiers(database, [TierDefinition("basic", "Basic", 0), TierDefinition("silver", "Silver", 1000)],
                 TierPolicy(), now=clock())
    create_reward(database, code="MUG", name="Coffee mug", points_price=500, valid_from=clock(), now=clock())
    sign_in(driver, server, ada.email)
    WebDriverWait(driver, 10).until(seen.presence_of_element_located((By.ID, "tier-name")))  # the home page is in
    assert text(driver, "tier-name") == "Basic"
    assert "more qualifying points by" in text(driver, "tier-next") and "to reach Silver" in text(driver, "tier-next")
    with leaving_the_page(driver):
        driver.find_element(By.XPATH, "//button[@aria-label='Redeem Coffee mug for 500 points']").click()
    notice = WebDriverWait(driver, 10).until(seen.presence_of_element_located((By.CSS_SELECTOR, ".notice")))
    [voucher] = list_vouchers(database, ada.public_id)
    assert f"Your voucher code is {voucher.voucher_code}" in notice.text
    assert voucher.voucher_code in text(driver, "vouchers")
    assert text(driver, "available") == "80"
    shoot(driver, "portal-home-after-redeem")
    driver.set_window_size(390, 844)
    driver.refresh()
    assert driver.execute_script("return document.documentElement.scrollWidth") <= 390, "sideways scrolling"
    shoot(driver, "portal-home-tier-rewards-phone")


def test_someone_new_joins_sets_a_password_from_the_link_and_sees_their_points(driver, server, database):
    driver.get(server.url("/portal/sign-in"))
    with leaving_the_page(driver):
        driver.find_element(By.LINK_TEXT, "Join").click()
    WebDriverWait(driver, 10).until(seen.url_contains("/portal/join"))
    driver.find_element(By.ID, "full_name").send_keys("Grace Hopper")
    driver.find_element(By.ID, "email").send_keys("grace@example.org")
    driver.find_element(By.ID, "marketing_email").click()
    with leaving_the_page(driver):
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 10).until(seen.text_to_be_present_in_element((By.TAG_NAME, "main"), "is on its way"))
    driver.get(server.url(sent_path(database)))  # the link in the e-mail
    driver.find_element(By.ID, "new_password").send_keys("a brand new passphrase")
    with leaving_the_page(driver):
        driver.find_element(By.ID, "new_password_again").send_keys("a brand new passphrase", Keys.RETURN)
    WebDriverWait(driver, 10).until(seen.url_contains("/portal/sign-in"))
    sign_in(driver, server, "grace@example.org", "a brand new passphrase")
    WebDriverWait(driver, 10).until(seen.presence_of_element_located((By.ID, "available")))
    assert text(driver, "available") == "0"
    shoot(driver, "portal-joined")


def test_a_member_gets_a_payment_code_for_a_web_shop_from_the_home_page(driver, server, database, clock, ada):
    create_store(database, code="WEB", name="Web shop", timezone="Europe/Berlin", channel="online", now=clock())
    sign_in(driver, server, ada.email)
    with leaving_the_page(driver):
        WebDriverWait(driver, 10).until(seen.presence_of_element_located((By.ID, "pay-online"))).click()
    points = WebDriverWait(driver, 10).until(seen.presence_of_element_located((By.ID, "points")))
    with leaving_the_page(driver):
        points.send_keys("120", Keys.RETURN)
    code = WebDriverWait(driver, 10).until(seen.presence_of_element_located((By.ID, "payment-code"))).text
    shoot(driver, "portal-pay-online")
    assert len(code) == 14 and "up to 120 points of one order" in text(driver, "payment-code-terms")
    assert [c.points for c in payment_codes_of(database, ada.public_id)] == [120]
