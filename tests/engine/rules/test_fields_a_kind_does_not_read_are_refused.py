"""A condition or an effect carries only the fields its kind reads: any other one would be
saved and never read, so it is refused by name, and no draft is saved."""
import pytest

from engine.errors import InvalidInput
from engine.rules.versions import create_draft, list_versions, validate_definition
from tests.support.assertions import refused_unchanged

BONUS = {"key": "bonus", "name": "Bonus", "effect": {"kind": "fixed_per_transaction", "points": 100}}


@pytest.mark.parametrize("condition, field, message", [
    ({"kind": "first_purchase", "days_of_week": [3]}, "conditions[0].days_of_week",
     "a first_purchase condition has no days_of_week"),
    ({"kind": "tier", "values": ["GOLD"], "minimum": "100000"}, "conditions[0].minimum",
     "a tier condition has no minimum"),
    ({"kind": "birthday_month", "values": ["5"]}, "conditions[0].values", "a birthday_month condition has no values"),
    ({"kind": "basket_total", "minimum": 1000, "start": "2026-01-01"}, "conditions[0].start",
     "a basket_total condition has no start"),
    ({"kind": "day_of_week", "days_of_week": [6], "time_from": "10:00"}, "conditions[0].time_from",
     "a day_of_week condition has no time_from"),
    ({"kind": "sku", "values": ["A1"], "attribute": "city"}, "conditions[0].attribute",
     "a sku condition has no attribute"),
    ({"kind": "date_range", "start": "2026-01-01", "maximum": 5}, "conditions[0].maximum",
     "a date_range condition has no maximum"),
])
def test_a_condition_field_its_kind_does_not_read_is_refused_by_name(database, clock, condition, field, message):
    with refused_unchanged(database, InvalidInput) as refused:
        create_draft(database, {**BONUS, "conditions": [condition]}, now=clock())
    assert [(p.field, p.message) for p in refused.value.problems] == [(field, message)]
    assert list_versions(database) == []


@pytest.mark.parametrize("rounding", ["sideways", "up", "half_up"])
@pytest.mark.parametrize("kind", ["fixed_per_transaction", "fixed_per_unit"])
def test_a_rounding_on_a_fixed_bonus_is_refused(database, clock, kind, rounding):
    with refused_unchanged(database, InvalidInput) as refused:
        create_draft(database, {**BONUS, "effect": {"kind": kind, "points": 5, "rounding": rounding}}, now=clock())
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("effect.rounding", "a fixed bonus is not rounded; give no rounding")]


def test_the_fields_each_kind_reads_are_still_taken():
    conditions = [{"kind": "tier", "values": ["GOLD"], "exclude": True}, {"kind": "first_purchase"},
                  {"kind": "birthday_month"}, {"kind": "attribute", "attribute": "city", "values": ["Gent"]},
                  {"kind": "basket_total", "minimum": 0, "maximum": 5000},
                  {"kind": "date_range", "start": "2026-01-01"}, {"kind": "day_of_week", "days_of_week": [1]},
                  {"kind": "time_window", "time_from": "10:00", "time_until": "12:00"}]
    for effect in ({"kind": "fixed_per_unit", "points": 5, "rounding": "down"},
                   {"kind": "points_per_unit", "points": 1, "per_minor": 100, "rounding": "half_up"},
                   {"kind": "multiplier", "factor": "2", "rounding": "up"}, {"kind": "tier_multiplier"}):
        assert validate_definition({**BONUS, "effect": effect, "conditions": conditions}) == []
