"""Fixtures for the web pages: an app on the test's database, a member who can sign in, and a
browser-like test client that keeps the session cookie and reads the CSRF token from forms."""
from __future__ import annotations

import html
import re
from contextlib import contextmanager

import pytest

from api import create_app
from engine.access.member_logins import set_member_password
from engine.access.passwords import Passwords
from engine.access.staff import create_staff_account
from tests.conftest import require_real_part
from tests.support.browser import BrowserUnavailable, LiveServer, chromium, screenshot_folder

PASSWORDS = Passwords.cheap()
PASSWORD = "correct horse battery"
SECRET_KEY = "test-secret-key-for-signing-session-cookies"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
# the console's tier form filled in for two tiers, basic and gold
LADDER = {"tier0_code": "basic", "tier0_name": "Basic", "tier0_threshold": "0",
          "tier1_code": "gold", "tier1_name": "Gold", "tier1_threshold": "1000", "tier1_earn_multiplier": "1.5",
          "window": "rolling_months", "window_months": "12", "review": "anniversary", "grace_months": "1"}


@pytest.fixture
def make_app(database, clock):
    def make(**config):
        return create_app({"DATABASE": database, "CLOCK": clock, "TESTING": True, "PASSWORDS": PASSWORDS,
                           "SECRET_KEY": SECRET_KEY, "QUIET_ANSWER_SECONDS": 0, **config})
    return make


@pytest.fixture
def app(make_app):
    return make_app()


class Browser:
    """Flask's test client used like a person would: open a page, fill its form, post it."""

    def __init__(self, client):
        self.client = client

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def csrf(self, path: str) -> str:
        page = self.client.get(path)
        found = CSRF_INPUT.search(page.get_data(as_text=True))
        assert found, f"no CSRF token on {path} ({page.status_code})"
        return found.group(1)

    def submit(self, form_page: str, data: dict, *, to: str | None = None, **kwargs):
        """Open ``form_page``, then post ``data`` with its CSRF token to ``to`` (default: the same page)."""
        return self.client.post(to or form_page, data={"csrf_token": self.csrf(form_page), **data}, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD, **kwargs):
        return self.submit("/portal/sign-in", {"email": email, "password": password}, **kwargs)

    def sign_in_staff(self, username: str, password: str = PASSWORD, **kwargs):
        return self.submit("/console/sign-in", {"username": username, "password": password}, **kwargs)


@pytest.fixture
def browser(app) -> Browser:
    return Browser(app.test_client())


@pytest.fixture
def make_browser(app):
    return lambda: Browser(app.test_client())


@pytest.fixture
def member_with_login(database, make_member, clock):
    """``member_with_login(points=500)``: a member whose password is ``PASSWORD``."""
    def make(*args, **kwargs):
        member = make_member(*args, **kwargs)
        set_member_password(database, member.public_id, PASSWORD, passwords=PASSWORDS, now=clock())
        return member
    return make


@pytest.fixture
def staff_with_login(database, clock):
    """``staff_with_login("marketer", username="mia")``: a staff account whose password is ``PASSWORD``."""
    def make(*roles: str, username: str) -> str:
        create_staff_account(database, username=username, full_name=username.title(), password=PASSWORD,
                             roles=list(roles), passwords=PASSWORDS, now=clock())
        return username
    return make


@pytest.fixture
def console_as(make_browser, staff_with_login):
    """``console_as("marketer")``: a browser signed in to the console as a new staff member."""
    count = iter(range(1, 1000))

    def open_as(*roles: str, username: str | None = None) -> Browser:
        name = staff_with_login(*roles, username=username or f"{roles[0]}{next(count)}")
        browser = make_browser()
        assert browser.sign_in_staff(name).status_code == 302
        return browser
    return open_as


@pytest.fixture
def server(database, clock):
    """The app served over real HTTP on 127.0.0.1, for a real browser; stopped after the test."""
    # TESTING off: the session cookie is Secure, as in production; Chromium treats
    # http://127.0.0.1 as a secure origin, so this is what a person's browser does too.
    app = create_app({"DATABASE": database, "CLOCK": clock, "PASSWORDS": PASSWORDS, "SECRET_KEY": SECRET_KEY})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    with LiveServer(app) as live:
        yield live


@pytest.fixture
def driver():
    """A headless Chromium session (Debian's), quit after the test."""
    try:
        session = chromium()
    except BrowserUnavailable as error:
        require_real_part("Chromium", str(error))
    # every page the test opens reports what the Content-Security-Policy refused (an inline
    # script or style a page should not have): kept in the site's localStorage across pages
    session.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CSP_WATCH})
    try:
        yield session
        refused = session.execute_script("return JSON.parse(localStorage.getItem('csp') || '[]')") \
            if session.current_url.startswith("http") else []
        assert refused == [], f"the Content-Security-Policy refused: {refused}"
    finally:
        session.quit()


CSP_WATCH = """document.addEventListener('securitypolicyviolation', function (e) {
  var seen = JSON.parse(localStorage.getItem('csp') || '[]');
  seen.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' on ' + location.pathname);
  localStorage.setItem('csp', JSON.stringify(seen));
});"""


@contextmanager
def leaving_the_page(driver, timeout: float = 10):
    """``with leaving_the_page(driver): button.click()`` returns once the browser has left the page.

    Wait for this after a click or key that submits a form or follows a link: an element on
    both pages (the key's row, ``main``) would otherwise be read from the old page, or the read
    fails when Chromium replaces the page between finding the element and reading it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    yield
    WebDriverWait(driver, timeout).until(lambda _: _is_gone(page), "the browser stayed on the page")


def _is_gone(element) -> bool:
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        # how Chromium says "stale" while it swaps the document (seen in CI); any other error
        # mid-swap ("cannot determine loading status") is asked again until the wait ends
        return "does not belong to the document" in (error.msg or "")
    return False


def shoot(driver, name: str) -> None:
    """Save a screenshot of the page as ``<screenshots>/<name>.png``."""
    path = screenshot_folder() / f"{name}.png"
    assert driver.save_screenshot(str(path)), f"no screenshot {path}"


def text_of(response) -> str:
    """The page's visible text, roughly: tags removed, entities decoded, whitespace collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()
