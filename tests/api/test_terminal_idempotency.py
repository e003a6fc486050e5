import threading

import psycopg
import pytest

from engine.ledger.idempotency import key_lock_id
from tests.support.assertions import unchanged

ACCRUALS = "/v1/terminal/accruals"


@pytest.fixture
def sale(terminal, make_card, clock):
    card = make_card(kind="uid", number="04A1B2C3D4E5F6")

    def make(receipt="R1", amount=1500):
        return {"store_code": terminal.store_code, "terminal_code": terminal.terminal_code, "receipt_number": receipt,
                "occurred_at": clock().isoformat(), "currency": "EUR", "card_uid": card.number,
                "lines": [{"line_no": 1, "sku": "A", "quantity": "1", "amount_minor": amount}]}
    return make


def test_a_write_without_an_idempotency_key_is_refused(terminal, sale, database):
    with unchanged(database):
        response = terminal.post(ACCRUALS, sale(), key=None)
    assert (response.status_code, response.json["error"]) == (400, "idempotency_key_missing")


def test_a_retry_gets_the_first_answer_and_earns_once(terminal, sale):
    first = terminal.post(ACCRUALS, sale(), key="k1")
    retry = terminal.post(ACCRUALS, sale(), key="k1")
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json == first.json


def test_a_refusal_is_replayed_too(terminal, sale):
    terminal.post(ACCRUALS, sale(), key="k1")
    refused = terminal.post(ACCRUALS, sale(), key="k2")
    assert (refused.status_code, refused.json["error"]) == (409, "receipt_already_earned")
    assert terminal.post(ACCRUALS, sale(), key="k2").json == refused.json


def test_the_same_key_with_another_body_is_refused_with_422(terminal, sale, database):
    terminal.post(ACCRUALS, sale(), key="k1")
    with unchanged(database):
        response = terminal.post(ACCRUALS, sale("R2"), key="k1")
    assert (response.status_code, response.json["error"]) == (422, "idempotency_key_reused")


def test_keys_are_scoped_to_the_terminal(make_signed_terminal, make_card, clock):
    a, b = make_signed_terminal(), make_signed_terminal()
    make_card(kind="uid", number="04A1B2C3D4E5F6")
    for till in (a, b):
        body = {"store_code": till.store_code, "terminal_code": till.terminal_code, "receipt_number": "R1",
                "occurred_at": clock().isoformat(), "currency": "EUR", "card_uid": "04A1B2C3D4E5F6",
                "lines": [{"line_no": 1, "sku": "A", "quantity": "1", "amount_minor": 500}]}
        assert till.post(ACCRUALS, body, key="same-key").status_code == 201


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)  # SQLite runs one writer at a time
def test_a_retry_while_the_first_request_still_runs_gets_409(terminal, sale, database):
    """The first request is simulated by a transaction holding the key's claim."""
    url = database.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url) as holder:
        claim = key_lock_id(f"terminal:{terminal.terminal_code}", "k-busy")
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (claim,))
        result = {}
        worker = threading.Thread(target=lambda: result.update(r=terminal.post(ACCRUALS, sale(), key="k-busy")))
        worker.start()
        worker.join(timeout=10)
        holder.rollback()
    assert (result["r"].status_code, result["r"].json["error"]) == (409, "request_in_flight")
