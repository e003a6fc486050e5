"""A card session proves the card was at the till around the tap: it vouches for no sale the
till dates more than ``SALE_BEFORE_TAP`` (10 minutes: a basket rung up before the member finds
their card) before it was opened, and the clock skew the terminals are allowed (the sale's time
is the till's clock, the session's the server's); a till could otherwise earn a later tap's
points on its earlier sales, up to the offline age back."""
from datetime import timedelta

import pytest

from engine.card_auth import SALE_BEFORE_TAP
from engine.ledger.balances import get_balance
from tests.support.api_clients import SignedTerminal
from tests.support.assertions import unchanged

ACCRUALS = "/v1/terminal/accruals"


@pytest.fixture
def sale(terminal):
    """``sale(sold_at, card, card_session)``: an accrual body for a 25.00 sale at ``terminal``."""
    def make(sold_at, card, card_session, receipt: str = "R1") -> dict:
        return {"store_code": terminal.store_code, "terminal_code": terminal.terminal_code,
                "receipt_number": receipt, "occurred_at": sold_at.isoformat(), "currency": "EUR",
                "card_number": card.number, "card_session": card_session,
                "lines": [{"line_no": 1, "sku": "COFFEE", "quantity": "2", "amount_minor": 2500}]}
    return make


@pytest.mark.parametrize("hours", [1, 10, 71])
def test_a_sale_dated_hours_before_the_tap_is_refused(terminal, sale, make_our_card, card_session, clock, database,
                                                      hours):
    card = make_our_card()
    opened = card_session(card)["card_session"]
    with unchanged(database):
        response = terminal.post(ACCRUALS, sale(clock() - timedelta(hours=hours), card, opened))
    assert (response.status_code, response.json["error"]) == (403, "card_session_invalid")


def test_a_sale_dated_just_beyond_the_window_and_the_clock_skew_before_the_tap_is_refused(terminal, sale, make_our_card,
                                                                           card_session, clock, database):
    card = make_our_card()
    opened = card_session(card)["card_session"]
    with unchanged(database):
        response = terminal.post(ACCRUALS, sale(clock() - SALE_BEFORE_TAP - timedelta(seconds=61), card, opened))
    assert (response.status_code, response.json["error"]) == (403, "card_session_invalid")


def test_a_sale_dated_before_the_tap_within_the_window_and_the_clock_skew_earns(terminal, sale, make_our_card,
                                                                              card_session, clock, database):
    card = make_our_card()
    opened = card_session(card)["card_session"]
    clock.advance(seconds=5)  # the till's clock runs a minute behind the server's
    response = terminal.post(ACCRUALS, sale(clock() - SALE_BEFORE_TAP - timedelta(seconds=60), card, opened))
    assert (response.status_code, response.json["points"]) == (201, 25)
    assert get_balance(database, card.member_id, as_of=clock()).pending == 25


def test_the_clock_skew_allowed_is_the_one_the_service_is_configured_with(make_app, terminal, sale, make_our_card,
                                                                          card_session, clock):
    card = make_our_card()
    opened = card_session(card)["card_session"]
    lenient = SignedTerminal(make_app(TERMINAL_CLOCK_SKEW=300).test_client(), key_id=terminal.key_id,
                             secret=terminal.secret, terminal_code=terminal.terminal_code,
                             store_code=terminal.store_code, clock=clock)
    response = lenient.post(ACCRUALS, sale(clock() - SALE_BEFORE_TAP - timedelta(seconds=240), card, opened))
    assert (response.status_code, response.json["points"]) == (201, 25)


def test_a_sale_made_after_the_tap_and_sent_hours_later_still_earns(terminal, sale, make_our_card, card_session,
                                                                    clock):
    card = make_our_card()
    opened = card_session(card)["card_session"]
    clock.advance(minutes=10)
    body = sale(clock(), card, opened)
    clock.advance(hours=5)  # kept in the till's outbox through an outage
    response = terminal.post(ACCRUALS, body)
    assert (response.status_code, response.json["points"]) == (201, 25)
