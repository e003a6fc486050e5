"""A reward added for a later start can be withdrawn over the API before it starts: the
PATCH with an end now is taken, and the reward never reaches the catalogue."""


def test_a_reward_that_has_not_started_is_withdrawn_with_an_end_now(client, staff_headers, clock):
    marketer = staff_headers("marketer")
    added = client.post("/v1/staff/rewards", json={"code": "FUT", "name": "Future mug", "points_price": 300,
                                                   "valid_from": "2027-01-01T00:00:00Z"}, headers=marketer)
    assert added.status_code == 201, added.json
    withdrawn = client.patch("/v1/staff/rewards/FUT", json={"valid_until": clock().isoformat()}, headers=marketer)
    assert withdrawn.status_code == 200, withdrawn.json
    assert withdrawn.json["valid_until"] == withdrawn.json["valid_from"] == clock().isoformat()
    clock.advance(days=400)  # long after its planned start (signed in again: a session does not last that long)
    assert client.get("/v1/staff/rewards", headers=staff_headers("marketer")).json == []
