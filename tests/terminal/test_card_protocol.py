"""Our card's APDU dialogue against the virtual card's applet, without a reader."""
import pytest

from terminal import card_protocol as cp
from terminal.card_crypto import card_answer
from terminal.devtools.virtual_card import CardState, ForeignApplet, LoyaltyApplet, UidOnlyApplet
from terminal.errors import (
    ApplicationBlocked, CardCommunicationError, CardNotPersonalised, CardStatusError, ForeignCard,
    PersonalisationLocked,
)

KEY = bytes.fromhex("00112233445566778899AABBCCDDEEFF")


def issued_applet(**kwargs):
    return LoyaltyApplet(CardState("6280001234567890", 3, KEY, locked=True), **kwargs)


def test_our_card_is_selected_and_gives_its_number_and_key_version():
    card = cp.identify(cp.OUR_ATR, issued_applet())
    assert card.kind is cp.CardKind.OURS
    assert card.identity == cp.CardIdentity("6280001234567890", 3)


def test_the_card_answers_a_challenge_with_the_truncated_cmac_of_its_key():
    applet = issued_applet()
    cp.select(applet)
    challenge = bytes(range(16))
    assert cp.authenticate(applet, challenge) == card_answer(KEY, challenge)


def test_a_card_without_our_application_is_a_foreign_card_named_by_its_kind():
    with pytest.raises(ForeignCard) as raised:
        cp.identify(cp.DESFIRE_ATR, ForeignApplet())
    assert "foreign card" in raised.value.message
    assert raised.value.kind == "contactless smart card"


def test_a_contact_card_is_named_foreign_from_its_atr_without_talking_to_it():
    def must_not_be_called(apdu):
        raise AssertionError("no APDU for a foreign ATR")

    with pytest.raises(ForeignCard, match="ATR 3B 95 13"):
        cp.identify(cp.CONTACT_CARD_ATR, must_not_be_called)


def test_a_mifare_classic_card_is_read_by_its_uid_only():
    card = cp.identify(cp.MIFARE_CLASSIC_1K_ATR, UidOnlyApplet(bytes.fromhex("04A1B2C3D4E5F6")))
    assert (card.kind, card.name, card.uid) == (cp.CardKind.UID_ONLY, "MIFARE Classic 1K",
                                                "04A1B2C3D4E5F6")


def test_a_blocked_application_is_refused_at_select():
    with pytest.raises(ApplicationBlocked, match="blocked"):
        cp.select(LoyaltyApplet(CardState("6280001234567890", 1, KEY, True, blocked=True)))


def test_an_unissued_card_says_it_has_no_number_yet():
    applet = LoyaltyApplet()
    cp.select(applet)
    with pytest.raises(CardNotPersonalised):
        cp.read_identity(applet)


def test_a_challenge_of_the_wrong_length_is_refused_with_6700():
    applet = issued_applet()
    cp.select(applet)
    _, sw = cp.split_response(applet(bytes.fromhex("0088000004") + bytes(4) + b"\x00"))
    assert sw == cp.SW_WRONG_LENGTH
    with pytest.raises(ValueError):
        cp.internal_authenticate(bytes(4))


def test_commands_before_select_are_refused_with_a_named_status_word():
    with pytest.raises(CardStatusError, match="6985 \\(conditions of use not satisfied\\)"):
        cp.read_identity(issued_applet())


def test_personalisation_writes_number_key_and_locks_the_card():
    applet = LoyaltyApplet()
    cp.personalise(applet, card_number="6280009999999999", key_version=2, card_key=KEY)
    assert cp.identify(cp.OUR_ATR, applet).identity == cp.CardIdentity("6280009999999999", 2)
    assert cp.authenticate(applet, bytes(16)) == card_answer(KEY, bytes(16))
    with pytest.raises(PersonalisationLocked):
        cp.personalise(applet, card_number="6280001111111111", key_version=2, card_key=bytes(16))
    assert cp.read_identity(applet).card_number == "6280009999999999"


def test_more_data_and_wrong_le_answers_are_followed():
    sent = []

    def chatty(apdu):
        sent.append(apdu)
        if apdu == cp.GET_UID:
            return bytes.fromhex("6C07")
        if apdu == cp.GET_UID[:-1] + b"\x07":
            return bytes.fromhex("6104")
        if apdu == bytes.fromhex("00C0000004"):
            return bytes.fromhex("01020304 9000".replace(" ", ""))
        raise AssertionError(apdu.hex())

    assert cp.read_uid(chatty) == "01020304"
    assert len(sent) == 3


def test_an_answer_without_a_status_word_is_a_communication_error():
    with pytest.raises(CardCommunicationError):
        cp.select(lambda apdu: b"\x90")


@pytest.mark.parametrize("atr, kind", [
    (cp.OUR_ATR, cp.CardKind.OURS),
    (cp.DESFIRE_ATR, cp.CardKind.CONTACTLESS),
    (cp.MIFARE_CLASSIC_1K_ATR, cp.CardKind.UID_ONLY),
    (cp.CONTACT_CARD_ATR, cp.CardKind.FOREIGN),
    (b"", cp.CardKind.FOREIGN),
])
def test_cards_are_routed_by_their_atr(atr, kind):
    assert cp.classify_atr(atr).kind is kind


def test_our_atr_carries_a_correct_check_byte():
    tck = 0
    for byte in cp.OUR_ATR[1:]:
        tck ^= byte
    assert tck == 0
