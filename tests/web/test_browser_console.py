"""The marketer console in a real headless Chromium against a real HTTP server on 127.0.0.1.

A marketer builds a rule in the form, sees a problem next to its field, simulates a basket,
publishes, and the next sale earns by the rule; the dashboard draws its charts (with the
vendored Chart.js) from ledger data; an admin adds a webhook endpoint and sees its secret once.
Screenshots land in ``.test-runtime/screenshots``.
"""
from dataclasses import replace

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import Select, WebDriverWait

from engine.ledger.earning import earn_points
from engine.rules import campaigns
from tests.conftest import new_key
from tests.support.webhook_receiver import LOCAL
from tests.web.conftest import PASSWORD, leaving_the_page, shoot

pytestmark = pytest.mark.slow


@pytest.fixture
def database(sqlite_db):
    """A real server and a real browser: once, on the embedded database."""
    return sqlite_db


@pytest.fixture
def mia(staff_with_login):
    return staff_with_login("marketer", username="mia")


def sign_in(driver, server, username: str, path: str = "/console/") -> None:
    driver.get(server.url(path))
    WebDriverWait(driver, 10).until(seen.url_contains("/console/sign-in"))
    driver.find_element(By.ID, "username").send_keys(username)
    with leaving_the_page(driver):
        driver.find_element(By.ID, "password").send_keys(PASSWORD, Keys.RETURN)


def wait_for(driver, by, what):
    return WebDriverWait(driver, 10).until(seen.presence_of_element_located((by, what)))


def fill(driver, field_id: str, text: str) -> None:
    element = driver.find_element(By.ID, field_id)
    element.clear()
    element.send_keys(text)


def test_a_marketer_builds_simulates_and_publishes_a_rule_that_the_next_sale_earns(
        driver, server, database, clock, mia, till, make_member, make_basket):
    sign_in(driver, server, mia, "/console/rules/new")
    wait_for(driver, By.ID, "rule-form")
    fill(driver, "key", "weekend-coffee")
    fill(driver, "name", "Weekend coffee")
    Select(driver.find_element(By.ID, "effect_kind")).select_by_visible_text("Fixed bonus per sale")
    fill(driver, "effect_points", "0")  # a mistake the engine names
    fill(driver, "cond_category", "coffee")
    fill(driver, "cond_line_amount_min", "4.00")
    with leaving_the_page(driver):
        driver.find_element(By.XPATH, "//button[normalize-space()='Save draft']").click()

    error = wait_for(driver, By.ID, "effect_points-error")
    assert error.text.startswith("Must be a whole number of points from 1")
    assert driver.find_element(By.ID, "effect_points").get_attribute("aria-invalid") == "true"
    assert driver.find_element(By.ID, "cond_category").get_attribute("value") == "coffee"
    assert driver.find_element(By.ID, "cond_line_amount_min").get_attribute("value") == "4.00"
    shoot(driver, "console-rule-form-error")

    fill(driver, "effect_points", "40")
    with leaving_the_page(driver):
        driver.find_element(By.ID, "effect_points").send_keys(Keys.RETURN)  # submitted from the keyboard
    WebDriverWait(driver, 10).until(seen.url_contains("/console/rules/weekend-coffee"))
    assert "40 bonus points per sale" in wait_for(driver, By.ID, "rule-gives").text
    assert "Line amount at least 4.00 EUR" in driver.find_element(By.TAG_NAME, "body").text
    shoot(driver, "console-rule-draft")

    with leaving_the_page(driver):
        driver.find_element(By.LINK_TEXT, "Simulate the draft").click()
    wait_for(driver, By.ID, "simulate-form")
    fill(driver, "line0_sku", "LATTE")
    fill(driver, "line0_category", "coffee")
    fill(driver, "line0_amount", "4.50")
    with leaving_the_page(driver):
        driver.find_element(By.XPATH, "//button[normalize-space()='Simulate']").click()
    drafts = wait_for(driver, By.ID, "result-drafts")
    assert "44" in drafts.find_element(By.CLASS_NAME, "points-total").text
    assert "weekend-coffee" in drafts.text
    assert "4" == driver.find_element(By.CSS_SELECTOR, "#result-published .points-total").text
    shoot(driver, "console-simulation")

    driver.get(server.url("/console/rules/weekend-coffee"))
    with leaving_the_page(driver):
        wait_for(driver, By.ID, "publish").click()
    notice = wait_for(driver, By.CSS_SELECTOR, ".notice")
    assert "is published" in notice.text

    clock.advance(seconds=1)
    basket = make_basket(make_member(), 450)
    coffee = replace(basket, lines=(replace(basket.lines[0], category="coffee"),))
    earned = earn_points(database, coffee, caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert earned.points == 44


def test_the_dashboard_draws_its_charts_from_ledger_data(driver, server, database, clock, mia, make_member, earn):
    campaigns.create_campaign(database, code="summer", name="Summer", starts_at=clock(),
                              ends_at=clock().replace(year=clock().year + 1), budget=10_000, now=clock())
    for n in range(3):
        earn(make_member(points=100 * (n + 1)), 2000)
    sign_in(driver, server, mia)
    WebDriverWait(driver, 10).until(seen.url_contains("/console/dashboard"))
    wait_for(driver, By.ID, "chart-flows")
    drawn = driver.execute_script(
        "return Object.keys(window.loyaltyCharts || {}).sort().map(function (id) {"
        "  var c = window.loyaltyCharts[id];"
        "  return [id, c.data.datasets.reduce(function (n, d) { return n + d.data.reduce(function (a, b) {"
        "    return a + b; }, 0); }, 0)]; });")
    totals = dict(drawn)
    assert set(totals) == {"chart-campaigns", "chart-flows", "chart-rules", "chart-tiers"}
    assert totals["chart-flows"] == 600 + 60  # adjustments and purchases issued today
    assert totals["chart-rules"] == 60 and totals["chart-tiers"] == 3
    assert driver.find_element(By.ID, "liability-total").text == "660"
    width = driver.execute_script("return document.getElementById('chart-flows').width")
    assert width > 100, "the chart has no size"
    shoot(driver, "console-dashboard")


def test_an_admin_adds_a_webhook_endpoint_and_sees_its_secret_once(driver, server, staff_with_login):
    server.app.config["WEBHOOK_PRIVATE_HOSTS"] = LOCAL  # the endpoint below is on 127.0.0.1
    sign_in(driver, server, staff_with_login("admin", username="ada"), "/console/webhooks")
    wait_for(driver, By.ID, "webhook-form")
    fill(driver, "url", "http://127.0.0.1:9/hooks/loyalty")
    driver.find_element(By.CSS_SELECTOR, "input[name=kinds][value='points.earned']").click()
    with leaving_the_page(driver):
        driver.find_element(By.XPATH, "//button[normalize-space()='Add the endpoint']").click()

    secret = wait_for(driver, By.ID, "secret").text
    assert secret.startswith("whsec_") and "it is not shown again" in driver.find_element(By.TAG_NAME, "body").text
    shoot(driver, "console-webhook-secret")
    with leaving_the_page(driver):
        driver.find_element(By.LINK_TEXT, "Back to webhooks").click()
    wait_for(driver, By.ID, "webhook-form")
    assert "http://127.0.0.1:9/hooks/loyalty" in driver.find_element(By.TAG_NAME, "body").text
    assert secret not in driver.page_source
    shoot(driver, "console-webhooks")
