"""Schemathesis over the whole OpenAPI document: every operation gets a bounded number of
generated requests (valid and invalid), sent by an authenticated caller of the right kind;
no request may cause a 5xx and every answer must match its documented status, content
type and schema.

Staff operations are called with an admin's bearer token, member operations with a
member's, and /v1/terminal/* requests are signed exactly as ``SignedTerminal`` signs them.
Runs on SQLite and on PostgreSQL (one fresh database per operation and backend: some input
only one of them cannot store); HYPOTHESIS_PROFILE=long sends more.
"""
import json
import os
from urllib.parse import unquote, urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from api import create_app
from engine import stores
from engine.access.member_logins import set_member_password
from engine.access.staff import create_staff_account
from engine.access.terminal_keys import issue_terminal_key
from engine.database import Database
from engine.members import enrol_member
from tests.api.conftest import CARD_KEYS, PASSWORD, PASSWORDS
from tests.support.api_clients import SignedTerminal, bearer

EXAMPLES = 200 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def fuzz_app(database, clock):
    return create_app({"DATABASE": database, "CLOCK": clock, "TESTING": True, "PASSWORDS": PASSWORDS,
                       "CARD_MASTER_KEYS": CARD_KEYS, "QUIET_ANSWER_SECONDS": 0})


@pytest.fixture
def callers(fuzz_app, database, clock, make_signed_terminal_for):
    """Headers for each kind of caller: an admin, a member, and a signing till."""
    client = fuzz_app.test_client()
    create_staff_account(database, username="fuzz-admin", full_name="Fuzz Admin", password=PASSWORD,
                         roles=["admin"], passwords=PASSWORDS, now=clock())
    staff = client.post("/v1/staff/sessions", json={"username": "fuzz-admin", "password": PASSWORD}).json["token"]
    member = enrol_member(database, full_name="Fuzz Member", email="fuzz@example.org", now=clock())
    set_member_password(database, member.public_id, PASSWORD, passwords=PASSWORDS, now=clock())
    token = client.post("/v1/member/sessions", json={"email": member.email, "password": PASSWORD}).json["token"]
    return {"client": client, "staff": bearer(staff), "member": bearer(token),
            "terminal": make_signed_terminal_for(client)}


@pytest.fixture
def make_signed_terminal_for(database, clock):
    def make(client) -> SignedTerminal:
        stores.create_store(database, code="FZ", name="Fuzz store", timezone="Europe/Berlin", now=clock())
        terminal = stores.create_terminal(database, code="FZ-T1", store_code="FZ", now=clock())
        key = issue_terminal_key(database, terminal.code, now=clock())
        return SignedTerminal(client, key_id=key.key_id, secret=key.secret, terminal_code=terminal.code,
                              store_code="FZ", clock=clock)
    return make


def send(case, callers):
    """Send ``case`` through Flask's test client as the caller its path is for."""
    path = case.formatted_path
    query = urlencode(case.query, doseq=True) if case.query else ""
    target = path + ("?" + query if query else "")
    if case.body is NOT_SET:
        body = b""
    else:  # negative cases may carry raw bytes rather than JSON
        body = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
    headers = {name: str(value) for name, value in (case.headers or {}).items()}
    if body:
        headers.setdefault("Content-Type", "application/json")
    if path.startswith("/v1/terminal/"):
        # The server checks the signature over the decoded path (request.path), so sign that.
        signed = callers["terminal"].headers(case.method, unquote(target), body, headers.get("Idempotency-Key"))
        headers.update({k: v for k, v in signed.items() if k != "Content-Type"})
    elif path.startswith("/v1/staff/") and path != "/v1/staff/sessions":
        headers.update(callers["staff"])
    elif path.startswith("/v1/member/") and path != "/v1/member/sessions":
        headers.update(callers["member"])
    return callers["client"].open(target, method=case.method, data=body, headers=headers)


def openapi_document() -> dict:
    """The document as the application serves it (serving it touches no database)."""
    app = create_app({"DATABASE": Database("sqlite://"), "TESTING": True, "PASSWORDS": PASSWORDS,
                      "CARD_MASTER_KEYS": CARD_KEYS})
    return app.test_client().get("/openapi.json").json


schema = schemathesis.openapi.from_dict(openapi_document())


@schema.parametrize()
# One database per operation, shared by its examples on purpose: what one generated request
# creates, the next may meet (a fuzzed database, not a clean one per example).
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_generated_request_breaks_the_api_or_its_documented_answers(case, callers):
    response = send(case, callers)
    case.validate_response(response, checks=CHECKS)
