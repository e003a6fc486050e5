"""Admins open stores (shops and web shops) and register their terminals over the API; a new
terminal signs once it has a key; bad fields and taken codes are refused, naming the field
and changing nothing; nobody else may do any of it, and every change is in the audit log."""
import pytest

from engine.audit import list_audit
from tests.support.assertions import unchanged

STORES, TERMINALS = "/v1/staff/stores", "/v1/staff/terminals"


@pytest.fixture
def admin(staff_headers):
    return staff_headers("admin")


def test_an_admin_opens_a_web_shop_registers_its_backend_and_gives_it_a_key(client, admin, database):
    opened = client.post(STORES, json={"code": "WEB", "name": "Web shop", "timezone": "Europe/Berlin",
                                       "channel": "online"}, headers=admin)
    assert opened.status_code == 201, opened.json
    assert opened.json == {"code": "WEB", "name": "Web shop", "timezone": "Europe/Berlin", "group": None,
                           "channel": "online"}
    registered = client.post(TERMINALS, json={"code": "WEB-BACKEND", "store_code": "WEB"}, headers=admin)
    assert registered.status_code == 201, registered.json
    assert registered.json == {"code": "WEB-BACKEND", "store_code": "WEB", "name": "WEB-BACKEND", "status": "active"}
    key = client.post(f"{TERMINALS}/WEB-BACKEND/keys", json={}, headers=admin)
    assert key.status_code == 201 and key.json["secret"] and key.json["store_code"] == "WEB"
    assert [s["code"] for s in client.get(STORES, headers=admin).json] == ["WEB"]
    assert [t["code"] for t in client.get(TERMINALS, query_string={"store_code": "WEB"}, headers=admin).json] == [
        "WEB-BACKEND"]
    audited = {(entry.action, entry.outcome) for entry in list_audit(database) if entry.actor.startswith("staff:")}
    assert {("POST /v1/staff/stores", "201"), ("POST /v1/staff/terminals", "201"),
            ("POST /v1/staff/terminals/<terminal_code>/keys", "201")} <= audited


@pytest.mark.parametrize("body, field", [
    ({"code": "ber 01", "name": "Berlin", "timezone": "Europe/Berlin"}, "code"),
    ({"code": "BER-01", "name": "Berlin", "timezone": "Europe/Atlantis"}, "timezone"),
    ({"code": "BER-01", "name": "Berlin", "timezone": "Europe/Berlin", "channel": "fax"}, "channel"),
    ({"code": "BER-01", "name": "  ", "timezone": "Europe/Berlin"}, "name"),
    ({"name": "Berlin", "timezone": "Europe/Berlin"}, "code"),
    ({"code": "BER-01", "name": "Berlin", "timezone": "Europe/Berlin", "revision": 3}, "revision"),
])
def test_a_bad_store_is_refused_naming_the_field(client, admin, database, body, field):
    with unchanged(database):
        response = client.post(STORES, json=body, headers=admin)
    assert response.status_code in (400, 422), response.json
    assert {name.split(".")[0] for name in response.json["errors"]} == {field}, response.json


def test_a_taken_code_is_refused_so_a_retry_opens_nothing_twice(client, admin, database):
    store = {"code": "BER-01", "name": "Berlin", "timezone": "Europe/Berlin"}
    assert client.post(STORES, json=store, headers=admin).status_code == 201
    assert client.post(TERMINALS, json={"code": "BER-01-T1", "store_code": "BER-01"}, headers=admin).status_code == 201
    with unchanged(database):
        store_again = client.post(STORES, json=store, headers=admin)
        till_again = client.post(TERMINALS, json={"code": "BER-01-T1", "store_code": "BER-01"}, headers=admin)
        nowhere = client.post(TERMINALS, json={"code": "X-T1", "store_code": "NOPE"}, headers=admin)
    assert (store_again.status_code, store_again.json["error"]) == (409, "duplicate_store")
    assert (till_again.status_code, till_again.json["error"]) == (409, "duplicate_terminal")
    assert (nowhere.status_code, nowhere.json["error"]) == (404, "unknown_store")


@pytest.mark.parametrize("role", ["marketer", "support", "auditor", "mailer"])
def test_only_admins_open_stores_and_register_terminals(client, staff_headers, database, role):
    headers = staff_headers(role)
    with unchanged(database):
        calls = [client.get(STORES, headers=headers), client.get(TERMINALS, headers=headers),
                 client.post(STORES, json={"code": "X", "name": "X", "timezone": "UTC"}, headers=headers),
                 client.post(TERMINALS, json={"code": "X-T1", "store_code": "X"}, headers=headers)]
    assert [(c.status_code, c.json["error"]) for c in calls] == [(403, "missing_permission")] * 4


def test_members_and_terminals_cannot_open_stores(client, make_member, member_headers, terminal):
    body = {"code": "X", "name": "X", "timezone": "UTC"}
    assert client.post(STORES, json=body, headers=member_headers(make_member())).status_code in (401, 403)
    assert terminal.post(STORES, body).status_code in (401, 403)
    assert client.post(STORES, json=body).status_code == 401


def test_a_retired_terminal_is_refused_at_once_and_gets_no_new_key(client, admin, make_signed_terminal, database):
    till = make_signed_terminal()
    challenge = {"card_number": "9000000000000019"}
    before = till.post("/v1/terminal/card-challenges", challenge)
    assert (before.status_code, before.json["error"]) == (404, "unknown_card")  # its signature is taken
    retired = client.post(f"{TERMINALS}/{till.terminal_code}/retire", json={}, headers=admin)
    assert (retired.status_code, retired.json["status"]) == (200, "retired")
    assert client.post(f"{TERMINALS}/{till.terminal_code}/retire", json={}, headers=admin).json == retired.json
    refused = till.post("/v1/terminal/card-challenges", challenge)
    assert (refused.status_code, refused.json["error"]) == (401, "invalid_terminal_key")
    with unchanged(database):
        key = client.post(f"{TERMINALS}/{till.terminal_code}/keys", json={}, headers=admin)
        unknown = client.post(f"{TERMINALS}/NOPE/retire", json={}, headers=admin)
    assert (key.status_code, key.json["error"]) == (409, "terminal_retired")
    assert (unknown.status_code, unknown.json["error"]) == (404, "unknown_terminal")
