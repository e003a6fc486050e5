"""The rule model: plain frozen dataclasses and their JSON form.

A rule is ``conditions`` (all must hold), one ``effect``, optional ``limits``, a
``priority`` and a stacking mode. Conditions are of three scopes: transaction (the sale),
line (which lines of the basket the effect applies to) and member. Conversion to and from
plain dicts is lossless for valid rules; ``rule_from_dict`` never raises on wrong shapes of
known fields: it keeps what it reads so ``validate_rule`` can name every problem.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, time
from decimal import Decimal

TRANSACTION_KINDS = ("basket_total", "channel", "store", "store_group", "date_range", "day_of_week",
                     "time_window", "currency")
LINE_KINDS = ("sku", "category", "brand", "quantity", "line_amount")
MEMBER_KINDS = ("tier", "enrolment_age", "first_purchase", "birthday_month", "segment", "attribute")
CONDITION_KINDS = TRANSACTION_KINDS + LINE_KINDS + MEMBER_KINDS
LIST_KINDS = ("channel", "store", "store_group", "currency", "sku", "category", "brand", "tier", "segment")
RANGE_KINDS = ("basket_total", "quantity", "line_amount", "enrolment_age")
EFFECT_KINDS = ("points_per_unit", "multiplier", "tier_multiplier", "fixed_per_transaction", "fixed_per_unit")
ROUNDING = ("down", "half_up", "up")
STACKING = ("stack", "exclusive", "best_of")


@dataclass(frozen=True)
class Condition:
    """One condition. Which fields count depends on ``kind``:

    - list kinds (channel, store, store_group, currency, sku, category, brand, tier, segment):
      ``values``; with ``exclude`` the values are an exclude list;
    - range kinds (basket_total and line_amount in whole minor units, quantity, enrolment_age
      in whole days): ``minimum`` and/or ``maximum``, both inclusive;
    - date_range: ``start``/``end`` store-local dates, inclusive;
    - day_of_week: ``days_of_week`` (1 = Monday … 7 = Sunday) in the store's time zone;
    - time_window: ``time_from`` ≤ local time < ``time_until`` (a window may cross midnight);
    - attribute: ``attribute`` equals one of ``values``;
    - first_purchase, birthday_month: no fields.
    """

    kind: str
    values: tuple[str, ...] = ()
    exclude: bool = False
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    start: date | None = None
    end: date | None = None
    days_of_week: tuple[int, ...] = ()
    time_from: time | None = None
    time_until: time | None = None
    attribute: str | None = None


@dataclass(frozen=True)
class Effect:
    """What a rule gives on its matched lines.

    - points_per_unit: ``points`` per ``per_minor`` minor units of the matched lines' eligible
      amount, computed on their sum and rounded by ``rounding``;
    - multiplier: ``factor`` × the points the base rate and points_per_unit rules gave the
      matched lines; the rule adds the difference (factor 3 = triple points);
    - tier_multiplier: like multiplier, with the earn multiplier of the member's tier as the
      factor (one rule, "members earn their tier's multiplier", instead of one per tier; a
      tier multiplier of 1 gives nothing);
    - fixed_per_transaction: ``points`` once when the rule matches;
    - fixed_per_unit: ``points`` per whole unit of quantity on the matched lines.
    """

    kind: str
    points: int | None = None
    per_minor: int | None = None
    factor: Decimal | None = None
    rounding: str = "down"


@dataclass(frozen=True)
class Limits:
    """Caps on what one rule gives: per transaction, per member per store-local day, ISO week
    and calendar month. ``None`` is no cap."""

    per_transaction: int | None = None
    per_member_day: int | None = None
    per_member_week: int | None = None
    per_member_month: int | None = None


@dataclass(frozen=True)
class Rule:
    key: str
    name: str
    effect: Effect
    conditions: tuple[Condition, ...] = ()
    limits: Limits = field(default_factory=Limits)
    priority: int = 0  # higher first
    stacking: str = "stack"
    group: str | None = None  # best_of picks the best rule of its group
    campaign: str | None = None


def rule_to_dict(rule: Rule) -> dict:
    """The JSON-ready form of ``rule`` (dates and times ISO text, decimals text, empty fields left out)."""
    def clean(value):
        if isinstance(value, dict):
            # ``is``, not ``==``: a bound of 0 (Decimal("0") == False) is a value, not an empty field
            return {k: clean(v) for k, v in value.items()
                    if not (v is None or v is False or (isinstance(v, (list, tuple)) and not v)) or k == "priority"}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, (date, time)):
            return value.isoformat()
        return value
    return clean(asdict(rule))


def rule_from_dict(data: dict) -> Rule:
    """A :class:`Rule` from its dict form; values that cannot be read are kept as they are so
    validation reports them."""
    def dec(v):
        try:
            return Decimal(str(v)) if v is not None and not isinstance(v, bool) else v
        except ArithmeticError:
            return v

    def parse(kind, v):
        if not isinstance(v, str):
            return v
        try:
            return kind.fromisoformat(v)
        except ValueError:
            return v

    def condition(c: dict) -> Condition:
        c = c if isinstance(c, dict) else {}
        return Condition(
            kind=c.get("kind"), values=tuple(c.get("values") or ()), exclude=c.get("exclude", False),
            minimum=dec(c.get("minimum")), maximum=dec(c.get("maximum")),
            start=parse(date, c.get("start")), end=parse(date, c.get("end")),
            days_of_week=tuple(c.get("days_of_week") or ()),
            time_from=parse(time, c.get("time_from")), time_until=parse(time, c.get("time_until")),
            attribute=c.get("attribute"))

    effect = data.get("effect") if isinstance(data.get("effect"), dict) else {}
    limits = data.get("limits") if isinstance(data.get("limits"), dict) else {}
    return Rule(
        key=data.get("key"), name=data.get("name"),
        effect=Effect(kind=effect.get("kind"), points=effect.get("points"), per_minor=effect.get("per_minor"),
                      factor=dec(effect.get("factor")), rounding=effect.get("rounding", "down")),
        conditions=tuple(condition(c) for c in (data.get("conditions") or ())),
        limits=Limits(**{k: limits.get(k) for k in ("per_transaction", "per_member_day", "per_member_week",
                                                       "per_member_month")}),
        priority=data.get("priority", 0), stacking=data.get("stacking", "stack"), group=data.get("group"),
        campaign=data.get("campaign"))
