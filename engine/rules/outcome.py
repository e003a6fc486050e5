"""From matched rules to points: stacking, effects, rounding and limits, shared by the
compiled and the naive evaluator so both give the same answer.

The documented order: rules are taken by priority (highest first), then by key. Walking
that order:

- the programme's base rate comes first (entry ``base``); it is never excluded;
- a ``stack`` rule adds its points;
- a ``best_of`` rule competes with the other matching rules of its group: at the first rule
  of the group reached, the one desiring the most points applies (a tie goes to the earlier
  in the order), the others give nothing;
- an ``exclusive`` rule that gives points ends the walk: rules after it give nothing;
- a multiplier multiplies the points the base rate and the ``points_per_unit`` rules
  earlier in the order gave its matched lines, and adds the difference (give multipliers a
  low priority to multiply every earning rule).

Each rule's desired points are cut by its limits (per transaction, what is left of its
per-member day/week/month caps, what the member may still get from its campaign, what is
left of its campaign's budget), in that order; both
desired and applied points are kept. Applied points are spread over the rule's matched lines
by largest remainder, so per-line points always add up to the rule's points.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from engine.ledger.allocation import largest_remainder
from engine.rules.awards import RuleAward
from engine.rules.facts import Usage
from engine.rules.model import Limits, Rule

BASE: Final = "base"


@dataclass(frozen=True, slots=True)
class Plan:
    """What settling needs to know about one rule version, read once from its definition
    (compiling does it once per rule set): the effect's numbers, whether a limit applies,
    the stacking mode."""

    version: int | None
    key: str
    campaign: str | None
    effect: int  # _PER_UNIT, _PER_TRANSACTION, _PER_ITEM or _MULTIPLY
    points: int
    per_minor: int
    rounding: int  # _DOWN, _UP or _HALF_UP
    ratio: tuple[int, int] | None  # a multiplier's (factor - 1) as a fraction; None: it gives nothing
    limits: Limits
    by_tier: bool  # a tier_multiplier: the member's tier gives the factor
    limited: bool  # a per-transaction or per-member cap, or a campaign budget
    earning: bool  # a points_per_unit rule: what later multipliers multiply
    exclusive: bool
    group: str | None  # set for best_of rules only


# Effects and rounding policies as small integers: settling branches on them for every rule
# that fires, and comparing integers is cheaper than calling through a table.
_PER_UNIT: Final = 0
_PER_TRANSACTION: Final = 1
_PER_ITEM: Final = 2
_MULTIPLY: Final = 3
_EFFECTS = {"points_per_unit": _PER_UNIT, "fixed_per_transaction": _PER_TRANSACTION, "fixed_per_unit": _PER_ITEM,
            "multiplier": _MULTIPLY, "tier_multiplier": _MULTIPLY}
_DOWN: Final = 0
_UP: Final = 1
_HALF_UP: Final = 2
_ROUNDINGS = {"down": _DOWN, "up": _UP, "half_up": _HALF_UP}


def plan(rule: Rule, version: int | None) -> Plan:
    """The :class:`Plan` of a valid ``rule``."""
    e, limits = rule.effect, rule.limits
    capped = any(cap is not None for cap in (limits.per_transaction, limits.per_member_day, limits.per_member_week,
                                             limits.per_member_month))
    ratio = _extra(e.factor) if e.kind == "multiplier" and e.factor is not None and e.factor > 1 else None
    return Plan(version, rule.key, rule.campaign, _EFFECTS[e.kind], e.points or 0, e.per_minor or 1,
                _ROUNDINGS[e.rounding], ratio, limits,
                by_tier=e.kind == "tier_multiplier", limited=capped or rule.campaign is not None,
                earning=e.kind == "points_per_unit", exclusive=rule.stacking == "exclusive",
                group=rule.group if rule.stacking == "best_of" else None)


# A rule whose transaction and member conditions hold, with the indexes of its matched lines.
Candidate = tuple[Plan, list[int]]


def split(total: int, weights: list[int]) -> list[int]:
    """``total`` by largest remainder over ``weights`` (ties to the earlier); all-zero weights
    share equally. Shortcuts aside, ``engine.ledger.allocation.split_proportionally``."""
    count = len(weights)
    if count == 1:
        return [total]
    whole = sum(weights)
    if total == whole:
        return list(weights)
    if whole == 0:
        weights, whole = [1] * count, count
    if count == 2:
        # Two remainders add up to 0 or to ``whole``: at most one point is left over, and it
        # goes to the first weight when its remainder is at least half (a tie: the earlier).
        first, left = divmod(total * weights[0], whole)
        if left and 2 * left >= whole:
            first += 1
        return [first, total - first]
    return largest_remainder(total, weights, whole)


def _divide(numerator: int, denominator: int, rounding: int) -> int:
    """``numerator / denominator`` (both non-negative) in integers, rounded by ``rounding``."""
    if rounding == _DOWN:
        return numerator // denominator
    if rounding == _UP:
        return -(-numerator // denominator)
    return (2 * numerator + denominator) // (2 * denominator)


_RATIOS: dict[Decimal, tuple[int, int]] = {}


def _extra(factor: Decimal) -> tuple[int, int]:
    """(factor - 1) as an integer fraction, cached."""
    found = _RATIOS.get(factor)
    if found is None:
        found = _RATIOS[factor] = (factor - 1).as_integer_ratio()
    return found


def settle(candidates: list[Candidate], *, line_nos: list[int], eligible: list[int], quantities: list[Decimal],
           base: list[int], usage: Usage, claim: Callable[[str, int], int] | None = None,
           tier_multiplier: Decimal = Decimal(1)) -> tuple[list[int], list[RuleAward]]:
    """Apply ``candidates`` (already in the documented order) to a basket; returns points per
    line (base included) and the awards, base first. Rules of campaigns not open to the
    member are left out first. ``claim(campaign, points)`` (accruals) takes budget and returns
    what it got; without it (simulation) ``usage.campaign_left`` caps."""
    if usage.campaigns_open is not None:
        candidates = [c for c in candidates if c[0].campaign is None or c[0].campaign in usage.campaigns_open]
    totals = list(base)
    earn = list(base)  # what multipliers multiply
    whole_base = sum(base)
    awards = [RuleAward(BASE, None, None, whole_base, whole_base, tuple([(n, p) for n, p in zip(line_nos, base)]))]
    basket = _Basket(eligible, sum(eligible), quantities, earn,
                     _extra(tier_multiplier) if tier_multiplier > 1 else None)
    campaign_left = dict(usage.campaign_left)
    member_left = dict(usage.campaign_member_left)
    groups: dict[str, list[Candidate]] | None = None  # best_of rivals by group, until the group is decided
    for plan, lines in candidates:
        if plan.group is None:
            weights, desired = _desired(plan, lines, basket)
        else:
            if groups is None:
                groups = {}
                for c in candidates:
                    if c[0].group is not None:
                        groups.setdefault(c[0].group, []).append(c)
            rivals = groups.pop(plan.group, None)
            if rivals is None:
                continue  # its group was decided at the group's first rule
            wants = [_desired(p, ls, basket) for p, ls in rivals]
            best = max(range(len(wants)), key=lambda i: (wants[i][1], -i))  # a tie goes to the earlier
            (plan, lines), (weights, desired) = rivals[best], wants[best]
        applied, capped_by = desired, None
        if plan.limited:
            applied, capped_by = _cap(plan, desired, usage, campaign_left, member_left)
            if claim is not None and plan.campaign is not None and applied > 0:
                granted = claim(plan.campaign, applied)
                if granted < applied:
                    applied, capped_by = granted, "campaign_budget"
            if plan.campaign in campaign_left:
                campaign_left[plan.campaign] -= applied
            if plan.campaign in member_left:
                member_left[plan.campaign] -= applied
        if weights is None:  # one line
            i = lines[0]
            totals[i] += applied
            if plan.earning:
                earn[i] += applied
            given: tuple[tuple[int, int], ...] = ((line_nos[i], applied),)
        else:
            # capped: the applied points are spread like the desired ones were
            per_line = split(applied, weights if applied == desired else split(desired, weights))
            for i, points in zip(lines, per_line):
                totals[i] += points
            if plan.earning:
                for i, points in zip(lines, per_line):
                    earn[i] += points
            given = tuple([(line_nos[i], points) for i, points in zip(lines, per_line)])
        awards.append(RuleAward(plan.key, plan.version, plan.campaign, desired, applied, given, capped_by))
        if plan.exclusive and applied > 0:
            break
    return totals, awards


@dataclass(slots=True)
class _Basket:
    """What rules' effects read from the basket being settled; ``earn`` changes as rules apply."""

    eligible: list[int]
    whole_eligible: int
    quantities: list[Decimal]
    earn: list[int]
    tier_ratio: tuple[int, int] | None  # the tier multiplier's (factor - 1); None: 1 or less


def _desired(plan: Plan, lines: list[int], basket: _Basket) -> tuple[list[int] | None, int]:
    """What ``plan``'s rule wants on its matched ``lines`` before limits: ``(weights, points)``,
    the points to be spread over the lines by largest remainder over ``weights``. With one
    line, ``weights`` is None: the line gets them all."""
    effect, one = plan.effect, len(lines) == 1
    if effect == _MULTIPLY:
        ratio = plan.ratio if plan.ratio is not None else basket.tier_ratio if plan.by_tier else None
        earn = basket.earn
        if one:
            return None, 0 if ratio is None else _divide(earn[lines[0]] * ratio[0], ratio[1], plan.rounding)
        weights = earn if len(lines) == len(earn) else [earn[i] for i in lines]
        return weights, 0 if ratio is None else _divide(sum(weights) * ratio[0], ratio[1], plan.rounding)
    if effect == _PER_ITEM:
        points, quantities = plan.points, basket.quantities
        if one:
            return None, points * int(quantities[lines[0]])
        weights = [points * int(quantities[i]) for i in lines]  # exact: spreading their sum gives them back
        return weights, sum(weights)
    eligible = basket.eligible
    if effect == _PER_TRANSACTION:
        if one:
            return None, plan.points
        return eligible if len(lines) == len(eligible) else [eligible[i] for i in lines], plan.points
    if one:
        return None, _divide(eligible[lines[0]] * plan.points, plan.per_minor, plan.rounding)
    if len(lines) == len(eligible):
        return eligible, _divide(basket.whole_eligible * plan.points, plan.per_minor, plan.rounding)
    weights = [eligible[i] for i in lines]
    return weights, _divide(sum(weights) * plan.points, plan.per_minor, plan.rounding)


def _cap(plan: Plan, desired: int, usage: Usage, campaign_left: dict, member_left: dict) -> tuple[int, str | None]:
    applied, capped_by = desired, None
    limits, key = plan.limits, plan.key
    for name, cap in (("per_transaction", limits.per_transaction),
                      ("per_member_day", None if limits.per_member_day is None
                       else limits.per_member_day - usage.day.get(key, 0)),
                      ("per_member_week", None if limits.per_member_week is None
                       else limits.per_member_week - usage.week.get(key, 0)),
                      ("per_member_month", None if limits.per_member_month is None
                       else limits.per_member_month - usage.month.get(key, 0)),
                      ("campaign_member_cap", member_left.get(plan.campaign) if plan.campaign else None),
                      ("campaign_budget", campaign_left.get(plan.campaign) if plan.campaign else None)):
        if cap is not None and applied > max(cap, 0):
            applied, capped_by = max(cap, 0), name
    return applied, capped_by
