"""Our card's ISO 7816-4 dialogue, pure: APDUs built and answers read, no reader inside.

Every function that talks to a card takes ``transmit``: a callable that sends one C-APDU
(bytes) and returns the whole R-APDU (data followed by SW1 SW2). ``terminal.reader``
provides one for a real PC/SC card; tests pass the virtual card's applet directly.

The loyalty application (AID ``F0 4C 4F 59 41 4C 54 59 01``, proprietary "LOYALTY" v1)
=====================================================================================

====================================  =========================================  ===========
command                               C-APDU                                     answer
====================================  =========================================  ===========
SELECT by AID                         ``00 A4 04 00 09 <AID> 00``                ``6F 0B 84 09 <AID>``
GET DATA card identity                ``80 CA 01 01 00``                         8 BCD bytes card number + 1 byte key version
INTERNAL AUTHENTICATE                 ``00 88 00 00 10 <16-byte challenge> 00``  8 bytes: AES-CMAC(card key, challenge)[:8]
PUT DATA card identity (issuing)      ``80 DA 01 01 09 <8 BCD bytes><version>``  --
PUT DATA card key (issuing)           ``80 DA 01 02 10 <16-byte key>``           --
LOCK personalisation (issuing)        ``80 DA 01 FF``                            --
GET DATA UID (PC/SC part 3, reader)   ``FF CA 00 00 00``                         the card's UID
====================================  =========================================  ===========

Status words and what the till makes of them:

- ``90 00`` done. ``61 xx`` more data: the till sends GET RESPONSE ``00 C0 00 00 xx``;
  ``6C xx`` wrong Le: the till repeats the command with Le = xx.
- ``6A 82`` on SELECT: no loyalty application -> :class:`ForeignCard`.
- ``62 83`` on SELECT (application deactivated) or ``69 83`` on any command
  (blocked) -> :class:`ApplicationBlocked`.
- ``6A 88`` referenced data not found: not personalised yet -> :class:`CardNotPersonalised`.
- ``69 85`` conditions of use not satisfied: on PUT DATA / LOCK the card is already
  locked -> :class:`PersonalisationLocked`; elsewhere (e.g. no SELECT first) a
  :class:`CardStatusError`.
- ``67 00`` wrong length, ``6D 00`` unknown instruction, ``6E 00`` unknown class and
  anything else -> :class:`CardStatusError` naming the status word.

Cards are routed by ATR first (:func:`classify_atr`): our own cards name themselves in
the historical bytes; other ISO 14443-4 cards may carry our application (the till tries
SELECT); PC/SC part 3 storage cards (MIFARE Classic / Ultralight) are UID-only cards;
everything else is a foreign card, named as such.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from terminal.card_crypto import (
    ANSWER_LENGTH, CHALLENGE_LENGTH, KEY_LENGTH, LOYALTY_AID, card_number_bytes,
    card_number_from_bytes,
)
from terminal.errors import (
    ApplicationBlocked, CardCommunicationError, CardNotPersonalised, CardStatusError,
    ForeignCard, PersonalisationLocked,
)

Transmit = Callable[[bytes], bytes]

SW_OK = 0x9000
SW_DEACTIVATED = 0x6283
SW_WRONG_LENGTH = 0x6700
SW_BLOCKED = 0x6983
SW_CONDITIONS_NOT_SATISFIED = 0x6985
SW_FUNCTION_NOT_SUPPORTED = 0x6A81
SW_FILE_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6A86
SW_DATA_NOT_FOUND = 0x6A88
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00

STATUS_WORDS = {
    SW_DEACTIVATED: "application deactivated",
    SW_WRONG_LENGTH: "wrong length",
    SW_BLOCKED: "application blocked",
    SW_CONDITIONS_NOT_SATISFIED: "conditions of use not satisfied",
    SW_FUNCTION_NOT_SUPPORTED: "function not supported",
    SW_FILE_NOT_FOUND: "application not found",
    SW_WRONG_P1P2: "wrong parameters P1-P2",
    SW_DATA_NOT_FOUND: "referenced data not found",
    SW_INS_NOT_SUPPORTED: "instruction not supported",
    SW_CLA_NOT_SUPPORTED: "class not supported",
}

OUR_HISTORICAL_BYTES = b"LOYALTY"

# -- APDUs -----------------------------------------------------------------------------------

SELECT = bytes([0x00, 0xA4, 0x04, 0x00, len(LOYALTY_AID)]) + LOYALTY_AID + b"\x00"
GET_IDENTITY = bytes.fromhex("80CA010100")
GET_UID = bytes.fromhex("FFCA000000")
LOCK = bytes.fromhex("80DA01FF")
FCI = bytes([0x6F, len(LOYALTY_AID) + 2, 0x84, len(LOYALTY_AID)]) + LOYALTY_AID


def internal_authenticate(challenge: bytes) -> bytes:
    """INTERNAL AUTHENTICATE for a 16-byte challenge."""
    if len(challenge) != CHALLENGE_LENGTH:
        raise ValueError(f"a challenge is {CHALLENGE_LENGTH} bytes")
    return bytes([0x00, 0x88, 0x00, 0x00, len(challenge)]) + challenge + b"\x00"


def put_identity(card_number: str, key_version: int) -> bytes:
    """PUT DATA of the card number and key version (issuing only)."""
    if not 1 <= key_version <= 255:
        raise ValueError("a key version is 1..255")
    data = card_number_bytes(card_number) + bytes([key_version])
    return bytes([0x80, 0xDA, 0x01, 0x01, len(data)]) + data


def put_key(card_key: bytes) -> bytes:
    """PUT DATA of the card's AES-128 key (issuing only)."""
    if len(card_key) != KEY_LENGTH:
        raise ValueError("a card key is 16 bytes (AES-128)")
    return bytes([0x80, 0xDA, 0x01, 0x02, len(card_key)]) + card_key


# -- answers ---------------------------------------------------------------------------------

def split_response(response: bytes) -> tuple[bytes, int]:
    """Data and status word of an R-APDU; CardCommunicationError if there is no status."""
    if len(response) < 2:
        raise CardCommunicationError("The card gave an incomplete answer. Please tap again.")
    return response[:-2], int.from_bytes(response[-2:], "big")


def describe_sw(sw: int) -> str:
    """``6A82 (application not found)``: a status word with its meaning."""
    meaning = STATUS_WORDS.get(sw)
    return f"{sw:04X} ({meaning})" if meaning else f"{sw:04X}"


def exchange(transmit: Transmit, apdu: bytes) -> tuple[bytes, int]:
    """Send one command, following ``61xx`` (GET RESPONSE) and ``6Cxx`` (wrong Le)."""
    data, sw = split_response(transmit(apdu))
    if sw >> 8 == 0x6C:
        data, sw = split_response(transmit(apdu[:-1] + bytes([sw & 0xFF])))
    collected = data
    for _ in range(16):
        if sw >> 8 != 0x61:
            break
        more, sw = split_response(transmit(bytes([0x00, 0xC0, 0x00, 0x00, sw & 0xFF])))
        collected += more
    return collected, sw


def _refuse(sw: int, doing: str, *, issuing: bool = False) -> None:
    if sw == SW_OK:
        return
    if sw in (SW_DEACTIVATED, SW_BLOCKED):
        raise ApplicationBlocked("This loyalty card is blocked. It cannot be used; "
                                 "the member can ask for a replacement.")
    if sw == SW_DATA_NOT_FOUND:
        raise CardNotPersonalised("This loyalty card has not been issued yet (no card "
                                  "number or key on it).")
    if sw == SW_CONDITIONS_NOT_SATISFIED and issuing:
        raise PersonalisationLocked("This card is already personalised and locked; "
                                    "it cannot be written again.")
    raise CardStatusError(f"The card refused to {doing}: status {describe_sw(sw)}.", sw=sw)


# -- dialogues -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CardIdentity:
    """What our card says about itself."""
    card_number: str
    key_version: int


def select(transmit: Transmit) -> None:
    """SELECT our application; ForeignCard if the card has none, ApplicationBlocked."""
    data, sw = exchange(transmit, SELECT)
    if sw in (SW_FILE_NOT_FOUND, SW_FUNCTION_NOT_SUPPORTED, SW_INS_NOT_SUPPORTED,
              SW_CLA_NOT_SUPPORTED):
        raise ForeignCard("This is not one of our loyalty cards (it has no loyalty "
                          "application).", kind="card without our loyalty application")
    _refuse(sw, "select the loyalty application")


def read_identity(transmit: Transmit) -> CardIdentity:
    """Card number and key version (after SELECT)."""
    data, sw = exchange(transmit, GET_IDENTITY)
    _refuse(sw, "give its card number")
    if len(data) != 9:
        raise CardCommunicationError(f"The card gave {len(data)} bytes of identity "
                                     "instead of 9.")
    try:
        number = card_number_from_bytes(data[:8])
    except ValueError as error:
        raise CardCommunicationError(f"The card's number is unreadable: {error}.") from None
    return CardIdentity(number, data[8])


def authenticate(transmit: Transmit, challenge: bytes) -> bytes:
    """The card's 8-byte answer to ``challenge`` (after SELECT)."""
    data, sw = exchange(transmit, internal_authenticate(challenge))
    _refuse(sw, "answer the challenge")
    if len(data) != ANSWER_LENGTH:
        raise CardCommunicationError(f"The card's answer has {len(data)} bytes instead "
                                     f"of {ANSWER_LENGTH}.")
    return data


def read_uid(transmit: Transmit) -> str:
    """The card's UID (upper-case hex) through the reader's GET DATA pseudo-APDU."""
    data, sw = exchange(transmit, GET_UID)
    if sw != SW_OK or not 4 <= len(data) <= 10:
        raise CardStatusError(f"The reader could not read the card's UID: status "
                              f"{describe_sw(sw)}.", sw=sw)
    return data.hex().upper()


def personalise(transmit: Transmit, *, card_number: str, key_version: int,
                card_key: bytes) -> None:
    """Write number, key version and key, then lock; PersonalisationLocked if done before."""
    select(transmit)
    for apdu, doing in ((put_identity(card_number, key_version), "store the card number"),
                        (put_key(card_key), "store the card key"),
                        (LOCK, "lock its personalisation")):
        _, sw = exchange(transmit, apdu)
        _refuse(sw, doing, issuing=True)


# -- routing by ATR --------------------------------------------------------------------------

class CardKind(enum.Enum):
    OURS = "our loyalty card"
    CONTACTLESS = "contactless smart card"
    UID_ONLY = "UID-only card"
    FOREIGN = "foreign card"


@dataclass(frozen=True)
class AtrInfo:
    kind: CardKind
    name: str


STORAGE_CARD_NAMES = {
    0x0001: "MIFARE Classic 1K", 0x0002: "MIFARE Classic 4K", 0x0003: "MIFARE Ultralight",
    0x0026: "MIFARE Mini", 0x003A: "MIFARE Ultralight C", 0x0036: "MIFARE Plus SL1 2K",
    0x0037: "MIFARE Plus SL1 4K",
}
PART3_STORAGE_PREFIX = bytes.fromhex("3B8F8001804F0CA0000003")


def classify_atr(atr: bytes) -> AtrInfo:
    """Route a card by its ATR (PC/SC part 3 forms for contactless cards)."""
    if atr.startswith(PART3_STORAGE_PREFIX) and len(atr) >= 15:
        name = STORAGE_CARD_NAMES.get(int.from_bytes(atr[13:15], "big"), "contactless memory card")
        return AtrInfo(CardKind.UID_ONLY, name)
    if len(atr) >= 5 and atr[0] == 0x3B and atr[1] & 0xF0 == 0x80 and atr[2:4] == b"\x80\x01":
        historical = atr[4:4 + (atr[1] & 0x0F)]
        if historical == OUR_HISTORICAL_BYTES:
            return AtrInfo(CardKind.OURS, "our loyalty card")
        return AtrInfo(CardKind.CONTACTLESS, "contactless smart card")
    return AtrInfo(CardKind.FOREIGN, f"unknown card (ATR {atr.hex(' ').upper()})")


def atr_with_tck(body: bytes) -> bytes:
    """An ATR with its check byte TCK (XOR of every byte after TS) appended."""
    tck = 0
    for byte in body[1:]:
        tck ^= byte
    return body + bytes([tck])


OUR_ATR = atr_with_tck(bytes([0x3B, 0x80 | len(OUR_HISTORICAL_BYTES), 0x80, 0x01])
                       + OUR_HISTORICAL_BYTES)
MIFARE_CLASSIC_1K_ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
DESFIRE_ATR = bytes.fromhex("3B8180018080")
CONTACT_CARD_ATR = bytes.fromhex("3B951381018073FF01000B")


@dataclass(frozen=True)
class IdentifiedCard:
    """A card the till can use: ours (with identity) or a UID-only card (with UID)."""
    kind: CardKind
    name: str
    identity: CardIdentity | None = None
    uid: str | None = None


def identify(atr: bytes, transmit: Transmit) -> IdentifiedCard:
    """Route by ATR and read what the card offers; ForeignCard for anything not ours.

    Our card (or any ISO 14443-4 card carrying our application) is SELECTed and gives
    its number and key version; a UID-only card gives its UID.
    """
    info = classify_atr(atr)
    if info.kind is CardKind.UID_ONLY:
        return IdentifiedCard(CardKind.UID_ONLY, info.name, uid=read_uid(transmit))
    if info.kind is CardKind.FOREIGN:
        raise ForeignCard(f"This is a foreign card ({info.name}), not a loyalty card.",
                          kind=info.name)
    try:
        select(transmit)
    except ForeignCard:
        raise ForeignCard(f"This is a foreign card ({info.name} without our loyalty "
                          "application), not a loyalty card.", kind=info.name) from None
    return IdentifiedCard(CardKind.OURS, "our loyalty card", identity=read_identity(transmit))
