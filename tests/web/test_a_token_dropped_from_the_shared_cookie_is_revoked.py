"""The portal and the console share one session cookie: a sign-in to one site, or a sign-out
of either, drops every token the cookie held, and each dropped token is revoked, so a saved
copy of the cookie opens nothing any more."""


def copy_of_the_cookie(browser, make_browser):
    saved = make_browser()
    saved.client.set_cookie("session", browser.client.get_cookie("session").value)
    return saved


def test_a_member_signing_in_to_the_portal_revokes_the_console_token_the_cookie_held(
        console_as, make_browser, member_with_login):
    member = member_with_login()
    browser = console_as("admin")
    saved = copy_of_the_cookie(browser, make_browser)
    assert saved.get("/console/dashboard").status_code == 200
    assert browser.sign_in(member.email).status_code == 302
    assert browser.get("/portal/").status_code == 200
    assert saved.get("/console/dashboard").status_code == 302


def test_signing_out_of_the_portal_revokes_the_console_token_too(console_as, make_browser):
    browser = console_as("admin")
    saved = copy_of_the_cookie(browser, make_browser)
    browser.submit("/portal/sign-in", {}, to="/portal/sign-out")
    assert saved.get("/console/dashboard").status_code == 302


def test_signing_in_to_the_console_revokes_the_members_portal_token(
        make_browser, member_with_login, staff_with_login):
    browser = make_browser()
    browser.sign_in(member_with_login().email)
    saved = copy_of_the_cookie(browser, make_browser)
    assert saved.get("/portal/").status_code == 200
    assert browser.sign_in_staff(staff_with_login("support", username="sam")).status_code == 302
    assert saved.get("/portal/").status_code == 302
