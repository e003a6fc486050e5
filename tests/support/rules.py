"""Helpers for rule tests: baskets as data, and one evaluation run through both the compiled
and the naive evaluator (which must agree)."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from engine.ledger.basket import Basket, BasketLine
from engine.rules.compiled import CompiledRuleSet
from engine.rules.facts import MemberFacts, SaleFacts, Usage
from engine.rules.model import rule_from_dict
from engine.rules.naive import evaluate_naive

SALE = SaleFacts("CITY1", "city", "Europe/Berlin")
MONDAY_NOON_UTC = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def line(no: int, amount: int, *, sku: str | None = None, category: str | None = None, brand: str | None = None,
         quantity: str = "1") -> BasketLine:
    return BasketLine(no, sku or f"SKU{no}", Decimal(quantity), amount, category, brand)


def basket(*lines: BasketLine, at: datetime = MONDAY_NOON_UTC, store: str = "CITY1") -> Basket:
    return Basket(store, f"{store}-T1", "R1", at, "EUR", tuple(lines), member_id="M1")


def rule(key: str = "r", *, effect: dict | None = None, conditions: list | None = None, **more):
    data = {"key": key, "name": key, "effect": effect or {"kind": "fixed_per_transaction", "points": 100},
            "conditions": conditions or [], **more}
    return rule_from_dict(data)


def evaluate(rules, the_basket: Basket, *, member: MemberFacts = MemberFacts(), sale: SaleFacts = SALE,
             usage: Usage = Usage(), base: list[int] | None = None):
    """``(points per line, awards without the base entry)``; both evaluators must agree."""
    pairs = [(r, i + 1) for i, r in enumerate(rules)]
    eligible = [ln.amount_minor for ln in the_basket.lines]
    base = base or [0] * len(eligible)
    compiled = CompiledRuleSet(pairs).evaluate(the_basket, sale=sale, member=member, eligible=eligible,
                                               base=base, usage=usage)
    naive = evaluate_naive(pairs, the_basket, sale=sale, member=member, eligible=eligible, base=base, usage=usage)
    assert compiled == naive
    totals, awards = compiled
    return totals, awards[1:]
