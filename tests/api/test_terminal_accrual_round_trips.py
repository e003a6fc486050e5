"""How many statements a till's accrual sends to the database: the accrual path's budget.

Round trips and per-statement work decide the API's accrual throughput (see
tests/bench/api_accrual.py). A change that adds a statement to every accrual must raise
this budget on purpose, with a reason, instead of slipping in.
"""
from datetime import timedelta
from unittest import mock

import psycopg._queries
import pytest

from engine.demo import DEMO_RULES, DEMO_SUMMER_BUDGET, DEMO_TIER_POLICY, DEMO_TIERS
from engine import webhooks
from engine.rules import campaigns, versions
from engine.tiers.service import define_tiers
from tests.support.statements import statements_of
from tests.support.webhook_receiver import public_resolver

# What a signed accrual of an authenticated card under the demo's programme (a budgeted
# campaign, capped rules, tiers) sends. PostgreSQL: BEGIN and COMMIT are not statements here.
# SQLite: BEGIN IMMEDIATE is one, and rows inserted with RETURNING in order go one by one;
# PostgreSQL writes the receipt with its lines and rule awards, and the ledger posting of
# its points with their lot, in one statement. The configuration's revision, which the till's
# request checks its snapshot against, comes with the idempotency claim; the member's
# account, locked, with the card session; the cap usage with the member's facts; the
# member's tier with the card (their tier state is read only when it changes); the
# qualifying points for an immediate upgrade with the member's facts; on PostgreSQL the
# member's facts with the card session (read again on their own only when a sale of the same
# member committed while this one waited for the account's lock).
BUDGET = {"sqlite": 14, "postgresql": 2}  # (PostgreSQL: the budgeted campaign is taken with the receipt)


@pytest.fixture
def demo_programme(database, clock):
    now = clock()
    campaigns.create_campaign(database, code="summer", name="Summer", starts_at=now - timedelta(days=1),
                              ends_at=now + timedelta(days=60), budget=DEMO_SUMMER_BUDGET, now=now)
    define_tiers(database, DEMO_TIERS, DEMO_TIER_POLICY, now=now)  # before the rules that name them
    for rule in DEMO_RULES:
        versions.create_draft(database, rule, now=now)
    versions.publish_rules(database, [rule["key"] for rule in DEMO_RULES], now=now - timedelta(minutes=1))


def _accrual_of(terminal, card, session, clock):
    def accrue(receipt: str):
        response = terminal.post("/v1/terminal/accruals", {
            "store_code": terminal.store_code, "terminal_code": terminal.terminal_code, "receipt_number": receipt,
            "occurred_at": clock().isoformat(), "currency": "EUR", "card_number": card.number,
            "card_session": session,
            "lines": [{"line_no": n, "sku": f"SKU{n}", "category": "coffee" if n % 2 else "bakery",
                       "quantity": "1", "amount_minor": 1250} for n in range(1, 7)]})
        assert response.status_code == 201, response.json
    return accrue


def test_an_accrual_stays_within_its_statement_budget(database, demo_programme, terminal, make_our_card, card_session,
                                                      clock):
    card = make_our_card()
    accrue = _accrual_of(terminal, card, card_session(card)["card_session"], clock)
    accrue("R1")  # the first reads the configuration and compiles the rules
    statements = statements_of(database, lambda: accrue("R2"))
    backend = "sqlite" if database.is_sqlite else "postgresql"
    assert len(statements) <= BUDGET[backend], "\n".join(statements)


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_the_driver_parses_none_of_an_accruals_statements_again(database, demo_programme, terminal, make_our_card,
                                                                 card_session, clock):
    # psycopg keeps a statement's text turned into $n placeholders only up to a length and a
    # number of parameters (raised in engine/database.py); parsing the first read with the
    # member's facts anew cost 30 µs of every accrual
    card = make_our_card()
    accrue = _accrual_of(terminal, card, card_session(card)["card_session"], clock)
    accrue("R1")
    with mock.patch.object(psycopg._queries, "_query2pg_nocache", wraps=psycopg._queries._query2pg_nocache) as parse:
        statements = statements_of(database, lambda: accrue("R2"))
    assert len(statements) == BUDGET["postgresql"] and parse.call_count == 0, "\n".join(statements)


def test_a_uid_cards_accrual_stays_within_the_same_budget(database, demo_programme, terminal, make_card, clock):
    card = make_card(kind="uid", number="04A1B2C3D4E5F6")  # earns on its identifier: the claim comes with the card

    def accrue(receipt: str):
        response = terminal.post("/v1/terminal/accruals", {
            "store_code": terminal.store_code, "terminal_code": terminal.terminal_code, "receipt_number": receipt,
            "occurred_at": clock().isoformat(), "currency": "EUR", "card_uid": card.number,
            "lines": [{"line_no": n, "sku": f"SKU{n}", "category": "coffee" if n % 2 else "bakery",
                       "quantity": "1", "amount_minor": 1250} for n in range(1, 7)]})
        assert response.status_code == 201, response.json

    accrue("R1")
    statements = statements_of(database, lambda: accrue("R2"))
    backend = "sqlite" if database.is_sqlite else "postgresql"
    assert len(statements) <= BUDGET[backend], "\n".join(statements)


def test_an_endpoint_taking_earnings_adds_one_statement_and_none_other_does(database, demo_programme, terminal,
                                                                             make_our_card, card_session, clock):
    card = make_our_card()
    session = card_session(card)["card_session"]
    receipts = iter(range(1, 10))

    def accrue():
        response = terminal.post("/v1/terminal/accruals", {
            "store_code": terminal.store_code, "terminal_code": terminal.terminal_code,
            "receipt_number": f"R{next(receipts)}", "occurred_at": clock().isoformat(), "currency": "EUR",
            "card_number": card.number, "card_session": session,
            "lines": [{"line_no": 1, "sku": "SKU1", "quantity": "1", "amount_minor": 1250}]})
        assert response.status_code == 201, response.json

    def add(kind: str, url: str) -> None:
        webhooks.add_endpoint(database, url=url, kinds=[kind], actor="admin", now=clock(),
                              allowed_private=frozenset(), resolver=public_resolver)
        accrue()  # reads the new configuration

    accrue()
    without = len(statements_of(database, accrue))
    add("reward.redeemed", "https://crm.example.com/rewards")
    assert len(statements_of(database, accrue)) == without
    add("points.earned", "https://crm.example.com/earnings")
    with_endpoint = statements_of(database, accrue)
    assert len(with_endpoint) == without + 1
    assert sum("INSERT INTO webhook_deliveries" in s for s in with_endpoint) == 1


def test_the_configuration_is_read_again_only_after_it_changes(database, demo_programme, terminal, make_our_card,
                                                               card_session, clock):
    card = make_our_card()
    session = card_session(card)["card_session"]
    body = {"store_code": terminal.store_code, "terminal_code": terminal.terminal_code, "currency": "EUR",
            "card_number": card.number, "card_session": session,
            "lines": [{"line_no": 1, "sku": "SKU1", "quantity": "1", "amount_minor": 1250}]}
    terminal.post("/v1/terminal/accruals", {**body, "receipt_number": "R1", "occurred_at": clock().isoformat()})
    unchanged = statements_of(database, lambda: terminal.post(
        "/v1/terminal/accruals", {**body, "receipt_number": "R2", "occurred_at": clock().isoformat()}))
    assert not any("FROM stores" in s or "FROM programme_settings" in s for s in unchanged)
    campaigns.create_campaign(database, code="winter", name="Winter", starts_at=clock(),
                              ends_at=clock() + timedelta(days=30), budget=None, now=clock())
    changed = statements_of(database, lambda: terminal.post(
        "/v1/terminal/accruals", {**body, "receipt_number": "R3", "occurred_at": clock().isoformat()}))
    assert any("FROM stores" in s for s in changed) and any("FROM campaigns" in s for s in changed)


def test_an_accrual_that_raises_the_members_tier_adds_one_statement_on_postgresql(database, demo_programme, terminal,
                                                                                 make_our_card, card_session, clock):
    card = make_our_card()
    session = card_session(card)["card_session"]

    def accrue(receipt: str, amount_minor: int):
        response = terminal.post("/v1/terminal/accruals", {
            "store_code": terminal.store_code, "terminal_code": terminal.terminal_code, "receipt_number": receipt,
            "occurred_at": clock().isoformat(), "currency": "EUR", "card_number": card.number,
            "card_session": session,
            "lines": [{"line_no": n, "sku": f"SKU{n}", "category": "bakery", "quantity": "1",
                       "amount_minor": amount_minor} for n in range(1, 7)]})
        assert response.status_code == 201, response.json

    accrue("R1", 1000)
    staying = statements_of(database, lambda: accrue("R2", 1000))
    raising = statements_of(database, lambda: accrue("R3", 20_000))  # 1,200 euros: past Silver's 500 points
    assert sum("INSERT INTO tier_changes" in s for s in raising) == 1
    if not database.is_sqlite:  # the change, the state, the member's mirror and their message: one statement
        assert len(raising) == len(staying) + 1, "\n".join(raising)
