"""An invalid rule definition is refused with every problem, each naming its field."""
import pytest

from engine.rules.model import rule_from_dict, rule_to_dict
from engine.rules.validation import validate_rule
from engine.rules.versions import validate_definition

GOOD = {"key": "coffee", "name": "Coffee", "effect": {"kind": "multiplier", "factor": "3"},
        "conditions": [{"kind": "category", "values": ["coffee"]}, {"kind": "day_of_week", "days_of_week": [6, 7]}]}


TIME_OF_DAY = "must be a time of day (HH:MM) without a UTC offset: the window is in the store's local time"


def problems(**changes):
    return {(p.field, p.message) for p in validate_definition({**GOOD, **changes})}


def test_a_good_definition_has_no_problem_and_survives_its_json_form():
    assert validate_definition(GOOD) == []
    assert rule_from_dict(rule_to_dict(rule_from_dict(GOOD))) == rule_from_dict(GOOD)


def test_a_bound_of_zero_survives_the_json_form():
    members_of_today = {**GOOD, "conditions": [{"kind": "enrolment_age", "maximum": 0},
                                               {"kind": "quantity", "minimum": "0", "maximum": "0.0"}]}
    assert validate_definition(members_of_today) == []
    assert rule_to_dict(rule_from_dict(members_of_today))["conditions"] == [
        {"kind": "enrolment_age", "maximum": "0"}, {"kind": "quantity", "minimum": "0", "maximum": "0.0"}]


@pytest.mark.parametrize("changes, field, message", [
    ({"key": "Bad Key"}, "key", "must be 1 to 64 lower-case letters, digits, '-' or '_'"),
    ({"name": ""}, "name", "must be a text of 1 to 200 characters"),
    ({"priority": 5000}, "priority", "must be a whole number from -1000 to 1000"),
    ({"stacking": "sometimes"}, "stacking", "must be one of stack, exclusive, best_of"),
    ({"stacking": "best_of"}, "group", "a best_of rule names its group, and only a best_of rule has one"),
    ({"conditions": [{"kind": "weather"}]}, "conditions[0].kind", None),
    ({"conditions": [{"kind": "sku", "values": []}]}, "conditions[0].values",
     "must list at least one text of 1 to 64 characters"),
    ({"conditions": [GOOD["conditions"][0], {"kind": "day_of_week", "days_of_week": [0, 8]}]},
     "conditions[1].days_of_week", "must list distinct days from 1 (Monday) to 7 (Sunday)"),
    ({"conditions": [{"kind": "time_window", "time_from": "25:00", "time_until": "10:00"}]},
     "conditions[0].time_from", TIME_OF_DAY),
    ({"conditions": [{"kind": "time_window", "time_from": "08:00", "time_until": "10:00+02:00"}]},
     "conditions[0].time_until", TIME_OF_DAY),
    ({"conditions": [{"kind": "date_range", "start": "2026-05-01", "end": "2026-04-01"}]},
     "conditions[0].end", "must not be before the start"),
    ({"conditions": [{"kind": "basket_total", "minimum": 10, "maximum": 5}]},
     "conditions[0].maximum", "must not be below the minimum"),
    ({"conditions": [{"kind": "quantity"}]}, "conditions[0].minimum", "give a minimum, a maximum or both"),
    ({"conditions": [{"kind": "basket_total", "minimum": "1e999999999"}]}, "conditions[0].minimum",
     "must be a number from 0 to 1000000000000000 with at most 3 decimals"),
    ({"conditions": [{"kind": "quantity", "maximum": "1e-999999999"}]}, "conditions[0].maximum",
     "must be a number from 0 to 1000000000000000 with at most 3 decimals"),
    ({"conditions": [{"kind": "line_amount", "maximum": "-1"}]}, "conditions[0].maximum",
     "must be a number from 0 to 1000000000000000 with at most 3 decimals"),
    ({"conditions": [{"kind": "day_of_week", "days_of_week": [1], "exclude": True}]},
     "conditions[0].exclude", "only a list condition can exclude"),
    ({"conditions": [{"kind": "attribute", "values": ["x"]}]}, "conditions[0].attribute", "must name the attribute"),
    ({"conditions": [{"kind": "attribute", "attribute": "age", "values": [30]}]}, "conditions[0].values",
     "must list at least one text value (up to 200 characters, as attributes are)"),
    ({"conditions": [{"kind": "line_amount", "minimum": "150.5"}]}, "conditions[0].minimum",
     "must be a whole number of minor units (cents)"),
    ({"conditions": [{"kind": "basket_total", "maximum": "999.9"}]}, "conditions[0].maximum",
     "must be a whole number of minor units (cents)"),
    ({"conditions": [{"kind": "enrolment_age", "minimum": "7.5"}]}, "conditions[0].minimum",
     "must be a whole number of days"),
    ({"effect": {"kind": "gift"}}, "effect.kind", None),
    ({"effect": {"kind": "multiplier", "factor": "1"}}, "effect.factor",
     "must be a number above 1 and at most 100 with at most 2 decimals"),
    ({"effect": {"kind": "points_per_unit", "points": 2}}, "effect.per_minor",
     "must be a whole number of minor units, 1 or more"),
    ({"effect": {"kind": "points_per_unit", "points": 2, "per_minor": 100, "rounding": "banker"}},
     "effect.rounding", "must be one of down, half_up, up"),
    ({"effect": {"kind": "fixed_per_transaction", "points": 0}}, "effect.points",
     "must be a whole number of points from 1 to 1000000000"),
    ({"effect": {"kind": "fixed_per_unit", "points": 5, "factor": "2"}}, "effect.factor", "only a multiplier has a factor"),
    ({"limits": {"per_member_day": -1}}, "limits.per_member_day", "must be a whole number of points from 1 to 1000000000"),
])
def test_each_invalid_definition_is_named_with_its_message(changes, field, message):
    found = problems(**changes)
    assert field in {f for f, _ in found}, found
    if message is not None:
        assert (field, message) in found


def test_every_problem_is_reported_at_once():
    found = validate_rule(rule_from_dict({"key": "", "name": "", "effect": {"kind": "nothing"},
                                          "conditions": [{"kind": "sku"}, {"kind": "day_of_week"}]}))
    assert {p.field for p in found} == {"key", "name", "effect.kind", "conditions[0].values",
                                        "conditions[1].days_of_week"}


def test_a_definition_that_is_not_an_object_is_refused():
    assert [p.message for p in validate_definition(["x"])] == ["a rule definition is an object"]
