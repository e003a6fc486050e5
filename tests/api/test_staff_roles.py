import uuid

import pytest

from engine.access.staff import set_staff_active

ADJUST = ("POST", "/v1/staff/adjustments")
APPROVALS = ("GET", "/v1/staff/adjustments")
AUDIT = ("GET", "/v1/staff/audit")
MEMBERS = ("GET", "/v1/staff/members")
ENROL = ("POST", "/v1/staff/members")
ISSUE = ("POST", "/v1/staff/card-issues")

# (role, endpoint, allowed?)
MATRIX = [
    ("marketer", ADJUST, False), ("marketer", APPROVALS, False), ("marketer", AUDIT, False),
    ("marketer", MEMBERS, True), ("marketer", ENROL, False), ("marketer", ISSUE, False),
    ("auditor", AUDIT, True), ("auditor", MEMBERS, True), ("auditor", ADJUST, False), ("auditor", ENROL, False),
    ("auditor", ISSUE, False), ("auditor", APPROVALS, False),
    ("support", ADJUST, True), ("support", APPROVALS, True), ("support", ENROL, True), ("support", ISSUE, True),
    ("support", AUDIT, False),
    ("admin", ADJUST, True), ("admin", APPROVALS, True), ("admin", AUDIT, True), ("admin", ENROL, True),
    ("admin", ISSUE, True), ("admin", MEMBERS, True),
]


def body_for(endpoint, member):
    return {ADJUST: {"member_id": member.public_id, "points": 10, "reason": "goodwill"},
            ENROL: {"full_name": "New Member", "email": f"{uuid.uuid4().hex[:8]}@example.org"},
            ISSUE: {"member_id": member.public_id}}.get(endpoint)


@pytest.mark.parametrize("role, endpoint, allowed", MATRIX,
                         ids=[f"{r}-{m}-{p.rsplit('/', 1)[1]}-{'ok' if a else 'refused'}" for r, (m, p), a in MATRIX])
def test_each_role_may_call_only_what_its_permissions_grant(client, staff_headers, make_member, role, endpoint,
                                                            allowed):
    method, path = endpoint
    member = make_member()
    response = client.open(path, method=method, json=body_for(endpoint, member),
                           headers=staff_headers(role) | {"Idempotency-Key": str(uuid.uuid4())})
    if allowed:
        assert response.status_code in (200, 201), response.json
    else:
        assert (response.status_code, response.json["error"]) == (403, "missing_permission")


def test_a_refused_adjustment_moves_no_points(client, staff_headers, make_member):
    member = make_member(points=5)
    response = client.post("/v1/staff/adjustments", headers=staff_headers("marketer") | {"Idempotency-Key": "k"},
                           json={"member_id": member.public_id, "points": 10, "reason": "goodwill"})
    assert response.status_code == 403
    balance = client.get(f"/v1/staff/members/{member.public_id}/balance", headers=staff_headers("auditor"))
    assert balance.json["available"] == 5


def test_an_auditor_cannot_write_anything(client, staff_headers, make_member, make_our_card, terminal):
    headers = staff_headers("auditor") | {"Idempotency-Key": str(uuid.uuid4())}
    card = make_our_card(make_member())
    writes = [("/v1/staff/members", {"full_name": "X"}), (f"/v1/staff/cards/{card.number}/block", {}),
              (f"/v1/staff/terminals/{terminal.terminal_code}/keys", {}),
              ("/v1/staff/adjustments/adj_0000/approve", {})]
    assert [client.post(path, json=body, headers=headers).status_code for path, body in writes] == [403] * 4


def test_staff_sign_in_with_a_wrong_password_is_refused(client, staff_headers):
    staff_headers("support", username="sam")
    response = client.post("/v1/staff/sessions", json={"username": "sam", "password": "wrong password!"})
    assert (response.status_code, response.json["error"]) == (401, "wrong_credentials")
    unknown = client.post("/v1/staff/sessions", json={"username": "nobody", "password": "wrong password!"})
    assert unknown.json == response.json


def test_a_deactivated_staff_accounts_sessions_stay_ended_when_it_is_activated_again(client, database, clock,
                                                                                     staff_headers):
    headers = staff_headers("support", username="alice")
    set_staff_active(database, "alice", active=False, now=clock())
    set_staff_active(database, "alice", active=True, now=clock())
    response = client.get("/v1/staff/members", headers=headers)
    assert response.status_code == 401 and response.json["error"] != "account_inactive"


def test_a_deactivated_staff_accounts_token_stops_working(client, database, clock, staff_headers):
    headers = staff_headers("support", username="alice")
    assert client.get("/v1/staff/members", headers=headers).status_code == 200
    set_staff_active(database, "alice", active=False, now=clock())
    response = client.get("/v1/staff/members", headers=headers)
    assert (response.status_code, response.json["error"]) == (401, "invalid_token")  # its sessions ended with it
