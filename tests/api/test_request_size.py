"""A request body above the configured limit is refused with 413 and the error body, before
it is read or anything runs; pages answer with a page."""
from tests.web.conftest import text_of


def test_a_body_above_the_limit_is_refused_with_413(make_app, staff_headers):
    client = make_app(MAX_CONTENT_LENGTH=2**16).test_client()
    headers = staff_headers("admin")
    body = {"full_name": "A" * 2**16, "email": "a@example.org"}
    response = client.post("/v1/staff/members", json=body, headers=headers)
    assert response.status_code == 413 and response.json["error"] == "request_entity_too_large"
    small = client.post("/v1/staff/members", json=body | {"full_name": "Ada"}, headers=headers)
    assert small.status_code == 201


def test_a_page_form_above_the_limit_gets_a_page(make_app):
    client = make_app(MAX_CONTENT_LENGTH=2**16).test_client()
    response = client.post("/portal/sign-in", data={"email": "a" * 2**17, "password": "x"})
    assert response.status_code == 413 and "text/html" in response.content_type
    assert "That was too much to send" in text_of(response) and "Nothing was changed" in text_of(response)
