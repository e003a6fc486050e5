from datetime import timedelta

import pytest
import sqlalchemy as sa

from engine.access.tokens import purge_tokens
from engine.card_keys import card_answer, offline_challenge
from engine.ledger.balances import get_balance
from engine.orm.ledger import ReceiptRow
from tests.api.conftest import CARD_KEYS
from tests.support.assertions import unchanged

ACCRUALS = "/v1/terminal/accruals"


@pytest.fixture
def sale(terminal, clock):
    """``sale(receipt="R1", card_number=...)``: an accrual body for a 25.00 sale at ``terminal``."""
    def make(receipt: str = "R1", **proof) -> dict:
        return {"store_code": terminal.store_code, "terminal_code": terminal.terminal_code,
                "receipt_number": receipt, "occurred_at": clock().isoformat(), "currency": "EUR",
                "lines": [{"line_no": 1, "sku": "COFFEE", "quantity": "2", "amount_minor": 1500,
                           "category": "coffee"},
                          {"line_no": 2, "sku": "CAKE", "quantity": "1", "amount_minor": 1000}], **proof}
    return make


def test_an_authenticated_card_earns_for_a_sale(terminal, sale, make_our_card, card_session, database, clock):
    card = make_our_card()
    session = card_session(card)
    response = terminal.post(ACCRUALS, sale(card_number=card.number, card_session=session["card_session"]))
    assert response.status_code == 201
    assert (response.json["points"], [line["points"] for line in response.json["lines"]]) == (25, [15, 10])
    assert get_balance(database, card.member_id, as_of=clock()).pending == 25


def test_a_sale_keeps_the_cashier_the_till_names(terminal, sale, make_card, database):
    make_card(kind="uid", number="04A1B2C3D4E5F6")
    assert terminal.post(ACCRUALS, sale("R1", card_uid="04A1B2C3D4E5F6", cashier="0042")).status_code == 201
    assert terminal.post(ACCRUALS, sale("R2", card_uid="04A1B2C3D4E5F6")).status_code == 201
    with database.transaction() as session:
        assert sorted(session.execute(sa.select(ReceiptRow.receipt_number, ReceiptRow.cashier))) == [
            ("R1", "0042"), ("R2", None)]


def test_our_card_without_proof_of_presence_earns_nothing(terminal, sale, make_our_card, database):
    card = make_our_card()
    with unchanged(database):
        response = terminal.post(ACCRUALS, sale(card_number=card.number))
    assert (response.status_code, response.json["error"]) == (403, "card_proof_required")


def test_a_uid_card_earns_on_its_identifier(terminal, sale, make_card):
    card = make_card(kind="uid", number="04A1B2C3D4E5F6")
    response = terminal.post(ACCRUALS, sale(card_uid=card.number))
    assert (response.status_code, response.json["points"]) == (201, 25)


def test_a_card_session_of_another_card_is_refused(terminal, sale, make_our_card, card_session, database):
    card, other = make_our_card(), make_our_card()
    session = card_session(other)
    with unchanged(database):
        response = terminal.post(ACCRUALS, sale(card_number=card.number, card_session=session["card_session"]))
    assert (response.status_code, response.json["error"]) == (403, "card_session_invalid")


def test_a_card_session_opened_at_another_till_is_refused(make_signed_terminal, make_our_card, card_session, clock,
                                                          database):
    here, there = make_signed_terminal("ST9"), make_signed_terminal("ST9")
    card = make_our_card()
    session = card_session(card, at=there)
    body = {"store_code": "ST9", "terminal_code": here.terminal_code, "receipt_number": "R1",
            "occurred_at": clock().isoformat(), "currency": "EUR", "card_number": card.number,
            "card_session": session["card_session"],
            "lines": [{"line_no": 1, "sku": "A", "quantity": "1", "amount_minor": 100}]}
    with unchanged(database):
        response = here.post(ACCRUALS, body)
    assert (response.status_code, response.json["error"]) == (403, "card_session_invalid")


def test_a_terminal_cannot_earn_in_another_store(terminal, make_signed_terminal, sale, make_card, database):
    other = make_signed_terminal()
    card = make_card(kind="uid", number="04A1B2C3D4E5F6")
    with unchanged(database):
        response = terminal.post(ACCRUALS, sale(card_uid=card.number) | {"store_code": other.store_code})
    assert (response.status_code, response.json["error"]) == (403, "other_store")


def test_a_terminal_cannot_send_a_sale_in_another_terminals_name(terminal, make_signed_terminal, sale, make_card,
                                                                   database):
    colleague = make_signed_terminal(terminal.store_code)
    card = make_card(kind="uid", number="04A1B2C3D4E5F6")
    with unchanged(database):
        response = terminal.post(ACCRUALS, sale(card_uid=card.number) | {"terminal_code": colleague.terminal_code})
    assert (response.status_code, response.json["error"]) == (403, "other_terminal")


def offline_proof(card, terminal, body, counter: int, *, key_version: int = 1) -> dict:
    challenge = offline_challenge(terminal=terminal.terminal_code, receipt=body["receipt_number"],
                                  sold_at=_instant(body["occurred_at"]), counter=counter)
    answer = card_answer(CARD_KEYS.card_key(key_version, card.number), challenge)
    return {"card_number": card.number, "key_version": key_version, "counter": counter, "answer": answer.hex()}


def _instant(text):
    from datetime import datetime
    return datetime.fromisoformat(text)


def test_offline_evidence_earns_later_once(terminal, sale, make_our_card, clock):
    card = make_our_card()
    body = sale(card_number=card.number)
    body["offline_proof"] = offline_proof(card, terminal, body, counter=7)
    clock.advance(hours=20)
    assert terminal.post(ACCRUALS, body).status_code == 201
    again = sale("R2", card_number=card.number) | {"occurred_at": body["occurred_at"]}
    again["offline_proof"] = offline_proof(card, terminal, again, counter=7)
    response = terminal.post(ACCRUALS, again)
    assert (response.status_code, response.json["error"]) == (409, "offline_proof_used")


def test_offline_evidence_older_than_the_programme_allows_is_refused(terminal, sale, make_our_card, clock, database):
    card = make_our_card()
    body = sale(card_number=card.number)
    body["offline_proof"] = offline_proof(card, terminal, body, counter=1)
    clock.advance(hours=72, seconds=1)
    with unchanged(database):
        response = terminal.post(ACCRUALS, body)
    assert (response.status_code, response.json["error"]) == (409, "sale_too_old")


def test_offline_evidence_for_another_receipt_is_refused(terminal, sale, make_our_card, database):
    card = make_our_card()
    body = sale(card_number=card.number)
    body["offline_proof"] = offline_proof(card, terminal, body | {"receipt_number": "R-other"}, counter=1)
    with unchanged(database):
        response = terminal.post(ACCRUALS, body)
    assert (response.status_code, response.json["error"]) == (403, "card_not_authenticated")


def test_offline_evidence_of_one_card_cannot_earn_for_another(terminal, sale, make_our_card, database):
    card, other = make_our_card(), make_our_card()
    body = sale(card_number=other.number)
    body["offline_proof"] = offline_proof(card, terminal, body, counter=1)  # a genuine answer, of another card
    with unchanged(database):
        response = terminal.post(ACCRUALS, body)
    assert (response.status_code, response.json["error"]) == (403, "card_not_authenticated")


def test_offline_evidence_with_a_key_version_the_card_does_not_have_is_refused(terminal, sale, make_our_card):
    card = make_our_card()
    body = sale(card_number=card.number)
    body["offline_proof"] = offline_proof(card, terminal, body, counter=1, key_version=2)
    assert terminal.post(ACCRUALS, body).json["error"] == "card_not_authenticated"


def test_a_sale_with_both_card_number_and_uid_is_refused(terminal, sale):
    response = terminal.post(ACCRUALS, sale(card_number="9000000000000019", card_uid="04A1"))
    assert response.status_code == 422
    assert "card_number" in response.json["errors"]


@pytest.mark.parametrize("change", [
    {"lines": "many"},
    {"occurred_at": "2026-03-02T10:00:00"},
    {"lines": [{"line_no": 1, "sku": "A", "quantity": "1", "amount_minor": 10.5}]},
    {"balance": 1000},
    {"cashier": ""},
    {"cashier": "x" * 33},
    {"cashier": 42},
    {"cashier": " 0042"},
])
def test_a_malformed_sale_is_refused_field_by_field_and_changes_nothing(terminal, sale, make_card, database, change):
    make_card(kind="uid", number="04A1B2C3D4E5F6")
    with unchanged(database):
        response = terminal.post(ACCRUALS, sale(card_uid="04A1B2C3D4E5F6") | change)
    assert response.status_code == 422
    assert response.json["errors"]


@pytest.mark.parametrize(("lines", "errors"), [
    ("many", {"lines": ["Not a valid list."]}),
    ({"line_no": 1}, {"lines": ["Not a valid list."]}),
    ([1], {"lines.0": ["Must be a JSON object."]}),
    ([{"line_no": 1, "sku": "A", "quantity": "1"}], {"lines.0.amount_minor": ["Missing data for required field."]}),
])
def test_lines_of_the_wrong_shape_are_refused_line_by_line(terminal, sale, lines, errors):
    response = terminal.post(ACCRUALS, sale(card_uid="04A1B2C3D4E5F6") | {"lines": lines})
    assert response.status_code == 422
    assert response.json["errors"] == errors


def test_malformed_json_is_refused(terminal):
    response = terminal.post(ACCRUALS, raw=b'{"store_code": ')
    assert response.status_code in (400, 422)
    assert response.json["message"]


def test_a_sale_dated_in_the_future_is_refused(terminal, sale, make_card, clock):
    make_card(kind="uid", number="04A1B2C3D4E5F6")
    body = sale(card_uid="04A1B2C3D4E5F6") | {"occurred_at": (clock() + timedelta(hours=1)).isoformat()}
    assert terminal.post(ACCRUALS, body).status_code == 422


def test_a_tapped_card_cannot_earn_for_a_sale_dated_before_the_offline_age(terminal, sale, make_our_card,
                                                                          card_session, clock, database):
    # the till states the sale time, and the pending points' release follows it: a sale dated
    # far back would make its points spendable at once, past the return window
    card = make_our_card()
    session = card_session(card)
    body = sale(card_number=card.number, card_session=session["card_session"])
    body["occurred_at"] = (clock() - timedelta(hours=72, seconds=1)).isoformat()
    with unchanged(database):
        response = terminal.post(ACCRUALS, body)
    assert (response.status_code, response.json["error"]) == (409, "sale_too_old")
    assert "72 hours" in response.json["message"]


def test_a_uid_card_cannot_earn_for_a_sale_dated_before_the_offline_age(terminal, sale, make_card, clock, database):
    make_card(kind="uid", number="04A1B2C3D4E5F6")
    body = sale(card_uid="04A1B2C3D4E5F6") | {"occurred_at": (clock() - timedelta(days=400)).isoformat()}
    with unchanged(database):
        response = terminal.post(ACCRUALS, body)
    assert (response.status_code, response.json["error"]) == (409, "sale_too_old")


def test_a_sale_sent_just_within_the_offline_age_earns(terminal, sale, make_card, clock):
    make_card(kind="uid", number="04A1B2C3D4E5F6")
    body = sale(card_uid="04A1B2C3D4E5F6") | {"occurred_at": (clock() - timedelta(hours=72)).isoformat()}
    assert terminal.post(ACCRUALS, body).status_code == 201


def test_a_sale_kept_through_an_outage_earns_on_the_card_session_it_was_made_in(terminal, sale, make_our_card,
                                                                                card_session, clock, database):
    card = make_our_card()
    body = sale(card_number=card.number, card_session=card_session(card)["card_session"])
    clock.advance(hours=5)  # the session ended 15 minutes after the tap; the till's outbox sends the sale now
    purge_tokens(database, as_of=clock())
    response = terminal.post(ACCRUALS, body)
    assert (response.status_code, response.json["points"]) == (201, 25)


def test_a_sale_made_after_its_card_session_ended_is_refused(terminal, sale, make_our_card, card_session, clock,
                                                            database):
    card = make_our_card()
    session = card_session(card)["card_session"]
    clock.advance(minutes=16)
    with unchanged(database):
        response = terminal.post(ACCRUALS, sale(card_number=card.number, card_session=session))
    assert (response.status_code, response.json["error"]) == (403, "card_session_invalid")


def test_card_sessions_are_kept_until_a_sale_made_in_them_is_too_old_to_earn(terminal, make_our_card, card_session,
                                                                           clock, database):
    card_session(make_our_card())
    assert purge_tokens(database, as_of=clock() + timedelta(hours=72)) == 0
    assert purge_tokens(database, as_of=clock() + timedelta(hours=73)) == 1
