"""The card's wire format and MAC as the till sees them (DESIGN.md section 5).

The server has its own copy of these rules (``engine.card_keys``); the till may not import
the engine, so the few facts both sides must share live here too and a test holds the
two copies to agree: the application id, the BCD card number, the offline challenge and
the answer (AES-CMAC under the card key, truncated to 8 bytes).

The till never holds a master key. The answer function is here for the issuing station
(which checks a card it has just written with the key the server gave it) and for the
development virtual card, which holds only its own card key.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import algorithms

LOYALTY_AID = bytes.fromhex("F04C4F59414C545901")  # proprietary (F0) "LOYALTY", version 01
KEY_LENGTH = 16
ANSWER_LENGTH = 8
CHALLENGE_LENGTH = 16
OFFLINE_CHALLENGE_DOMAIN = b"loyalty-offline-challenge-v1"


def card_number_bytes(card_number: str) -> bytes:
    """The 16-digit card number as 8 BCD bytes; ValueError for anything else."""
    if not (isinstance(card_number, str) and len(card_number) == 16 and card_number.isascii()
            and card_number.isdigit()):
        raise ValueError("a card number is 16 digits")
    return bytes.fromhex(card_number)


def card_number_from_bytes(data: bytes) -> str:
    """The card number read back from 8 BCD bytes; ValueError if a nibble is not a digit."""
    text = data.hex()
    if len(data) != 8 or not text.isdigit():
        raise ValueError("the card number on the card is not 16 BCD digits")
    return text


def card_answer(card_key: bytes, challenge: bytes) -> bytes:
    """AES-CMAC(card key, challenge) truncated to ``ANSWER_LENGTH`` bytes."""
    if len(card_key) != KEY_LENGTH:
        raise ValueError("a card key is 16 bytes (AES-128)")
    mac = cmac.CMAC(algorithms.AES(card_key))
    mac.update(challenge)
    return mac.finalize()[:ANSWER_LENGTH]


def offline_challenge(*, terminal: str, receipt: str, sold_at: datetime, counter: int) -> bytes:
    """The challenge the till builds when the server cannot give one.

    Bound to the terminal code, the receipt number, the sale time (to the second, UTC)
    and the till's counter; the server rebuilds it from the accrual it receives.
    """
    if sold_at.tzinfo is None:
        raise ValueError("sold_at must carry a time zone")
    stamp = sold_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    message = b"\x00".join([OFFLINE_CHALLENGE_DOMAIN, terminal.encode(), receipt.encode(),
                            stamp.encode(), str(counter).encode()])
    return hashlib.sha256(message).digest()[:CHALLENGE_LENGTH]
