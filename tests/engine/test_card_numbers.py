import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.card_numbers import (is_luhn_valid, luhn_check_digit, new_applet_number, normalise_uid,
                                 number_problem)


def test_the_luhn_check_digit_matches_a_known_card_number():
    assert luhn_check_digit("7992739871") == "3"
    assert is_luhn_valid("79927398713")
    assert not is_luhn_valid("79927398710")


@given(st.text("0123456789", min_size=1, max_size=3))
def test_new_applet_numbers_are_sixteen_digits_with_a_valid_check_digit(prefix):
    number = new_applet_number(prefix)
    assert number.startswith(prefix) and number_problem("applet", number) is None


@given(st.text("0123456789", min_size=15, max_size=15), st.integers(0, 14), st.integers(1, 9))
def test_a_single_mistyped_digit_is_always_caught(body, position, shift):
    number = body + luhn_check_digit(body)
    typo = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1:]
    assert number_problem("applet", typo) is not None


def test_uids_of_four_seven_and_ten_bytes_are_accepted_and_others_are_not():
    for uid in ("04A1B2C3", "04A1B2C3D4E5F6", "04A1B2C3D4E5F6071829"):
        assert number_problem("uid", uid) is None
    for uid in ("04A1B2", "04A1B2C3D", "ZZA1B2C3"):
        assert number_problem("uid", uid) is not None


def test_uids_are_written_in_one_canonical_form():
    assert normalise_uid("04:a1:b2 c3") == "04A1B2C3"


@pytest.mark.parametrize("uid", ["08C0FFEE", "08000001"])
def test_a_random_id_new_at_every_tap_names_no_card(uid):
    assert "random ID" in number_problem("uid", uid)


@pytest.mark.parametrize("uid", ["01020304", "00000000", "FFFFFFFF", "88A1B2C3"])
def test_a_uid_that_is_not_one_chips_own_is_refused(uid):
    assert "not one card's own" in number_problem("uid", uid)


def test_a_seven_byte_uid_beginning_08_is_a_chips_own():
    assert number_problem("uid", "08A1B2C3D4E5F6") is None
