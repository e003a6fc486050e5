import sqlalchemy as sa

from engine.access.terminal_keys import issue_terminal_key
from tests.support.api_clients import SignedTerminal


def test_an_admin_issues_a_new_key_whose_secret_signs_requests(client, staff_headers, terminal, make_our_card, clock):
    response = client.post(f"/v1/staff/terminals/{terminal.terminal_code}/keys", json={},
                           headers=staff_headers("admin"))
    assert response.status_code == 201
    key = response.json
    assert (key["terminal_code"], key["store_code"], key["revoked_at"]) == (terminal.terminal_code,
                                                                            terminal.store_code, None)
    assert key["secret"]
    till = SignedTerminal(client, key_id=key["key_id"], secret=key["secret"], terminal_code=terminal.terminal_code,
                          store_code=terminal.store_code, clock=clock)
    challenge = till.post("/v1/terminal/card-challenges", {"card_number": make_our_card().number}, key=None)
    assert challenge.status_code == 201


def test_listed_keys_never_show_their_secret(client, staff_headers, terminal):
    headers = staff_headers("admin")
    client.post(f"/v1/staff/terminals/{terminal.terminal_code}/keys", json={}, headers=headers)
    keys = client.get(f"/v1/staff/terminals/{terminal.terminal_code}/keys", headers=headers).json
    assert len(keys) == 2
    assert {k["key_id"] for k in keys} >= {terminal.key_id}
    assert [k["secret"] for k in keys] == [None, None]


def test_a_revoked_key_can_no_longer_sign_requests(client, staff_headers, terminal, make_our_card):
    card = make_our_card()
    assert terminal.post("/v1/terminal/card-challenges", {"card_number": card.number}, key=None).status_code == 201
    revoked = client.post(f"/v1/staff/terminal-keys/{terminal.key_id}/revoke", json={},
                          headers=staff_headers("admin"))
    assert revoked.status_code == 200
    assert revoked.json["revoked_at"] is not None
    after = terminal.post("/v1/terminal/card-challenges", {"card_number": card.number}, key=None)
    assert (after.status_code, after.json["error"]) == (401, "invalid_terminal_key")


def test_revoking_one_key_leaves_the_terminals_other_key_working(client, staff_headers, terminal, make_our_card,
                                                                 clock):
    headers = staff_headers("admin")
    new = client.post(f"/v1/staff/terminals/{terminal.terminal_code}/keys", json={}, headers=headers).json
    client.post(f"/v1/staff/terminal-keys/{terminal.key_id}/revoke", json={}, headers=headers)
    till = SignedTerminal(client, key_id=new["key_id"], secret=new["secret"], terminal_code=terminal.terminal_code,
                          store_code=terminal.store_code, clock=clock)
    assert till.post("/v1/terminal/card-challenges", {"card_number": make_our_card().number},
                     key=None).status_code == 201


def test_only_roles_with_the_terminals_permission_manage_keys(client, staff_headers, terminal):
    for role in ("support", "marketer", "auditor"):
        issued = client.post(f"/v1/staff/terminals/{terminal.terminal_code}/keys", json={},
                             headers=staff_headers(role))
        revoked = client.post(f"/v1/staff/terminal-keys/{terminal.key_id}/revoke", json={},
                              headers=staff_headers(role))
        assert (issued.status_code, revoked.status_code) == (403, 403)


def test_a_key_for_an_unknown_terminal_or_revoking_an_unknown_key_is_404(client, staff_headers):
    headers = staff_headers("admin")
    assert client.post("/v1/staff/terminals/NOPE/keys", json={}, headers=headers).status_code == 404
    assert client.post("/v1/staff/terminal-keys/tk_nope/revoke", json={}, headers=headers).status_code == 404


def test_a_terminal_cannot_manage_keys_with_its_own_signature(terminal):
    response = terminal.post(f"/v1/staff/terminals/{terminal.terminal_code}/keys", {})
    assert response.status_code == 401


def test_a_key_revoked_by_another_process_stops_an_accrual_before_it_earns(database, terminal, make_our_card,
                                                                          card_session, clock):
    card = make_our_card()
    session = card_session(card)["card_session"]
    with database.transaction() as db_session:  # another process: this one still keeps the key as live
        db_session.execute(sa.text("UPDATE terminal_credentials SET revoked_at = :now WHERE key_id = :key"),
                           {"now": clock(), "key": terminal.key_id})
    response = terminal.post("/v1/terminal/accruals", {
        "store_code": terminal.store_code, "terminal_code": terminal.terminal_code, "receipt_number": "R1",
        "occurred_at": clock().isoformat(), "currency": "EUR", "card_number": card.number, "card_session": session,
        "lines": [{"line_no": 1, "sku": "SKU1", "quantity": "1", "amount_minor": 1250}]})
    assert (response.status_code, response.json["error"]) == (401, "invalid_terminal_key")
    with database.transaction() as db_session:
        assert db_session.scalar(sa.text("SELECT count(*) FROM receipts")) == 0


def test_a_key_issued_by_another_process_signs_at_once(database, client, terminal, make_our_card, clock):
    card = make_our_card()
    assert terminal.post("/v1/terminal/card-challenges", {"card_number": card.number}, key=None).status_code == 201
    key = issue_terminal_key(database, terminal.terminal_code, now=clock())  # this process keeps the key list before
    till = SignedTerminal(client, key_id=key.key_id, secret=key.secret, terminal_code=terminal.terminal_code,
                          store_code=terminal.store_code, clock=clock)
    challenge = till.post("/v1/terminal/card-challenges", {"card_number": card.number}, key=None)
    assert challenge.status_code == 201
