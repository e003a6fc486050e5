"""A command that names a card reads the card and locks the member's account in one
statement (an accrual from an offline till, a hold at the till)."""
from engine.ledger.commands import PlaceHold
from engine.ledger.holds import place_hold
from tests.conftest import new_key
from tests.support.statements import statements_of


def assert_one_read_for_card_and_account(database, statements: list[str]) -> None:
    card_reads = [s for s in statements if "FROM cards" in s]
    assert len(card_reads) == 1 and "JOIN accounts" in card_reads[0], "\n".join(statements)
    if not database.is_sqlite:  # SQLite locks the whole database instead
        assert "FOR UPDATE OF accounts" in card_reads[0]
    assert not [s for s in statements if s.startswith("SELECT accounts.")], "\n".join(statements)


def test_an_accrual_by_card_reads_the_card_with_the_account_locked(database, make_member, make_card, earn):
    member = make_member()
    card = make_card(member)
    earn(member, 1000, card_number=card.number)  # the first purchase, the configuration read
    statements = statements_of(database, lambda: earn(member, 1250, card_number=card.number))
    assert_one_read_for_card_and_account(database, statements)


def test_a_hold_by_card_reads_the_card_with_the_account_locked(database, clock, make_member, make_card, till):
    member = make_member(points=500)
    card = make_card(member)
    statements = statements_of(database, lambda: place_hold(
        database, PlaceHold(till.store_code, till.code, 200, card_number=card.number),
        caller=till.code, idempotency_key=new_key(), now=clock()))
    assert_one_read_for_card_and_account(database, statements)
