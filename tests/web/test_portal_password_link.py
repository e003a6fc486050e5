"""The portal's way in for a member without a password: from the sign-in page to a link by
e-mail, from the link to a password, then signed in; a spent or mistyped link says so and
offers a new one."""
from engine.messages import pending_messages
from tests.support.password_links import sent_path
from tests.web.conftest import text_of

NEW = "a brand new passphrase"


def test_a_member_without_a_password_gets_a_link_sets_one_and_signs_in(browser, make_browser, database, make_member):
    make_member(email="ada@example.org")
    assert "First time here, or forgot your password?" in text_of(browser.get("/portal/sign-in"))
    asked = browser.submit("/portal/password-link", {"email": "ada@example.org"})
    assert asked.status_code == 200 and "we have sent a link to it" in text_of(asked)
    path = sent_path(database)
    assert browser.get(path).status_code == 200
    done = browser.submit(path, {"link": path.split("?link=")[1], "new_password": NEW, "new_password_again": NEW},
                          to="/portal/set-password")
    assert done.status_code == 302 and done.headers["Location"] == "/portal/sign-in"
    assert "Your password is set" in text_of(browser.get("/portal/sign-in"))
    assert make_browser().sign_in("ada@example.org", NEW).status_code == 302


def test_an_unknown_address_gets_the_same_page_and_no_message(browser, database):
    asked = browser.submit("/portal/password-link", {"email": "nobody@example.org"})
    assert asked.status_code == 200 and "we have sent a link to it" in text_of(asked)
    assert [m for m in pending_messages(database) if m.kind == "password_link"] == []


def test_a_spent_link_or_two_different_passwords_are_said_on_the_page(browser, database, make_member):
    make_member(email="ada@example.org")
    browser.submit("/portal/password-link", {"email": "ada@example.org"})
    path = sent_path(database)
    link = path.split("?link=")[1]
    differ = browser.submit(path, {"link": link, "new_password": NEW, "new_password_again": NEW + "!"},
                            to="/portal/set-password")
    assert differ.status_code == 422 and "The two passwords are not the same." in text_of(differ)
    browser.submit(path, {"link": link, "new_password": NEW, "new_password_again": NEW}, to="/portal/set-password")
    spent = browser.submit(path, {"link": link, "new_password": NEW, "new_password_again": NEW},
                           to="/portal/set-password")
    assert spent.status_code == 422 and "This link is not valid (any more)" in text_of(spent)
    assert "Get a new link" in text_of(spent)


def test_a_join_form_shown_again_with_a_problem_keeps_the_consents_ticked(browser):
    refused = browser.submit("/portal/join", {"full_name": "Max", "email": "max@example", "marketing_email": "yes"})
    html = refused.get_data(True)
    assert refused.status_code == 422
    assert 'name="marketing_email" value="yes" aria-describedby="marketing_email-hint" checked>' in html
    assert 'name="marketing_sms" value="yes" aria-describedby="marketing_sms-hint">' in html


def test_a_person_joins_from_the_portal_sets_a_password_and_signs_in(browser, make_browser, database):
    assert "Not a member yet?" in text_of(browser.get("/portal/sign-in"))
    refused = browser.submit("/portal/join", {"full_name": "", "email": "ada@example.org"})
    assert refused.status_code == 422 and 'id="full_name-error"' in refused.get_data(True)
    joined = browser.submit("/portal/join", {"full_name": "Ada Lovelace", "email": "ada@example.org",
                                             "marketing_email": "yes"})
    assert joined.status_code == 200 and "A link to set your password is on its way" in text_of(joined)
    path = sent_path(database)
    browser.submit(path, {"link": path.split("?link=")[1], "new_password": NEW, "new_password_again": NEW},
                   to="/portal/set-password")
    member = make_browser()
    assert member.sign_in("ada@example.org", NEW).status_code == 302
    assert "Ada Lovelace" in text_of(member.get("/portal/"))
