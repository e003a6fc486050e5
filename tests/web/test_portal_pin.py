from datetime import timedelta

from engine.access.member_logins import check_member_pin
from engine.members import member_row
from tests.web.conftest import PASSWORD, PASSWORDS, text_of


def pin_is(database, member, pin: str, clock) -> bool:
    with database.transaction() as session:
        pk = member_row(session, member.public_id).id
        return check_member_pin(session, pk, pin, passwords=PASSWORDS, now=clock() + timedelta(hours=1)) is None


def test_a_member_sets_the_pin_they_type_at_the_till(browser, member_with_login, database, clock):
    member = member_with_login()
    browser.sign_in(member.email)
    response = browser.submit("/portal/pin", {"pin": "2468", "pin_again": "2468", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/portal/account"
    assert "Your PIN is set." in text_of(browser.get("/portal/account"))
    assert pin_is(database, member, "2468", clock)


def test_a_pin_that_is_not_four_or_six_digits_is_refused_next_to_the_field(browser, member_with_login):
    member = member_with_login()
    browser.sign_in(member.email)
    response = browser.submit("/portal/pin", {"pin": "12a", "pin_again": "12a", "password": PASSWORD})
    assert response.status_code == 422
    assert '<p class="error" id="pin-error">Must be 4 or 6 digits.</p>' in response.get_data(True)


def test_two_different_pins_are_refused_next_to_the_second(browser, member_with_login, database, clock):
    member = member_with_login()
    browser.sign_in(member.email)
    response = browser.submit("/portal/pin", {"pin": "2468", "pin_again": "2469", "password": PASSWORD})
    assert response.status_code == 422
    assert '<p class="error" id="pin_again-error">The two PINs are not the same.</p>' in response.get_data(True)
    assert not pin_is(database, member, "2468", clock)


def test_a_wrong_password_is_refused_next_to_its_field_and_sets_no_pin(browser, member_with_login, database, clock):
    member = member_with_login()
    browser.sign_in(member.email)
    response = browser.submit("/portal/pin", {"pin": "2468", "pin_again": "2468", "password": "a guess"})
    assert response.status_code == 422 and 'id="password-error"' in response.get_data(True)
    assert not pin_is(database, member, "2468", clock)
