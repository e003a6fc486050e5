"""A JSON body holding an integer of more than 4,300 digits (the interpreter's limit on
converting digits to an int) is invalid JSON, refused with a 400 and the error body like any
other: not a 500, on any endpoint, for any caller."""
from tests.support.assertions import unchanged

HUGE = "1" + "0" * 4400


def test_a_sign_in_with_an_integer_too_long_to_read_is_invalid_json(client, database):
    body = '{"email": "ada@example.org", "password": ' + HUGE + "}"
    with unchanged(database):
        response = client.post("/v1/member/sessions", data=body, content_type="application/json")
    assert (response.status_code, response.json["error"]) == (400, "bad_request"), response.json


def test_a_staff_write_with_an_integer_too_long_to_read_is_invalid_json(client, staff_headers, database):
    headers = staff_headers("admin")
    with unchanged(database):
        response = client.post("/v1/staff/stores", data='{"code": ' + HUGE + "}", content_type="application/json",
                               headers=headers)
    assert (response.status_code, response.json["error"]) == (400, "bad_request"), response.json


def test_a_signed_till_request_with_an_integer_too_long_to_read_is_invalid_json(terminal, database):
    with unchanged(database):
        response = terminal.post("/v1/terminal/holds", raw=('{"points": ' + HUGE + ', "card_session": "x"}').encode())
    assert (response.status_code, response.json["error"]) == (400, "bad_request"), response.json


def test_an_integer_within_the_limit_is_read_and_judged_by_the_schema(client):
    body = '{"email": "ada@example.org", "password": 1' + "0" * 4000 + "}"
    response = client.post("/v1/member/sessions", data=body, content_type="application/json")
    assert response.status_code == 422, response.json
