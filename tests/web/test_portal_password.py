from tests.web.conftest import PASSWORD, text_of

NEW = "a brand new passphrase"


def change(browser, current=PASSWORD, new=NEW, again=NEW):
    return browser.submit("/portal/password", {"current_password": current, "new_password": new,
                                               "new_password_again": again})


def test_a_member_changes_their_password_and_signs_in_with_the_new_one(browser, make_browser, member_with_login):
    member = member_with_login()
    browser.sign_in(member.email)
    response = change(browser)
    assert response.status_code == 302 and response.headers["Location"] == "/portal/account"
    assert "Your password is changed." in text_of(browser.get("/portal/account"))
    assert make_browser().sign_in(member.email, PASSWORD).status_code == 401
    assert make_browser().sign_in(member.email, NEW).status_code == 302


def test_a_wrong_current_password_is_said_next_to_that_field(browser, make_browser, member_with_login):
    member = member_with_login()
    browser.sign_in(member.email)
    response = change(browser, current="not my password")
    html = response.get_data(True)
    assert response.status_code == 422
    assert '<p class="error" id="current_password-error">This is not your current password.</p>' in html
    assert 'id="current_password" name="current_password" type="password" autocomplete="current-password" ' \
           'required\n         aria-invalid="true" aria-describedby="current_password-error"' in html
    assert make_browser().sign_in(member.email, PASSWORD).status_code == 302


def test_while_the_account_is_locked_out_the_page_says_so_even_for_the_right_password(browser, member_with_login):
    member = member_with_login()
    browser.sign_in(member.email)
    for _ in range(5):
        change(browser, current="not my password")
    response = change(browser)  # the right current password
    assert response.status_code == 422
    assert "Too many wrong attempts" in text_of(response) and "not your current password" not in text_of(response)


def test_two_different_new_passwords_are_refused_next_to_the_second(browser, member_with_login):
    member = member_with_login()
    browser.sign_in(member.email)
    response = change(browser, again=NEW + "!")
    assert response.status_code == 422
    assert '<p class="error" id="new_password_again-error">The two new passwords are not the same.</p>' in \
        response.get_data(True)


def test_a_too_short_new_password_gets_the_engines_rule_next_to_the_field(browser, make_browser, member_with_login):
    member = member_with_login()
    browser.sign_in(member.email)
    response = change(browser, new="short", again="short")
    assert response.status_code == 422
    assert '<p class="error" id="new_password-error">Must be 10 to 200 characters.</p>' in response.get_data(True)
    assert make_browser().sign_in(member.email, PASSWORD).status_code == 302


def test_every_password_field_has_a_label(browser, member_with_login):
    member = member_with_login()
    browser.sign_in(member.email)
    html = browser.get("/portal/password").get_data(True)
    for name in ("current_password", "new_password", "new_password_again"):
        assert f'<label for="{name}">' in html and f'id="{name}"' in html
