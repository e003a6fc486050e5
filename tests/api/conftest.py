import itertools
import uuid

import pytest

from api import create_app
from engine import cards, stores
from engine.access.member_logins import set_member_password
from engine.access.passwords import Passwords
from engine.access.staff import create_staff_account
from engine.access.terminal_keys import issue_terminal_key
from engine.card_keys import MasterKeys, card_answer
from tests.support.api_clients import SignedTerminal, bearer

CARD_KEYS = MasterKeys({1: bytes(range(16)), 2: bytes(range(16, 32))})
PASSWORDS = Passwords.cheap()
PASSWORD = "correct horse battery"


@pytest.fixture
def make_app(database, clock):
    """An application on the test's database; ``config`` adds or overrides settings."""
    def make(**config):
        # QUIET_ANSWER_SECONDS 0: no answer waits (tests/api/test_quiet_answers.py checks the wait)
        return create_app({"DATABASE": database, "CLOCK": clock, "TESTING": True, "PASSWORDS": PASSWORDS,
                           "CARD_MASTER_KEYS": CARD_KEYS, "QUIET_ANSWER_SECONDS": 0, **config})
    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_signed_terminal(database, clock, client):
    """``make_signed_terminal()``: a new store (``channel="online"``: a web shop) with one
    terminal holding a signing key."""
    numbers = itertools.count(1)

    def make(store_code: str | None = None, *, channel: str = "store") -> SignedTerminal:
        n = next(numbers)
        store_code = store_code or f"ST{n}"
        if store_code not in {s.code for s in stores.list_stores(database)}:
            stores.create_store(database, code=store_code, name=f"Store {store_code}", timezone="Europe/Berlin",
                                channel=channel, now=clock())
        terminal = stores.create_terminal(database, code=f"{store_code}-T{n}", store_code=store_code, now=clock())
        key = issue_terminal_key(database, terminal.code, now=clock())
        return SignedTerminal(client, key_id=key.key_id, secret=key.secret, terminal_code=terminal.code,
                              store_code=store_code, clock=clock)
    return make


@pytest.fixture
def terminal(make_signed_terminal) -> SignedTerminal:
    return make_signed_terminal()


@pytest.fixture
def make_our_card(database, clock, make_member):
    """``make_our_card(member)``: an active card of ours (key version 1), as a member's plastic."""
    def make(member=None, *, status: str = "active"):
        member = member or make_member()
        card = cards.issue_card(database, member_id=member.public_id, kind="applet", key_version=1, now=clock())
        if status in ("active", "blocked"):
            card = cards.activate_card(database, card.number, now=clock())
        if status == "blocked":
            card = cards.block_card(database, card.number, reason="lost", now=clock())
        return card
    return make


def answer_for(card_number: str, challenge: bytes, *, key_version: int = 1) -> bytes:
    """What the genuine card answers."""
    return card_answer(CARD_KEYS.card_key(key_version, card_number), challenge)


@pytest.fixture
def card_session(terminal):
    """``card_session(card[, pin="4711"])``: tap our card at ``terminal`` (challenge + right
    answer, with the member's PIN if given); the answer's JSON."""
    def open_session(card, at: SignedTerminal | None = None, **pin) -> dict:
        at = at or terminal
        challenge = at.post("/v1/terminal/card-challenges", {"card_number": card.number}, key=None).json
        answer = answer_for(card.number, bytes.fromhex(challenge["challenge"]))
        response = at.post("/v1/terminal/card-sessions",
                           {"challenge_id": challenge["challenge_id"], "answer": answer.hex(), **pin}, key=None)
        assert response.status_code == 201, response.json
        return response.json
    return open_session


@pytest.fixture
def staff_headers(database, clock, client):
    """``staff_headers("support")``: Authorization headers of a new staff account with those roles."""
    numbers = itertools.count(1)

    def make(*roles: str, username: str | None = None) -> dict:
        username = username or f"staff{next(numbers)}-{uuid.uuid4().hex[:6]}"
        create_staff_account(database, username=username, full_name=username.title(), password=PASSWORD,
                             roles=list(roles), passwords=PASSWORDS, now=clock())
        response = client.post("/v1/staff/sessions", json={"username": username, "password": PASSWORD})
        assert response.status_code == 201, response.json
        return bearer(response.json["token"])
    return make


@pytest.fixture
def member_headers(database, client, clock):
    """``member_headers(member)``: Authorization headers of the member, signed in."""
    def make(member) -> dict:
        set_member_password(database, member.public_id, PASSWORD, passwords=PASSWORDS, now=clock())
        response = client.post("/v1/member/sessions", json={"email": member.email, "password": PASSWORD})
        assert response.status_code == 201, response.json
        return bearer(response.json["token"])
    return make


@pytest.fixture
def earned(terminal, make_card, clock):
    """A sale of two units for 20.00 on a UID card at ``terminal`` (receipt R1), an hour ago;
    the accrual's body."""
    card = make_card(kind="uid", number="04A1B2C3D4E5F6")
    body = {"store_code": terminal.store_code, "terminal_code": terminal.terminal_code, "receipt_number": "R1",
            "occurred_at": clock().isoformat(), "currency": "EUR", "card_uid": card.number,
            "lines": [{"line_no": 1, "sku": "A", "quantity": "2", "amount_minor": 2000}]}
    assert terminal.post("/v1/terminal/accruals", body).status_code == 201
    clock.advance(hours=1)
    return body


def refund_body(terminal: SignedTerminal, clock, **change) -> dict:
    """A return of one unit of line 1 of ``terminal``'s receipt R1, now."""
    return {"store_code": terminal.store_code, "terminal_code": terminal.terminal_code, "receipt_number": "R1",
            "occurred_at": clock().isoformat(), "lines": [{"line_no": 1, "quantity": "1"}], **change}
