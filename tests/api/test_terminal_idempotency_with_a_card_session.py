"""A till's accrual with a card session reads the session, its card and the member's account
with the idempotency key's claim in one statement (PostgreSQL): the key's guarantees hold
as they do for an accrual that claims its key on its own."""
import threading

import psycopg
import pytest
import sqlalchemy as sa

from engine.ledger.idempotency import key_lock_id
from engine.orm.ledger import IdempotencyKeyRow
from tests.support.assertions import unchanged

ACCRUALS = "/v1/terminal/accruals"


@pytest.fixture
def sale(terminal, make_our_card, card_session, clock):
    card = make_our_card()
    session = card_session(card)["card_session"]

    def make(receipt="R1", amount=1500, token=session):
        return {"store_code": terminal.store_code, "terminal_code": terminal.terminal_code, "receipt_number": receipt,
                "occurred_at": clock().isoformat(), "currency": "EUR", "card_number": card.number,
                "card_session": token, "lines": [{"line_no": 1, "sku": "A", "quantity": "1", "amount_minor": amount}]}
    return make


def test_a_retry_gets_the_first_answer_even_after_the_card_session_ended(terminal, sale, clock, database):
    body = sale()
    first = terminal.post(ACCRUALS, body, key="k1")
    clock.advance(days=1)  # the card session is long over: the retry is not checked again
    with unchanged(database):
        retry = terminal.post(ACCRUALS, body, key="k1")
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json == first.json


def test_a_refusal_is_replayed_too(terminal, sale, database):
    terminal.post(ACCRUALS, sale(), key="k1")
    refused = terminal.post(ACCRUALS, sale(), key="k2")
    assert (refused.status_code, refused.json["error"]) == (409, "receipt_already_earned")
    with unchanged(database):
        assert terminal.post(ACCRUALS, sale(), key="k2").json == refused.json


def test_an_unknown_card_session_is_refused_and_the_refusal_replayed(terminal, sale, database):
    with unchanged(database):
        refused = terminal.post(ACCRUALS, sale(token="no-such-session"), key="k1")
    assert (refused.status_code, refused.json["error"]) == (403, "card_session_invalid")
    with database.transaction() as session:
        assert session.scalar(sa.select(IdempotencyKeyRow.outcome).where(IdempotencyKeyRow.key == "k1")) == "refused"
    assert terminal.post(ACCRUALS, sale(token="no-such-session"), key="k1").json == refused.json


def test_the_same_key_with_another_body_is_refused_with_422(terminal, sale, database):
    terminal.post(ACCRUALS, sale(), key="k1")
    with unchanged(database):
        response = terminal.post(ACCRUALS, sale("R2"), key="k1")
    assert (response.status_code, response.json["error"]) == (422, "idempotency_key_reused")


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)  # SQLite runs one writer at a time
def test_a_retry_while_the_first_request_still_runs_gets_409_and_changes_nothing(terminal, sale, database):
    """The first request is simulated by a transaction holding the key's claim."""
    url = database.url.set(drivername="postgresql").render_as_string(hide_password=False)
    body = sale()
    with unchanged(database), psycopg.connect(url) as holder:
        claim = key_lock_id(f"terminal:{terminal.terminal_code}", "k-busy")
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (claim,))
        result = {}
        worker = threading.Thread(target=lambda: result.update(r=terminal.post(ACCRUALS, body, key="k-busy")))
        worker.start()
        worker.join(timeout=10)
        holder.rollback()
    assert (result["r"].status_code, result["r"].json["error"]) == (409, "request_in_flight")
    assert terminal.post(ACCRUALS, body, key="k-busy").status_code == 201  # once the key is free
