"""What makes a rule definition meaningful: ``validate_rule`` returns every problem found,
each with its field path (``conditions[1].days_of_week``) and a message; none means valid.
A field that the condition's or the effect's kind does not read (a day of the week on a
first_purchase condition, a rounding on a fixed bonus) is a problem too: it would be saved and
never read."""
from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal

from engine.errors import Problem
from engine.ledger.basket import CHANNELS
from engine.rules.model import (CONDITION_KINDS, EFFECT_KINDS, LIST_KINDS, RANGE_KINDS, ROUNDING, STACKING,
                                Rule)

KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_POINTS = 10**9
MAX_FACTOR = Decimal(100)
# a range condition's bounds: amounts in minor units, quantities to the thousandth, ages in days
MAX_BOUND = Decimal(10**15)
BOUND_STEP = Decimal("0.001")
BOUND_RULE = f"must be a number from 0 to {MAX_BOUND} with at most 3 decimals"


def validate_rule(rule: Rule) -> list[Problem]:
    """Every problem with ``rule``; an empty list means it can be saved and published."""
    problems: list[Problem] = []

    def need(ok: bool, where: str, message: str) -> None:
        if not ok:
            problems.append(Problem(where, message))

    need(isinstance(rule.key, str) and bool(KEY.match(rule.key)), "key",
         "must be 1 to 64 lower-case letters, digits, '-' or '_'")
    need(isinstance(rule.name, str) and 0 < len(rule.name.strip()) <= 200, "name", "must be a text of 1 to 200 characters")
    need(_is_int(rule.priority) and -1000 <= rule.priority <= 1000, "priority", "must be a whole number from -1000 to 1000")
    need(rule.stacking in STACKING, "stacking", f"must be one of {', '.join(STACKING)}")
    need((rule.stacking == "best_of") == bool(rule.group), "group",
         "a best_of rule names its group, and only a best_of rule has one")
    need(rule.campaign is None or (isinstance(rule.campaign, str) and bool(KEY.match(rule.campaign))),
         "campaign", "must be a campaign code")
    for index, condition in enumerate(rule.conditions):
        _condition_problems(condition, f"conditions[{index}]", need)
    _effect_problems(rule, need)
    for name in ("per_transaction", "per_member_day", "per_member_week", "per_member_month"):
        value = getattr(rule.limits, name)
        need(value is None or (_is_int(value) and 0 < value <= MAX_POINTS), f"limits.{name}",
             f"must be a whole number of points from 1 to {MAX_POINTS}")
    return problems


# the fields each kind of condition reads (besides ``exclude``, which only list kinds have):
# any other field given would be saved and never read
_CONDITION_FIELDS = {**{kind: ("values",) for kind in LIST_KINDS},
                     **{kind: ("minimum", "maximum") for kind in RANGE_KINDS},
                     "date_range": ("start", "end"), "day_of_week": ("days_of_week",),
                     "time_window": ("time_from", "time_until"), "attribute": ("attribute", "values")}
_OPTIONAL_FIELDS = tuple(dict.fromkeys(name for names in _CONDITION_FIELDS.values() for name in names))


def _condition_problems(c, where: str, need) -> None:
    if c.kind not in CONDITION_KINDS:
        need(False, f"{where}.kind", f"must be one of {', '.join(CONDITION_KINDS)}")
        return
    for name in _OPTIONAL_FIELDS:
        given = getattr(c, name)
        need(name in _CONDITION_FIELDS.get(c.kind, ()) or given is None or given == (), f"{where}.{name}",
             f"a {c.kind} condition has no {name}")
    if c.kind in LIST_KINDS:
        need(len(c.values) > 0 and all(isinstance(v, str) and 0 < len(v) <= 64 for v in c.values),
             f"{where}.values", "must list at least one text of 1 to 64 characters")
    if c.kind == "channel":  # a channel no sale has ("Online") would never match
        need(all(v in CHANNELS for v in c.values), f"{where}.values", f"must list channels among {', '.join(CHANNELS)}")
    need(isinstance(c.exclude, bool) and (not c.exclude or c.kind in LIST_KINDS), f"{where}.exclude",
         "only a list condition can exclude")
    if c.kind in RANGE_KINDS:
        ok = [v is None or _is_bound(v) for v in (c.minimum, c.maximum)]
        need(ok[0], f"{where}.minimum", BOUND_RULE)
        need(ok[1], f"{where}.maximum", BOUND_RULE)
        unit = _WHOLE_UNITS.get(c.kind)
        if unit is not None:  # amounts and ages are whole: a fraction could never be met exactly as written
            for bound, value, fine in (("minimum", c.minimum, ok[0]), ("maximum", c.maximum, ok[1])):
                need(not fine or value is None or value == value.to_integral_value(), f"{where}.{bound}",
                     f"must be a whole number of {unit}")
        need(c.minimum is not None or c.maximum is not None, f"{where}.minimum", "give a minimum, a maximum or both")
        if all(ok) and c.minimum is not None and c.maximum is not None:
            need(c.minimum <= c.maximum, f"{where}.maximum", "must not be below the minimum")
    if c.kind == "date_range":
        need(isinstance(c.start, date) or c.start is None, f"{where}.start", "must be a date (YYYY-MM-DD)")
        need(isinstance(c.end, date) or c.end is None, f"{where}.end", "must be a date (YYYY-MM-DD)")
        need(c.start is not None or c.end is not None, f"{where}.start", "give a start, an end or both")
        if isinstance(c.start, date) and isinstance(c.end, date):
            need(c.start <= c.end, f"{where}.end", "must not be before the start")
    if c.kind == "day_of_week":
        need(len(c.days_of_week) > 0 and all(_is_int(d) and 1 <= d <= 7 for d in c.days_of_week)
             and len(set(c.days_of_week)) == len(c.days_of_week),
             f"{where}.days_of_week", "must list distinct days from 1 (Monday) to 7 (Sunday)")
    if c.kind == "time_window":
        # local times of the store's zone: a time with a UTC offset cannot be compared with them
        for name in ("time_from", "time_until"):
            value = getattr(c, name)
            need(isinstance(value, time) and value.tzinfo is None, f"{where}.{name}",
                 "must be a time of day (HH:MM) without a UTC offset: the window is in the store's local time")
        if isinstance(c.time_from, time) and isinstance(c.time_until, time):
            need(c.time_from != c.time_until, f"{where}.time_until", "must differ from time_from")
    if c.kind == "attribute":
        need(is_attribute_name(c.attribute), f"{where}.attribute", "must name the attribute")
        # attributes are text: a number here would never equal one
        need(len(c.values) > 0 and all(map(is_attribute_value, c.values)), f"{where}.values",
             "must list at least one text value (up to 200 characters, as attributes are)")


def _effect_problems(rule: Rule, need) -> None:
    e = rule.effect
    if e.kind not in EFFECT_KINDS:
        need(False, "effect.kind", f"must be one of {', '.join(EFFECT_KINDS)}")
        return
    if e.kind in ("points_per_unit", "fixed_per_transaction", "fixed_per_unit"):
        need(_is_int(e.points) and 0 < e.points <= MAX_POINTS, "effect.points",
             f"must be a whole number of points from 1 to {MAX_POINTS}")
    else:
        need(e.points is None, "effect.points", "a multiplier gives no fixed points")
    if e.kind == "points_per_unit":
        need(_is_int(e.per_minor) and 0 < e.per_minor <= 10**9, "effect.per_minor",
             "must be a whole number of minor units, 1 or more")
        need(e.rounding in ROUNDING, "effect.rounding", f"must be one of {', '.join(ROUNDING)}")
    else:
        need(e.per_minor is None, "effect.per_minor", "only points_per_unit counts per minor units")
    if e.kind == "tier_multiplier":
        need(e.factor is None, "effect.factor", "the factor is the member's tier multiplier; give none")
        need(e.rounding in ROUNDING, "effect.rounding", f"must be one of {', '.join(ROUNDING)}")
    elif e.kind == "multiplier":
        need(isinstance(e.factor, Decimal) and e.factor.is_finite() and 1 < e.factor <= MAX_FACTOR
             and e.factor == e.factor.quantize(Decimal("0.01")),
             "effect.factor", "must be a number above 1 and at most 100 with at most 2 decimals")
        need(e.rounding in ROUNDING, "effect.rounding", f"must be one of {', '.join(ROUNDING)}")
    else:
        need(e.factor is None, "effect.factor", "only a multiplier has a factor")
    if e.kind in ("fixed_per_transaction", "fixed_per_unit"):  # "down" is the default every rule is saved with
        need(e.rounding == "down", "effect.rounding", "a fixed bonus is not rounded; give no rounding")


def is_attribute_name(name) -> bool:
    """Whether ``name`` can name a member attribute (1 to 64 characters, no "/", not "." or
    "..": the API's and the console's addresses name an attribute as one path segment, to
    remove it, and a browser or client resolves a "." or ".." segment away)."""
    return isinstance(name, str) and 0 < len(name) <= 64 and "/" not in name and name not in (".", "..")


def is_attribute_value(value) -> bool:
    """Whether ``value`` can be a member attribute's value (a text of up to 200 characters)."""
    return isinstance(value, str) and len(value) <= 200


_WHOLE_UNITS = {"basket_total": "minor units (cents)", "line_amount": "minor units (cents)", "enrolment_age": "days"}


def _is_bound(value) -> bool:
    # bounded in size and in decimals: a bound beyond any basket means nothing, and one of a
    # billion digits would cost every evaluation (and compilation) of the rule its conversion
    return (isinstance(value, Decimal) and value.is_finite() and 0 <= value <= MAX_BOUND
            and value == value.quantize(BOUND_STEP))


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
