"""Text no database can store (a NUL character; in JSON, an unpaired surrogate) is refused
with a 422 naming where it came in, on every kind of endpoint and page, and changes nothing
(PostgreSQL could not store a NUL, neither database a lone surrogate: a fault before)."""
import pytest

from engine.members import find_members
from tests.api.conftest import PASSWORD
from tests.web.conftest import CSRF_INPUT


@pytest.mark.parametrize("method, path, body, field", [
    ("post", "/v1/staff/members", {"full_name": "Ada\u0000", "email": "ada@example.org"}, "full_name"),
    ("post", "/v1/staff/rules/validate", [{"key": "k", "name": "N\u0000", "effect": {
        "kind": "fixed_per_transaction", "points": 5}}], "0.name"),
    ("get", "/v1/staff/members?q=a%00b", None, "query.q"),
    ("get", "/v1/staff/audit?actor=a%00", None, "query.actor"),
    ("get", "/v1/staff/members/M%00X", None, "path"),
    ("post", "/v1/staff/members", {"full_name\u0000": "Ada", "email": "ada@example.org"}, "full_name\u0000")])
def test_staff_text_with_a_nul_is_refused_naming_the_field(client, staff_headers, database, method, path, body, field):
    response = getattr(client, method)(path, json=body, headers=staff_headers("admin"))
    assert response.status_code == 422
    assert response.json["error"] == "invalid_input" and response.json["errors"] == {
        field: ["must not contain NUL characters"]}
    assert find_members(database, "ada") == []


@pytest.mark.parametrize("path, body", [("/v1/staff/sessions", {"username": "admin\u0000", "password": "x"}),
                                        ("/v1/member/sessions", {"email": "a\u0000@example.org", "password": "x"})])
def test_a_sign_in_with_a_nul_is_refused_before_any_lookup(client, path, body):
    response = client.post(path, json=body)
    assert response.status_code == 422 and "must not contain NUL characters" in response.json["message"]


def test_a_nul_in_a_header_or_in_raw_bytes_is_refused(client, staff_headers):
    headers = staff_headers("admin") | {"Idempotency-Key": "k\u0000"}
    assert client.get("/v1/staff/members", headers=headers).json["errors"] == {
        "headers.Idempotency-Key": ["must not contain NUL characters"]}
    raw = client.post("/v1/staff/members", data=b'{"full_name": "A\x00"}', headers=staff_headers("admin"),
                      content_type="application/json")
    assert raw.status_code == 422 and raw.json["errors"] == {"request": ["must not contain NUL characters"]}


def test_an_escaped_backslash_before_u0000_is_ordinary_text(client, staff_headers, database):
    response = client.post("/v1/staff/members", json={"full_name": "Ada \\u0000 Lovelace", "email": "ada@example.org"},
                           headers=staff_headers("support"))
    assert response.status_code == 201, response.json
    assert response.json["full_name"] == "Ada \\u0000 Lovelace"


def test_a_page_form_with_a_nul_gets_a_refusal_page(client):
    page = client.get("/portal/sign-in")
    token = CSRF_INPUT.search(page.get_data(as_text=True)).group(1)
    refused = client.post("/portal/sign-in", data={"csrf_token": token, "email": "a\u0000@example.org",
                                                   "password": PASSWORD})
    assert refused.status_code == 422 and "text/html" in refused.content_type
    assert "Email: must not contain NUL characters." in refused.get_data(as_text=True)


@pytest.mark.parametrize("raw, field", [(b'{"full_name": "A\\ud800B", "email": "a@example.org"}', "full_name"),
                                        (b'{"full_name": "A", "email": "a\\uDFFF@example.org"}', "email"),
                                        (b'{"full_name": "A", "\\ud83d": 1}', "\ud83d")])
def test_an_unpaired_surrogate_in_json_is_refused_naming_the_field(client, staff_headers, database, raw, field):
    response = client.post("/v1/staff/members", data=raw, headers=staff_headers("support"),
                           content_type="application/json")
    assert response.status_code == 422
    assert response.json["errors"] == {field: ["must be Unicode text (it holds an unpaired surrogate)"]}
    assert find_members(database, "a") == []


def test_a_surrogate_pair_is_ordinary_text(client, staff_headers):
    response = client.post("/v1/staff/members", data=b'{"full_name": "Ada \\ud83d\\ude00", "email": "a@example.org"}',
                           headers=staff_headers("support"), content_type="application/json")
    assert response.status_code == 201 and response.json["full_name"] == "Ada \U0001F600"


def test_a_sign_in_with_an_unpaired_surrogate_is_refused_before_any_lookup(client):
    response = client.post("/v1/member/sessions", data=b'{"email": "a\\udfff@example.org", "password": "x"}',
                           content_type="application/json")
    assert response.status_code == 422 and "unpaired surrogate" in response.json["message"]
