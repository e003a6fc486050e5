"""Rules evaluation benchmark: basket evaluations per second, compiled against naive.

What is measured: evaluating 20-line baskets (mixed categories, brands and SKUs, sold in 20
stores of 4 groups at all hours of a week, by members of three tiers) against a realistic
programme of 60 published rules: category multipliers and bonuses, SKU promotions, store and
store-group rules, weekend and happy-hour rules, tier multipliers, basket thresholds, first
purchase and birthday bonuses, capped and best-of rules. Both evaluators get the same rules,
baskets, member facts and base points (the pure evaluation only: no database):

- compiled: ``CompiledRuleSet`` (built once, timed separately), the path accruals use;
- naive: ``evaluate_naive``, a straightforward interpreter where every rule checks every
  line, reading every condition from the definition each time.

Both settle the matched rules with the same code (``engine.rules.outcome``). The modules
``engine.native`` lists run compiled to C by mypyc when scripts/test or scripts/demo built
them from the present sources, else as Python: the output says which (``native=yes|no``);
``LOYALTY_NATIVE=off`` times the Python sources even when a build is current.

Before timing, both must give identical results on every basket (else exit 1). The two
alternate in rounds (default 5) on one thread (one core), so that both see the machine
alike (its speed drifts on a shared machine); each round's rates are printed and the result
pools the rounds. The last line printed is

    RESULT rules_eval compiled_per_s=... naive_per_s=... ratio=...

Run from the repository root:

    .venv/bin/python -m tests.bench.rules_eval [--tiny] [--seconds S] [--rounds R] [--baskets N]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from engine import native
from engine.ledger.basket import Basket, BasketLine
from engine.rules.compiled import CompiledRuleSet
from engine.rules.facts import MemberFacts, SaleFacts, Usage
from engine.rules.model import rule_from_dict
from engine.rules.naive import evaluate_naive

CATEGORIES = [f"cat{n:02d}" for n in range(30)] + ["coffee", "tea", "bakery", "dairy", "wine"]
BRANDS = [f"brand{n:02d}" for n in range(40)]
SKUS = [f"SKU{n:05d}" for n in range(3000)]
STORES = [(f"S{n:02d}", ["city", "mall", "station", "outlet"][n % 4]) for n in range(20)]
TIERS = ["bronze", "silver", "gold"]


def programme() -> list:
    """60 rules of the kinds a marketer writes."""
    rules = [{"key": "double-points", "name": "2 per 1.00", "priority": 100,
              "effect": {"kind": "points_per_unit", "points": 1, "per_minor": 100}}]
    for n, category in enumerate(CATEGORIES[:20]):
        rules.append({"key": f"cat-mult-{n}", "name": category, "priority": 50,
                      "conditions": [{"kind": "category", "values": [category]},
                                     {"kind": "brand", "values": [BRANDS[n]], "exclude": True}],
                      "effect": {"kind": "multiplier", "factor": "2"}})
    for n in range(10):
        rules.append({"key": f"sku-promo-{n}", "name": "promo", "priority": 40,
                      "conditions": [{"kind": "sku", "values": SKUS[n * 50:(n + 1) * 50]}],
                      "effect": {"kind": "fixed_per_unit", "points": 20}})
    for n, (store, _) in enumerate(STORES[:8]):
        rules.append({"key": f"store-{n}", "name": store, "priority": 30,
                      "conditions": [{"kind": "store", "values": [store]}, {"kind": "basket_total", "minimum": 3000}],
                      "effect": {"kind": "fixed_per_transaction", "points": 50}})
    rules += [
        {"key": "coffee-weekend-city", "name": "Triple coffee at weekends in the city", "priority": 20,
         "conditions": [{"kind": "category", "values": ["coffee"]}, {"kind": "day_of_week", "days_of_week": [6, 7]},
                        {"kind": "store_group", "values": ["city"]}],
         "effect": {"kind": "multiplier", "factor": "3"}},
        {"key": "happy-hour", "name": "Happy hour", "priority": 20,
         "conditions": [{"kind": "time_window", "time_from": "17:00", "time_until": "19:00"},
                        {"kind": "category", "values": ["wine"]}],
         "effect": {"kind": "multiplier", "factor": "2"}},
        {"key": "mall-weekdays", "name": "Mall weekdays", "priority": 10,
         "conditions": [{"kind": "store_group", "values": ["mall"]}, {"kind": "day_of_week", "days_of_week": [1, 2, 3]}],
         "effect": {"kind": "fixed_per_transaction", "points": 25}},
        {"key": "first-purchase", "name": "First purchase", "conditions": [{"kind": "first_purchase"}],
         "effect": {"kind": "fixed_per_transaction", "points": 500}},
        {"key": "birthday", "name": "Birthday", "conditions": [{"kind": "birthday_month"}],
         "effect": {"kind": "fixed_per_transaction", "points": 200}},
        {"key": "gold", "name": "Gold 1.5x", "priority": -10, "conditions": [{"kind": "tier", "values": ["gold"]}],
         "effect": {"kind": "multiplier", "factor": "1.5"}},
        {"key": "silver", "name": "Silver 1.25x", "priority": -10,
         "conditions": [{"kind": "tier", "values": ["silver"]}], "effect": {"kind": "multiplier", "factor": "1.25"}},
        {"key": "big-basket", "name": "Big basket", "stacking": "best_of", "group": "threshold",
         "conditions": [{"kind": "basket_total", "minimum": 20000}], "effect": {"kind": "fixed_per_transaction", "points": 300}},
        {"key": "medium-basket", "name": "Medium basket", "stacking": "best_of", "group": "threshold",
         "conditions": [{"kind": "basket_total", "minimum": 10000}], "effect": {"kind": "fixed_per_transaction", "points": 100}},
        {"key": "capped-bakery", "name": "Bakery bonus", "limits": {"per_member_day": 2000},
         "conditions": [{"kind": "category", "values": ["bakery"]}, {"kind": "quantity", "minimum": 2}],
         "effect": {"kind": "fixed_per_unit", "points": 10}},
    ]
    rules.append({"key": "dairy-mall-evening", "name": "Dairy evenings in malls", "priority": 5,
                  "conditions": [{"kind": "category", "values": ["dairy"]}, {"kind": "store_group", "values": ["mall"]},
                                 {"kind": "time_window", "time_from": "18:00", "time_until": "21:00"}],
                  "effect": {"kind": "fixed_per_unit", "points": 5}})
    for n in range(10):
        rules.append({"key": f"brand-{n}", "name": "brand", "priority": 5,
                      "conditions": [{"kind": "brand", "values": [BRANDS[20 + n]]},
                                     {"kind": "line_amount", "minimum": 500}],
                      "effect": {"kind": "points_per_unit", "points": 1, "per_minor": 200, "rounding": "half_up"}})
    return [(rule_from_dict({**r, "name": r["name"][:200]}), 1) for r in rules]


def workload(count: int, seed: int = 7) -> list[tuple]:
    rng = random.Random(seed)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    items = []
    for n in range(count):
        store, group = rng.choice(STORES)
        lines = tuple(BasketLine(i + 1, rng.choice(SKUS), Decimal(rng.choice([1, 1, 1, 2, 3])),
                                 rng.randint(50, 3000), rng.choice(CATEGORIES), rng.choice(BRANDS))
                      for i in range(20))
        at = start + timedelta(minutes=rng.randint(0, 7 * 24 * 60))
        basket = Basket(store, f"{store}-T1", f"R{n}", at, "EUR", lines, member_id="M")
        member = MemberFacts(tier_code=rng.choice(TIERS), first_purchase=rng.random() < 0.05,
                             birthday=date(1990, rng.randint(1, 12), 1),
                             enrolled_at=start - timedelta(days=rng.randint(0, 900)))
        sale = SaleFacts(store, group, "Europe/Berlin")
        eligible = [line.amount_minor for line in lines]
        base = [e // 100 for e in eligible]
        usage = Usage(day={"capped-bakery": rng.choice([0, 0, 1990])})
        items.append((basket, sale, member, eligible, base, usage))
    return items


def run(evaluate, items, seconds: float) -> tuple[int, float]:
    """Evaluate ``items`` over and over for about ``seconds``: (baskets evaluated, seconds taken)."""
    done, deadline, began = 0, time.perf_counter() + seconds, time.perf_counter()
    while time.perf_counter() < deadline:
        for basket, sale, member, eligible, base, usage in items:
            evaluate(basket, sale=sale, member=member, eligible=eligible, base=base, usage=usage)
        done += len(items)
    return done, time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="a quick run that checks the script works")
    parser.add_argument("--seconds", type=float, default=5.0, help="per evaluator, over all rounds")
    parser.add_argument("--rounds", type=int, default=5, help="alternating compiled and naive rounds")
    parser.add_argument("--baskets", type=int, default=2000)
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.rounds < 1 or args.baskets < 1:
        parser.error("need a positive duration, at least one round and at least one basket")
    seconds, rounds, count = (0.3, 1, 50) if args.tiny else (args.seconds, args.rounds, args.baskets)
    rules = programme()
    items = workload(count)
    began = time.perf_counter()
    compiled = CompiledRuleSet(rules)
    compile_ms = (time.perf_counter() - began) * 1000
    naive = lambda basket, **facts: evaluate_naive(rules, basket, **facts)  # noqa: E731
    fired = 0
    for basket, sale, member, eligible, base, usage in items:
        a = compiled.evaluate(basket, sale=sale, member=member, eligible=eligible, base=base, usage=usage)
        b = naive(basket, sale=sale, member=member, eligible=eligible, base=base, usage=usage)
        if a != b:
            print(f"compiled and naive disagree on {basket.receipt_number}", file=sys.stderr)
            return 1
        fired += len(a[1]) - 1
    compiled_to_c = "yes" if all(native.running_compiled().values()) else "no"
    print(f"rules={len(rules)} baskets={len(items)} lines_per_basket=20 rules_fired_per_basket={fired / len(items):.1f} "
          f"compile_ms={compile_ms:.2f} native={compiled_to_c}")
    totals = {"compiled": [0, 0.0], "naive": [0, 0.0]}
    for n in range(1, rounds + 1):
        rates = {}
        for name, evaluate in (("compiled", compiled.evaluate), ("naive", naive)):
            done, took = run(evaluate, items, seconds / rounds)
            totals[name][0] += done
            totals[name][1] += took
            rates[name] = done / took
        print(f"  round {n}: compiled {rates['compiled']:,.0f}/s, naive {rates['naive']:,.0f}/s: "
              f"ratio {rates['compiled'] / rates['naive']:.1f}")
    compiled_rate, naive_rate = (done / took for done, took in totals.values())
    print(f"compiled: {compiled_rate:,.0f} baskets/s ({1e6 / compiled_rate:.1f} us per basket)")
    print(f"naive:    {naive_rate:,.0f} baskets/s ({1e6 / naive_rate:.1f} us per basket)")
    print(f"RESULT rules_eval compiled_per_s={compiled_rate:.0f} naive_per_s={naive_rate:.0f} "
          f"ratio={compiled_rate / naive_rate:.1f} native={compiled_to_c}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
