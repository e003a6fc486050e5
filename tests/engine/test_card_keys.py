from datetime import datetime, timedelta, timezone

import pytest

from engine.card_keys import (LOYALTY_AID, MasterKeys, _cmac, answer_matches, card_answer,
                              card_number_bytes, diversify_card_key, offline_challenge)
from engine.errors import InvalidInput

MASTER = bytes.fromhex("00112233445566778899AABBCCDDEEFF")


def test_the_diversification_reproduces_the_an10922_example_vector():
    m = bytes.fromhex("04782E21801D80") + bytes.fromhex("3042F5") + b"NXP Abu"
    assert _cmac(MASTER, b"\x01" + m).hex().upper() == "A8DD63A3B89D54B37CA802473FDA9175"


def test_the_cmac_matches_rfc_4493_example_2():
    key = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
    message = bytes.fromhex("6bc1bee22e409f96e93d7e117393172a")
    assert _cmac(key, message).hex() == "070a16b46b4d4144f79bdd9dd04a287c"


def test_a_card_key_is_the_cmac_of_the_card_number_and_aid():
    expected = _cmac(MASTER, b"\x01" + bytes.fromhex("9000000000000019") + LOYALTY_AID)
    assert diversify_card_key(MASTER, "9000000000000019") == expected


def test_two_cards_get_different_keys_from_one_master_key():
    assert diversify_card_key(MASTER, "9000000000000019") != diversify_card_key(MASTER, "9000000000000027")


def test_an_answer_is_eight_bytes_and_matches_only_its_challenge_and_key():
    key = diversify_card_key(MASTER, "9000000000000019")
    answer = card_answer(key, b"c" * 16)
    assert len(answer) == 8
    assert answer_matches(key, b"c" * 16, answer)
    assert not answer_matches(key, b"d" * 16, answer)
    assert not answer_matches(diversify_card_key(MASTER, "9000000000000027"), b"c" * 16, answer)


@pytest.mark.parametrize("number", ["900000000000001", "90000000000000190", "900000000000001x", 9000000000000019])
def test_a_card_number_that_is_not_16_digits_is_refused(number):
    with pytest.raises(InvalidInput):
        card_number_bytes(number)


def test_an_offline_challenge_depends_on_every_fact_of_the_sale():
    sold = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    base = offline_challenge(terminal="BER-01-T1", receipt="R1", sold_at=sold, counter=7)
    assert len(base) == 16
    assert base == offline_challenge(terminal="BER-01-T1", receipt="R1",
                                     sold_at=sold.astimezone(timezone(timedelta(hours=1))), counter=7)
    for changed in ({"terminal": "BER-01-T2"}, {"receipt": "R2"}, {"counter": 8},
                    {"sold_at": sold + timedelta(seconds=1)}):
        facts = {"terminal": "BER-01-T1", "receipt": "R1", "sold_at": sold, "counter": 7} | changed
        assert offline_challenge(**facts) != base


def test_master_keys_parse_versions_and_name_the_newest_current():
    keys = MasterKeys.parse("# rotated 2026\n1:" + "11" * 16 + ", 2:" + "22" * 16)
    assert keys.current_version == 2
    assert keys.card_key(1, "9000000000000019") == diversify_card_key(bytes.fromhex("11" * 16), "9000000000000019")
    with pytest.raises(LookupError):
        keys.card_key(3, "9000000000000019")


@pytest.mark.parametrize("text", ["1:abcd", "x:" + "11" * 16, "0:" + "11" * 16, "1:" + "zz" * 16, "1"])
def test_master_keys_that_cannot_be_read_are_refused_with_a_message(text):
    with pytest.raises(ValueError):
        MasterKeys.parse(text)
