"""The compiled evaluator gives exactly what the naive interpreter gives, on random programmes
and baskets (Hypothesis)."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from engine.ledger.basket import Basket, BasketLine
from engine.rules.facts import MemberFacts, SaleFacts, Usage
from engine.rules.model import rule_from_dict
from tests.support.rules import evaluate

CATEGORIES, SKUS, STORES = ["coffee", "tea", "bakery", "dairy"], ["A", "B", "C", "D", "E"], ["CITY1", "MALL1"]

conditions = st.one_of(
    st.builds(lambda v, x: {"kind": "category", "values": v, "exclude": x}, st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2, unique=True), st.booleans()),
    st.builds(lambda v, x: {"kind": "sku", "values": v, "exclude": x}, st.lists(st.sampled_from(SKUS), min_size=1, max_size=2, unique=True), st.booleans()),
    st.builds(lambda v: {"kind": "store", "values": v}, st.lists(st.sampled_from(STORES), min_size=1, unique=True)),
    st.builds(lambda v: {"kind": "store_group", "values": [v]}, st.sampled_from(["city", "mall"])),
    st.builds(lambda d: {"kind": "day_of_week", "days_of_week": d}, st.lists(st.integers(1, 7), min_size=1, max_size=3, unique=True)),
    st.builds(lambda m: {"kind": "quantity", "minimum": m}, st.integers(1, 3)),
    st.builds(lambda m: {"kind": "line_amount", "maximum": m}, st.integers(100, 3000)),
    st.builds(lambda m: {"kind": "basket_total", "minimum": m}, st.integers(0, 8000)),
    st.builds(lambda t: {"kind": "tier", "values": [t]}, st.sampled_from(["gold", "silver"])),
    st.just({"kind": "first_purchase"}),
)
effects = st.one_of(
    st.builds(lambda p, r: {"kind": "points_per_unit", "points": p, "per_minor": 100, "rounding": r}, st.integers(1, 5), st.sampled_from(["down", "half_up", "up"])),
    st.builds(lambda f: {"kind": "multiplier", "factor": str(f)}, st.sampled_from(["1.5", "2", "3"])),
    st.just({"kind": "tier_multiplier"}),
    st.builds(lambda p: {"kind": "fixed_per_transaction", "points": p}, st.integers(1, 500)),
    st.builds(lambda p: {"kind": "fixed_per_unit", "points": p}, st.integers(1, 50)),
)
stacking = st.sampled_from([{}, {"stacking": "exclusive"}, {"stacking": "best_of", "group": "g1"},
                            {"stacking": "best_of", "group": "g2"}])


@st.composite
def programmes(draw):
    count = draw(st.integers(1, 12))
    return [rule_from_dict({"key": f"r{n}", "name": "r", "conditions": draw(st.lists(conditions, max_size=3)),
                            "effect": draw(effects), "priority": draw(st.integers(0, 3)), **draw(stacking),
                            "limits": draw(st.sampled_from([{}, {"per_transaction": 50}, {"per_member_day": 80}]))})
            for n in range(count)]


@st.composite
def baskets(draw):
    lines = tuple(BasketLine(i + 1, draw(st.sampled_from(SKUS)), Decimal(draw(st.integers(1, 4))),
                             draw(st.integers(0, 4000)), draw(st.sampled_from(CATEGORIES + [None])))
                  for i in range(draw(st.integers(1, 8))))
    at = datetime(2026, 3, 2, tzinfo=UTC) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 7)))
    return Basket(draw(st.sampled_from(STORES)), "T", "R", at, "EUR", lines, member_id="M")


@given(programmes(), baskets(), st.sampled_from(["gold", "silver", None]), st.booleans(), st.integers(0, 100))
def test_compiled_and_naive_evaluation_agree(rules, basket, tier, first, used_today):
    sale = SaleFacts(basket.store_code, "city" if basket.store_code == "CITY1" else "mall", "Europe/Berlin")
    member = MemberFacts(tier_code=tier, first_purchase=first,
                         tier_multiplier={"gold": Decimal("1.5"), "silver": Decimal("1.25")}.get(tier, Decimal(1)))
    usage = Usage(day={f"r{n}": used_today for n in range(12)})
    base = [line.amount_minor // 100 for line in basket.lines]
    totals, awards = evaluate(rules, basket, member=member, sale=sale, usage=usage, base=base)  # asserts agreement
    assert sum(totals) == sum(base) + sum(a.applied for a in awards)
    assert all(a.applied <= a.desired for a in awards)
