"""The console's earning-rule form: form fields to a rule definition and back, and the
engine's problems placed next to the fields they are about.

The form offers the conditions marketers use every day (categories, SKUs, brands, stores,
store groups, channels, tiers and segments, each as a list or "all except" a list; days of the
week, a time window, a date range; the basket total, a line's quantity and amount; how long
the member has been enrolled, first purchase, birthday month, and a member attribute equal to
one of some values); the definition it builds is the same JSON the API and CLI take, and the
engine validates its meaning. A rule the form cannot show exactly (a condition kind it does
not offer, two conditions of one kind, a value it has no field for) is shown read-only
(``unsupported_conditions``) rather than edited lossily.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from werkzeug.datastructures import MultiDict

from api.web.pages import is_whole, sentence
from engine.errors import Problem
from engine.ledger.basket import CHANNELS
from engine.rules.model import Condition, rule_from_dict

DAYS = ((1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun"))
LIST_FIELDS = (("category", "Categories"), ("sku", "SKUs"), ("brand", "Brands"), ("store", "Stores"),
               ("store_group", "Store groups"), ("tier", "Tiers"), ("segment", "Segments"))
LIMITS = (("per_transaction", "per sale"), ("per_member_day", "per member per day"),
          ("per_member_week", "per member per week"), ("per_member_month", "per member per month"))
EFFECT_LABELS = {"points_per_unit": "Points per amount spent", "multiplier": "Multiply the points",
                 "tier_multiplier": "Multiply by the member's tier multiplier",
                 "fixed_per_transaction": "Fixed bonus per sale", "fixed_per_unit": "Fixed bonus per item"}
# Range conditions: kind → (the form's fields, ``<prefix>_min`` and ``<prefix>_max``; what the
# bounds are: money in the currency, shown in units and kept in minor units, a number, or
# whole days; what the rule page calls it).
RANGE_FIELDS = {"basket_total": ("cond_basket", "money", "Basket total"),
                "quantity": ("cond_quantity", "number", "Line quantity"),
                "line_amount": ("cond_line_amount", "money", "Line amount"),
                "enrolment_age": ("cond_enrolment_age", "days", "Member for")}
FORM_KINDS = {kind for kind, _ in LIST_FIELDS} | set(RANGE_FIELDS) | {
    "channel", "day_of_week", "time_window", "date_range", "first_purchase", "birthday_month", "attribute"}


@dataclass
class RuleForm:
    """What the form shows: field values (text), and errors by field name."""

    values: dict[str, str | list[str]]
    errors: dict[str, list[str]]


def empty_form() -> RuleForm:
    return RuleForm({"priority": "0", "stacking": "stack", "effect_kind": "points_per_unit", "effect_per_minor": "100",
                     "effect_rounding": "down"}, {})


LARGEST_NUMBER = Decimal(10**15)


def definition_from_form(form, *, exponent: int) -> tuple[dict, dict[str, list[str]], dict[str, str]]:
    """The rule definition the submitted ``form`` (a MultiDict) describes, the errors in
    fields that are not even numbers or times, and which form field each condition came from
    (by its path, ``conditions[2]``, and ``conditions[2].maximum`` where one part of the
    condition has a field of its own) so the engine's problems can be shown next to it."""
    errors: dict[str, list[str]] = {}
    text = {name: (form.get(name) or "").strip() for name in form.keys()}

    def whole(name: str) -> int | None:
        if not text.get(name):
            return None
        if not is_whole(text[name].removeprefix("-")):
            errors.setdefault(name, []).append("Must be a whole number.")
            return None
        return int(text[name])

    def number(name: str) -> str | None:
        if not text.get(name):
            return None
        try:
            # NaN, Infinity, or beyond any amount (1e999999 would overflow as cents): no number a rule can use
            if not (Decimal(text[name]).is_finite() and abs(Decimal(text[name])) <= LARGEST_NUMBER):
                raise InvalidOperation
        except InvalidOperation:
            errors.setdefault(name, []).append("Must be a number, such as 1.5.")
            return None
        return text[name]

    def money(name: str) -> int | None:
        value = number(name)
        if value is None:
            return None
        minor = Decimal(value).scaleb(exponent)
        if minor != minor.to_integral():
            errors.setdefault(name, []).append(f"Use at most {exponent} decimals.")
            return None
        return int(minor)

    definition: dict = {"key": text.get("key", ""), "name": text.get("name", ""),
                        "priority": whole("priority") or 0, "stacking": text.get("stacking") or "stack"}
    for optional in ("group", "campaign"):
        if text.get(optional):
            definition[optional] = text[optional]
    effect = {"kind": text.get("effect_kind", "")}
    if effect["kind"] in ("points_per_unit", "fixed_per_transaction", "fixed_per_unit"):
        effect["points"] = whole("effect_points")
    if effect["kind"] == "points_per_unit":
        effect["per_minor"] = whole("effect_per_minor")
    if effect["kind"] in ("points_per_unit", "multiplier", "tier_multiplier"):  # the kinds that round
        effect["rounding"] = text.get("effect_rounding") or "down"
    if effect["kind"] == "multiplier":
        effect["factor"] = number("effect_factor")
    definition["effect"] = {k: v for k, v in effect.items() if v is not None}
    limits = {limit: whole(f"limit_{limit}") for limit, _ in LIMITS}
    if any(v is not None for v in limits.values()):
        definition["limits"] = {k: v for k, v in limits.items() if v is not None}

    conditions: list[dict] = []
    sources: dict[str, str] = {}

    def add(field: str, condition: dict, **parts: str) -> None:
        """Add ``condition``, which came from ``field`` and, for each of ``parts``, from that field."""
        where = f"conditions[{len(conditions)}]"
        sources[where] = field
        sources.update({f"{where}.{part}": name for part, name in parts.items()})
        conditions.append(condition)

    def listed(name: str) -> list[str]:
        return [v.strip() for v in text.get(name, "").split(",") if v.strip()]

    def excluding(name: str) -> dict:
        return {"exclude": True} if form.get(f"{name}_exclude") else {}

    for kind, _ in LIST_FIELDS:
        values = listed(f"cond_{kind}")
        if values:
            add(f"cond_{kind}", {"kind": kind, "values": values, **excluding(f"cond_{kind}")})
    channels = form.getlist("cond_channel")
    if channels:
        add("cond_channel", {"kind": "channel", "values": channels, **excluding("cond_channel")})
    days = form.getlist("cond_days")
    if days:
        add("cond_days", {"kind": "day_of_week", "days_of_week": [int(d) for d in days if is_whole(d)]})
    if text.get("cond_time_from") or text.get("cond_time_until"):
        add("cond_time_from", {"kind": "time_window", "time_from": text.get("cond_time_from") or None,
                               "time_until": text.get("cond_time_until") or None}, time_until="cond_time_until")
    if text.get("cond_date_start") or text.get("cond_date_end"):
        add("cond_date_start", {"kind": "date_range", "start": text.get("cond_date_start") or None,
                                "end": text.get("cond_date_end") or None}, end="cond_date_end")
    read = {"money": money, "number": number, "days": whole}
    for kind, (prefix, unit, _) in RANGE_FIELDS.items():
        low, high = read[unit](f"{prefix}_min"), read[unit](f"{prefix}_max")
        if low is not None or high is not None:
            add(f"{prefix}_min", {"kind": kind, **({"minimum": low} if low is not None else {}),
                                  **({"maximum": high} if high is not None else {})}, maximum=f"{prefix}_max")
    for flag in ("first_purchase", "birthday_month"):
        if form.get(f"cond_{flag}"):
            add(f"cond_{flag}", {"kind": flag})
    attribute, values = text.get("cond_attribute"), listed("cond_attribute_values")
    if attribute or values:
        add("cond_attribute", {"kind": "attribute", **({"attribute": attribute} if attribute else {}),
                               **({"values": values} if values else {})}, values="cond_attribute_values")
    if conditions:
        definition["conditions"] = conditions
    return definition, errors, sources


def form_from_definition(definition: dict, *, exponent: int) -> RuleForm:
    """The form filled in from a saved definition (for editing a rule)."""
    values: dict[str, str | list[str]] = {
        "key": definition.get("key", ""), "name": definition.get("name", ""),
        "priority": str(definition.get("priority", 0)), "stacking": definition.get("stacking", "stack"),
        "group": definition.get("group") or "", "campaign": definition.get("campaign") or ""}
    effect = definition.get("effect", {})
    values.update({"effect_kind": effect.get("kind", ""), "effect_points": _text(effect.get("points")),
                   "effect_per_minor": _text(effect.get("per_minor")) or "100",
                   "effect_factor": _text(effect.get("factor")), "effect_rounding": effect.get("rounding", "down")})
    for limit, _ in LIMITS:
        values[f"limit_{limit}"] = _text(definition.get("limits", {}).get(limit))
    for condition in definition.get("conditions", []):
        kind = condition.get("kind")
        if kind in dict(LIST_FIELDS):
            values[f"cond_{kind}"] = ", ".join(condition.get("values", []))
            values[f"cond_{kind}_exclude"] = "yes" if condition.get("exclude") else ""
        elif kind == "channel":
            values["cond_channel"] = list(condition.get("values", []))
            values["cond_channel_exclude"] = "yes" if condition.get("exclude") else ""
        elif kind == "day_of_week":
            values["cond_days"] = [str(d) for d in condition.get("days_of_week", [])]
        elif kind == "time_window":
            values["cond_time_from"] = _text(condition.get("time_from"))[:5]
            values["cond_time_until"] = _text(condition.get("time_until"))[:5]
        elif kind == "date_range":
            values["cond_date_start"], values["cond_date_end"] = (_text(condition.get("start")),
                                                                  _text(condition.get("end")))
        elif kind in RANGE_FIELDS:
            prefix, unit, _ = RANGE_FIELDS[kind]
            for bound, suffix in (("minimum", "min"), ("maximum", "max")):
                if condition.get(bound) is not None:
                    values[f"{prefix}_{suffix}"] = _bound_text(condition[bound], unit, exponent)
        elif kind in ("first_purchase", "birthday_month"):
            values[f"cond_{kind}"] = "yes"
        elif kind == "attribute":
            values["cond_attribute"] = _text(condition.get("attribute"))
            values["cond_attribute_values"] = ", ".join(str(v) for v in condition.get("values", []))
    return RuleForm(values, {})


def unsupported_conditions(definition: dict, *, exponent: int) -> list[str]:
    """Condition kinds in ``definition`` the form cannot show as they are (edit those with the
    API or CLI): kinds it does not offer, and conditions that would not come back the same
    from the form, such as two of one kind (the form has one field for each), a list value
    with a comma in it, a channel it has no box for, or a time with seconds."""
    conditions = [c for c in definition.get("conditions", []) if isinstance(c, dict)]
    offered = [c for c in conditions if c.get("kind") in FORM_KINDS]
    shown = form_from_definition({"conditions": offered}, exponent=exponent).values
    boxes = {"cond_channel": CHANNELS, "cond_days": [str(n) for n, _ in DAYS]}
    posted = MultiDict()  # what the page posts back: of the channels and days, only those it has boxes for
    for name, value in shown.items():
        for one in value if isinstance(value, list) else [value]:
            if name not in boxes or one in boxes[name]:
                posted.add(name, one)
    rebuilt, _, _ = definition_from_form(posted, exponent=exponent)
    before, after = ([_meaning(c) for c in found] for found in (offered, rebuilt.get("conditions", [])))
    changed = {c.kind for c in before + after if before.count(c) != after.count(c)}
    return sorted({str(c.get("kind")) for c in conditions if c.get("kind") not in FORM_KINDS} | changed)


def read_only_reason(kinds: list[str]) -> str:
    """Why a rule with the conditions ``kinds`` (from ``unsupported_conditions``) opens read-only."""
    return (f"The form cannot show the {', '.join(kinds)} condition{'s' if len(kinds) > 1 else ''} of this rule exactly "
            "(a kind it has no field for, two conditions of one kind, or a value it cannot hold), so saving it "
            "from the form would change the rule; change it with the API or `loyalty rules`.")


def place_problems(problems: list[Problem], sources: dict[str, str]) -> dict[str, list[str]]:
    """The engine's problems by form field: ``effect.points`` → ``effect_points``,
    ``limits.per_member_day`` → ``limit_per_member_day``, ``conditions[2].maximum`` → the field
    that part of condition 2 came from, else the field condition 2 came from; anything else →
    ``form`` (shown above the form)."""
    placed: dict[str, list[str]] = {}
    for problem in problems:
        field = problem.field
        if field.startswith("effect."):
            name = "effect_" + field.removeprefix("effect.").split(".")[0]
        elif field.startswith("limits."):
            name = "limit_" + field.removeprefix("limits.")
        elif field.startswith("conditions["):
            name = sources.get(field) or sources.get(field.split(".")[0], "form")
        elif field in ("key", "name", "priority", "stacking", "group", "campaign"):
            name = field
        elif field == "effect":
            name = "effect_kind"
        else:
            name = "form"
        placed.setdefault(name, []).append(sentence(problem.message))
    return placed


def _meaning(condition: dict) -> Condition:
    """A condition as the engine reads it (so ``"7.0"`` days and ``7`` days are the same)."""
    return rule_from_dict({"conditions": [condition]}).conditions[0]


def _text(value) -> str:
    return "" if value is None else str(value)


def _bound_text(value, unit: str, exponent: int) -> str:
    """A range bound as the form shows it: money in currency units (2000 → ``20.00``), days
    without decimals when it has none (``30.0`` → ``30``), any other number as it is."""
    number = Decimal(str(value))
    if unit == "money":
        return str(number.scaleb(-exponent))
    if unit == "days" and number == number.to_integral():
        return str(int(number))
    return str(number)


def describe(definition: dict, *, exponent: int, currency: str) -> dict[str, list[str] | str]:
    """A rule in words for the rule's page: what it gives, when, and its limits."""
    effect = definition.get("effect", {})
    kind = effect.get("kind")
    if kind == "points_per_unit":
        unit = Decimal(effect.get("per_minor", 100)).scaleb(-exponent)
        gives = f"{effect.get('points')} points per {unit} {currency} spent (rounded {effect.get('rounding', 'down')})"
    elif kind == "multiplier":
        gives = f"{effect.get('factor')}× the points of the matched lines"
    elif kind == "tier_multiplier":
        gives = "the member's tier multiplier × the points of the matched lines"
    elif kind == "fixed_per_transaction":
        gives = f"{effect.get('points')} bonus points per sale"
    elif kind == "fixed_per_unit":
        gives = f"{effect.get('points')} bonus points per item"
    else:
        gives = str(kind)
    labels = dict(LIST_FIELDS) | {"channel": "Channels"}
    day_names = dict(DAYS)
    when = []
    for c in definition.get("conditions", []):
        k = c.get("kind")
        if k in labels:
            when.append(f"{labels[k]}{' except' if c.get('exclude') else ''}: {', '.join(c.get('values', []))}")
        elif k == "day_of_week":
            when.append("On " + ", ".join(day_names.get(d, str(d)) for d in c.get("days_of_week", [])))
        elif k == "time_window":
            when.append(f"Between {_text(c.get('time_from'))[:5]} and {_text(c.get('time_until'))[:5]} store time")
        elif k == "date_range":
            when.append(f"From {c.get('start') or 'the start'} to {c.get('end') or 'no end'}")
        elif k in RANGE_FIELDS:
            _, unit, label = RANGE_FIELDS[k]
            bounds = [f"{side} {_bound_words(c[b], unit, exponent, currency)}"
                      for b, side in (("minimum", "at least"), ("maximum", "at most")) if c.get(b) is not None]
            when.append(f"{label} " + " and ".join(bounds))
        elif k == "first_purchase":
            when.append("On the member's first purchase")
        elif k == "birthday_month":
            when.append("In the member's birthday month")
        elif k == "attribute":
            values = [str(v) for v in c.get("values", [])]
            when.append(f"Member attribute {c.get('attribute')} is "
                        + (values[0] if len(values) == 1 else "one of: " + ", ".join(values)))
        else:
            when.append(f"{k}: {', '.join(f'{n}={v}' for n, v in c.items() if n != 'kind')}")
    limits = dict(LIMITS)
    caps = [f"at most {v} points {limits.get(k, k)}" for k, v in definition.get("limits", {}).items()]
    stacking = {"stack": "adds to other rules", "exclusive": "when it applies, lower-priority rules do not",
                "best_of": f"only the best rule of group {definition.get('group')} applies"}
    return {"gives": gives, "when": when or ["Every sale"], "caps": caps,
            "order": f"Priority {definition.get('priority', 0)}; "
                     f"{stacking.get(definition.get('stacking', 'stack'), definition.get('stacking'))}"
                     + (f"; counts against campaign {definition['campaign']}" if definition.get("campaign") else "")}


def _bound_words(value, unit: str, exponent: int, currency: str) -> str:
    text = _bound_text(value, unit, exponent)
    if unit == "money":
        return f"{text} {currency}"
    if unit == "days":
        return f"{text} {'day' if text == '1' else 'days'}"
    return text
