"""Member imports over HTTP: support sends a file, which is checked and kept; a second person
approves and the members arrive with their opening points; the asker cannot approve; roles
that may not move balances cannot ask or approve; a bad file or body is refused, naming
what is wrong, and changes nothing."""
import uuid

import pytest

from tests.support.assertions import unchanged

FILE = "full_name,email,opening_points,reference\nAda Lovelace,ada@example.org,1200,C-1\nGrace Hopper,,0,C-2\n"


def post(client, path, headers, body=None, key=None):
    return client.post(path, json={} if body is None else body,
                       headers=headers | {"Idempotency-Key": key or str(uuid.uuid4())})


def test_support_sends_a_file_another_person_approves_and_the_members_arrive(client, staff_headers):
    maker, checker = staff_headers("support", username="maker"), staff_headers("admin", username="checker")
    asked = post(client, "/v1/staff/member-imports", maker, {"file_name": "old-crm.csv", "csv": FILE})
    assert asked.status_code == 201, asked.json
    assert {k: asked.json[k] for k in ("status", "members", "points", "cards", "requested_by")} == {
        "status": "pending", "members": 2, "points": 1200, "cards": 0, "requested_by": "maker"}
    import_id = asked.json["import_id"]
    assert [r["import_id"] for r in client.get("/v1/staff/member-imports?status=pending", headers=checker).json] == [
        import_id]
    refused = post(client, f"/v1/staff/member-imports/{import_id}/approve", maker)
    assert (refused.status_code, refused.json["error"]) == (403, "four_eyes_required")
    not_yet = client.get(f"/v1/staff/member-imports/{import_id}/members", headers=checker)
    assert (not_yet.status_code, not_yet.json["error"]) == (409, "import_not_approved")
    approved = post(client, f"/v1/staff/member-imports/{import_id}/approve", checker)
    assert (approved.status_code, approved.json["status"], approved.json["decided_by"]) == (200, "approved", "checker")
    members = client.get(f"/v1/staff/member-imports/{import_id}/members", headers=maker).json
    assert [(m["line"], m["reference"], m["opening_points"]) for m in members] == [(2, "C-1", 1200), (3, "C-2", 0)]
    balance = client.get(f"/v1/staff/members/{members[0]['member_id']}/balance", headers=staff_headers("auditor"))
    assert balance.json["available"] == 1200
    assert client.get(f"/v1/staff/member-imports/{import_id}", headers=maker).json == approved.json


def test_a_file_with_problems_is_refused_line_by_line_and_nothing_is_kept(client, staff_headers, database):
    support = staff_headers("support")
    with unchanged(database):
        refused = post(client, "/v1/staff/member-imports", support,
                       {"file_name": "bad.csv", "csv": "full_name,email\nAda,not-an-address\n,b@example.org\n"})
    assert refused.status_code == 422
    assert sorted(refused.json["errors"]) == ["line 2.email", "line 3.full_name"]
    assert client.get("/v1/staff/member-imports", headers=support).json == []


def test_only_people_who_may_move_balances_ask_and_approve(client, staff_headers, member_headers, make_member):
    body = {"file_name": "old-crm.csv", "csv": FILE}
    for role in ("marketer", "auditor", "mailer"):
        assert post(client, "/v1/staff/member-imports", staff_headers(role), body).status_code == 403, role
        assert client.get("/v1/staff/member-imports", headers=staff_headers(role)).status_code == 403, role
    assert post(client, "/v1/staff/member-imports", member_headers(make_member()), body).status_code == 401
    import_id = post(client, "/v1/staff/member-imports", staff_headers("support"), body).json["import_id"]
    assert post(client, f"/v1/staff/member-imports/{import_id}/approve", staff_headers("marketer")).status_code == 403
    assert post(client, f"/v1/staff/member-imports/{import_id}/reject", staff_headers("admin")).json["status"] == \
        "rejected"


@pytest.mark.parametrize("body, field", [
    ({"csv": FILE}, "file_name"),
    ({"file_name": "x.csv"}, "csv"),
    ({"file_name": "x.csv", "csv": 5}, "csv"),
    ({"file_name": "x" * 201, "csv": FILE}, "file_name"),
    ({"file_name": "x.csv", "csv": FILE, "status": "approved"}, "status"),
])
def test_a_bad_body_is_refused_naming_the_field_and_changes_nothing(client, staff_headers, body, field):
    support = staff_headers("support")
    response = post(client, "/v1/staff/member-imports", support, body)
    assert (response.status_code, list(response.json["errors"])) == (422, [field])
    assert client.get("/v1/staff/member-imports", headers=support).json == []


def test_an_unknown_import_is_404_and_a_request_without_a_key_is_400(client, staff_headers):
    assert post(client, "/v1/staff/member-imports/import_0/approve", staff_headers("admin")).status_code == 404
    assert client.get("/v1/staff/member-imports/import_0", headers=staff_headers("support")).status_code == 404
    keyless = client.post("/v1/staff/member-imports", json={"file_name": "x.csv", "csv": FILE},
                          headers=staff_headers("support"))
    assert keyless.status_code == 400
