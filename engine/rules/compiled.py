"""Compiled evaluation of a published rule set: built once per set of versions, then reused.

Compiling sorts the rules into the documented order, indexes them by the store / store
group they require and by the SKU, category or brand their lines must have, and turns every
other condition into a precomputed predicate (sets, bounds, time windows). Evaluating a
basket then looks at only the rules its store can fire and, per line, the rules indexed
under that line's SKU, category and brand, plus the rules for every line. It gives exactly
what the naive interpreter gives (a test compares them on random baskets).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from engine.ledger.basket import Basket, BasketLine
from engine.rules.facts import MemberFacts, SaleFacts, Usage
from engine.rules.model import LINE_KINDS, MEMBER_KINDS, Condition, Rule
from engine.rules.naive import rule_order
from engine.rules.awards import RuleAward
from engine.rules.outcome import Candidate, Plan, plan, settle

INDEX_KINDS = ("sku", "category", "brand")

T = TypeVar("T")


Gate = Callable[["_Sale"], bool]  # a rule's transaction and member conditions
LineCheck = Callable[[BasketLine], bool]  # a rule's line conditions


@dataclass
class _Compiled:
    position: int
    plan: Plan
    gate: Gate | None  # all transaction and member conditions
    line_check: LineCheck | None  # the line conditions the index does not cover
    every_line: bool  # no line condition at all: matches every line


# The rules indexed under one SKU, category or brand: (position, the rest of its line conditions).
Hits = tuple[tuple[int, LineCheck | None], ...]


@dataclass
class _StoreRules:
    """The rules a store can fire, split by what deciding them takes."""

    open: list[_Compiled | None]  # by position: the rules live for every basket (no transaction or
    # member condition left), None for the others
    gated: list[tuple[Gate, _Compiled]]  # live when their gate passes


class CompiledRuleSet:
    """A rule set ready to evaluate many baskets; immutable after construction."""

    def __init__(self, rules: list[tuple[Rule, int | None]]):
        ordered = sorted(rules, key=lambda rv: rule_order(rv[0]))
        self.definitions: list[tuple[Rule, int | None]] = ordered  # (rule, version) in the documented order
        self._by_store: dict[str, list[_Compiled]] = {}
        self._by_group: dict[str, list[_Compiled]] = {}
        self._anywhere: list[_Compiled] = []
        # per index kind, value -> the rules indexed under it
        self._line_index: dict[str, dict[str | None, Hits]] = {kind: {} for kind in INDEX_KINDS}
        self._by_sku, self._by_category, self._by_brand = (self._line_index["sku"], self._line_index["category"],
                                                           self._line_index["brand"])
        self._unindexed: list[tuple[LineCheck, _Compiled]] = []  # line-conditioned rules not in the index
        self._store_cache: dict[tuple[str, str | None], _StoreRules] = {}
        for position, (rule, version) in enumerate(ordered):
            self._compile(position, rule, version)
        self.keys_capped_per_member: list[str] = sorted({rule.key for rule, _ in rules if any(
            (rule.limits.per_member_day, rule.limits.per_member_week, rule.limits.per_member_month))})
        self.campaigns: list[str] = sorted({rule.campaign for rule, _ in rules if rule.campaign})

    def _compile(self, position: int, rule: Rule, version: int | None) -> None:
        conditions = list(rule.conditions)
        store_gate = next((c for c in conditions if c.kind in ("store", "store_group") and not c.exclude), None)
        if store_gate is not None:
            conditions.remove(store_gate)
        index_gate = next((c for kind in INDEX_KINDS for c in conditions if c.kind == kind and not c.exclude), None)
        if index_gate is not None:
            conditions.remove(index_gate)
        line_checks = [_line_check(c) for c in conditions if c.kind in LINE_KINDS]
        gates = [_member_check(c) if c.kind in MEMBER_KINDS else _sale_check(c)
                 for c in conditions if c.kind not in LINE_KINDS]
        compiled = _Compiled(position, plan(rule, version), _all_of(gates), _all_of(line_checks),
                             every_line=index_gate is None and not line_checks)
        if store_gate is None:
            self._anywhere.append(compiled)
        else:
            target = self._by_store if store_gate.kind == "store" else self._by_group
            for value in store_gate.values:
                target.setdefault(value, []).append(compiled)
        if index_gate is not None:
            index = self._line_index[index_gate.kind]
            for value in index_gate.values:
                index[value] = index.get(value, ()) + ((position, compiled.line_check),)
        elif compiled.line_check is not None:
            self._unindexed.append((compiled.line_check, compiled))

    def _for_store(self, store: str, group: str | None) -> _StoreRules:
        key = (store, group)
        found = self._store_cache.get(key)
        if found is None:
            chosen = {r.position: r for r in self._anywhere}
            chosen.update((r.position, r) for r in self._by_store.get(store, ()))
            if group is not None:
                chosen.update((r.position, r) for r in self._by_group.get(group, ()))
            rules = [chosen[p] for p in sorted(chosen)]
            open_rules: list[_Compiled | None] = [None] * len(self.definitions)
            for r in rules:
                if r.gate is None:
                    open_rules[r.position] = r
            found = self._store_cache[key] = _StoreRules(open_rules, [(r.gate, r) for r in rules if r.gate is not None])
        return found

    def evaluate(self, basket: Basket, *, sale: SaleFacts, member: MemberFacts, eligible: list[int],
                 base: list[int], usage: Usage, claim=None) -> tuple[list[int], list[RuleAward]]:
        """Points per line and awards for ``basket`` (same contract as ``evaluate_naive``)."""
        store = self._for_store(sale.store_code, sale.store_group)
        live = store.open  # by position: the rules live for this basket
        if store.gated:
            live = list(live)  # the store's list is shared: add to a copy
            facts = _Sale(basket, sale, member, sale.local(basket.occurred_at))
            for gate, r in store.gated:
                if gate(facts):
                    live[r.position] = r
        lines = basket.lines
        matched: list[list[int] | None] = [None] * len(live)  # by position: the indexes of its matched lines
        # a rule is indexed under one kind, so it is matched at most once per line here
        for i, line in enumerate(lines):
            hits = self._by_sku.get(line.sku)
            if hits is not None:
                _match(hits, i, line, live, matched)
            hits = self._by_category.get(line.category)
            if hits is not None:
                _match(hits, i, line, live, matched)
            hits = self._by_brand.get(line.brand)
            if hits is not None:
                _match(hits, i, line, live, matched)
        for check, r in self._unindexed:
            if live[r.position] is not None:
                found = [i for i, line in enumerate(lines) if check(line)]
                if found:
                    matched[r.position] = found
        everything = list(range(len(lines)))  # shared: settling only reads the lines it is given
        candidates: list[Candidate] = []
        for position, rule in enumerate(live):  # positions are the documented order
            if rule is not None:
                if rule.every_line:
                    candidates.append((rule.plan, everything))
                else:
                    indexes = matched[position]
                    if indexes is not None:
                        candidates.append((rule.plan, indexes))
        return settle(candidates, line_nos=[line.line_no for line in lines], eligible=eligible,
                      quantities=[line.quantity for line in lines], base=base, usage=usage, claim=claim,
                      tier_multiplier=member.tier_multiplier)


def _match(hits: Hits, i: int, line: BasketLine, live: list[_Compiled | None],
           matched: list[list[int] | None]) -> None:
    """Adds line ``i`` to the matched lines of each live rule in ``hits`` whose other line
    conditions it meets."""
    for position, check in hits:
        if live[position] is not None and (check is None or check(line)):
            found = matched[position]
            if found is None:
                matched[position] = [i]
            else:
                found.append(i)


def _all_of(checks: list[Callable[[T], bool]]) -> Callable[[T], bool] | None:
    """One check that holds when every one of ``checks`` holds (None for no checks)."""
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    first, rest = checks[0], _all_of(checks[1:])
    assert rest is not None
    return lambda facts: first(facts) and rest(facts)


def _line_check(c: Condition) -> Callable:
    if c.kind in INDEX_KINDS:
        values, kind = frozenset(c.values), c.kind
        if c.exclude:
            return lambda line: getattr(line, kind) not in values
        return lambda line: getattr(line, kind) in values
    if c.kind == "quantity":
        least, most = _bounds(c)
        return lambda line: least <= line.quantity <= most
    low, high = _whole_bounds(c)
    return lambda line: low <= line.amount_minor <= high


class _Sale:
    """A basket's transaction and member facts as gates read them, each worked out once."""

    __slots__ = ("basket", "sale", "member", "local", "day", "weekday", "time", "total")

    def __init__(self, basket: Basket, sale: SaleFacts, member: MemberFacts, local: datetime):
        self.basket, self.sale, self.member, self.local = basket, sale, member, local
        self.day, self.weekday, self.time = local.date(), local.isoweekday(), local.time()
        self.total = sum([line.amount_minor for line in basket.lines])


def _sale_check(c: Condition) -> Callable[[_Sale], bool]:
    kind = c.kind
    if kind == "basket_total":
        low, high = _whole_bounds(c)
        return lambda f: low <= f.total <= high
    if kind in ("channel", "store", "store_group", "currency"):
        values, exclude = frozenset(c.values), c.exclude
        if kind == "currency":
            return lambda f: (f.basket.currency in values) != exclude
        attribute = {"channel": "channel", "store": "store_code", "store_group": "store_group"}[kind]

        def listed(f: _Sale) -> bool:
            value = getattr(f.sale, attribute)
            return (value is not None and value in values) != exclude
        return listed
    if kind == "date_range":
        start, end = c.start, c.end
        return lambda f: (start is None or start <= f.day) and (end is None or f.day <= end)
    if kind == "day_of_week":
        days = frozenset(c.days_of_week)
        return lambda f: f.weekday in days
    if kind == "time_window":  # [from, until), across midnight when until is the earlier
        opens, closes = c.time_from, c.time_until
        assert opens is not None and closes is not None  # validation: a window names both
        if opens < closes:
            return lambda f: opens <= f.time < closes
        return lambda f: f.time >= opens or f.time < closes
    raise ValueError(f"not a transaction condition: {kind!r}")


def _member_check(c: Condition) -> Callable[[_Sale], bool]:
    kind = c.kind
    values, exclude = frozenset(c.values), c.exclude
    if kind == "tier":
        return lambda f: (f.member.tier_code is not None and f.member.tier_code in values) != exclude
    if kind == "segment":
        return lambda f: (not values.isdisjoint(f.member.segments)) != exclude
    if kind == "attribute":
        name, named = c.attribute or "", frozenset[str | None](c.values)  # validation: it names one
        return lambda f: f.member.attributes.get(name) in named
    if kind == "first_purchase":
        return lambda f: f.member.first_purchase
    if kind == "birthday_month":
        return lambda f: f.member.birthday is not None and f.member.birthday.month == f.local.month
    if kind == "enrolment_age":
        low, high = _whole_bounds(c)
        return lambda f: (f.member.enrolled_at is not None
                          and low <= (f.basket.occurred_at - f.member.enrolled_at).days <= high)
    raise ValueError(f"not a member condition: {kind!r}")


def _whole_bounds(c: Condition) -> tuple[int | float, int | float]:
    """The bounds for a whole-number value (amounts in minor units, days): the same answer
    as the decimal bounds, compared as integers."""
    return (math.ceil(c.minimum) if c.minimum is not None else -math.inf,
            math.floor(c.maximum) if c.maximum is not None else math.inf)


def _bounds(c: Condition) -> tuple[Decimal, Decimal]:
    return (c.minimum if c.minimum is not None else Decimal("-Infinity"),
            c.maximum if c.maximum is not None else Decimal("Infinity"))
