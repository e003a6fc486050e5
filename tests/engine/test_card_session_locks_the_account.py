"""An accrual's card-session check reads the member's account locked, in the same statement.

The accrual locks the member's account anyway; reading it with the card session saves that
round trip, so the lock must really be held from then on (PostgreSQL; SQLite transactions
hold the database's write lock).
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from engine.card_auth import check_accrual_proof, issue_card_challenge, open_card_session
from engine.card_keys import MasterKeys, card_answer
from engine.ledger.accounts import lock_member_account
from engine.orm.members import MemberRow

KEYS = MasterKeys({1: bytes(range(16))})


@pytest.fixture
def tapped(database, clock, make_terminal, make_card):
    """A card of ours and a card session opened for it at a terminal."""
    terminal = make_terminal()
    card = make_card(kind="applet")
    challenge = issue_card_challenge(database, terminal_code=terminal.code, card_number=card.number, now=clock())
    session = open_card_session(database, terminal_code=terminal.code, challenge_id=challenge.challenge_id,
                                answer=card_answer(KEYS.card_key(1, card.number), challenge.challenge),
                                keys=KEYS, now=clock())
    return terminal, card, session


def check(session, terminal, card, card_session, clock) -> None:
    check_accrual_proof(session, terminal_code=terminal.code, card_number=card.number, receipt_number="R1",
                        sold_at=clock(), card_session=card_session.token, offline_proof=None, keys=KEYS, now=clock(),
                        clock_skew=timedelta(seconds=60))


@pytest.mark.parametrize("database", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_the_account_read_with_the_card_session_stays_locked_until_the_transaction_ends(database, clock, tapped):
    terminal, card, card_session = tapped
    with database.transaction() as session:
        check(session, terminal, card, card_session, clock)
        with database.engine.connect() as other:
            with pytest.raises(sa.exc.OperationalError, match="could not obtain lock"):
                other.execute(sa.text("SELECT id FROM accounts WHERE member_id = (SELECT member_id FROM cards "
                                      "WHERE number = :number) FOR UPDATE NOWAIT"), {"number": card.number})
            other.rollback()


def test_locking_the_account_after_the_check_sends_nothing_and_gives_the_same_row(database, clock, tapped):
    terminal, card, card_session = tapped
    sent = []
    with database.transaction() as session:
        check(session, terminal, card, card_session, clock)
        member_pk = session.scalar(sa.select(MemberRow.id).where(MemberRow.public_id == card.member_id))

        def note(_connection, _cursor, statement, *_):
            sent.append(statement)
        sa.event.listen(database.engine, "before_cursor_execute", note)
        try:
            account = lock_member_account(session, member_pk)
        finally:
            sa.event.remove(database.engine, "before_cursor_execute", note)
        assert (sent, account.member_id) == ([], member_pk)
