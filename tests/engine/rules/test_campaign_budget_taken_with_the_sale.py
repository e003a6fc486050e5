"""A campaign's budget claim goes with the statement that writes the sale on PostgreSQL; when
no slice has room for the whole claim, the sale runs again taking the budget slice by slice,
and gives exactly what taking it slice by slice gives (on SQLite, always the case). Large
claims, and claims of a budget in few slices, are taken at once. Once every slice is used
up, a sale asks the budget for nothing and is written once; a raised budget is taken again."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine.ledger.basket import Basket, BasketLine
from engine.ledger.earning import earn_points
from engine.ledger.invariants import check_ledger
from engine.orm.ledger import ReceiptRow
from engine.rules.campaigns import create_campaign, change_campaign, list_campaigns
from engine.rules.versions import create_draft, publish_rules
from tests.conftest import new_key
from tests.support.statements import statements_of


def start_campaign(database, clock, *, budget: int, slices: int, bonus: int) -> None:
    create_campaign(database, code="summer", name="Summer", starts_at=clock() - timedelta(days=1),
                    ends_at=clock() + timedelta(days=30), budget=budget, slices=slices, now=clock())
    create_draft(database, {"key": "summer-bonus", "name": "Summer", "campaign": "summer",
                            "effect": {"kind": "fixed_per_transaction", "points": bonus}}, now=clock())
    publish_rules(database, ["summer-bonus"], now=clock() - timedelta(hours=1))


def test_a_claim_no_slice_has_room_for_runs_again_and_gets_what_is_left(database, clock, till, make_member):
    start_campaign(database, clock, budget=3200, slices=16, bonus=80)  # slices of 200: the claim goes with the sale
    member = make_member()
    receipts_written = []

    def buy(n: int) -> tuple[int, str | None]:
        basket = Basket(till.store_code, till.code, f"R{n}", clock(), "EUR", (BasketLine(1, "A", Decimal(1), 100),),
                        member_id=member.public_id)
        sent = statements_of(database, lambda: results.append(
            earn_points(database, basket, caller="t", idempotency_key=new_key(), now=clock())))
        receipts_written.append(sum("INSERT INTO receipts" in statement for statement in sent))
        (award,) = [a for a in results[-1].rules if a.campaign == "summer"]
        return award.applied, award.capped_by

    results = []
    # one member's claims start at the same slice: 200 -> 120 -> 40, then the next, ... (32 sales);
    # then no slice has room for 80, and the 40 + 40 of two slices are taken slice by slice (8 sales);
    # then the budget is spent, and the facts the sale reads say so
    assert [buy(n) for n in range(41)] == [(80, None)] * 40 + [(0, "campaign_budget")]
    assert list_campaigns(database)[0].budget_used == 3200
    if not database.is_sqlite:
        assert receipts_written == [1] * 32 + [2] * 8 + [1]  # the sales that ran again wrote nothing the first time
    with database.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ReceiptRow)) == 41
    assert check_ledger(database) == []


@pytest.mark.parametrize("budget, slices", [(4000, 16), (1000, 4)], ids=["more than half a slice", "few slices"])
def test_a_claim_of_more_than_half_a_slice_or_of_few_slices_is_taken_at_once(database, clock, till, make_member,
                                                                            budget, slices):
    start_campaign(database, clock, budget=budget, slices=slices, bonus=200)  # slices of 250
    member = make_member()

    def buy(receipt: str):
        basket = Basket(till.store_code, till.code, receipt, clock(), "EUR", (BasketLine(1, "A", Decimal(1), 100),),
                        member_id=member.public_id)
        earn_points(database, basket, caller="t", idempotency_key=new_key(), now=clock())

    buy("R1")  # (reads the configuration)
    sent = statements_of(database, lambda: buy("R2"))
    taking = [statement for statement in sent if "UPDATE campaign_budget_slices" in statement]
    if not database.is_sqlite:
        assert taking and not any("INSERT INTO receipts" in statement for statement in taking)  # 50 + 150
    assert sum("INSERT INTO receipts" in statement for statement in sent) == 1
    assert list_campaigns(database)[0].budget_used == 400


def test_a_spent_budget_is_asked_for_nothing_and_a_raised_one_is_taken_again(database, clock, till, make_member):
    start_campaign(database, clock, budget=1600, slices=16, bonus=100)  # slices of 100: one claim each
    member = make_member()

    def buy(receipt: str):
        basket = Basket(till.store_code, till.code, receipt, clock(), "EUR", (BasketLine(1, "A", Decimal(1), 100),),
                        member_id=member.public_id)
        result = []
        sent = statements_of(database, lambda: result.append(
            earn_points(database, basket, caller="t", idempotency_key=new_key(), now=clock())))
        (award,) = [a for a in result[0].rules if a.campaign == "summer"]
        return (award.applied, award.capped_by), sent

    assert [buy(f"R{n}")[0] for n in range(16)] == [(100, None)] * 16
    spent, sent = buy("R-spent")
    assert spent == (0, "campaign_budget")
    assert not [statement for statement in sent if "UPDATE campaign_budget_slices" in statement]
    assert sum("INSERT INTO receipts" in statement for statement in sent) == 1
    change_campaign(database, "summer", budget=1700, now=clock())
    assert buy("R-raised")[0] == (100, None)
    assert list_campaigns(database)[0].budget_used == 1700
    assert check_ledger(database) == []
