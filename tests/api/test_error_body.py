"""Every error, whoever raises it, leaves in one shape."""
import marshmallow as ma
import pytest
from flask_smorest import Blueprint

from engine.errors import Conflict, InvalidInput, InvalidState, NotFound, Problem

ERROR_KEYS = {"code", "status", "error", "message"}


class EchoSchema(ma.Schema):
    amount = ma.fields.Integer(required=True, strict=True)


@pytest.fixture
def app(make_app):
    app = make_app()
    blp = Blueprint("probe", __name__, url_prefix="/probe")

    @blp.route("/echo", methods=["POST"])
    @blp.arguments(EchoSchema)
    @blp.response(200, EchoSchema)
    def echo(body):
        return body

    raising = {"missing": NotFound("unknown card '1'", code="unknown_card"),
               "taken": Conflict("taken"), "state": InvalidState("card retired", code="card_retired"),
               "invalid": InvalidInput([Problem("amount", "must be positive")]),
               "bug": ZeroDivisionError("division by zero in secret_module.py")}

    @blp.route("/raise/<kind>")
    def raise_(kind):
        raise raising[kind]

    app.extensions["flask-smorest"]["apis"][""]["ext_obj"].register_blueprint(blp)
    return app


def test_unknown_paths_get_the_error_body(client):
    response = client.get("/no/such/path")
    assert response.status_code == 404
    assert set(response.json) == ERROR_KEYS and response.json["error"] == "not_found"


def test_a_wrong_method_gets_the_error_body(client):
    response = client.delete("/health/live")
    assert (response.status_code, response.json["error"]) == (405, "method_not_allowed")


def test_malformed_json_is_refused_with_the_error_body(client):
    response = client.post("/probe/echo", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert ERROR_KEYS <= set(response.json)


def test_wrong_types_are_refused_field_by_field(client):
    response = client.post("/probe/echo", json={"amount": "12"})
    assert response.status_code == 422
    assert response.json["errors"] == {"amount": ["Not a valid integer."]}
    assert response.json["error"] == "unprocessable_entity"


@pytest.mark.parametrize("kind, status, error", [
    ("missing", 404, "unknown_card"), ("taken", 409, "conflict"),
    ("state", 409, "card_retired"), ("invalid", 422, "invalid_input"),
])
def test_engine_refusals_map_to_one_status_each(client, kind, status, error):
    response = client.get(f"/probe/raise/{kind}")
    assert (response.status_code, response.json["error"]) == (status, error)
    assert set(response.json) >= ERROR_KEYS


def test_invalid_input_lists_the_problem_per_field(client):
    assert client.get("/probe/raise/invalid").json["errors"] == {"amount": ["must be positive"]}


def test_an_unexpected_error_reveals_nothing_but_a_request_id(client):
    response = client.get("/probe/raise/bug", headers={"X-Request-ID": "till-42-request-0001"})
    assert response.status_code == 500
    assert response.json["error"] == "internal_error"
    assert "till-42-request-0001" in response.json["message"]
    assert "secret_module" not in response.get_data(as_text=True)


@pytest.mark.parametrize("field, instant", [("starts_at", "0001-01-01T00:00:00+01:00"),
                                           ("ends_at", "9999-12-31T23:59:59-01:00"),
                                           ("starts_at", "1899-12-31T23:59:59Z")])
def test_an_instant_at_the_edge_of_the_calendar_is_refused_naming_the_field(client, staff_headers, field, instant):
    body = {"code": "c", "name": "C", "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z"}
    response = client.post("/v1/staff/campaigns", json=body | {field: instant}, headers=staff_headers("marketer"))
    assert response.status_code == 422
    assert response.json["errors"] == {field: ["Must be an instant from the year 1900 to 9000."]}
