"""An accrual's immediate upgrade reads the window's qualifying points or spend with the
member's facts, before its sale is posted, and counts the sale itself once: not when the
sale predates the window, and in spend before the floor at zero (returns in the window
take their amount off the sale too)."""
from datetime import UTC, datetime
from decimal import Decimal

from engine.ledger.commands import RefundLine, RefundReceipt
from engine.ledger.refunds import refund_receipt
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import define_tiers, member_tier, tier_progress
from tests.conftest import new_key

LAST_YEAR = datetime(2026, 12, 30, 12, tzinfo=UTC)
SPEND_LADDER = [TierDefinition("BASIC", "Basic", 0), TierDefinition("SILVER", "Silver", 50_000)]


def test_a_sale_from_before_the_window_does_not_count_toward_an_upgrade(database, clock, make_member, earn, tiers):
    tiers()
    member = make_member()
    clock.advance(days=306)  # 2027-01-03: this year's window began on 1 January
    earn(member, 45_000)
    earn(member, 10_000, occurred_at=LAST_YEAR)  # a till's offline sale of last year, sent now
    assert member_tier(database, member.public_id).tier_code == "BASIC"
    assert tier_progress(database, member.public_id, as_of=clock()).qualifying_points == 45_000 // 100
    earn(member, 5_000)
    assert member_tier(database, member.public_id).tier_code == "SILVER"


def test_returns_in_the_window_take_their_amount_off_the_sale_that_follows(database, clock, make_member, earn,
                                                                            till):
    define_tiers(database, SPEND_LADDER, TierPolicy(measure="spend"), now=clock())
    member = make_member()
    clock.advance(days=306)
    earn(member, 30_000, receipt="R-1", occurred_at=LAST_YEAR)
    refund_receipt(database, RefundReceipt(till.store_code, till.code, "R-1", (RefundLine(1, Decimal(1)),), clock()),
                   caller="S1-T1", idempotency_key=new_key(), now=clock())  # this year's spend: 0 less 300.00
    earn(member, 55_000)  # 550.00, less the 300.00 returned: 250.00
    assert member_tier(database, member.public_id).tier_code == "BASIC"
    assert tier_progress(database, member.public_id, as_of=clock()).qualifying_points == 25_000
    earn(member, 25_000)
    assert member_tier(database, member.public_id).tier_code == "SILVER"
