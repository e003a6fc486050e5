import uuid

from engine.audit import list_audit


def test_every_staff_request_is_audited_with_actor_action_outcome_and_source(client, database, staff_headers,
                                                                            make_member):
    headers = staff_headers("support", username="sam")
    member = make_member()
    client.get(f"/v1/staff/members/{member.public_id}", headers=headers)
    client.post("/v1/staff/adjustments", json={"member_id": member.public_id, "points": 5, "reason": "gift"},
                headers=headers | {"Idempotency-Key": str(uuid.uuid4())})
    entries = [(e.actor, e.action, e.target, e.outcome, e.source) for e in list_audit(database, actor="staff:sam")]
    assert entries == [
        ("staff:sam", "POST /v1/staff/adjustments", "/v1/staff/adjustments", "201", "127.0.0.1"),
        ("staff:sam", "GET /v1/staff/members/<member_id>", f"/v1/staff/members/{member.public_id}", "200",
         "127.0.0.1"),
        ("staff:sam", "POST /v1/staff/sessions", "/v1/staff/sessions", "201", "127.0.0.1"),  # the sign-in
    ]


def test_a_refused_staff_request_is_audited_as_403(client, database, staff_headers):
    client.get("/v1/staff/audit", headers=staff_headers("marketer", username="mia"))
    entry, signed_in = list_audit(database, actor="staff:mia")
    assert (entry.action, entry.outcome, entry.detail) == ("GET /v1/staff/audit", "403",
                                                           {"error": "missing_permission"})
    assert (signed_in.action, signed_in.outcome) == ("POST /v1/staff/sessions", "201")


def test_an_unauthenticated_request_is_audited_as_401(client, database, terminal):
    client.get("/v1/staff/members", headers={"Authorization": "Bearer forged"})
    terminal.post("/v1/terminal/card-challenges", {"card_number": "1"}, timestamp=1)
    entries = [(e.actor, e.action, e.outcome, e.detail) for e in list_audit(database)]
    assert entries == [
        (f"unauthenticated (claimed terminal key {terminal.key_id})", "POST /v1/terminal/card-challenges", "401",
         {"error": "stale_request"}),
        ("anonymous", "GET /v1/staff/members", "401", {"error": "invalid_token"}),
    ]


def test_a_wrong_staff_password_is_audited(client, database, staff_headers):
    staff_headers("admin", username="ada")
    client.post("/v1/staff/sessions", json={"username": "ada", "password": "wrong password!"})
    assert [(e.actor, e.action, e.outcome) for e in list_audit(database)] == \
        [("unauthenticated (claimed ada)", "POST /v1/staff/sessions", "401"),
         ("staff:ada", "POST /v1/staff/sessions", "201")]


def test_a_wrong_member_password_is_audited_with_the_email_tried_but_never_the_password(client, database):
    client.post("/v1/member/sessions", json={"email": "eve@example.org", "password": "guess number one"})
    [entry] = list_audit(database)
    assert (entry.actor, entry.outcome) == ("unauthenticated (claimed eve@example.org)", "401")
    assert "guess" not in repr(entry)


def test_an_auditor_reads_the_log_filtered_by_actor(client, staff_headers):
    support = staff_headers("support", username="sam")
    client.get("/v1/staff/members", headers=support)
    auditor = staff_headers("auditor", username="aud")
    response = client.get("/v1/staff/audit?actor=staff:sam", headers=auditor)
    assert response.status_code == 200
    assert [(e["actor"], e["action"], e["outcome"]) for e in response.json] == [
        ("staff:sam", "GET /v1/staff/members", "200"), ("staff:sam", "POST /v1/staff/sessions", "201")]


def test_reading_the_log_is_itself_audited(client, database, staff_headers):
    client.get("/v1/staff/audit", headers=staff_headers("auditor", username="aud"))
    assert [(e.action, e.outcome) for e in list_audit(database, actor="staff:aud")] == [
        ("GET /v1/staff/audit", "200"), ("POST /v1/staff/sessions", "201")]


def test_the_log_has_no_write_endpoints(client, staff_headers):
    headers = staff_headers("admin")
    assert client.delete("/v1/staff/audit", headers=headers).status_code == 405
    assert client.post("/v1/staff/audit", json={}, headers=headers).status_code == 405


def test_an_auditor_finds_every_request_about_one_member_and_every_write_by_how_its_action_begins(
        client, staff_headers, make_member):
    support = staff_headers("support", username="sam")
    ada, other = make_member(), make_member()
    client.get(f"/v1/staff/members/{ada.public_id}", headers=support)
    client.get(f"/v1/staff/members/{ada.public_id}/cards", headers=support)
    client.get(f"/v1/staff/members/{other.public_id}", headers=support)
    client.post("/v1/staff/adjustments", json={"member_id": ada.public_id, "points": 5, "reason": "gift"},
                headers=support | {"Idempotency-Key": str(uuid.uuid4())})
    auditor = staff_headers("auditor", username="aud")

    about_ada = client.get("/v1/staff/audit", query_string={"target": ada.public_id}, headers=auditor).json
    writes = client.get("/v1/staff/audit", query_string={"actor": "staff:sam", "action": "POST /v1/staff/"},
                        headers=auditor).json
    literal = client.get("/v1/staff/audit", query_string={"action": "GET %"}, headers=auditor).json

    assert [e["action"] for e in about_ada] == ["GET /v1/staff/members/<member_id>/cards",
                                                "GET /v1/staff/members/<member_id>"]
    assert [e["action"] for e in writes] == ["POST /v1/staff/adjustments", "POST /v1/staff/sessions"]
    assert literal == []  # a % is a character, not a wildcard
