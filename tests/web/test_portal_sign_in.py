import re

from tests.web.conftest import PASSWORD, text_of


def test_a_member_signs_in_with_email_and_password_and_lands_on_their_points(browser, member_with_login):
    member = member_with_login("Grace Hopper", points=120)
    response = browser.sign_in(member.email)
    assert response.status_code == 302 and response.headers["Location"] == "/portal/"
    page = text_of(browser.get("/portal/"))
    assert "Hello, Grace Hopper" in page and "Points you can spend now 120" in page


def test_a_wrong_password_shows_a_readable_error_and_signs_nobody_in(browser, member_with_login):
    member = member_with_login()
    response = browser.sign_in(member.email, "wrong password!")
    assert response.status_code == 401
    assert '<p class="error" id="sign-in-error" role="alert">Wrong e-mail or password.</p>' in response.get_data(True)
    assert f'value="{member.email}"' in response.get_data(True)  # the e-mail stays typed
    assert browser.get("/portal/").status_code == 302


def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(browser, member_with_login):
    response = browser.sign_in("nobody@example.org")
    assert response.status_code == 401 and "Wrong e-mail or password." in text_of(response)


def test_five_wrong_passwords_lock_the_portal_sign_in_like_the_api(browser, member_with_login, clock):
    member = member_with_login()
    for _ in range(5):
        browser.sign_in(member.email, "wrong password!")
    locked = browser.sign_in(member.email)  # even the right password, for now
    assert locked.status_code == 401 and "Too many wrong attempts" in text_of(locked)
    clock.advance(minutes=16)
    assert browser.sign_in(member.email).status_code == 302


def test_signing_out_ends_the_session_token_so_a_copied_cookie_no_longer_works(app, browser, member_with_login):
    member = member_with_login()
    browser.sign_in(member.email)
    with browser.client.session_transaction("/portal/") as session:
        token = session["member_token"]
    stolen = app.test_client()
    with stolen.session_transaction("/portal/") as session:
        session["member_token"] = token
    assert stolen.get("/portal/").status_code == 200
    response = browser.submit("/portal/", {}, to="/portal/sign-out")
    assert response.status_code == 302 and response.headers["Location"] == "/portal/sign-in"
    assert "You are signed out." in text_of(browser.get("/portal/sign-in"))
    assert stolen.get("/portal/").status_code == 302
    assert browser.get("/portal/").status_code == 302


def test_after_sign_in_the_member_returns_to_the_page_they_asked_for_but_never_to_another_site(
        browser, member_with_login):
    member = member_with_login()
    response = browser.get("/portal/history")
    assert response.headers["Location"] == "/portal/sign-in?next=/portal/history"
    asked = browser.submit("/portal/sign-in?next=/portal/history", {"email": member.email, "password": PASSWORD})
    assert asked.headers["Location"] == "/portal/history"
    for elsewhere in ("https://evil.example/", "//evil.example/portal/", "/v1/member/export", "/portal\\@evil"):
        other = browser.client.application.test_client()
        response = other.post(f"/portal/sign-in?next={elsewhere}",
                              data={"csrf_token": _token(other), "email": member.email, "password": PASSWORD})
        assert response.headers["Location"] == "/portal/", elsewhere


def test_signing_in_starts_a_new_session_with_a_new_csrf_token(browser, member_with_login):
    member = member_with_login()
    before = browser.csrf("/portal/sign-in")
    browser.client.post("/portal/sign-in", data={"csrf_token": before, "email": member.email, "password": PASSWORD})
    assert browser.csrf("/portal/account") != before


def _token(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/portal/sign-in").get_data(True)).group(1)
