"""Staff two-step sign-in: an authenticator counts once a code from it is confirmed; then the
password alone signs in no more, a code is taken once, wrong codes lock like wrong
passwords, a recovery code is used up, and an admin's removal lets the password alone in
again. Where the programme asks for two steps, an account without an authenticator may only
set one up (a mail-sending script excepted)."""
import pyotp
import pytest

from engine.access import authenticators
from engine.access.passwords import Passwords
from engine.access.principals import require_permission
from engine.access.staff import create_staff_account, list_staff_accounts, sign_in_staff
from engine.errors import Conflict, InvalidInput, InvalidState, NotAllowed, NotAuthenticated
from engine.settings import update_settings

CHEAP = Passwords.cheap()
PASSWORD = "correct horse battery"


@pytest.fixture
def ada(database, clock):
    create_staff_account(database, username="ada", full_name="Ada Lovelace", password=PASSWORD, roles=["support"],
                         passwords=CHEAP, now=clock())
    return "ada"


def sign_in(database, clock, code=None, password=PASSWORD):
    return sign_in_staff(database, username="ada", password=password, passwords=CHEAP, now=clock(), code=code)


def refusal(database, clock, **attempt) -> str:
    with pytest.raises(NotAuthenticated) as refused:
        sign_in(database, clock, **attempt)
    return refused.value.code


@pytest.fixture
def enrolled(database, clock, ada):
    """Ada's authenticator, confirmed: (the app's TOTP, the recovery codes)."""
    enrolment = authenticators.start_enrolment(database, ada, now=clock())
    app = pyotp.TOTP(enrolment.secret)
    codes = authenticators.confirm_enrolment(database, ada, app.at(clock()), now=clock())
    clock.advance(seconds=30)  # the confirming code's step is taken
    return app, codes


def test_setting_up_gives_the_app_a_secret_named_after_the_programme_and_the_account(database, clock, ada):
    enrolment = authenticators.start_enrolment(database, ada, now=clock())
    assert enrolment.uri.startswith("otpauth://totp/") and f"secret={enrolment.secret}" in enrolment.uri
    assert "ada" in enrolment.uri


def test_a_secret_counts_only_once_a_code_from_it_is_confirmed(database, clock, ada):
    enrolment = authenticators.start_enrolment(database, ada, now=clock())
    assert sign_in(database, clock).principal.name == "ada"  # waiting: the password alone still signs in
    with pytest.raises(InvalidInput) as wrong:
        authenticators.confirm_enrolment(database, ada, "000000", now=clock())
    assert [p.field for p in wrong.value.problems] == ["code"]
    codes = authenticators.confirm_enrolment(database, ada, pyotp.TOTP(enrolment.secret).at(clock()), now=clock())
    assert len(codes) == len(set(codes)) == 10
    assert [a.two_step for a in list_staff_accounts(database)] == [True]


def test_confirming_without_a_secret_waiting_is_refused(database, clock, ada):
    with pytest.raises(InvalidState) as refused:
        authenticators.confirm_enrolment(database, ada, "123456", now=clock())
    assert refused.value.code == "authenticator_not_started"


def test_with_an_authenticator_the_password_alone_does_not_sign_in_and_counts_nothing(database, clock, enrolled):
    app, _ = enrolled
    for _ in range(6):
        assert refusal(database, clock) == "code_required"
    assert sign_in(database, clock, code=app.at(clock())).principal.name == "ada"


def test_a_code_is_taken_once_and_a_phone_a_step_off_is_accepted(database, clock, enrolled):
    app, _ = enrolled
    code = app.at(clock())
    sign_in(database, clock, code=code)
    assert refusal(database, clock, code=code) == "wrong_credentials"  # seen over a shoulder: used
    sign_in(database, clock, code=app.at(clock().timestamp() + 30))  # the phone runs a step ahead
    assert refusal(database, clock, code=app.at(clock().timestamp() - 60)) == "wrong_credentials"  # too old


def test_wrong_codes_lock_the_account_like_wrong_passwords(database, clock, enrolled):
    app, _ = enrolled
    assert [refusal(database, clock, code="000000") for _ in range(5)] == ["wrong_credentials"] * 4 + ["locked_out"]
    assert refusal(database, clock, code=app.at(clock())) == "locked_out"
    clock.advance(minutes=16)
    assert sign_in(database, clock, code=app.at(clock())).principal.name == "ada"


def test_a_wrong_password_with_a_right_code_is_a_wrong_password(database, clock, enrolled):
    app, _ = enrolled
    assert refusal(database, clock, code=app.at(clock()), password="not the password") == "wrong_credentials"


def test_a_recovery_code_signs_in_once_typed_either_way(database, clock, enrolled):
    _, codes = enrolled
    sign_in(database, clock, code=codes[0])
    assert refusal(database, clock, code=codes[0]) == "wrong_credentials"
    sign_in(database, clock, code=" " + codes[1].replace("-", "").upper())


def test_another_authenticator_is_set_up_only_after_an_admin_removes_the_first(database, clock, enrolled):
    with pytest.raises(Conflict) as refused:
        authenticators.start_enrolment(database, "ada", now=clock())
    assert refused.value.code == "authenticator_set"
    authenticators.remove_authenticator(database, "ada")
    assert sign_in(database, clock).principal.name == "ada"
    assert [a.two_step for a in list_staff_accounts(database)] == [False]
    authenticators.start_enrolment(database, "ada", now=clock())


def test_where_the_programme_asks_for_two_steps_an_account_without_an_authenticator_may_only_set_one_up(
        database, clock, ada):
    update_settings(database, {"staff_two_step_required": True}, now=clock())
    principal = sign_in(database, clock).principal
    assert principal.two_step_missing
    with pytest.raises(NotAllowed) as refused:
        require_permission(principal, "members.read")
    assert refused.value.code == "two_step_required"
    with pytest.raises(NotAllowed) as without_code:  # a stolen password alone sets up nothing
        authenticators.start_enrolment(database, ada, now=clock())
    assert without_code.value.code == "setup_code_required"
    allowed = authenticators.allow_set_up(database, ada, now=clock())
    enrolment = authenticators.start_enrolment(database, ada, now=clock(), setup_code=allowed.code)
    with pytest.raises(NotAllowed):  # used up
        authenticators.start_enrolment(database, ada, now=clock(), setup_code=allowed.code)
    authenticators.confirm_enrolment(database, ada, pyotp.TOTP(enrolment.secret).at(clock()), now=clock())
    clock.advance(seconds=30)
    principal = sign_in(database, clock, code=pyotp.TOTP(enrolment.secret).at(clock())).principal
    require_permission(principal, "members.read")


def test_a_set_up_code_lives_a_day_and_the_newest_one_counts(database, clock, ada):
    update_settings(database, {"staff_two_step_required": True}, now=clock())
    first = authenticators.allow_set_up(database, ada, now=clock())
    second = authenticators.allow_set_up(database, ada, now=clock())
    with pytest.raises(NotAllowed):
        authenticators.start_enrolment(database, ada, now=clock(), setup_code=first.code)
    clock.advance(hours=24)
    with pytest.raises(NotAllowed):
        authenticators.start_enrolment(database, ada, now=clock(), setup_code=second.code)
    third = authenticators.allow_set_up(database, ada, now=clock())
    assert authenticators.start_enrolment(database, ada, now=clock(), setup_code=third.code.upper()).secret


def test_no_set_up_code_is_made_for_an_account_with_an_authenticator(database, clock, ada):
    enrolment = authenticators.start_enrolment(database, ada, now=clock())
    authenticators.confirm_enrolment(database, ada, pyotp.TOTP(enrolment.secret).at(clock()), now=clock())
    with pytest.raises(Conflict) as refused:
        authenticators.allow_set_up(database, ada, now=clock())
    assert refused.value.code == "authenticator_set"


def test_a_mail_sending_script_needs_no_second_step(database, clock):
    update_settings(database, {"staff_two_step_required": True}, now=clock())
    create_staff_account(database, username="mailer", full_name="Mail script", password=PASSWORD, roles=["mailer"],
                         passwords=CHEAP, now=clock())
    principal = sign_in_staff(database, username="mailer", password=PASSWORD, passwords=CHEAP, now=clock()).principal
    require_permission(principal, "messages.send")



def spaced(code: str) -> str:
    """An authenticator's code as its app shows it and people type it: `` 123 456 ``."""
    return f" {code[:3]} {code[3:]} "


def test_an_authenticator_code_is_taken_as_the_app_shows_it_when_confirming_signing_in_and_renewing(
        database, clock, ada):
    app = pyotp.TOTP(authenticators.start_enrolment(database, ada, now=clock()).secret)
    first = authenticators.confirm_enrolment(database, ada, spaced(app.at(clock())), now=clock())
    clock.advance(seconds=30)
    assert sign_in(database, clock, code=spaced(app.at(clock()))).principal.name == "ada"
    clock.advance(seconds=30)
    renewed = authenticators.renew_recovery_codes(database, ada, spaced(app.at(clock())), passwords=CHEAP,
                                                  now=clock())
    assert len(set(renewed)) == 10 and not set(renewed) & set(first)
    assert refusal(database, clock, code=first[0]) == "wrong_credentials"  # the old codes are void
    sign_in(database, clock, code=renewed[0])
