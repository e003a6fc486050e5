"""A payment code raced by several holds at the same instant on a real PostgreSQL pays exactly
one of them, and the member's points are held once."""
from __future__ import annotations

import pytest

from engine import stores
from engine.errors import NotAllowed
from engine.ledger.balances import get_balance
from engine.ledger.commands import PlaceHold
from engine.ledger.holds import place_hold
from engine.ledger.invariants import check_ledger
from engine.payment_codes import IssuePaymentCode, issue_payment_code, take_payment_code
from tests.conftest import new_key
from tests.support.races import all_at_once, handle_for_racers

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SHOPS = 8


@pytest.fixture
def database(postgres_db):
    return postgres_db


@pytest.fixture
def racing(postgres_db):
    with handle_for_racers(postgres_db, SHOPS) as racing:
        yield racing


def test_holds_racing_with_one_code_take_it_once(racing, database, make_member, clock):
    stores.create_store(database, code="WEB", name="Web shop", timezone="Europe/Berlin", channel="online",
                        now=clock())
    stores.create_terminal(database, code="WEB-BACKEND", store_code="WEB", now=clock())
    ada = make_member(points=1000)
    code = issue_payment_code(database, IssuePaymentCode(ada.public_id, 300), password=None, passwords=None,
                              caller="ada", idempotency_key=new_key(), now=clock()).code
    at = clock()

    def pay(n: int):
        def verify(session):
            take_payment_code(session, terminal_code="WEB-BACKEND", member_id=ada.public_id, code=code, points=100,
                              now=at)
        return place_hold(racing, PlaceHold("WEB", "WEB-BACKEND", 100, member_id=ada.public_id,
                                            receipt_number=f"W-{n}"),
                          caller="WEB-BACKEND", idempotency_key=new_key(), now=at, verify=verify)

    placed, raised = all_at_once(pay, workers=SHOPS)

    assert len(placed) == 1
    assert len(raised) == SHOPS - 1 and all(isinstance(e, NotAllowed) and e.code == "payment_code_invalid"
                                            for e in raised), raised
    assert get_balance(database, ada.public_id, as_of=at).available == 900
    assert check_ledger(database) == []
