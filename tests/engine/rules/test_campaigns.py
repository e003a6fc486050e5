"""Campaigns: time box, target segment, stable holdout, and budgets taken from slices."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from engine.errors import InvalidInput
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.earning import earn_points
from engine.rules.campaigns import create_campaign, held_out, list_campaigns
from engine.rules.segments import create_segment, set_member_attribute
from engine.rules.versions import create_draft, publish_rules
from tests.conftest import new_key


def campaign_rule(points=300, campaign="summer"):
    return {"key": f"{campaign}-bonus", "name": "Summer bonus", "campaign": campaign,
            "effect": {"kind": "fixed_per_transaction", "points": points}}


def buy(database, clock, till, member):
    basket = Basket(till.store_code, till.code, new_key()[:20], clock(), "EUR",
                    (BasketLine(1, "A", Decimal(1), 100),), member_id=member.public_id)
    earned = earn_points(database, basket, caller="t", idempotency_key=new_key(), now=clock())
    return sum(a.applied for a in earned.rules if a.campaign)


def start(database, clock, **options):
    create_campaign(database, code=options.pop("code", "summer"), name="Summer", starts_at=clock(),
                    ends_at=clock() + timedelta(days=30), now=clock(), **options)
    create_draft(database, campaign_rule(**options.pop("rule", {})), now=clock())
    publish_rules(database, ["summer-bonus"], now=clock())


def test_a_campaign_gives_its_rules_only_while_it_runs(database, clock, till, make_member):
    start(database, clock)
    member = make_member()
    assert buy(database, clock, till, member) == 300
    clock.advance(days=31)
    assert buy(database, clock, till, member) == 0


def test_the_budget_is_never_exceeded_and_the_sale_that_exhausts_it_gets_the_rest(database, clock, till, make_member):
    start(database, clock, budget=700, slices=3)
    member = make_member()
    assert [buy(database, clock, till, member) for _ in range(4)] == [300, 300, 100, 0]
    assert list_campaigns(database)[0].budget_used == 700


def test_a_targeted_campaign_reaches_only_its_segment(database, clock, till, make_member):
    create_segment(database, code="students", predicate={"attributes": {"status": ["student"]}}, now=clock())
    start(database, clock, segment_code="students")
    student, other = make_member(), make_member()
    set_member_attribute(database, student.public_id, "status", "student")
    assert (buy(database, clock, till, student), buy(database, clock, till, other)) == (300, 0)


def test_an_uploaded_list_segment_targets_exactly_its_members(database, clock, till, make_member):
    listed, other = make_member(), make_member()
    create_segment(database, code="vip", member_ids=[listed.public_id], now=clock())
    start(database, clock, segment_code="vip")
    assert (buy(database, clock, till, listed), buy(database, clock, till, other)) == (300, 0)


def test_the_holdout_is_a_stable_share_of_members():
    ids = [f"M{n:06d}" for n in range(4000)]
    out = [m for m in ids if held_out("summer", m, Decimal("0.1"))]
    assert 320 < len(out) < 480
    assert out == [m for m in ids if held_out("summer", m, Decimal("0.1"))]
    assert not any(held_out("summer", m, Decimal(0)) for m in ids)


def test_held_out_members_do_not_get_the_campaign(database, clock, till, make_member):
    start(database, clock, holdout_share=Decimal("0.5"))
    members = [make_member() for _ in range(8)]
    got = {m.public_id: buy(database, clock, till, m) for m in members}
    assert got == {m.public_id: 0 if held_out("summer", m.public_id, Decimal("0.5")) else 300 for m in members}


def test_invalid_campaigns_are_refused_with_every_problem(database, clock):
    with pytest.raises(InvalidInput) as refused:
        create_campaign(database, code="Bad Code", name="", starts_at=clock(), ends_at=clock(), budget=0,
                        holdout_share=Decimal("1"), now=clock())
    assert {p.field for p in refused.value.problems} == {"code", "name", "ends_at", "budget", "holdout_share"}


@pytest.mark.parametrize("field, instant", [
    ("starts_at", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))),
    ("ends_at", datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5)))),
    ("starts_at", datetime(2026, 6, 1))])
def test_a_campaign_time_without_a_zone_or_at_the_calendars_edge_is_refused(database, clock, field, instant):
    times = {"starts_at": clock(), "ends_at": clock() + timedelta(days=30)} | {field: instant}
    with pytest.raises(InvalidInput) as refused:
        create_campaign(database, code="summer", name="Summer", now=clock(), **times)
    assert [p.field for p in refused.value.problems] == [field]


@pytest.mark.parametrize("share", ["NaN", "sNaN", "Infinity", "-0.1", "0.12345"])
def test_a_holdout_that_is_not_a_fraction_below_one_is_refused_not_raised(database, clock, share):
    with pytest.raises(InvalidInput) as refused:
        create_campaign(database, code="summer", name="Summer", starts_at=clock(), ends_at=clock() + timedelta(days=1),
                        holdout_share=Decimal(share), now=clock())
    assert [p.field for p in refused.value.problems] == ["holdout_share"]
