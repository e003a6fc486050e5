"""Ending a campaign early: sales from then on get nothing from it, a sale made before it
ended (arriving later) still does, a campaign not started yet never runs, and an ended or
unknown campaign is refused."""
from datetime import timedelta
from decimal import Decimal

import pytest

from engine.errors import InvalidState, NotFound
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.earning import earn_points
from engine.rules.campaigns import change_campaign, create_campaign, end_campaign
from engine.rules.versions import create_draft, publish_rules
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged

RULE = {"key": "summer-bonus", "name": "Summer bonus", "campaign": "summer",
        "effect": {"kind": "fixed_per_transaction", "points": 300}}


@pytest.fixture
def summer(database, clock):
    """A 30-day campaign from now, its rule published."""
    def start(starts_in=timedelta(0)):
        create_campaign(database, code="summer", name="Summer", starts_at=clock() + starts_in,
                        ends_at=clock() + starts_in + timedelta(days=30), now=clock())
        create_draft(database, RULE, now=clock())
        publish_rules(database, ["summer-bonus"], now=clock())
    return start


def campaign_points(database, clock, till, member, *, sold_at=None) -> int:
    basket = Basket(till.store_code, till.code, new_key()[:20], sold_at or clock(), "EUR",
                    (BasketLine(1, "A", Decimal(1), 100),), member_id=member.public_id)
    earned = earn_points(database, basket, caller="t", idempotency_key=new_key(), now=clock())
    return sum(a.applied for a in earned.rules if a.campaign)


def test_a_campaign_ended_early_gives_nothing_to_later_sales_but_its_earlier_sales_keep_it(
        database, clock, till, make_member, summer):
    summer()
    member = make_member()
    clock.advance(days=2)
    sold_before_the_end = clock()
    clock.advance(hours=1)
    ended = end_campaign(database, "summer", now=clock())
    assert ended.ends_at == clock()
    clock.advance(minutes=1)
    assert campaign_points(database, clock, till, member) == 0
    assert campaign_points(database, clock, till, member, sold_at=sold_before_the_end) == 300  # an offline till's sale


def test_a_campaign_ended_before_it_starts_never_runs(database, clock, till, make_member, summer):
    summer(starts_in=timedelta(days=7))
    assert end_campaign(database, "summer", now=clock()).ends_at == clock() + timedelta(days=7)
    clock.advance(days=8)
    assert campaign_points(database, clock, till, make_member()) == 0


def test_a_campaign_ended_before_it_starts_cannot_be_ended_again_nor_brought_back(database, clock, summer):
    summer(starts_in=timedelta(days=7))
    end_campaign(database, "summer", now=clock())
    with refused_unchanged(database, InvalidState) as refusal:
        end_campaign(database, "summer", now=clock())
    assert refusal.value.code == "campaign_ended" and "ended before it started" in refusal.value.message
    with refused_unchanged(database, InvalidState):
        change_campaign(database, "summer", now=clock(), ends_at=clock() + timedelta(days=60))


def test_an_ended_or_unknown_campaign_cannot_be_ended(database, clock, summer):
    summer()
    end_campaign(database, "summer", now=clock())
    with refused_unchanged(database, InvalidState) as refusal:
        end_campaign(database, "summer", now=clock())
    assert refusal.value.code == "campaign_ended"
    with pytest.raises(NotFound, match="unknown campaign 'winter'"):
        end_campaign(database, "winter", now=clock())
