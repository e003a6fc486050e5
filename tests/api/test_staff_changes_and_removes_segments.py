"""Over the staff API a marketer gives a predicate segment a new predicate (PATCH) and removes
a segment nothing names (DELETE); refusals name their reasons and change nothing, and only
staff who may change the programme reach either."""
from engine.rules.segments import create_segment, list_segments
from engine.rules.versions import create_draft, publish_rules
from tests.support.assertions import unchanged

STUDENTS = {"attributes": {"status": ["student"]}}


def test_a_marketer_changes_a_predicate_and_removes_the_segment(client, staff_headers, database, clock):
    create_segment(database, code="students", predicate=STUDENTS, now=clock())
    marketer = staff_headers("marketer")
    changed = client.patch("/v1/staff/segments/students", json={"predicate": {"attributes": {"status": ["pupil"]}}},
                           headers=marketer)
    assert (changed.status_code, changed.json) == (200, {"code": "students", "members": 0})
    assert client.get("/v1/staff/segments", headers=marketer).json == [
        {"code": "students", "kind": "predicate", "predicate": {"attributes": {"status": ["pupil"]}}, "members": 0}]
    removed = client.delete("/v1/staff/segments/students", headers=marketer)
    assert (removed.status_code, removed.data) == (204, b"")
    assert client.get("/v1/staff/segments", headers=marketer).json == []
    assert client.delete("/v1/staff/segments/students", headers=marketer).status_code == 404


def test_refusals_name_their_reason_and_change_nothing(client, staff_headers, database, clock, make_member):
    create_segment(database, code="students", predicate=STUDENTS, now=clock())
    create_segment(database, code="vip", member_ids=[make_member().public_id], now=clock())
    create_draft(database, {"key": "students-bonus", "name": "Student bonus",
                            "conditions": [{"kind": "segment", "values": ["students"]}],
                            "effect": {"kind": "fixed_per_transaction", "points": 50}}, now=clock())
    publish_rules(database, ["students-bonus"], now=clock())
    marketer = staff_headers("marketer")
    with unchanged(database):
        named = client.delete("/v1/staff/segments/students", headers=marketer)
        assert (named.status_code, named.json["errors"]) == (
            422, {"code": ["segment students is named by rules students-bonus; retire or change them first"]})
        a_list = client.patch("/v1/staff/segments/vip", json={"predicate": STUDENTS}, headers=marketer)
        assert (a_list.status_code, a_list.json["error"]) == (409, "segment_is_a_list")
        for body, field in (({}, "predicate"), ({"predicate": "students"}, "predicate"),
                            ({"predicate": {"colour": ["red"]}}, "predicate"),
                            ({"predicate": STUDENTS, "kind": "list"}, "kind")):
            response = client.patch("/v1/staff/segments/students", json=body, headers=marketer)
            assert (response.status_code, list(response.json["errors"])) == (422, [field]), body
        missing = client.patch("/v1/staff/segments/nope", json={"predicate": STUDENTS}, headers=marketer)
        assert missing.status_code == 404
    assert [s.code for s in list_segments(database)] == ["students", "vip"]


def test_only_staff_who_change_the_programme_reach_them(client, staff_headers, member_headers, database, clock,
                                                        make_member):
    create_segment(database, code="students", predicate=STUDENTS, now=clock())
    callers = ((staff_headers("support"), 403), (staff_headers("auditor"), 403),
               (member_headers(make_member()), 401), ({}, 401))
    with unchanged(database):
        for headers, status in callers:
            assert client.patch("/v1/staff/segments/students", json={"predicate": {"tier": None}},
                                headers=headers).status_code == status
            assert client.delete("/v1/staff/segments/students", headers=headers).status_code == status
