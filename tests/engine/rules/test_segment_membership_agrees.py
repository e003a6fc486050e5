"""A predicate segment's members worked out in SQL (for counts and reports) are exactly the
members the per-member check that accruals use admits; list segments hold their upload;
the segment list says how many members each holds; a predicate that cannot be met or
stored is refused."""
import random

import pytest
import sqlalchemy as sa

from engine.errors import InvalidInput

from engine.orm.members import MemberRow
from engine.orm.rules import SegmentRow
from engine.rules.segments import (create_segment, list_segments, member_attributes, predicate_holds,
                                   segment_member_ids, set_member_attribute)
from engine.tiers.policy import TierDefinition, TierPolicy
from engine.tiers.service import assign_tier, define_tiers
from tests.support.assertions import refused_unchanged

TIERS = ["basic", "gold"]
CITIES, CHANNELS = ["Gent", "Lyon", "Oslo"], ["web", "store"]


def test_the_sql_membership_of_predicates_agrees_with_the_per_member_check(database, clock, make_member):
    pick = random.Random(20261205)
    define_tiers(database, [TierDefinition("basic", "Basic", 0), TierDefinition("gold", "Gold", 1000)],
                 TierPolicy(), now=clock())
    members = []
    for _ in range(30):
        member = make_member()
        if pick.random() < 0.8:
            assign_tier(database, member.public_id, pick.choice(TIERS), reason="test", actor="t", now=clock())
        for name, values in (("city", CITIES), ("channel", CHANNELS)):
            if pick.random() < 0.7:
                set_member_attribute(database, member.public_id, name, pick.choice(values))
        members.append(member)
    for n in range(25):
        predicate = {}
        if pick.random() < 0.5:
            predicate["tier"] = pick.sample(TIERS, pick.randint(1, 2))
        attributes = {name: pick.sample(values, pick.randint(1, len(values)))
                      for name, values in (("city", CITIES), ("channel", CHANNELS)) if pick.random() < 0.6}
        if attributes or not predicate:
            predicate["attributes"] = attributes or {"city": ["Gent"]}
        create_segment(database, code=f"p{n}", predicate=predicate, now=clock())
        with database.transaction() as session:
            segment = session.scalar(sa.select(SegmentRow).where(SegmentRow.code == f"p{n}"))
            in_sql = set(session.scalars(sa.select(MemberRow.public_id).where(
                MemberRow.id.in_(segment_member_ids(segment)))))
            tiers = dict(session.execute(sa.select(MemberRow.public_id, MemberRow.tier_code)).all())
        by_check = {m.public_id for m in members
                    if predicate_holds(predicate, tiers[m.public_id], member_attributes(database, m.public_id))}
        assert in_sql == by_check, predicate


def test_the_segment_list_counts_each_segments_members_now(database, clock, make_member):
    ada, bob, cy = make_member(), make_member(), make_member()
    set_member_attribute(database, ada.public_id, "city", "Gent")
    set_member_attribute(database, bob.public_id, "city", "Gent")
    create_segment(database, code="gent", predicate={"attributes": {"city": ["Gent"]}}, now=clock())
    create_segment(database, code="vip", member_ids=[cy.public_id], now=clock())
    assert [(s.code, s.kind, s.members) for s in list_segments(database)] == [("gent", "predicate", 2),
                                                                             ("vip", "list", 1)]
    set_member_attribute(database, bob.public_id, "city", "Lyon")
    assert list_segments(database)[0].members == 1


@pytest.mark.parametrize("predicate", [{"attributes": {"": ["x"]}}, {"attributes": {"city": []}},
                                       {"attributes": {"city": ["x" * 201]}}, {"attributes": {"n" * 65: ["x"]}},
                                       {"tier": [""]}, {"tier": "gold"}, {"weather": ["sunny"]}, {}])
def test_a_predicate_that_cannot_be_met_or_stored_is_refused(database, clock, predicate):
    with refused_unchanged(database, InvalidInput) as refusal:
        create_segment(database, code="odd", predicate=predicate, now=clock())
    assert refusal.value.problems[0].field == "predicate"
