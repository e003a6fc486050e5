"""Removing a segment while a rule naming it is published, a campaign is made for it or a
points grant is asked for it, at one instant, on a real PostgreSQL: they take turns, so either
the segment stays or the other is refused; never a rule, campaign or grant naming a segment
the programme no longer has."""
from datetime import timedelta

import pytest

from engine.errors import InvalidInput, NotFound
from engine.points_grants import GrantPoints, list_grants, request_grant
from engine.rules.campaigns import create_campaign, list_campaigns
from engine.rules.segments import create_segment, list_segments, remove_segment
from engine.rules.versions import create_draft, definitions_in_force, publish_rules
from tests.conftest import new_key
from tests.support.races import all_at_once, handle_for_racers

pytestmark = pytest.mark.postgres


def race(db, clock, name_it):
    """Half the racers remove the segment, the other half ``name_it(racing, n)``; the segments left."""
    create_segment(db, code="students", predicate={"attributes": {"status": ["student"]}}, now=clock())
    with handle_for_racers(db, 8) as racing:
        _, raised = all_at_once(lambda n: name_it(racing, n // 2) if n % 2
                                else remove_segment(racing, "students", now=clock()))
    assert all(isinstance(error, (InvalidInput, NotFound)) for error in raised), raised
    return {s.code for s in list_segments(db)}


def test_a_rule_published_at_the_same_instant_keeps_the_segment_or_is_refused(postgres_db, clock):
    for n in range(4):
        create_draft(postgres_db, {"key": f"students-{n}", "name": "Students",
                                   "conditions": [{"kind": "segment", "values": ["students"]}],
                                   "effect": {"kind": "fixed_per_transaction", "points": 5}}, now=clock())
    left = race(postgres_db, clock, lambda db, n: publish_rules(db, [f"students-{n}"], now=clock()))
    named = {value for definition in definitions_in_force(postgres_db, at=clock())
             for condition in definition["conditions"] for value in condition["values"]}
    assert named <= left


def test_a_campaign_or_a_grant_made_at_the_same_instant_keeps_the_segment_or_is_refused(postgres_db, clock):
    def name_it(db, n):
        if n % 2:
            return request_grant(db, GrantPoints("students", 10, "exam week", "sam"), caller="staff:sam",
                                 idempotency_key=new_key(), now=clock())
        return create_campaign(db, code=f"exams-{n}", name="Exams", starts_at=clock(),
                               ends_at=clock() + timedelta(days=3), now=clock(), segment_code="students")
    left = race(postgres_db, clock, name_it)
    named = {c.segment_code for c in list_campaigns(postgres_db)} | {g.segment for g in list_grants(postgres_db)}
    assert named <= left
