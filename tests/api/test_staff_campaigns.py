"""Campaigns and segments over HTTP: a marketer targets a segment with a budgeted campaign,
and refusals name the field and change nothing."""
from datetime import timedelta

import pytest

from engine.rules.segments import set_member_attribute
from tests.support.assertions import unchanged


@pytest.fixture
def marketer(staff_headers):
    return staff_headers("marketer")


@pytest.fixture
def summer(clock):
    return {"code": "summer", "name": "Summer double points", "starts_at": clock().isoformat(),
            "ends_at": (clock() + timedelta(days=90)).isoformat(), "budget": 1_000_000, "holdout_share": "0.1"}


def test_a_campaign_for_a_segment_is_listed_with_no_budget_used_yet(client, marketer, summer):
    segment = client.post("/v1/staff/segments", json={"code": "city", "predicate": {"attributes": {"city": ["Gent"]}}},
                          headers=marketer)
    assert (segment.status_code, segment.json) == (201, {"code": "city", "members": 0})
    created = client.post("/v1/staff/campaigns", json=summer | {"segment_code": "city"}, headers=marketer)
    assert created.status_code == 201, created.json
    listed = client.get("/v1/staff/campaigns", headers=marketer).json
    assert [(c["code"], c["budget"], c["budget_used"], c["segment_code"], c["holdout_share"]) for c in listed] == \
        [("summer", 1_000_000, 0, "city", "0.1")]


def test_a_predicate_segment_answers_how_many_members_it_holds_already(client, marketer, make_member, database):
    for name in ("Ada", "Grace"):
        set_member_attribute(database, make_member(name).public_id, "city", "Gent")
    segment = client.post("/v1/staff/segments", json={"code": "city", "predicate": {"attributes": {"city": ["Gent"]}}},
                          headers=marketer)
    assert (segment.status_code, segment.json) == (201, {"code": "city", "members": 2})


def test_an_uploaded_segment_counts_its_members(client, marketer, make_member):
    members = [make_member().public_id for _ in range(3)]
    assert client.post("/v1/staff/segments", json={"code": "vip"}, headers=marketer).json["members"] == 0
    response = client.put("/v1/staff/segments/vip/members", json={"member_ids": members}, headers=marketer)
    assert (response.status_code, response.json) == (200, {"code": "vip", "members": 3})
    listed = client.get("/v1/staff/segments", headers=marketer)
    assert (listed.status_code, listed.json) == (200, [{"code": "vip", "kind": "list", "predicate": None,
                                                        "members": 3}])


def test_a_campaign_ending_before_it_starts_is_refused_and_not_created(client, marketer, summer, clock, database):
    backwards = summer | {"ends_at": (clock() - timedelta(days=1)).isoformat()}
    with unchanged(database):
        response = client.post("/v1/staff/campaigns", json=backwards, headers=marketer)
    assert (response.status_code, list(response.json["errors"])) == (422, ["ends_at"])


def test_a_campaign_for_an_unknown_segment_is_refused(client, marketer, summer, database):
    with unchanged(database):
        response = client.post("/v1/staff/campaigns", json=summer | {"segment_code": "nobody"}, headers=marketer)
    assert response.status_code == 422 and "unknown segment" in response.json["errors"]["segment_code"][0]


def test_a_second_campaign_with_the_same_code_is_refused(client, marketer, summer, database):
    client.post("/v1/staff/campaigns", json=summer, headers=marketer)
    with unchanged(database):
        again = client.post("/v1/staff/campaigns", json=summer, headers=marketer)
    assert again.status_code in (409, 422), again.json


def test_a_malformed_segment_predicate_is_refused(client, marketer, database):
    with unchanged(database):
        response = client.post("/v1/staff/segments", json={"code": "odd", "predicate": {"weather": "sunny"}},
                               headers=marketer)
    assert response.status_code == 422 and "predicate" in response.json["errors"]


def test_a_support_agent_cannot_create_campaigns(client, staff_headers, summer, database):
    headers = staff_headers("support")
    with unchanged(database):
        response = client.post("/v1/staff/campaigns", json=summer, headers=headers)
    assert (response.status_code, response.json["error"]) == (403, "missing_permission")


def test_a_marketer_ends_a_campaign_early_and_cannot_end_it_twice(client, marketer, summer, clock):
    assert client.post("/v1/staff/campaigns", json=summer, headers=marketer).status_code == 201
    clock.advance(hours=3)
    ended = client.post("/v1/staff/campaigns/summer/end", json={}, headers=marketer)
    assert ended.status_code == 200 and ended.json["ends_at"] == clock().isoformat()
    again = client.post("/v1/staff/campaigns/summer/end", json={}, headers=marketer)
    assert (again.status_code, again.json["error"]) == (409, "campaign_ended")
    unknown = client.post("/v1/staff/campaigns/winter/end", json={}, headers=marketer)
    assert (unknown.status_code, unknown.json["error"]) == (404, "unknown_campaign")


def test_support_cannot_end_a_campaign(client, marketer, summer, staff_headers, database):
    client.post("/v1/staff/campaigns", json=summer, headers=marketer)
    support = staff_headers("support")
    with unchanged(database):
        refused = client.post("/v1/staff/campaigns/summer/end", json={}, headers=support)
    assert refused.status_code == 403


def test_a_marketer_raises_a_campaign_budget_and_moves_its_end(client, marketer, summer, clock):
    client.post("/v1/staff/campaigns", json=summer, headers=marketer)
    new_end = (clock() + timedelta(days=120)).isoformat()
    changed = client.patch("/v1/staff/campaigns/summer", json={"budget": 1_500_000, "ends_at": new_end},
                           headers=marketer)
    assert changed.status_code == 200, changed.json
    assert (changed.json["budget"], changed.json["ends_at"], changed.json["name"]) == \
        (1_500_000, new_end, "Summer double points")


def test_a_campaign_caps_what_one_member_gets_and_the_cap_can_be_changed(client, marketer, summer):
    created = client.post("/v1/staff/campaigns", json=summer | {"member_cap": 500}, headers=marketer)
    assert (created.status_code, created.json["member_cap"]) == (201, 500)
    changed = client.patch("/v1/staff/campaigns/summer", json={"member_cap": 800}, headers=marketer)
    assert (changed.status_code, changed.json["member_cap"]) == (200, 800)
    refused = client.patch("/v1/staff/campaigns/summer", json={"member_cap": 0}, headers=marketer)
    assert (refused.status_code, list(refused.json["errors"])) == (422, ["member_cap"])
    assert client.get("/v1/staff/campaigns", headers=marketer).json[0]["member_cap"] == 800


def test_a_campaign_change_is_refused_with_its_fields_and_changes_nothing(client, marketer, summer, clock, database,
                                                                          staff_headers):
    client.post("/v1/staff/campaigns", json=summer, headers=marketer)
    support_headers = staff_headers("support")
    with unchanged(database):
        wrong = client.patch("/v1/staff/campaigns/summer", json={"budget": "lots", "ends_at": "soon",
                                                                   "holdout_share": "0.5"}, headers=marketer)
        past = client.patch("/v1/staff/campaigns/summer", json={"ends_at": (clock() - timedelta(days=1)).isoformat()},
                            headers=marketer)
        empty = client.patch("/v1/staff/campaigns/summer", json={}, headers=marketer)
        unknown = client.patch("/v1/staff/campaigns/winter", json={"budget": 5}, headers=marketer)
        support = client.patch("/v1/staff/campaigns/summer", json={"budget": 5}, headers=support_headers)
    assert (wrong.status_code, sorted(wrong.json["errors"])) == (422, ["budget", "ends_at", "holdout_share"])
    assert (past.status_code, list(past.json["errors"])) == (422, ["ends_at"])
    assert (empty.status_code, list(empty.json["errors"])) == (422, ["campaign"])
    assert (unknown.status_code, unknown.json["error"]) == (404, "unknown_campaign")
    assert support.status_code == 403
