import json

import pytest

from api.auth import SIGNATURE_HEADER, TIMESTAMP_HEADER
from engine.access.terminal_keys import revoke_terminal_key
from engine.audit import list_audit
from tests.support.assertions import unchanged

BODY = {"card_number": "9000000000000019"}
PATH = "/v1/terminal/card-challenges"


def test_an_unsigned_request_is_refused_and_audited(client, database):
    response = client.post(PATH, json=BODY)
    assert (response.status_code, response.json["error"]) == (401, "signature_missing")
    [entry] = list_audit(database)
    assert (entry.actor, entry.outcome, entry.action) == ("anonymous", "401", "POST /v1/terminal/card-challenges")


def test_a_request_whose_body_was_changed_after_signing_is_refused(terminal, client):
    signed = json.dumps(BODY).encode()
    headers = terminal.headers("POST", PATH, signed, None)
    response = client.post(PATH, data=json.dumps({"card_number": "9000000000000027"}), headers=headers)
    assert (response.status_code, response.json["error"]) == (401, "bad_signature")


def test_a_request_signed_for_another_path_is_refused(terminal, client):
    data = json.dumps(BODY).encode()
    headers = terminal.headers("POST", "/v1/terminal/card-sessions", data, None)
    assert client.post(PATH, data=data, headers=headers).status_code == 401


def test_a_captured_request_replayed_after_the_window_is_refused(terminal, clock, make_our_card):
    card = make_our_card()
    data = json.dumps({"card_number": card.number}).encode()
    headers = terminal.headers("POST", PATH, data, None)
    assert terminal.client.post(PATH, data=data, headers=headers).status_code == 201
    clock.advance(seconds=61)
    replayed = terminal.client.post(PATH, data=data, headers=headers)
    assert (replayed.status_code, replayed.json["error"]) == (401, "stale_request")


def test_a_request_from_a_terminal_clock_far_ahead_is_refused(terminal, clock):
    response = terminal.post(PATH, BODY, key=None, timestamp=int(clock().timestamp()) + 120)
    assert (response.status_code, response.json["error"]) == (401, "stale_request")


def test_a_signature_with_a_wrong_secret_is_refused(terminal):
    terminal.secret = "not-the-secret"
    response = terminal.post(PATH, BODY, key=None)
    assert (response.status_code, response.json["error"]) == (401, "bad_signature")


def test_a_revoked_key_signs_nothing(terminal, database, clock):
    revoke_terminal_key(database, terminal.key_id, now=clock())
    response = terminal.post(PATH, BODY, key=None)
    assert (response.status_code, response.json["error"]) == (401, "invalid_terminal_key")


def test_a_malformed_timestamp_is_refused(terminal, client):
    data = json.dumps(BODY).encode()
    headers = terminal.headers("POST", PATH, data, None)
    headers[TIMESTAMP_HEADER] = "soon"
    assert client.post(PATH, data=data, headers=headers).json["error"] == "stale_request"


def test_the_idempotency_key_is_covered_by_the_signature(terminal, client):
    data = json.dumps(BODY).encode()
    headers = terminal.headers("POST", PATH, data, "key-1")
    headers["Idempotency-Key"] = "key-2"
    assert client.post(PATH, data=data, headers=headers).json["error"] == "bad_signature"


def test_a_terminal_cannot_call_staff_endpoints(terminal):
    response = terminal.get("/v1/staff/members")
    assert response.status_code == 401



@pytest.mark.parametrize("digits", [309, 4301], ids=["overflows-a-float", "beyond-int-conversion"])
def test_a_timestamp_of_too_many_digits_is_refused_as_stale_and_audited(terminal, client, database, digits):
    data = json.dumps(BODY).encode()
    headers = terminal.headers("POST", PATH, data, None)
    headers[TIMESTAMP_HEADER] = "9" * digits
    with unchanged(database):
        response = client.post(PATH, data=data, headers=headers)
    assert (response.status_code, response.json["error"]) == (401, "stale_request")
    [entry] = list_audit(database)
    assert (entry.outcome, entry.detail["error"]) == ("401", "stale_request")


def test_a_timestamp_padded_with_zeros_is_still_read(terminal, client, clock, make_our_card):
    data = json.dumps({"card_number": make_our_card().number}).encode()
    stamp = "0" * 20 + str(int(clock().timestamp()))
    headers = terminal.headers("POST", PATH, data, None, timestamp=stamp)
    assert client.post(PATH, data=data, headers=headers).status_code == 201


def test_a_signature_holding_a_non_ascii_character_is_refused_and_audited(terminal, client, database):
    data = json.dumps(BODY).encode()
    headers = terminal.headers("POST", PATH, data, None)
    headers[SIGNATURE_HEADER] = "\xe9" * 64
    with unchanged(database):
        response = client.post(PATH, data=data, headers=headers)
    assert (response.status_code, response.json["error"]) == (401, "bad_signature")
    [entry] = list_audit(database)
    assert (entry.outcome, entry.detail["error"]) == ("401", "bad_signature")
