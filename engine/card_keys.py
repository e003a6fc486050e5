"""Card keys and card answers, as DESIGN.md section 5 fixes them for server and till alike.

- Our card application is selected by ``LOYALTY_AID``.
- A card's key is diversified from the master key of its key version as in NXP AN10922:
  ``AES-CMAC(master, 0x01 || card number as 8 BCD bytes || AID)`` (the CMAC's own
  padding is the note's padding). The till never holds a master key.
- A card proves possession by answering a challenge with
  ``AES-CMAC(card key, challenge)`` truncated to ``ANSWER_LENGTH`` bytes.
- Offline, the till builds the challenge from what identifies the sale
  (:func:`offline_challenge`); the server rebuilds it from the same facts to verify.

Master keys come from a :class:`MasterKeys` set loaded from configuration; nothing here
reads a file or the environment by itself.
"""
from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import algorithms

from engine.errors import InvalidInput, Problem
from engine.versioned_keys import parse_versioned_keys

LOYALTY_AID = bytes.fromhex("F04C4F59414C545901")  # proprietary (F0) "LOYALTY", version 01
KEY_LENGTH = 16
ANSWER_LENGTH = 8
CHALLENGE_LENGTH = 16
OFFLINE_CHALLENGE_DOMAIN = b"loyalty-offline-challenge-v1"


def card_number_bytes(card_number: str) -> bytes:
    """The 16-digit card number packed as 8 BCD bytes; refuses anything else."""
    if not (isinstance(card_number, str) and len(card_number) == 16 and card_number.isascii()
            and card_number.isdigit()):
        raise InvalidInput([Problem("card_number", "must be 16 digits")])
    return bytes.fromhex(card_number)


def diversify_card_key(master_key: bytes, card_number: str) -> bytes:
    """The card's AES-128 key: AN10922 diversification of ``master_key`` for this card."""
    if len(master_key) != KEY_LENGTH:
        raise ValueError("a master key is 16 bytes (AES-128)")
    return _cmac(master_key, b"\x01" + card_number_bytes(card_number) + LOYALTY_AID)


def card_answer(card_key: bytes, challenge: bytes) -> bytes:
    """What the card answers to ``challenge``: truncated AES-CMAC under its key."""
    return _cmac(card_key, challenge)[:ANSWER_LENGTH]


def answer_matches(card_key: bytes, challenge: bytes, answer: bytes) -> bool:
    """True when ``answer`` is the card's answer to ``challenge`` (constant-time compare)."""
    return hmac.compare_digest(card_answer(card_key, challenge), answer)


def new_challenge() -> bytes:
    """A random online challenge from the operating system's CSPRNG."""
    return os.urandom(CHALLENGE_LENGTH)


def offline_challenge(*, terminal: str, receipt: str, sold_at: datetime, counter: int) -> bytes:
    """The challenge a till builds for a card when the server cannot give one.

    Bound to the terminal, the receipt, the sale time (to the second, UTC) and the till's
    own counter, so one answer can vouch for exactly one sale. The till agent builds the
    same bytes (a test holds both sides to agree).
    """
    if sold_at.tzinfo is None:
        raise ValueError("sold_at must carry a time zone")
    stamp = sold_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    message = b"\x00".join([OFFLINE_CHALLENGE_DOMAIN, terminal.encode(), receipt.encode(),
                            stamp.encode(), str(counter).encode()])
    return hashlib.sha256(message).digest()[:CHALLENGE_LENGTH]


@dataclass(frozen=True)
class MasterKeys:
    """The master keys by key version; new cards get the newest version."""
    by_version: dict[int, bytes]

    def __post_init__(self):
        for version, key in self.by_version.items():
            if not (isinstance(version, int) and 1 <= version <= 255):
                raise ValueError(f"key version {version!r} must be 1..255")
            if len(key) != KEY_LENGTH:
                raise ValueError(f"master key version {version} must be 16 bytes")

    @classmethod
    def parse(cls, text: str) -> MasterKeys:
        """Parse ``"1:<32 hex>,2:<32 hex>"`` (commas or newlines; ``#`` starts a comment)."""
        return cls(parse_versioned_keys(text, length=KEY_LENGTH))

    @property
    def current_version(self) -> int:
        if not self.by_version:
            raise LookupError("no card master keys are configured")
        return max(self.by_version)

    def card_key(self, key_version: int, card_number: str) -> bytes:
        """The diversified key of one card; LookupError for an unknown key version."""
        try:
            master = self.by_version[key_version]
        except KeyError:
            raise LookupError(f"no master key of version {key_version}") from None
        return diversify_card_key(master, card_number)


def _cmac(key: bytes, message: bytes) -> bytes:
    mac = cmac.CMAC(algorithms.AES(key))
    mac.update(message)
    return mac.finalize()
