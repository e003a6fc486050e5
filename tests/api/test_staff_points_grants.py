"""Points grants over HTTP: support asks for the same bonus for a segment, a second person
approves; marketers, auditors, mailers and members cannot; bad bodies change nothing."""
import uuid

import pytest

from engine import points_grants
from engine.rules.segments import create_segment
from tests.support.grants import approved_but_not_credited


@pytest.fixture
def segment(database, clock, make_member):
    """Two members in the list segment ``apology``; the members."""
    members = [make_member(), make_member()]
    create_segment(database, code="apology", member_ids=[m.public_id for m in members], now=clock())
    return members


def post(client, path, headers, body=None, key=None):
    return client.post(path, json={} if body is None else body,
                       headers=headers | {"Idempotency-Key": key or str(uuid.uuid4())})


def test_support_asks_another_person_approves_and_each_member_is_credited(client, staff_headers, segment):
    maker, checker = staff_headers("support", username="maker"), staff_headers("admin", username="checker")
    asked = post(client, "/v1/staff/grants", maker, {"segment": "apology", "points": 300, "reason": "outage"})
    assert asked.status_code == 201, asked.json
    assert (asked.json["status"], asked.json["members"], asked.json["total_points"]) == ("pending", 2, 600)
    grant_id = asked.json["grant_id"]
    assert [g["grant_id"] for g in client.get("/v1/staff/grants?status=pending", headers=checker).json] == [grant_id]
    refused = post(client, f"/v1/staff/grants/{grant_id}/approve", maker)
    assert (refused.status_code, refused.json["error"]) == (403, "four_eyes_required")
    approved = post(client, f"/v1/staff/grants/{grant_id}/approve", checker)
    assert (approved.status_code, approved.json["status"], approved.json["decided_by"]) == (200, "approved", "checker")
    again = post(client, f"/v1/staff/grants/{grant_id}/reject", checker)
    assert (again.status_code, again.json["error"]) == (409, "grant_already_decided")
    reader = staff_headers("auditor")
    for member in segment:
        assert client.get(f"/v1/staff/members/{member.public_id}/balance", headers=reader).json["available"] == 300
    assert client.get(f"/v1/staff/grants/{grant_id}", headers=maker).json == approved.json


def test_an_approver_finishes_crediting_a_grant_a_stopped_approval_left(client, staff_headers, database, segment):
    maker, checker = staff_headers("support", username="maker"), staff_headers("admin", username="checker")
    grant_id = post(client, "/v1/staff/grants", maker, {"segment": "apology", "points": 300, "reason": "outage"}
                    ).json["grant_id"]
    refused = client.post(f"/v1/staff/grants/{grant_id}/credit", json={}, headers=checker)
    assert (refused.status_code, refused.json["error"]) == (409, "grant_not_approved")
    approved_but_not_credited(database, grant_id, segment, by="checker")
    stopped = client.get(f"/v1/staff/grants/{grant_id}", headers=maker).json
    assert (stopped["status"], stopped["members"], stopped["credited"]) == ("approved", 2, 0)
    for role in ("marketer", "auditor", "mailer"):
        assert client.post(f"/v1/staff/grants/{grant_id}/credit", json={}, headers=staff_headers(role)
                           ).status_code == 403, role
    finished = client.post(f"/v1/staff/grants/{grant_id}/credit", json={}, headers=checker)
    assert (finished.status_code, finished.json["credited"]) == (200, 2), finished.json
    again = client.post(f"/v1/staff/grants/{grant_id}/credit", json={}, headers=checker)
    assert (again.status_code, again.json) == (200, finished.json)
    reader = staff_headers("auditor")
    for member in segment:
        assert client.get(f"/v1/staff/members/{member.public_id}/balance", headers=reader).json["available"] == 300


def test_an_approval_answers_in_its_time_with_how_many_members_are_credited_so_far(app, client, staff_headers,
                                                                                  segment, monkeypatch):
    monkeypatch.setattr(points_grants, "CHUNK", 1)
    monkeypatch.setitem(app.config, "GRANT_CREDIT_SECONDS", 0)  # no time at all: one chunk
    maker, checker = staff_headers("support", username="maker"), staff_headers("admin", username="checker")
    grant_id = post(client, "/v1/staff/grants", maker, {"segment": "apology", "points": 300, "reason": "outage"}
                    ).json["grant_id"]
    approved = post(client, f"/v1/staff/grants/{grant_id}/approve", checker)
    assert (approved.status_code, approved.json["status"], approved.json["members"], approved.json["credited"]) == (
        200, "approved", 2, 1)
    finished = client.post(f"/v1/staff/grants/{grant_id}/credit", json={}, headers=checker)
    assert (finished.status_code, finished.json["credited"]) == (200, 2)


def test_only_people_who_may_move_balances_ask_and_approve(client, staff_headers, member_headers, segment):
    body = {"segment": "apology", "points": 300, "reason": "outage"}
    for role in ("marketer", "auditor", "mailer"):
        assert post(client, "/v1/staff/grants", staff_headers(role), body).status_code == 403, role
    assert post(client, "/v1/staff/grants", member_headers(segment[0]), body).status_code == 401
    grant_id = post(client, "/v1/staff/grants", staff_headers("support"), body).json["grant_id"]
    assert post(client, f"/v1/staff/grants/{grant_id}/approve", staff_headers("marketer")).status_code == 403
    assert client.get("/v1/staff/grants", headers=staff_headers("marketer")).status_code == 403


@pytest.mark.parametrize("body, field", [
    ({"segment": "apology", "points": 0, "reason": "x"}, "points"),
    ({"segment": "apology", "points": "300", "reason": "x"}, "points"),
    ({"segment": "apology", "points": 10**6 + 1, "reason": "x"}, "points"),
    ({"segment": "apology", "points": 300}, "reason"),
    ({"segment": "apology", "points": 300, "reason": "x" * 201}, "reason"),
    ({"points": 300, "reason": "x"}, "segment"),
    ({"segment": "apology", "points": 300, "reason": "x", "status": "approved"}, "status"),
])
def test_a_bad_body_is_refused_naming_the_field_and_changes_nothing(client, staff_headers, segment, body, field):
    support = staff_headers("support")
    response = post(client, "/v1/staff/grants", support, body)
    assert (response.status_code, list(response.json["errors"])) == (422, [field])
    assert client.get("/v1/staff/grants", headers=support).json == []


def test_an_unknown_segment_or_grant_is_404_and_a_grant_without_a_key_is_400(client, staff_headers, segment):
    support = staff_headers("support")
    assert post(client, "/v1/staff/grants", support, {"segment": "nobody", "points": 1, "reason": "x"}).status_code \
        == 404
    assert post(client, "/v1/staff/grants/grant_0/approve", staff_headers("admin")).status_code == 404
    assert client.get("/v1/staff/grants/grant_0", headers=support).status_code == 404
    missing = client.post("/v1/staff/grants", json={"segment": "apology", "points": 1, "reason": "x"}, headers=support)
    assert missing.status_code == 400
