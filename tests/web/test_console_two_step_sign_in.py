"""Two-step sign-in in the console: a staff member sets up an authenticator app from their
own page (a QR code and the secret, then a code to confirm), sees the recovery codes once,
and from then on signs in with a code as well."""
import re

import pyotp

from engine.access import authenticators
from engine.settings import update_settings
from tests.web.conftest import PASSWORD, text_of


def test_a_staff_member_sets_up_an_authenticator_and_then_signs_in_with_a_code(console_as, make_browser, clock):
    sam = console_as("support", username="sam")
    assert "You sign in with your password alone" in text_of(sam.get("/console/authenticator"))
    started = sam.submit("/console/authenticator", {}, to="/console/authenticator/start", follow_redirects=True)
    page = started.get_data(as_text=True)
    assert "<svg" in page and "QR code of the authenticator" in page
    app = pyotp.TOTP(re.search(r'<code id="secret">(\w+)</code>', page).group(1))
    wrong = sam.submit("/console/authenticator", {"code": "000000"}, to="/console/authenticator/confirm")
    assert wrong.status_code == 422 and "Is not the code the authenticator shows now." in text_of(wrong)
    confirmed = sam.submit("/console/authenticator", {"code": app.at(clock())}, to="/console/authenticator/confirm")
    assert confirmed.status_code == 200 and "Two-step sign-in is on" in text_of(confirmed)
    assert len(re.findall(r"<li><code>", confirmed.get_data(as_text=True))) == 10
    assert "10 of your recovery codes are left" in text_of(sam.get("/console/authenticator"))

    clock.advance(seconds=30)
    browser = make_browser()
    without = browser.sign_in_staff("sam")
    assert without.status_code == 401 and "a code from its authenticator app as well" in text_of(without)
    with_code = browser.submit("/console/sign-in", {"username": "sam", "password": PASSWORD, "code": app.at(clock())})
    assert with_code.status_code == 302
    assert browser.get("/console/members").status_code == 200


def test_a_staff_member_makes_new_recovery_codes_with_a_code_from_the_app(console_as, clock):
    sam = console_as("support", username="sam")
    page = sam.submit("/console/authenticator", {}, to="/console/authenticator/start",
                      follow_redirects=True).get_data(as_text=True)
    app = pyotp.TOTP(re.search(r'<code id="secret">(\w+)</code>', page).group(1))
    first = sam.submit("/console/authenticator", {"code": app.at(clock())}, to="/console/authenticator/confirm")
    clock.advance(seconds=30)
    wrong = sam.submit("/console/authenticator", {"code": "not-it"}, to="/console/authenticator/recovery-codes")
    assert wrong.status_code == 422 and "Wrong code." in text_of(wrong)
    renewed = sam.submit("/console/authenticator", {"code": app.at(clock())}, to="/console/authenticator/recovery-codes")
    assert renewed.status_code == 200 and "Your earlier recovery codes no longer work." in text_of(renewed)
    codes = re.findall(r"<li><code>([\w-]+)</code>", renewed.get_data(as_text=True))
    assert len(codes) == 10 and not set(codes) & set(re.findall(r"<li><code>([\w-]+)</code>",
                                                                  first.get_data(as_text=True)))


def test_where_the_programme_asks_for_two_steps_the_console_sends_staff_without_them_to_set_one_up(
        console_as, database, clock):
    update_settings(database, {"staff_two_step_required": True}, now=clock())
    sam = console_as("support", username="sam")
    sent = sam.get("/console/members", follow_redirects=True)
    assert sent.request.path == "/console/authenticator"
    assert "asks every staff member to sign in in two steps" in text_of(sent)
    assert 'name="setup_code"' in sent.get_data(as_text=True)


def test_where_two_steps_are_required_the_set_up_takes_the_admins_code(console_as, database, clock):
    update_settings(database, {"staff_two_step_required": True}, now=clock())
    sam = console_as("support", username="sam")
    wrong = sam.submit("/console/authenticator", {"setup_code": "abcde-fghjk"}, to="/console/authenticator/start")
    assert wrong.status_code == 403 and "Is not a set-up code an admin made for you" in text_of(wrong)
    code = authenticators.allow_set_up(database, "sam", now=clock()).code
    started = sam.submit("/console/authenticator", {"setup_code": code}, to="/console/authenticator/start",
                         follow_redirects=True)
    assert "QR code of the authenticator" in started.get_data(as_text=True)
