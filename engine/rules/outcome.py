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
per-member day/week/month caps, what is left of its campaign's budget), in that order; both
desired and applied points are kept. Applied points are spread over the rule's matched lines
by largest remainder, so per-line points always add up to the rule's points.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from engine.rules.facts import Usage
from engine.rules.model import Rule

BASE = "base"


@dataclass(slots=True)  # not frozen: built for every rule that fires, and frozen init is slow
class RuleAward:
    """What one rule version gave: ``desired`` before its limits, ``applied`` after, and the
    applied points per line as ``(line_no, points)``. ``capped_by`` names the limit that cut."""

    rule_key: str
    version: int | None
    campaign: str | None
    desired: int
    applied: int
    lines: tuple[tuple[int, int], ...]
    capped_by: str | None = None


@dataclass(slots=True)
class Candidate:
    """A rule whose transaction and member conditions hold, with the indexes of its matched lines."""

    rule: Rule
    version: int | None
    lines: tuple[int, ...]


def split(total: int, weights: list[int]) -> list[int]:
    """``total`` by largest remainder over ``weights`` (ties to the earlier); all-zero weights
    share equally. Integer-only twin of ``engine.ledger.allocation.split_proportionally``."""
    if len(weights) == 1:
        return [total]
    whole = sum(weights)
    if whole == 0:
        weights, whole = [1] * len(weights), len(weights)
    parts = [total * w // whole for w in weights]
    short = total - sum(parts)
    if short:
        rems = [total * w % whole for w in weights]
        # a stable sort, reversed, keeps ties in index order: ties go to the earlier weight
        for i in sorted(range(len(weights)), key=rems.__getitem__, reverse=True)[:short]:
            parts[i] += 1
    return parts


def divide(numerator: int, denominator: int, rounding: str) -> int:
    """``numerator / denominator`` (both non-negative) rounded by the policy, in integers."""
    if rounding == "down":
        return numerator // denominator
    if rounding == "up":
        return -(-numerator // denominator)
    return (2 * numerator + denominator) // (2 * denominator)  # half_up


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
        candidates = [c for c in candidates
                      if c.rule.campaign is None or c.rule.campaign in usage.campaigns_open]
    totals = list(base)
    earn = list(base)  # what multipliers multiply
    awards = [RuleAward(BASE, None, None, sum(base), sum(base),
                        tuple((n, p) for n, p in zip(line_nos, base)))]
    campaign_left = dict(usage.campaign_left)
    done_groups: set[str] = set()
    by_group: dict[str, list[Candidate]] = {}
    for c in candidates:
        if c.rule.stacking == "best_of":
            by_group.setdefault(c.rule.group, []).append(c)
    for c in candidates:
        rule = c.rule
        if rule.stacking == "best_of":
            if rule.group in done_groups:
                continue
            done_groups.add(rule.group)
            scored = [(desire(m, eligible, quantities, earn, tier_multiplier), m) for m in by_group[rule.group]]
            best = max(range(len(scored)), key=lambda i: (sum(scored[i][0]), -i))
            wanted, c = scored[best]
            rule = c.rule
        else:
            wanted = desire(c, eligible, quantities, earn, tier_multiplier)
        desired = sum(wanted)
        limits = rule.limits
        if rule.campaign is None and limits.per_transaction is None and limits.per_member_day is None \
                and limits.per_member_week is None and limits.per_member_month is None:
            applied, capped_by = desired, None
        else:
            applied, capped_by = _cap(rule, desired, usage, campaign_left)
        if claim is not None and rule.campaign is not None and applied > 0:
            granted = claim(rule.campaign, applied)
            if granted < applied:
                applied, capped_by = granted, "campaign_budget"
        per_line = wanted if applied == desired else split(applied, wanted)
        earning = rule.effect.kind == "points_per_unit"
        for i, p in zip(c.lines, per_line):
            totals[i] += p
            if earning:
                earn[i] += p
        if rule.campaign is not None and rule.campaign in campaign_left:
            campaign_left[rule.campaign] -= applied
        awards.append(RuleAward(rule.key, c.version, rule.campaign, desired, applied,
                                tuple(zip(map(line_nos.__getitem__, c.lines), per_line)), capped_by))
        if rule.stacking == "exclusive" and applied > 0:
            break
    return totals, awards


def desire(c: Candidate, eligible: list[int], quantities: list[Decimal], earn: list[int],
           tier_multiplier: Decimal = Decimal(1)) -> list[int]:
    """The points ``c``'s rule wants per matched line, before limits."""
    e = c.rule.effect
    if e.kind == "points_per_unit":
        weights = [eligible[i] for i in c.lines]
        return split(divide(sum(weights) * e.points, e.per_minor, e.rounding), weights)
    if e.kind in ("multiplier", "tier_multiplier"):
        weights = [earn[i] for i in c.lines]
        whole = sum(weights)
        factor = e.factor if e.kind == "multiplier" else tier_multiplier
        if not whole or factor <= 1:
            return [0] * len(weights)
        num, den = _extra(factor)
        return split(divide(whole * num, den, e.rounding), weights)
    if e.kind == "fixed_per_unit":
        return [e.points * int(quantities[i]) for i in c.lines]
    return split(e.points, [eligible[i] for i in c.lines])  # fixed_per_transaction


def _cap(rule: Rule, desired: int, usage: Usage, campaign_left: dict) -> tuple[int, str | None]:
    applied, capped_by = desired, None
    limits = rule.limits
    for name, cap in (("per_transaction", limits.per_transaction),
                      ("per_member_day", None if limits.per_member_day is None
                       else limits.per_member_day - usage.day.get(rule.key, 0)),
                      ("per_member_week", None if limits.per_member_week is None
                       else limits.per_member_week - usage.week.get(rule.key, 0)),
                      ("per_member_month", None if limits.per_member_month is None
                       else limits.per_member_month - usage.month.get(rule.key, 0)),
                      ("campaign_budget", campaign_left.get(rule.campaign) if rule.campaign else None)):
        if cap is not None and applied > max(cap, 0):
            applied, capped_by = max(cap, 0), name
    return applied, capped_by
