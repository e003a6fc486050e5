"""Card personalisation at an issuing station, as a staff action through the server.

A staff member logs in (``POST /v1/staff/sessions``); for a blank card on the reader the
server issues a new card number and key for the member (``POST /v1/staff/card-issues``,
bearer token: a till's own credential cannot do this); the station writes number, key
version and key to the card, locks it, and checks the card's answer to a fresh random
challenge against the key it was given; only then does it activate the card on the
server, so a card that failed to be written never works. The key exists only in this process's memory
while the card is written; the master key never leaves the server.
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

from terminal import card_protocol
from terminal.api_client import ApiClient
from terminal.card_crypto import CHALLENGE_LENGTH, card_answer
from terminal.errors import CardNotAuthentic, CardNotPersonalised, PersonalisationLocked


@dataclass(frozen=True)
class IssuedCard:
    card_number: str
    key_version: int


def issue_card(api: ApiClient, reader, *, username: str, password: str, member_id: str,
               timeout: float = 30.0) -> IssuedCard:
    """Write a new card for ``member_id`` onto the blank card on ``reader``."""
    token = api.staff_login(username, password)
    reader.wait_for_card(timeout)
    with reader.connect() as link:
        card_protocol.select(link.transmit)
        try:
            identity = card_protocol.read_identity(link.transmit)
        except CardNotPersonalised:
            pass
        else:
            raise PersonalisationLocked(f"This card is already issued (card number "
                                        f"{identity.card_number}); use a blank card.")
        issued = api.issue_card(token, member_id, idempotency_key=str(uuid.uuid4()))
        card_key = bytes.fromhex(issued["card_key"])
        card_protocol.personalise(link.transmit, card_number=issued["card_number"],
                                  key_version=int(issued["key_version"]), card_key=card_key)
        card_protocol.select(link.transmit)
        written = card_protocol.read_identity(link.transmit)
        challenge = os.urandom(CHALLENGE_LENGTH)
        if (written.card_number != issued["card_number"]
                or card_protocol.authenticate(link.transmit, challenge)
                != card_answer(card_key, challenge)):
            raise CardNotAuthentic("The card did not keep what was written to it; "
                                   "do not hand it out.")
    api.activate_card(token, written.card_number)
    return IssuedCard(written.card_number, written.key_version)
