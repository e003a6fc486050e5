"""The web pages under rate limits: too many sign-ins from one address get the sign-in form
again with the wait (429, Retry-After), and a signed-in person over their rate a page that
says to wait."""
import pytest

from api.rate_limits import parse_rates
from tests.web.conftest import text_of


@pytest.fixture
def app(make_app):
    return make_app(RATE_LIMITS=parse_rates("member=3/min,staff=3/min,sign_in=3/min"))


def test_too_many_portal_sign_ins_show_the_form_with_the_wait(browser, member_with_login, clock):
    member = member_with_login()
    for _ in range(3):
        assert browser.sign_in(member.email, "not the password").status_code == 401
    limited = browser.sign_in(member.email)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "20")
    assert "Too many sign-in attempts from this address; try again in 20 s." in text_of(limited)
    assert 'name="email"' in limited.get_data(as_text=True) and member.email in limited.get_data(as_text=True)
    clock.advance(seconds=20)
    assert browser.sign_in(member.email).status_code == 302


def test_too_many_console_sign_ins_show_the_form_with_the_wait(browser, staff_with_login):
    name = staff_with_login("marketer", username="mia")
    for _ in range(3):
        browser.sign_in_staff(name, "not the password")
    limited = browser.sign_in_staff(name)
    assert limited.status_code == 429 and "try again in 20 s" in text_of(limited)
    assert 'value="mia"' in limited.get_data(as_text=True)


def test_a_member_over_the_rate_gets_a_page_that_says_to_wait(browser, member_with_login):
    browser.sign_in(member_with_login().email)
    pages = [browser.get("/portal/") for _ in range(4)]
    assert [p.status_code for p in pages] == [200, 200, 200, 429]
    assert "Too many requests" in text_of(pages[-1]) and pages[-1].headers["Retry-After"] == "20"


def test_staff_over_the_rate_get_a_console_page_that_says_to_wait(console_as):
    marketer = console_as("marketer")
    pages = [marketer.get("/console/campaigns") for _ in range(4)]
    assert [p.status_code for p in pages] == [200, 200, 200, 429]
    assert "Too many requests" in text_of(pages[-1]) and pages[-1].mimetype == "text/html"
