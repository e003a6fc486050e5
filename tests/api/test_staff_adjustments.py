import uuid

import pytest

from tests.support.assertions import unchanged


@pytest.fixture
def ask(client, staff_headers):
    """``ask(member, points)``: a support person asks for an adjustment; the response."""
    asker = staff_headers("support", username="maker")

    def run(member, points, *, key=None, headers=None, reason="goodwill"):
        return client.post("/v1/staff/adjustments", json={"member_id": member.public_id, "points": points,
                                                          "reason": reason},
                           headers=(headers or asker) | {"Idempotency-Key": key or str(uuid.uuid4())})
    run.headers = asker
    return run


@pytest.fixture
def decide(client):
    def run(request_id, verb, headers, *, key=None):
        return client.post(f"/v1/staff/adjustments/{request_id}/{verb}", json={},
                           headers=headers | {"Idempotency-Key": key or str(uuid.uuid4())})
    return run


@pytest.fixture
def available(client, staff_headers):
    reader = staff_headers("auditor")
    return lambda member: client.get(f"/v1/staff/members/{member.public_id}/balance", headers=reader).json["available"]


def test_an_adjustment_at_the_threshold_is_applied_at_once(ask, make_member, available):
    member = make_member()
    response = ask(member, 1000)
    assert response.status_code == 201
    assert (response.json["status"], response.json["requested_by"]) == ("applied", "maker")
    assert response.json["transaction_id"] is not None
    assert available(member) == 1000


def test_an_adjustment_above_the_threshold_waits_and_moves_no_points(client, ask, make_member, available,
                                                                    staff_headers):
    member = make_member()
    response = ask(member, 1001)
    assert (response.status_code, response.json["status"], response.json["transaction_id"]) == (201, "pending", None)
    assert available(member) == 0
    waiting = client.get("/v1/staff/adjustments", headers=staff_headers("support")).json
    assert [r["request_id"] for r in waiting] == [response.json["request_id"]]


def test_a_debit_above_the_threshold_the_member_cannot_pay_is_refused_at_once_not_filed(
        client, ask, make_member, available, staff_headers, database):
    member = make_member(points=1500)
    with unchanged(database):
        response = ask(member, -2000)
    assert (response.status_code, response.json["error"]) == (409, "insufficient_points")
    assert client.get("/v1/staff/adjustments", headers=staff_headers("support")).json == []
    assert ask(member, -1500).json["status"] == "pending"  # one it can pay waits for approval


def test_the_requester_cannot_approve_their_own_request(ask, decide, make_member, available):
    member = make_member()
    request_id = ask(member, 5000).json["request_id"]
    response = decide(request_id, "approve", ask.headers)
    assert (response.status_code, response.json["error"]) == (403, "four_eyes_required")
    assert available(member) == 0


def test_another_person_approves_and_the_points_move_once(ask, decide, make_member, available, staff_headers):
    member = make_member()
    request_id = ask(member, 5000).json["request_id"]
    checker = staff_headers("support", username="checker")
    response = decide(request_id, "approve", checker, key="approve-1")
    assert response.status_code == 200
    assert (response.json["status"], response.json["decided_by"]) == ("approved", "checker")
    assert available(member) == 5000
    replay = decide(request_id, "approve", checker, key="approve-1")
    assert (replay.status_code, replay.json) == (200, response.json)
    again = decide(request_id, "approve", staff_headers("admin"))
    assert (again.status_code, again.json["error"]) == (409, "adjustment_already_decided")
    assert available(member) == 5000


def test_a_rejected_request_moves_nothing_and_cannot_be_approved_later(ask, decide, make_member, available,
                                                                       staff_headers):
    member = make_member(points=3000)
    request_id = ask(member, -2000).json["request_id"]
    checker = staff_headers("admin")
    rejected = decide(request_id, "reject", checker)
    assert (rejected.status_code, rejected.json["status"], rejected.json["transaction_id"]) == (200, "rejected", None)
    late = decide(request_id, "approve", checker)
    assert (late.status_code, late.json["error"]) == (409, "adjustment_already_decided")
    assert available(member) == 3000


def test_deciding_an_unknown_request_is_404(decide, staff_headers):
    response = decide("adj_unknown", "approve", staff_headers("admin"))
    assert response.status_code == 404


def test_an_adjustment_without_an_idempotency_key_is_refused(client, ask, make_member, available):
    member = make_member()
    response = client.post("/v1/staff/adjustments", headers=ask.headers,
                           json={"member_id": member.public_id, "points": 10, "reason": "goodwill"})
    assert (response.status_code, response.json["error"]) == (400, "idempotency_key_missing")
    assert available(member) == 0


def test_a_replayed_adjustment_returns_the_first_answer_and_moves_points_once(ask, make_member, available):
    member = make_member()
    first, again = ask(member, 40, key="same"), ask(member, 40, key="same")
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert available(member) == 40


def test_the_same_key_with_another_body_is_refused(ask, make_member, available):
    member = make_member()
    assert ask(member, 40, key="same").status_code == 201
    other = ask(member, 41, key="same")
    assert other.status_code == 422
    assert available(member) == 40


def test_keys_of_different_staff_do_not_collide(ask, make_member, available, staff_headers):
    member = make_member()
    assert ask(member, 40, key="shared").status_code == 201
    assert ask(member, 40, key="shared", headers=staff_headers("admin")).status_code == 201
    assert available(member) == 80


def test_an_adjustment_for_an_unknown_member_is_404_and_a_zero_one_is_422(ask, make_member):
    class Nobody:
        public_id = "M999999999"
    assert ask(Nobody, 10).status_code == 404
    assert ask(make_member(), 0).status_code == 422
