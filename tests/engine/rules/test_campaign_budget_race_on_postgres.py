"""Many accruals racing for one campaign budget on a real PostgreSQL never exceed it, and they
take it from many slices (rows), not one row every accrual waits on; nor do they exceed it
while a marketer cuts and raises the budget during the race; nor does one member's racing
sales pass the campaign's member cap."""
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
from engine.errors import InvalidInput
from engine.rules.campaigns import change_campaign, create_campaign, list_campaigns
from engine.rules.versions import create_draft, publish_rules
from tests.conftest import new_key
from tests.support.races import all_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

WORKERS = 32
SALES_PER_WORKER = 12
BUDGET = 50_000  # 32 × 12 sales desire 115,200: far more than the budget, even when busy slices are skipped
BONUS = 300


@pytest.fixture
def database(postgres_db):
    return postgres_db


@pytest.fixture
def summer(postgres_db, clock):
    """A running campaign with BUDGET in 16 slices, and its rule giving BONUS per sale, published."""
    create_campaign(postgres_db, code="summer", name="Summer", starts_at=clock() - timedelta(days=1),
                    ends_at=clock() + timedelta(days=30), budget=BUDGET, slices=16, now=clock())
    create_draft(postgres_db, {"key": "summer-bonus", "name": "Summer", "campaign": "summer",
                               "effect": {"kind": "fixed_per_transaction", "points": BONUS}}, now=clock())
    publish_rules(postgres_db, ["summer-bonus"], now=clock() - timedelta(hours=1))


@pytest.mark.usefixtures("summer")
def test_racing_accruals_never_exceed_the_campaign_budget(postgres_db, clock, till, make_member):
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


@pytest.mark.usefixtures("summer")
def test_a_budget_cut_and_raised_while_accruals_race_is_never_exceeded(postgres_db, clock, till, make_member):
    sellers = 16
    members = [make_member() for _ in range(sellers)]
    racing = Database(postgres_db.url.render_as_string(hide_password=False), pool_size=sellers + 3)
    budgets = []

    def sell_or_change(n):
        if n >= sellers:  # the marketer: cut to a little above what is given, then raise by as much
            for _ in range(SALES_PER_WORKER):
                given = next(c.budget_used for c in list_campaigns(racing) if c.code == "summer")
                try:
                    budgets.append(change_campaign(racing, "summer", budget=given + 2 * BONUS, now=clock()).budget)
                except InvalidInput:  # more was given meanwhile than the cut leaves: refused, as it must be
                    continue
                budgets.append(change_campaign(racing, "summer", budget=given + 20 * BONUS, now=clock()).budget)
            return
        for k in range(SALES_PER_WORKER):
            basket = Basket(till.store_code, till.code, f"{members[n].public_id}-{k}", clock(), "EUR",
                            (BasketLine(1, "A", Decimal(1), 100),), member_id=members[n].public_id)
            earn_points(racing, basket, caller="t", idempotency_key=new_key(), now=clock())

    _, raised = all_at_once(sell_or_change, workers=sellers + 1)
    racing.dispose()
    assert raised == []
    assert budgets, "the marketer's changes were all refused"
    with postgres_db.transaction() as session:
        given = session.scalar(sa.select(sa.func.sum(ReceiptRuleAwardRow.applied))
                               .where(ReceiptRuleAwardRow.campaign_code == "summer"))
        used, size = session.execute(sa.select(sa.func.sum(CampaignBudgetSliceRow.used),
                                               sa.func.sum(CampaignBudgetSliceRow.size))).one()
    final = next(c for c in list_campaigns(postgres_db) if c.code == "summer")
    assert given == used == final.budget_used <= final.budget == size
    assert check_ledger(postgres_db) == []


def test_one_members_sales_racing_at_many_tills_never_pass_the_campaigns_member_cap(postgres_db, clock, till,
                                                                                    make_member):
    create_campaign(postgres_db, code="autumn", name="Autumn", starts_at=clock() - timedelta(days=1),
                    ends_at=clock() + timedelta(days=30), member_cap=1000, now=clock())
    create_draft(postgres_db, {"key": "autumn-bonus", "name": "Autumn", "campaign": "autumn",
                               "effect": {"kind": "fixed_per_transaction", "points": BONUS}}, now=clock())
    publish_rules(postgres_db, ["autumn-bonus"], now=clock() - timedelta(hours=1))
    member = make_member()
    racing = Database(postgres_db.url.render_as_string(hide_password=False), pool_size=WORKERS + 2)

    def sell(n):
        for k in range(3):
            basket = Basket(till.store_code, till.code, f"{n}-{k}", clock(), "EUR",
                            (BasketLine(1, "A", Decimal(1), 100),), member_id=member.public_id)
            earn_points(racing, basket, caller="t", idempotency_key=new_key(), now=clock())

    _, raised = all_at_once(sell, workers=WORKERS)
    racing.dispose()
    assert raised == []
    with postgres_db.transaction() as session:
        given = session.scalar(sa.select(sa.func.sum(ReceiptRuleAwardRow.applied))
                               .where(ReceiptRuleAwardRow.campaign_code == "autumn"))
    assert given == 1000  # 96 sales wanted 28,800: the cap, exactly
    assert check_ledger(postgres_db) == []
