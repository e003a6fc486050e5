"""On the portal, where the programme asks for a code on a new device, a browser new to the
member asks for the code sent to their address once; it remembers the device after."""
import pytest

from engine.messages import pending_messages
from engine.settings import update_settings
from tests.web.conftest import PASSWORD, text_of

SENT = "This browser is new to your account: we have sent a code to your e-mail address."


@pytest.fixture
def member(member_with_login, database, clock):
    update_settings(database, {"member_new_device_code": True}, now=clock())
    return member_with_login()


def the_code(database) -> str:
    [message] = [m for m in pending_messages(database) if m.kind == "sign_in_code"]
    return message.payload["code"]


def test_a_new_browser_asks_for_the_code_once_and_then_remembers_the_device(browser, member, database):
    asked = browser.sign_in(member.email)
    assert asked.status_code == 401 and SENT in text_of(asked)
    assert 'name="code"' in asked.get_data(as_text=True)
    signed_in = browser.submit("/portal/sign-in", {"email": member.email, "password": PASSWORD,
                                                   "code": the_code(database)})
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/portal/")
    browser.submit("/portal/", {}, to="/portal/sign-out")
    again = browser.sign_in(member.email)
    assert again.status_code == 302  # the cookie names a device the member used: no code


def test_a_wrong_code_is_refused_and_the_form_asks_for_it_again(browser, member, database):
    browser.sign_in(member.email)
    wrong = browser.submit("/portal/sign-in", {"email": member.email, "password": PASSWORD,
                                               "code": "not-it"})
    assert wrong.status_code == 401 and "Wrong e-mail, password or code." in text_of(wrong)
    assert 'name="code"' in wrong.get_data(as_text=True)
    assert browser.get("/portal/").status_code == 302  # not signed in


def test_another_browser_of_the_same_member_is_new(make_browser, member, database):
    first = make_browser()
    first.sign_in(member.email)
    first.submit("/portal/sign-in", {"email": member.email, "password": PASSWORD,
                                     "code": the_code(database)})
    assert make_browser().sign_in(member.email).status_code == 401
