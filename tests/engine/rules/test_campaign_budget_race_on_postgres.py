"""Many accruals racing for one campaign budget on a real PostgreSQL never exceed it, and they
take it from many slices (rows), not one row every accrual waits on."""
from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine.database import Database
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.earning import earn_points
from engine.ledger.invariants import check_ledger
from engine.orm.rules import CampaignBudgetSliceRow, ReceiptRuleAwardRow
from engine.rules.campaigns import create_campaign
from engine.rules.versions import create_draft, publish_rules
from tests.conftest import new_key

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

WORKERS = 32
SALES_PER_WORKER = 12
BUDGET = 50_000  # 32 × 12 sales desire 115,200: far more than the budget, even when busy slices are skipped
BONUS = 300


@pytest.fixture
def database(postgres_db):
    return postgres_db


def test_racing_accruals_never_exceed_the_campaign_budget(postgres_db, clock, till, make_member):
    create_campaign(postgres_db, code="summer", name="Summer", starts_at=clock() - timedelta(days=1),
                    ends_at=clock() + timedelta(days=30), budget=BUDGET, slices=16, now=clock())
    create_draft(postgres_db, {"key": "summer-bonus", "name": "Summer", "campaign": "summer",
                               "effect": {"kind": "fixed_per_transaction", "points": BONUS}}, now=clock())
    publish_rules(postgres_db, ["summer-bonus"], now=clock() - timedelta(hours=1))
    members = [make_member() for _ in range(WORKERS)]
    racing = Database(postgres_db.url.render_as_string(hide_password=False), pool_size=WORKERS + 2)
    barrier, failures = threading.Barrier(WORKERS), []

    def work(member):
        barrier.wait()
        for n in range(SALES_PER_WORKER):
            basket = Basket(till.store_code, till.code, f"{member.public_id}-{n}", clock(), "EUR",
                            (BasketLine(1, "A", Decimal(1), 100),), member_id=member.public_id)
            try:
                earn_points(racing, basket, caller="t", idempotency_key=new_key(), now=clock())
            except Exception as error:  # every failure is a finding
                failures.append(repr(error))

    threads = [threading.Thread(target=work, args=(m,)) for m in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    racing.dispose()
    assert failures == []
    with postgres_db.transaction() as session:
        given = session.scalar(sa.select(sa.func.sum(ReceiptRuleAwardRow.applied))
                               .where(ReceiptRuleAwardRow.campaign_code == "summer"))
        used = session.scalar(sa.select(sa.func.sum(CampaignBudgetSliceRow.used)))
        touched = session.scalar(sa.select(sa.func.count()).where(CampaignBudgetSliceRow.used > 0))
    assert given == used <= BUDGET
    assert given > BUDGET - WORKERS * BONUS  # only sales racing for the last slices may get less than is left
    assert touched == 16
    assert check_ledger(postgres_db) == []
