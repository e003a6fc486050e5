"""The straightforward interpreter: every rule checks every line, reading each condition from
its definition every time. It is the reference the compiled evaluator must agree with and
the benchmark's baseline; nothing in production calls it."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from engine.ledger.basket import Basket, BasketLine
from engine.rules.facts import MemberFacts, SaleFacts, Usage
from engine.rules.model import Condition, Rule
from engine.rules.awards import RuleAward
from engine.rules.outcome import plan, settle


def rule_order(rule: Rule) -> tuple:
    """The documented evaluation order: priority (highest first), then key."""
    return (-rule.priority, rule.key)


def evaluate_naive(rules: list[tuple[Rule, int | None]], basket: Basket, *, sale: SaleFacts, member: MemberFacts,
                   eligible: list[int], base: list[int], usage: Usage, claim=None) -> tuple[list[int], list[RuleAward]]:
    """Points per line and awards of ``rules`` (``(rule, version)`` pairs) for ``basket``."""
    local = sale.local(basket.occurred_at)
    candidates = []
    for rule, version in sorted(rules, key=lambda rv: rule_order(rv[0])):
        matched = [i for i, line in enumerate(basket.lines)
                   if all(condition_holds(c, basket, line, sale, member, local) for c in rule.conditions)]
        if matched:
            candidates.append((plan(rule, version), matched))
    return settle(candidates, line_nos=[line.line_no for line in basket.lines], eligible=eligible,
                  quantities=[line.quantity for line in basket.lines], base=base, usage=usage, claim=claim,
                  tier_multiplier=member.tier_multiplier)


def condition_holds(c: Condition, basket: Basket, line: BasketLine, sale: SaleFacts, member: MemberFacts,
                    local: datetime) -> bool:
    """Whether condition ``c`` holds for ``line`` of ``basket`` (the meaning of every kind)."""
    kind = c.kind
    if kind in ("sku", "category", "brand"):
        return in_list(c, getattr(line, kind))
    if kind == "quantity":
        return in_range(c, line.quantity)
    if kind == "line_amount":
        return in_range(c, line.amount_minor)
    if kind == "basket_total":
        return in_range(c, basket.total_minor)
    if kind == "channel":
        return in_list(c, sale.channel)
    if kind == "store":
        return in_list(c, sale.store_code)
    if kind == "store_group":
        return in_list(c, sale.store_group)
    if kind == "currency":
        return in_list(c, basket.currency)
    if kind == "date_range":
        day = local.date()
        return (c.start is None or c.start <= day) and (c.end is None or day <= c.end)
    if kind == "day_of_week":
        return local.isoweekday() in c.days_of_week
    if kind == "time_window":
        return in_window(c, local.time().replace(tzinfo=None))
    if kind == "tier":
        return in_list(c, member.tier_code)
    if kind == "enrolment_age":
        if member.enrolled_at is None:
            return False
        return in_range(c, (basket.occurred_at - member.enrolled_at).days)
    if kind == "first_purchase":
        return member.first_purchase
    if kind == "birthday_month":
        return member.birthday is not None and member.birthday.month == local.month
    if kind == "segment":
        hit = any(v in member.segments for v in c.values)
        return not hit if c.exclude else hit
    if kind == "attribute":
        return member.attributes.get(c.attribute) in c.values
    raise ValueError(f"unknown condition kind {kind!r}")


def in_list(c: Condition, value) -> bool:
    """Whether ``value`` is in the condition's list (not in it, for an exclude list)."""
    hit = value is not None and value in c.values
    return not hit if c.exclude else hit


def in_range(c: Condition, value) -> bool:
    """Whether ``value`` lies within the condition's inclusive bounds."""
    value = Decimal(value)
    return (c.minimum is None or c.minimum <= value) and (c.maximum is None or value <= c.maximum)


def in_window(c: Condition, t) -> bool:
    """Whether local time ``t`` is in ``[time_from, time_until)``, the window possibly crossing midnight."""
    if c.time_from < c.time_until:
        return c.time_from <= t < c.time_until
    return t >= c.time_from or t < c.time_until

