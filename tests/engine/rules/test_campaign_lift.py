"""Campaign lift: the targeted members against the holdout group the accruals applied, over
the campaign's window, within its segment; with the spend lift and the buyer-share
difference's 95 % interval."""
from datetime import timedelta
from decimal import Decimal

import pytest

from engine.errors import NotFound
from engine.ledger.commands import RefundLine, RefundReceipt
from engine.ledger.refunds import refund_receipt
from engine.rules.campaigns import create_campaign, held_out
from engine.rules.lift import campaign_lift
from engine.rules.segments import create_segment, set_member_attribute
from tests.conftest import new_key


@pytest.fixture
def summer(database, clock):
    """A campaign from now for 30 days holding out ``share`` of its members."""
    def make(share="0.5", segment_code=None):
        return create_campaign(database, code="summer", name="Summer", starts_at=clock(),
                               ends_at=clock() + timedelta(days=30), holdout_share=Decimal(share),
                               segment_code=segment_code, now=clock())
    return make


def split(members, share="0.5"):
    control = [m for m in members if held_out("summer", m.public_id, Decimal(share))]
    return [m for m in members if m not in control], control


def test_the_groups_are_the_holdout_split_the_accruals_applied(database, clock, make_member, earn, summer):
    members = [make_member() for _ in range(24)]
    summer()
    targeted, control = split(members)
    assert targeted and control
    clock.advance(days=1)
    for member in targeted[:3]:
        earn(member, 1500)
        earn(member, 500)
    earn(control[0], 1000)
    lift = campaign_lift(database, "summer", as_of=clock())
    assert (lift.targeted.members, lift.targeted.buyers, lift.targeted.purchases, lift.targeted.spend_minor) == \
        (len(targeted), 3, 6, 6000)
    assert (lift.control.members, lift.control.buyers, lift.control.purchases, lift.control.spend_minor) == \
        (len(control), 1, 1, 1000)
    per_member = (Decimal(6000) / len(targeted)) / (Decimal(1000) / len(control)) - 1
    assert lift.spend_lift == per_member.quantize(Decimal("0.0001"))
    low, high = lift.buyer_share_difference_95
    assert low < lift.buyer_share_difference < high
    assert lift.buyer_share_difference == (Decimal(3) / len(targeted) - Decimal(1) / len(control)).quantize(
        Decimal("0.0001"))


def test_only_sales_inside_the_window_so_far_count(database, clock, make_member, earn, summer):
    members = [make_member() for _ in range(8)]
    earn(members[0], 1000, occurred_at=clock() - timedelta(hours=1))  # before the start
    summer(share="0")
    clock.advance(days=2)
    earn(members[0], 2000)
    lift = campaign_lift(database, "summer", as_of=clock() - timedelta(days=1))  # before that sale
    assert (lift.targeted.purchases, lift.window_end) == (0, clock() - timedelta(days=1))
    lift = campaign_lift(database, "summer", as_of=clock() + timedelta(days=90))
    assert (lift.targeted.purchases, lift.targeted.spend_minor) == (1, 2000)
    assert lift.window_end == lift.window_start + timedelta(days=30)
    assert (lift.control.members, lift.spend_lift, lift.buyer_share_difference_95) == (0, None, None)


def test_what_was_brought_back_by_then_is_not_spend_and_a_basket_brought_back_in_full_is_no_purchase(
        database, clock, make_member, earn, summer, till):
    members = [make_member() for _ in range(4)]
    summer(share="0")
    clock.advance(days=1)
    kept, returned = earn(members[0], 3000, quantities=[3]), earn(members[1], 1000)
    clock.advance(days=40)  # after the campaign's end: what was brought back still counts against it
    for receipt, line_quantity in ((kept.receipt_number, 1), (returned.receipt_number, 1)):
        refund_receipt(database, RefundReceipt(till.store_code, till.code, receipt,
                                               (RefundLine(1, Decimal(line_quantity)),), clock()),
                       caller="S1-T1", idempotency_key=new_key(), now=clock())
    before = campaign_lift(database, "summer", as_of=clock() - timedelta(days=1))
    after = campaign_lift(database, "summer", as_of=clock())
    assert (before.targeted.buyers, before.targeted.purchases, before.targeted.spend_minor) == (2, 2, 4000)
    assert (after.targeted.buyers, after.targeted.purchases, after.targeted.spend_minor) == (1, 1, 2000)


def test_only_members_of_the_campaigns_segment_are_compared(database, clock, make_member, summer):
    members = [make_member() for _ in range(6)]
    create_segment(database, code="vip", member_ids=[m.public_id for m in members[:2]], now=clock())
    summer(share="0", segment_code="vip")
    assert campaign_lift(database, "summer", as_of=clock()).targeted.members == 2


def test_a_predicate_segment_is_judged_on_the_members_attributes_now(database, clock, make_member, summer):
    members = [make_member() for _ in range(5)]
    for member in members[:3]:
        set_member_attribute(database, member.public_id, "city", "Gent")
    create_segment(database, code="gent", predicate={"attributes": {"city": ["Gent"]}}, now=clock())
    summer(share="0", segment_code="gent")
    assert campaign_lift(database, "summer", as_of=clock()).targeted.members == 3


def test_members_enrolled_after_the_window_are_not_compared(database, clock, make_member, summer):
    make_member()
    summer(share="0")
    clock.advance(days=40)
    make_member()
    assert campaign_lift(database, "summer", as_of=clock()).targeted.members == 1


def test_an_unknown_campaign_has_no_lift(database, clock):
    with pytest.raises(NotFound, match="unknown campaign 'winter'"):
        campaign_lift(database, "winter", as_of=clock())
