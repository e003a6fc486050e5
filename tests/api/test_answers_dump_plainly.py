"""An accrual's lines and rules are dumped without their nested schemas (``PlainlyDumped``,
for speed) into what the nested schemas dump, and documented by them all the same."""
from __future__ import annotations

from types import SimpleNamespace

import marshmallow as ma
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import fields

from api.schemas.terminal import AccrualResultSchema, LinePointsSchema, RuleAwardSchema
from engine.ledger.basket import LinePoints
from engine.rules.awards import RuleAward


class ThroughTheSchemas(ma.Schema):
    lines = fields.Nested(LinePointsSchema, many=True)
    rules = fields.Nested(RuleAwardSchema, many=True)


NUMBERS = st.integers(-10**12, 10**12) | st.booleans() | st.decimals(-10**6, 10**6, places=0)
LINES = st.builds(LinePoints, NUMBERS, NUMBERS, NUMBERS)
TEXTS = st.text(max_size=8)
PAIRS = st.lists(st.tuples(st.integers(1, 50), st.integers(-500, 500)), max_size=4).map(tuple)
# the engine's awards (compiled: typed), and objects like them holding other types
RULES = (st.builds(RuleAward, TEXTS, st.none() | st.integers(1, 99), st.none() | TEXTS, st.integers(0, 10**6),
                   st.integers(0, 10**6), PAIRS, st.none() | TEXTS)
         | st.builds(SimpleNamespace, rule_key=TEXTS | NUMBERS, version=st.none() | NUMBERS, campaign=st.none() | TEXTS,
                     desired=NUMBERS, applied=NUMBERS, lines=PAIRS, capped_by=st.none() | TEXTS))


class Answer:
    def __init__(self, lines, rules):
        self.lines, self.rules = lines, rules


MAPPINGS = st.fixed_dictionaries({}, optional={"line_no": NUMBERS, "eligible_minor": NUMBERS, "points": NUMBERS})


@given(st.lists(LINES | MAPPINGS, max_size=4), st.lists(RULES, max_size=4))
def test_lines_and_rules_dump_as_through_their_schemas(lines, rules):
    plainly = AccrualResultSchema(only=("lines", "rules")).dump(Answer(lines, rules))
    assert plainly == ThroughTheSchemas().dump(Answer(lines, rules))
    assert all(type(v) is int for line in plainly["lines"] for v in line.values())


def test_the_answers_document_still_names_the_nested_schemas(app):
    with app.test_client() as client:
        document = client.get("/openapi.json").json
    properties = document["components"]["schemas"]["AccrualResult"]["properties"]
    assert properties["lines"]["items"] == {"$ref": "#/components/schemas/LinePoints"}
    assert properties["rules"]["items"] == {"$ref": "#/components/schemas/RuleAward"}
