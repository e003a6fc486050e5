"""A marketer corrects a predicate segment in place, and removes a segment nothing needs: a
rule in force or still to come, a campaign or a points grant naming the segment keeps it, and
every refusal names its reasons and changes nothing."""
from datetime import timedelta
from decimal import Decimal

import pytest

from engine.errors import InvalidInput, InvalidState, NotFound
from engine.ledger.basket import Basket, BasketLine
from engine.ledger.earning import earn_points
from engine.points_grants import DecideGrant, GrantPoints, decide_grant, request_grant
from engine.rules.campaigns import create_campaign
from engine.rules.segments import (change_segment, create_segment, list_segments, member_segments, remove_segment,
                                   set_member_attribute, upload_segment)
from engine.rules.versions import create_draft, publish_rules, retire_rule
from tests.conftest import new_key
from tests.support.assertions import refused_unchanged

STUDENTS = {"attributes": {"status": ["student"]}}


def segment_rule(segment="students", key="students-bonus"):
    return {"key": key, "name": "Student bonus", "conditions": [{"kind": "segment", "values": [segment]}],
            "effect": {"kind": "fixed_per_transaction", "points": 50}}


def bonus_of(database, clock, till, member):
    basket = Basket(till.store_code, till.code, new_key()[:20], clock(), "EUR",
                    (BasketLine(1, "A", Decimal(1), 100),), member_id=member.public_id)
    earned = earn_points(database, basket, caller="t", idempotency_key=new_key(), now=clock())
    return sum(a.applied for a in earned.rules if a.rule_key == "students-bonus")


def sizes(database):
    return {s.code: (s.predicate, s.members) for s in list_segments(database)}


def test_a_changed_predicate_takes_its_new_members_in_the_next_sale(database, clock, till, make_member):
    create_segment(database, code="students", predicate=STUDENTS, now=clock())
    create_draft(database, segment_rule(), now=clock())
    publish_rules(database, ["students-bonus"], now=clock())
    pupil, student = make_member(), make_member()
    set_member_attribute(database, pupil.public_id, "status", "pupil")
    set_member_attribute(database, student.public_id, "status", "student")
    assert (bonus_of(database, clock, till, pupil), bonus_of(database, clock, till, student)) == (0, 50)

    wider = {"attributes": {"status": ["student", "pupil"]}}
    assert change_segment(database, "students", predicate=wider) == 2
    assert (bonus_of(database, clock, till, pupil), bonus_of(database, clock, till, student)) == (50, 50)
    assert sizes(database) == {"students": (wider, 2)}
    assert member_segments(database, pupil.public_id) == ["students"]


def test_an_invalid_or_unknown_change_is_refused_and_changes_nothing(database, clock, make_member):
    create_segment(database, code="students", predicate=STUDENTS, now=clock())
    create_segment(database, code="vip", member_ids=[make_member().public_id], now=clock())
    with refused_unchanged(database, InvalidInput) as refused:
        change_segment(database, "students", predicate={"tier": ["GOLD"], "colour": ["red"]})
    assert [p.field for p in refused.value.problems] == ["predicate"]
    with refused_unchanged(database, InvalidInput) as refused:
        change_segment(database, "students", predicate={"tier": ["GOLD"]})
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("predicate.tier", "names unknown tier 'GOLD' (codes are case-sensitive)")]
    with refused_unchanged(database, InvalidState) as refused:
        change_segment(database, "vip", predicate=STUDENTS)
    assert refused.value.code == "segment_is_a_list"
    with refused_unchanged(database, NotFound):
        change_segment(database, "nope", predicate=STUDENTS)


def test_a_grant_asked_before_the_predicate_changed_is_not_approved(database, clock, make_member):
    create_segment(database, code="students", predicate=STUDENTS, now=clock())
    asked = request_grant(database, GrantPoints("students", 100, "exam week", "sam"), caller="staff:sam",
                          idempotency_key=new_key(), now=clock())
    change_segment(database, "students", predicate={"attributes": {"status": ["pupil"]}})
    with refused_unchanged(database, InvalidState) as refused:
        decide_grant(database, DecideGrant(asked.grant_id, True, "kim"), caller="staff:kim",
                     idempotency_key=new_key(), now=clock())
    assert refused.value.code == "segment_changed"


def test_saving_the_same_predicate_again_leaves_a_grant_approvable(database, clock, make_member):
    create_segment(database, code="students", predicate=STUDENTS, now=clock())
    asked = request_grant(database, GrantPoints("students", 100, "exam week", "sam"), caller="staff:sam",
                          idempotency_key=new_key(), now=clock())
    change_segment(database, "students", predicate=dict(STUDENTS))
    decided = decide_grant(database, DecideGrant(asked.grant_id, True, "kim"), caller="staff:kim",
                           idempotency_key=new_key(), now=clock())
    assert decided.status in ("approved", "crediting", "credited")


def test_a_segment_nothing_names_is_removed_with_its_list(database, clock, make_member):
    listed = make_member()
    create_segment(database, code="vip", member_ids=[listed.public_id], now=clock())
    create_segment(database, code="students", predicate=STUDENTS, now=clock())
    remove_segment(database, "vip", now=clock())
    assert list(sizes(database)) == ["students"]
    assert member_segments(database, listed.public_id) == []
    with pytest.raises(NotFound):
        upload_segment(database, "vip", [listed.public_id])
    create_segment(database, code="vip", member_ids=[], now=clock())  # the code is free again
    assert sizes(database)["vip"] == (None, 0)


def test_a_segment_a_rule_in_force_or_to_come_names_is_kept_until_the_rule_is_retired(database, clock):
    create_segment(database, code="students", predicate=STUDENTS, now=clock())
    create_draft(database, segment_rule(), now=clock())
    publish_rules(database, ["students-bonus"], now=clock())
    with refused_unchanged(database, InvalidInput) as refused:
        remove_segment(database, "students", now=clock())
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("code", "segment students is named by rules students-bonus; retire or change them first")]
    retire_rule(database, "students-bonus", now=clock.advance(minutes=1))
    remove_segment(database, "students", now=clock())
    assert sizes(database) == {}


def test_a_segment_named_by_a_rule_published_for_later_is_kept(database, clock):
    create_segment(database, code="students", predicate=STUDENTS, now=clock())
    create_draft(database, segment_rule(), now=clock())
    publish_rules(database, ["students-bonus"], now=clock() + timedelta(days=7))
    with refused_unchanged(database, InvalidInput):
        remove_segment(database, "students", now=clock())


def test_a_draft_naming_a_removed_segment_is_refused_when_published(database, clock):
    create_segment(database, code="students", predicate=STUDENTS, now=clock())
    create_draft(database, segment_rule(), now=clock())
    remove_segment(database, "students", now=clock())
    with pytest.raises(InvalidInput, match="unknown segment 'students'"):
        publish_rules(database, ["students-bonus"], now=clock())


def test_a_segment_a_campaign_targets_or_a_grant_was_asked_for_is_kept_with_every_reason(database, clock):
    create_segment(database, code="students", predicate=STUDENTS, now=clock())
    create_campaign(database, code="exams", name="Exams", starts_at=clock(), ends_at=clock() + timedelta(days=3),
                    now=clock(), segment_code="students")
    request_grant(database, GrantPoints("students", 100, "exam week", "sam"), caller="staff:sam",
                  idempotency_key=new_key(), now=clock())
    create_draft(database, segment_rule(), now=clock())
    publish_rules(database, ["students-bonus"], now=clock())
    with refused_unchanged(database, InvalidInput) as refused:
        remove_segment(database, "students", now=clock() + timedelta(days=30))
    assert [p.message for p in refused.value.problems] == [
        "segment students is named by rules students-bonus; retire or change them first",
        "segment students is targeted by campaigns exams, whose reports read it",
        "points grants were asked for segment students; their record names it"]


def test_removing_an_unknown_segment_is_not_found(database, clock):
    with refused_unchanged(database, NotFound):
        remove_segment(database, "nope", now=clock())
