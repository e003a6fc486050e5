"""Sales queued at ten tills through an outage, sent again on reconnect one to three times
each, in shuffled order, by eight workers at once, over HTTP on a real PostgreSQL: each is
posted exactly once, and the members' balances equal the model (the reference's goal P1,
the server's half; the till's outbox half is tests/terminal/test_outbox_*)."""
from __future__ import annotations

import random
import time
import uuid

import pytest
import sqlalchemy as sa

from engine.ledger.balances import get_balance
from engine.ledger.invariants import check_ledger
from engine.orm.ledger import ReceiptRow
from tests.support.api_clients import SignedTerminal
from tests.support.races import all_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TILLS, SALES_PER_TILL, MEMBERS, WORKERS = 10, 30, 12, 8


@pytest.fixture
def database(postgres_db):
    return postgres_db


def test_every_queued_sale_sent_again_in_shuffled_order_is_posted_once(app, make_signed_terminal, make_card,
                                                                        make_member, database, clock):
    rng = random.Random(11)
    tills = [make_signed_terminal(f"ST{n % 2}") for n in range(TILLS)]
    cards = [make_card(make_member(), kind="uid", number=f"04A1B2C3D4{n:04X}") for n in range(MEMBERS)]
    sends, expected = [], {card.member_id: 0 for card in cards}
    for till in tills:
        for n in range(SALES_PER_TILL):
            card, amount = rng.choice(cards), rng.randrange(100, 5000)
            body = {"store_code": till.store_code, "terminal_code": till.terminal_code,
                    "receipt_number": f"{till.terminal_code}-{n}", "occurred_at": clock().isoformat(),
                    "currency": "EUR", "card_uid": card.number,
                    "lines": [{"line_no": 1, "sku": "A", "quantity": "1", "amount_minor": amount}]}
            expected[card.member_id] += amount // 100
            sends += [(till, body, str(uuid.uuid4()))] * rng.randint(1, 3)
    rng.shuffle(sends)

    def work(worker: int) -> list[int]:
        client, statuses = app.test_client(), []
        for till, body, key in sends[worker::WORKERS]:
            mine = SignedTerminal(client, key_id=till.key_id, secret=till.secret, terminal_code=till.terminal_code,
                                  store_code=till.store_code, clock=clock)
            for _ in range(200):  # an earlier send of the same key still running: 409, send again
                response = mine.post("/v1/terminal/accruals", body, key=key)
                if response.status_code != 409:
                    break
                time.sleep(0.01)
            statuses.append(response.status_code)
        return statuses

    results, raised = all_at_once(work, WORKERS)
    assert raised == []
    assert {status for statuses in results for status in statuses} == {201}
    with database.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ReceiptRow)) == TILLS * SALES_PER_TILL
    assert len(sends) > TILLS * SALES_PER_TILL  # some sent more than once
    assert {member_id: get_balance(database, member_id, as_of=clock()).pending for member_id in expected} == expected
    assert check_ledger(database) == []
