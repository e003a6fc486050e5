"""Changing a running campaign: a budget raised lets sales earn again, a budget cut stops at
what has been given, an end moved later lets later sales earn; refusals name every problem
and change nothing."""
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine.errors import InvalidInput, InvalidState, NotFound
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.earning import earn_points
from engine.orm.rules import CampaignBudgetSliceRow
from engine.rules.campaigns import change_campaign, create_campaign, end_campaign, list_campaigns
from engine.rules.versions import create_draft, publish_rules
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged

BONUS = 300


@pytest.fixture
def summer(database, clock):
    """A 30-day campaign from now giving BONUS per sale, its rule published."""
    def start(*, budget=None, slices=4):
        create_campaign(database, code="summer", name="Summer", starts_at=clock(),
                        ends_at=clock() + timedelta(days=30), budget=budget, slices=slices, now=clock())
        create_draft(database, {"key": "summer-bonus", "name": "Summer bonus", "campaign": "summer",
                                "effect": {"kind": "fixed_per_transaction", "points": BONUS}}, now=clock())
        publish_rules(database, ["summer-bonus"], now=clock())
    return start


@pytest.fixture
def campaign_points(database, clock, till, make_member):
    """``campaign_points()``: what one new sale of a new member, now, got from campaigns."""
    def sell():
        basket = Basket(till.store_code, till.code, new_key()[:20], clock(), "EUR",
                        (BasketLine(1, "A", Decimal(1), 100),), member_id=make_member().public_id)
        earned = earn_points(database, basket, caller="t", idempotency_key=new_key(), now=clock())
        return sum(a.applied for a in earned.rules if a.campaign)
    return sell


def summer_campaign(database):
    return next(c for c in list_campaigns(database) if c.code == "summer")


def test_a_spent_budget_raised_lets_later_sales_earn_its_bonus_again(database, clock, summer, campaign_points):
    summer(budget=2 * BONUS)
    assert [campaign_points() for _ in range(3)] == [BONUS, BONUS, 0]
    changed = change_campaign(database, "summer", budget=5 * BONUS, now=clock())
    assert (changed.budget, changed.budget_used) == (5 * BONUS, 2 * BONUS)
    assert [campaign_points() for _ in range(4)] == [BONUS, BONUS, BONUS, 0]
    assert summer_campaign(database).budget_used == 5 * BONUS


def test_a_budget_cut_to_what_was_given_gives_no_more(database, clock, summer, campaign_points):
    summer(budget=10 * BONUS)
    assert campaign_points() == BONUS
    changed = change_campaign(database, "summer", budget=BONUS + 100, now=clock())
    assert (changed.budget, changed.budget_used) == (BONUS + 100, BONUS)
    assert campaign_points() == 100  # what is left, recorded as capped by the budget
    assert campaign_points() == 0
    assert summer_campaign(database).budget_used == BONUS + 100


def test_a_budget_cannot_be_cut_below_what_the_campaign_has_given(database, clock, summer, campaign_points):
    summer(budget=10 * BONUS)
    campaign_points()
    with refused_unchanged(database, InvalidInput) as refusal:
        change_campaign(database, "summer", budget=BONUS - 1, now=clock())
    assert [str(p) for p in refusal.value.problems] == [f"budget: must be at least the {BONUS} points the "
                                                        f"campaign has given"]


def test_an_end_moved_later_lets_sales_after_the_old_end_earn(database, clock, summer, campaign_points):
    summer()
    old_end = clock() + timedelta(days=30)
    change_campaign(database, "summer", ends_at=old_end + timedelta(days=7), now=clock())
    clock.advance(days=31)
    assert campaign_points() == BONUS
    clock.advance(days=7)
    assert campaign_points() == 0


def test_an_end_moved_earlier_gives_nothing_to_sales_after_it(database, clock, summer, campaign_points):
    summer()
    change_campaign(database, "summer", ends_at=clock() + timedelta(days=2), name=" Summer weekend ", now=clock())
    assert summer_campaign(database).name == "Summer weekend"
    clock.advance(days=1)
    assert campaign_points() == BONUS
    clock.advance(days=2)
    assert campaign_points() == 0


def test_an_end_before_now_or_before_the_start_is_refused_with_a_pointer_to_ending(database, clock, summer):
    summer()
    clock.advance(days=1)
    with refused_unchanged(database, InvalidInput) as refusal:
        change_campaign(database, "summer", ends_at=clock() - timedelta(minutes=1), now=clock())
    assert "to end it now, end it" in str(refusal.value)


def test_a_campaign_created_without_a_budget_cannot_be_given_one(database, clock, summer):
    summer()
    with refused_unchanged(database, InvalidInput) as refusal:
        change_campaign(database, "summer", budget=1_000, now=clock())
    assert refusal.value.problems[0].field == "budget"
    assert "created without a budget" in refusal.value.problems[0].message


def test_every_problem_of_a_change_is_named_at_once(database, clock, summer):
    summer(budget=1_000)
    with refused_unchanged(database, InvalidInput) as refusal:
        change_campaign(database, "summer", name=" ", ends_at=clock().replace(tzinfo=None), budget=0, now=clock())
    assert [p.field for p in refusal.value.problems] == ["name", "ends_at", "budget"]
    with refused_unchanged(database, InvalidInput) as refusal:
        change_campaign(database, "summer", now=clock())
    assert [str(p) for p in refusal.value.problems] == ["campaign: give a new name, end, budget or member cap"]


def test_an_ended_or_unknown_campaign_cannot_be_changed(database, clock, summer):
    summer(budget=1_000)
    end_campaign(database, "summer", now=clock())
    with refused_unchanged(database, InvalidState, code="campaign_ended"):
        change_campaign(database, "summer", budget=2_000, now=clock())
    with pytest.raises(NotFound, match="unknown campaign 'winter'"):
        change_campaign(database, "winter", budget=2_000, now=clock())


def test_a_raise_adds_slices_numbered_after_the_last(database, clock, summer):
    summer(budget=1_000, slices=4)
    change_campaign(database, "summer", budget=1_010, now=clock())
    with database.transaction() as session:
        slices = session.execute(sa.select(CampaignBudgetSliceRow.slice_no, CampaignBudgetSliceRow.size)
                                 .order_by(CampaignBudgetSliceRow.slice_no)).all()
    assert slices == [(0, 250), (1, 250), (2, 250), (3, 250)] + [(4 + n, 1) for n in range(10)]
