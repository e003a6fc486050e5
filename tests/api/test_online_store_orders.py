"""A web shop is an online store: its backend, a terminal of the store with its own signing
key, posts orders naming the member (no card), which earn like a till's sales, with the
rules for the ``online`` channel. A till naming a member instead of reading the card is
refused, and so is an order mixing the two."""
from datetime import timedelta

import pytest

from engine.ledger.balances import get_balance
from engine.rules.versions import create_draft, publish_rules
from tests.api.conftest import refund_body
from tests.support.assertions import unchanged

ACCRUALS = "/v1/terminal/accruals"


@pytest.fixture
def shop(make_signed_terminal):
    return make_signed_terminal("WEB", channel="online")


def order(at, terminal, number: str = "W-1", **member) -> dict:
    return {"store_code": terminal.store_code, "terminal_code": terminal.terminal_code, "receipt_number": number,
            "occurred_at": at.isoformat(), "currency": "EUR",
            "lines": [{"line_no": 1, "sku": "BOOK", "quantity": "1", "amount_minor": 2500, "category": "books"}],
            **member}


@pytest.fixture
def online_bonus(database, clock):
    create_draft(database, {"key": "web-bonus", "name": "Online orders: 30 more", "conditions": [
        {"kind": "channel", "values": ["online"]}], "effect": {"kind": "fixed_per_transaction", "points": 30}},
        now=clock())
    publish_rules(database, ["web-bonus"], now=clock())
    clock.advance(seconds=1)


def test_an_online_order_earns_for_the_member_it_names_with_the_online_rules(shop, online_bonus, make_member,
                                                                              database, clock):
    member = make_member()
    response = shop.post(ACCRUALS, order(clock(), shop, member_id=member.public_id))
    assert response.status_code == 201
    assert response.json["points"] == 25 + 30
    assert [rule["rule_key"] for rule in response.json["rules"]] == ["base", "web-bonus"]
    assert get_balance(database, member.public_id, as_of=clock()).pending == 55


def test_an_order_earns_once_whatever_the_key(shop, make_member, database, clock):
    member = make_member()
    assert shop.post(ACCRUALS, order(clock(), shop, member_id=member.public_id)).status_code == 201
    with unchanged(database):
        again = shop.post(ACCRUALS, order(clock(), shop, member_id=member.public_id))
    assert (again.status_code, again.json["error"]) == (409, "receipt_already_earned")


def test_a_till_naming_a_member_instead_of_reading_the_card_is_refused(terminal, online_bonus, make_member,
                                                                       database, clock):
    member = make_member()
    with unchanged(database):
        response = terminal.post(ACCRUALS, order(clock(), terminal, member_id=member.public_id))
    assert (response.status_code, response.json["error"]) == (403, "card_required")


def test_an_order_for_an_unknown_member_is_refused(shop, database, clock):
    with unchanged(database):
        response = shop.post(ACCRUALS, order(clock(), shop, member_id="MNOSUCHMEMBER"))
    assert response.status_code == 404


def test_an_order_older_than_the_offline_age_is_refused(shop, make_member, database, clock):
    member = make_member()
    with unchanged(database):
        response = shop.post(ACCRUALS, order(clock() - timedelta(hours=73), shop, member_id=member.public_id))
    assert (response.status_code, response.json["error"]) == (409, "sale_too_old")


@pytest.mark.parametrize("extra", [{"card_uid": "04A1B2C3D4E5F6"}, {"card_session": "cs_x"},
                                   {"offline_proof": {"card_number": "9000000000000019", "key_version": 1,
                                                      "counter": 1, "answer": "00" * 16}}])
def test_an_order_naming_its_member_carries_no_card_or_card_proof(shop, make_member, database, clock, extra):
    member = make_member()
    with unchanged(database):
        response = shop.post(ACCRUALS, order(clock(), shop, member_id=member.public_id, **extra))
    assert response.status_code == 422


def test_an_online_store_cannot_order_for_another_store(shop, make_signed_terminal, make_member, database, clock):
    other = make_signed_terminal("WEB2", channel="online")
    member = make_member()
    with unchanged(database):
        response = shop.post(ACCRUALS, order(clock(), other, member_id=member.public_id))
    assert (response.status_code, response.json["error"]) == (403, "other_store")


def test_an_online_order_comes_back_as_a_refund_by_its_order_number(shop, make_member, clock):
    member = make_member()
    assert shop.post(ACCRUALS, order(clock(), shop, member_id=member.public_id)).status_code == 201
    response = shop.post("/v1/terminal/refunds", refund_body(shop, clock, receipt_number="W-1"))
    assert (response.status_code, response.json["member_id"], response.json["points_reversed"]) == (
        201, member.public_id, 25)
