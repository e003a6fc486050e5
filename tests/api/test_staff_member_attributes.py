"""Member attributes over HTTP: support staff record them, rules and segments see them from
the next sale on, the member finds them in their export; refusals change nothing."""
from datetime import timedelta

import pytest

from engine.ledger.earning import earn_points
from engine.rules.versions import create_draft, publish_rules
from tests.conftest import new_key
from tests.support.assertions import unchanged


@pytest.fixture
def support(staff_headers):
    return staff_headers("support")


def attributes_path(member, name: str = "") -> str:
    return f"/v1/staff/members/{member.public_id}/attributes" + (f"/{name}" if name else "")


def test_support_sets_replaces_lists_and_removes_a_members_attributes(client, support, make_member):
    member = make_member()
    for value in ("student", "staff"):
        response = client.put(attributes_path(member, "status"), json={"value": value}, headers=support)
        assert (response.status_code, response.json) == (200, {"name": "status", "value": value})
    client.put(attributes_path(member, "city"), json={"value": "Gent"}, headers=support)
    listed = client.get(attributes_path(member), headers=support)
    assert listed.json == [{"name": "city", "value": "Gent"}, {"name": "status", "value": "staff"}]
    for _ in range(2):  # removing again has nothing left to do
        assert client.delete(attributes_path(member, "city"), headers=support).status_code == 204
    assert client.get(attributes_path(member), headers=support).json == [{"name": "status", "value": "staff"}]


def test_the_next_sale_earns_by_a_rule_on_the_attribute_support_set(client, support, make_member, make_basket,
                                                                    database, clock):
    create_draft(database, {"key": "students", "name": "Students", "conditions": [
        {"kind": "attribute", "attribute": "status", "values": ["student"]}],
        "effect": {"kind": "fixed_per_transaction", "points": 50}}, now=clock())
    publish_rules(database, ["students"], now=clock() - timedelta(minutes=1))
    member = make_member()
    client.put(attributes_path(member, "status"), json={"value": "student"}, headers=support)
    earned = earn_points(database, make_basket(member, 1000), caller="S1-T1", idempotency_key=new_key(), now=clock())
    assert [(r.rule_key, r.applied) for r in earned.rules if r.rule_key == "students"] == [("students", 50)]


def test_the_members_export_holds_their_attributes_and_segments(client, support, staff_headers, make_member,
                                                                member_headers):
    member = make_member()
    client.put(attributes_path(member, "city"), json={"value": "Gent"}, headers=support)
    client.post("/v1/staff/segments", json={"code": "ghent", "predicate": {"attributes": {"city": ["Gent"]}}},
                headers=staff_headers("marketer"))
    exported = client.get("/v1/member/export", headers=member_headers(member))
    assert exported.status_code == 200
    assert (exported.json["attributes"], exported.json["segments"]) == ({"city": "Gent"}, ["ghent"])


@pytest.mark.parametrize("role", ["marketer", "auditor"])
def test_roles_without_members_write_cannot_set_or_remove_attributes(client, staff_headers, make_member, database,
                                                                      role):
    member = make_member()
    headers = staff_headers(role)
    with unchanged(database):
        assert client.put(attributes_path(member, "status"), json={"value": "x"}, headers=headers).status_code == 403
        assert client.delete(attributes_path(member, "status"), headers=headers).status_code == 403
    assert client.get(attributes_path(member), headers=headers).status_code == 200  # members.read


def test_a_member_cannot_set_their_own_attributes(client, make_member, member_headers, database):
    member = make_member()
    headers = member_headers(member)
    with unchanged(database):
        response = client.put(attributes_path(member, "status"), json={"value": "staff"}, headers=headers)
    assert response.status_code == 401


@pytest.mark.parametrize("body, field", [({"value": "v" * 201}, "value"), ({"value": 7}, "value"), ({}, "value"),
                                         ({"value": "x", "extra": 1}, "extra")])
def test_a_malformed_value_is_refused_naming_the_field(client, support, make_member, database, body, field):
    member = make_member()
    with unchanged(database):
        response = client.put(attributes_path(member, "status"), json=body, headers=support)
    assert response.status_code == 422 and field in response.json["errors"]


def test_attributes_of_an_unknown_member_are_refused(client, support, database):
    with unchanged(database):
        response = client.put("/v1/staff/members/MNOSUCH/attributes/status", json={"value": "x"}, headers=support)
    assert (response.status_code, response.json["error"]) == (404, "unknown_member")
