"""Card numbers: how they are made and what a valid one looks like.

Applet cards carry a decimal number of 16 digits whose last digit is a Luhn check digit
(a mistyped digit is caught before it reaches the database). UID-only cards are known by
the chip's UID: 4, 7 or 10 bytes, written as upper-case hex; a UID that is not one chip's
own (a random ID, new at every tap; a value many chips or phones give) is refused.
"""
from __future__ import annotations

import re
import secrets

APPLET_NUMBER_LENGTH = 16
_DIGITS = re.compile(r"^[0-9]+$")
_HEX = re.compile(r"^[0-9A-F]+$")
UID_BYTE_LENGTHS = (4, 7, 10)


def luhn_check_digit(payload: str) -> str:
    """The Luhn (mod 10) check digit that makes ``payload`` + digit valid."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def is_luhn_valid(number: str) -> bool:
    """Whether the last digit of ``number`` is its Luhn check digit."""
    return len(number) >= 2 and luhn_check_digit(number[:-1]) == number[-1]


def new_applet_number(prefix: str = "9") -> str:
    """A fresh random card number with the given issuer prefix and a Luhn check digit."""
    body_length = APPLET_NUMBER_LENGTH - 1 - len(prefix)
    body = prefix + "".join(secrets.choice("0123456789") for _ in range(body_length))
    return body + luhn_check_digit(body)


def normalise_uid(uid: str) -> str:
    """A UID in its one stored form: hex in capitals, no separators."""
    return uid.replace(":", "").replace(" ", "").upper()


def number_problem(kind: str, number: str) -> str | None:
    """Why ``number`` is not a valid number for a card of ``kind``, or ``None``."""
    if kind == "applet":
        if not _DIGITS.match(number) or len(number) != APPLET_NUMBER_LENGTH:
            return f"an applet card number has exactly {APPLET_NUMBER_LENGTH} digits"
        if not is_luhn_valid(number):
            return "the check digit does not match (mistyped number?)"
        return None
    if not _HEX.match(number) or len(number) // 2 not in UID_BYTE_LENGTHS or len(number) % 2:
        return "a card UID is 4, 7 or 10 bytes written in hex, such as 04A1B2C3D4E5F6"
    if len(number) == 8 and number.startswith("08"):
        return "a 4-byte UID beginning 08 is a random ID, new at every tap (phones, privacy cards): it names no card"
    if number in SHARED_UIDS or number.startswith("88"):
        return "this UID is not one card's own (many cards or phones give it, or it is a cascade tag)"
    return None


# UIDs that many chips or phones give: known to the whole world, they cannot stand for one card.
SHARED_UIDS = frozenset({"00000000", "FFFFFFFF", "01020304", "00000000000000", "FFFFFFFFFFFFFF"})
