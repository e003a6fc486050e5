"""A basket's plainly valid lines are built without the schema (``plain_lines``, for speed):
whatever it builds, the schema builds the same, and whatever the schema refuses, it leaves
to the schema."""
from __future__ import annotations

import marshmallow as ma
from hypothesis import example, given
from hypothesis import strategies as st

from api.schemas.ledger import BasketLineSchema, plain_lines

ANY_JSON = st.none() | st.booleans() | st.integers(-10**13, 10**13) | st.floats(allow_nan=True) | st.text(max_size=8)
QUANTITIES = st.one_of(
    st.from_regex(r"\A-?[0-9]{0,14}(\.[0-9]{0,5})?([eE][0-9])?\Z"), st.integers(-10**13, 10**13),
    st.sampled_from(["1", "0.5", "2.125", "1.2345", " 1", "1 ", "\u0661", "NaN", "Infinity", "", "1_000", "+1"]))
VALID_LINES = st.fixed_dictionaries(
    {"line_no": st.integers(-5, 10**6), "sku": st.text(max_size=10), "quantity": QUANTITIES,
     "amount_minor": st.integers(-10**6, 10**9)},
    optional={"category": st.none() | st.text(max_size=6), "brand": st.none() | st.text(max_size=6)})
FIELDS = ["line_no", "sku", "quantity", "amount_minor", "category", "brand", "colour"]


@st.composite
def lines_with_one_thing_wrong(draw):
    """A line that may be valid, with at most one field dropped, added or of another JSON type."""
    line = draw(VALID_LINES)
    change = draw(st.sampled_from(["none", "drop", "retype"]))
    name = draw(st.sampled_from(FIELDS))
    if change == "drop":
        line.pop(name, None)
    elif change == "retype":
        line[name] = draw(ANY_JSON | st.lists(ANY_JSON, max_size=2))
    return line


LINES = lines_with_one_thing_wrong()
SCHEMA = BasketLineSchema(many=True)


def line(**changes) -> dict:
    return {"line_no": 1, "sku": "A", "quantity": "1", "amount_minor": 100, **changes}


@given(st.lists(LINES, min_size=1, max_size=4) | st.lists(st.one_of(LINES, ANY_JSON), max_size=3))
@example([line(line_no=True)])
@example([line(amount_minor=100.0)])
@example([line(quantity=True)])
@example([line(quantity=1.5)])
@example([line(quantity="1e3")])
@example([line(quantity="1.0000")])
@example([line(sku=5)])
@example([line(category=5)])
@example([line(colour="red")])
@example([{"sku": "A", "quantity": "1", "amount_minor": 100}])
def test_lines_built_without_the_schema_are_what_the_schema_builds(lines):
    plain = plain_lines(lines)
    try:
        loaded = SCHEMA.load(lines)
    except ma.ValidationError:
        assert plain is None
        return
    if plain is not None:
        assert plain == loaded and [str(line.quantity) for line in plain] == [str(line.quantity) for line in loaded]


def test_a_tills_usual_lines_are_built_without_the_schema():
    lines = [{"line_no": 1, "sku": "ESP-1", "category": "coffee", "brand": "house", "quantity": "2",
              "amount_minor": 500},
             {"line_no": 2, "sku": "CRO-1", "quantity": "0.25", "amount_minor": 120, "category": None},
             {"line_no": 3, "sku": "BAG-1", "quantity": 1, "amount_minor": 90}]
    assert plain_lines(lines) == SCHEMA.load(lines)
