"""A JSON body nested deeper than the parser's stack (a few kilobytes of brackets) is invalid
JSON, refused with a 400 and the error body: not a 500, on any endpoint, for any caller."""
import pytest

from api import app as api_app
from api import health
from api.json_body import Blueprint
from tests.support.assertions import unchanged

DEEP = "[" * 5000 + "]" * 5000
DEEP_WITH_ESCAPES = '{"a": ' + "[" * 5000 + '"\\u0000"' + "]" * 5000 + "}"  # what the NUL guard parses


@pytest.mark.parametrize("body", [DEEP, DEEP_WITH_ESCAPES], ids=["brackets", "with-escapes"])
def test_a_sign_in_with_a_deeply_nested_body_is_invalid_json(client, database, body):
    with unchanged(database):
        response = client.post("/v1/member/sessions", data=body, content_type="application/json")
    assert (response.status_code, response.json["error"]) == (400, "bad_request"), response.json


def test_a_staff_write_with_a_deeply_nested_body_is_invalid_json(client, staff_headers, database):
    headers = staff_headers("admin")
    with unchanged(database):
        response = client.post("/v1/staff/stores", data=DEEP, content_type="application/json", headers=headers)
    assert response.status_code == 400, response.json


def test_a_caller_without_credentials_and_a_deeply_nested_body_is_refused_as_unauthenticated(client):
    response = client.patch("/v1/member/profile", data=DEEP, content_type="application/json")
    assert response.status_code == 401, response.json


def test_every_api_blueprint_reads_its_bodies_with_the_guarded_parser():
    for module in (*api_app.API_MODULES, health):
        assert isinstance(module.blp, Blueprint), module.__name__
