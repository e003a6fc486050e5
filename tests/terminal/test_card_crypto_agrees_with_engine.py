"""The till's copy of the card wire format agrees with the server's (engine.card_keys)."""
from datetime import datetime, timedelta, timezone

from hypothesis import given, strategies as st

from engine import card_keys
from terminal import card_crypto


def test_both_sides_use_the_same_application_id_and_lengths():
    assert card_crypto.LOYALTY_AID == card_keys.LOYALTY_AID
    assert card_crypto.ANSWER_LENGTH == card_keys.ANSWER_LENGTH
    assert card_crypto.CHALLENGE_LENGTH == card_keys.CHALLENGE_LENGTH
    assert card_crypto.KEY_LENGTH == card_keys.KEY_LENGTH


@given(key=st.binary(min_size=16, max_size=16), challenge=st.binary(min_size=16, max_size=16))
def test_the_card_answer_is_the_one_the_server_checks(key, challenge):
    assert card_keys.answer_matches(key, challenge, card_crypto.card_answer(key, challenge))


@given(terminal=st.text(min_size=1, max_size=12), receipt=st.text(min_size=1, max_size=20),
       seconds=st.integers(0, 2_000_000_000), offset=st.integers(-14, 14),
       counter=st.integers(0, 10**9))
def test_the_offline_challenge_is_built_the_same_on_both_sides(terminal, receipt, seconds,
                                                                offset, counter):
    sold_at = datetime.fromtimestamp(seconds, timezone(timedelta(hours=offset)))
    assert card_crypto.offline_challenge(terminal=terminal, receipt=receipt, sold_at=sold_at,
                                         counter=counter) == card_keys.offline_challenge(
        terminal=terminal, receipt=receipt, sold_at=sold_at, counter=counter)


@given(number=st.from_regex(r"\A[0-9]{16}\Z"))
def test_card_numbers_pack_to_the_same_bcd_bytes(number):
    packed = card_crypto.card_number_bytes(number)
    assert packed == card_keys.card_number_bytes(number)
    assert card_crypto.card_number_from_bytes(packed) == number
