"""On PostgreSQL an accrual writes its idempotency key's row, with its answer, in the
statement that writes its receipt (one round trip fewer): the stored answer is the answer
given, and a first answer committed meanwhile by a request with the same key still wins."""
import json

import pytest
import sqlalchemy as sa

from engine.errors import RequestInFlight
from engine.ledger.earning import earn_points
from engine.ledger.idempotency import request_fingerprint
from engine.orm.ledger import IdempotencyKeyRow, LedgerTransactionRow, ReceiptRow
from engine.plain import to_plain


def stored_answer(database, key: str) -> dict:
    with database.transaction() as session:
        return json.loads(session.scalar(sa.select(IdempotencyKeyRow.response).where(IdempotencyKeyRow.key == key)))


@pytest.mark.parametrize("amount", [1000, 0], ids=["points", "no points"])
def test_the_stored_answer_is_the_answer_given(database, clock, make_member, make_basket, amount):
    basket = make_basket(make_member(points=40), amount)
    earned = earn_points(database, basket, caller="S1-T1", idempotency_key="k-1", now=clock())
    assert stored_answer(database, "k-1") == to_plain(earned)
    assert (earned.transaction_id is None) == (amount == 0) and earned.balance == 40 + earned.points
    assert earn_points(database, basket, caller="S1-T1", idempotency_key="k-1", now=clock()) == earned


@pytest.mark.parametrize("database", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_an_answer_committed_after_the_claim_is_found_with_the_receipt_and_wins(database, clock, make_member,
                                                                                  make_basket):
    # The claim reads the key's row before it takes the key's lock: a first request that
    # commits in between is found when the receipt's statement writes the key's row. Made
    # deterministic by committing the other answer from inside the accrual.
    basket = make_basket(make_member(), 1000)
    first = {"member_id": "M-FIRST", "points": 7}

    def commit_another_answer(_session):
        with database.engine.connect() as other:
            other.execute(sa.insert(IdempotencyKeyRow.__table__).values(
                caller="S1-T1", key="k-1", command="earn", request_hash=request_fingerprint("earn", basket),
                outcome="ok", response=json.dumps(first), created_at=clock()))
            other.commit()

    with pytest.raises(RequestInFlight):
        earn_points(database, basket, caller="S1-T1", idempotency_key="k-1", now=clock(),
                    verify=commit_another_answer)
    with database.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ReceiptRow)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(LedgerTransactionRow)) == 0
    assert stored_answer(database, "k-1") == first
