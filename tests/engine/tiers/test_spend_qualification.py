"""Tiers that qualify on money spent: what members paid (not with points) for purchases in
the window, less returns, decides upgrades, progress and reviews, with the same window
boundaries as points."""
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from engine.ledger.commands import RefundLine, RefundReceipt
from engine.ledger.refunds import refund_receipt
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import assign_tier, define_tiers, member_tier, review_tiers, tier_progress
from tests.conftest import new_key

# thresholds in cents: Silver from 500.00 spent, Gold from 2,000.00
LADDER = [TierDefinition("BASIC", "Basic", 0), TierDefinition("SILVER", "Silver", 50_000),
          TierDefinition("GOLD", "Gold", 200_000, Decimal("1.5"))]


@pytest.fixture
def spend_tiers(database, clock):
    define_tiers(database, LADDER, TierPolicy(measure="spend"), now=clock())


def test_a_purchase_that_takes_spend_over_a_threshold_upgrades_at_once(database, clock, make_member, earn,
                                                                         spend_tiers):
    member = make_member()
    earn(member, 30_000)
    assert member_tier(database, member.public_id).tier_code == "BASIC"
    earn(member, 25_000)  # 550.00 spent
    assert member_tier(database, member.public_id).tier_code == "SILVER"


def test_the_part_paid_with_points_does_not_qualify(database, clock, make_member, earn, spend_tiers):
    member = make_member()
    earn(member, 60_000, paid_with_points_minor=20_000)  # 400.00 paid in money
    progress = tier_progress(database, member.public_id, as_of=clock())
    assert (progress.measure, progress.qualifying_points, progress.needed) == ("spend", 40_000, 10_000)


def test_returns_take_their_amount_off_the_spend(database, clock, make_member, earn, spend_tiers, till):
    member = make_member()
    earn(member, 30_000, 20_000, receipt="R-1")
    refund_receipt(database, RefundReceipt(till.store_code, till.code, "R-1", (RefundLine(2, Decimal(1)),), clock()),
                   caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert tier_progress(database, member.public_id, as_of=clock()).qualifying_points == 30_000


def test_the_review_counts_spend_inside_the_window_only(database, clock, make_member, earn, spend_tiers):
    inside, outside = make_member(), make_member()
    for member in (inside, outside):
        assign_tier(database, member.public_id, "GOLD", reason="match", actor="ops", now=clock())
    clock.advance(days=310)  # 2027-01-07
    earn(inside, 200_000, occurred_at=datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC))
    earn(outside, 200_000, occurred_at=datetime(2027, 1, 1, tzinfo=UTC))
    review_tiers(database, as_of=datetime(2027, 1, 1, tzinfo=UTC))
    assert member_tier(database, inside.public_id).tier_code == "GOLD"
    assert member_tier(database, outside.public_id).tier_code == "SILVER"


def test_an_unknown_measure_is_refused(database, clock):
    with pytest.raises(Exception) as refused:
        define_tiers(database, LADDER, TierPolicy(measure="visits"), now=clock())
    assert [p.field for p in refused.value.problems] == ["measure"]
