"""How many statements a till's hold (paying with points) sends: the hold path's budget.

A hold reads its card session, the card and the member's account (locked) in one statement
(on PostgreSQL with the idempotency claim), then places the hold: the points available, the
hold and the lots it reserves, and the answer. Its capture reads the hold, the member's
account (locked) and the member in one statement (with the claim), checks the hold's store
against the kept configuration, looks whether the sale it pays for has earned already (one
statement since 2026-12-07: a refund of such a sale gave back points that paid for nothing of
it), and writes the receipt number with the hold's outcome. A change that adds a statement
must raise these budgets on purpose, with a reason.
"""
from tests.support.statements import statements_of

HOLDS = "/v1/terminal/holds"
# PostgreSQL: BEGIN and COMMIT are not counted; SQLite: BEGIN IMMEDIATE is one of them.
BUDGET = {"sqlite": 9, "postgresql": 7}
CAPTURE_BUDGET = {"sqlite": 15, "postgresql": 9}


def test_a_hold_stays_within_its_statement_budget_and_reads_the_card_once(
        terminal, make_member, make_our_card, card_session, database):
    session = card_session(make_our_card(make_member(points=1000)))["card_session"]
    assert terminal.post(HOLDS, {"card_session": session, "points": 100}).status_code == 201  # reads the configuration
    statements = statements_of(database, lambda: terminal.post(HOLDS, {"card_session": session, "points": 100}))
    backend = "sqlite" if database.is_sqlite else "postgresql"
    assert len(statements) <= BUDGET[backend], "\n".join(statements)
    assert len([s for s in statements if "cards" in s]) == 1, "\n".join(statements)


def test_a_capture_stays_within_its_statement_budget_and_updates_the_hold_once(
        terminal, make_member, make_our_card, card_session, database):
    session = card_session(make_our_card(make_member(points=1000)))["card_session"]
    terminal.post(HOLDS, {"card_session": session, "points": 100})
    hold = terminal.post(HOLDS, {"card_session": session, "points": 100}).json
    statements = statements_of(database, lambda: terminal.post(f"{HOLDS}/{hold['hold_id']}/capture",
                                                               {"points": 50, "receipt_number": "R1"}))
    backend = "sqlite" if database.is_sqlite else "postgresql"
    assert len(statements) <= CAPTURE_BUDGET[backend], "\n".join(statements)
    assert len([s for s in statements if s.startswith("UPDATE holds")]) == 1, "\n".join(statements)
    assert not [s for s in statements if "FROM stores" in s], "\n".join(statements)
