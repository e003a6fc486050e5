import uuid

from engine import cards
from engine.access.staff import create_staff_account
from engine.card_keys import MasterKeys, card_answer
from tests.api.conftest import CARD_KEYS, PASSWORD, PASSWORDS
from tests.support.api_clients import bearer


def issue(client, headers, member):
    return client.post("/v1/staff/card-issues", json={"member_id": member.public_id},
                       headers=headers | {"Idempotency-Key": str(uuid.uuid4())})


def test_the_issuing_station_gets_a_number_and_a_key_under_the_newest_key_version(client, database, staff_headers,
                                                                                  make_member):
    member = make_member()
    response = issue(client, staff_headers("support"), member)
    assert response.status_code == 201
    issued = response.json
    assert (issued["member_id"], issued["key_version"]) == (member.public_id, CARD_KEYS.current_version)
    assert bytes.fromhex(issued["card_key"]) == CARD_KEYS.card_key(issued["key_version"], issued["card_number"])
    card = cards.get_card(database, issued["card_number"])
    assert (card.member_id, card.key_version) == (member.public_id, issued["key_version"])


def test_a_card_written_with_the_issued_key_answers_a_tills_challenge(client, staff_headers, make_member, terminal):
    headers = staff_headers("support")
    issued = issue(client, headers, make_member()).json
    activated = client.post(f"/v1/staff/cards/{issued['card_number']}/activate", json={}, headers=headers)
    assert (activated.status_code, activated.json["status"]) == (200, "active")
    challenge = terminal.post("/v1/terminal/card-challenges", {"card_number": issued["card_number"]}, key=None).json
    answer = card_answer(bytes.fromhex(issued["card_key"]), bytes.fromhex(challenge["challenge"]))
    session = terminal.post("/v1/terminal/card-sessions", {"challenge_id": challenge["challenge_id"],
                                                           "answer": answer.hex()}, key=None)
    assert session.status_code == 201


def test_each_issued_card_has_its_own_key(client, staff_headers, make_member):
    headers, member = staff_headers("admin"), make_member()
    first, second = issue(client, headers, member).json, issue(client, headers, member).json
    assert first["card_number"] != second["card_number"]
    assert first["card_key"] != second["card_key"]


def test_a_tills_signed_request_cannot_reach_the_issuing_station(terminal, make_member, database):
    member = make_member()
    response = terminal.post("/v1/staff/card-issues", {"member_id": member.public_id})
    assert response.status_code == 401
    assert cards.list_cards(database, member_id=member.public_id) == []


def test_roles_without_the_issuing_permission_are_refused(client, staff_headers, make_member, database):
    member = make_member()
    for role in ("marketer", "auditor"):
        response = issue(client, staff_headers(role), member)
        assert (response.status_code, response.json["error"]) == (403, "missing_permission")
    assert cards.list_cards(database, member_id=member.public_id) == []


def test_issuing_for_an_unknown_member_is_404(client, staff_headers):
    response = client.post("/v1/staff/card-issues", json={"member_id": "M999999999"}, headers=staff_headers("admin"))
    assert response.status_code == 404


def test_without_master_keys_the_station_refuses_and_issues_nothing(make_app, database, clock, make_member):
    client = make_app(CARD_MASTER_KEYS=MasterKeys({})).test_client()
    create_staff_account(database, username="ivy", full_name="Ivy", password=PASSWORD, roles=["support"],
                         passwords=PASSWORDS, now=clock())
    token = client.post("/v1/staff/sessions", json={"username": "ivy", "password": PASSWORD}).json["token"]
    member = make_member()
    response = client.post("/v1/staff/card-issues", json={"member_id": member.public_id}, headers=bearer(token))
    assert (response.status_code, response.json["error"]) == (409, "card_keys_missing")
    assert cards.list_cards(database, member_id=member.public_id) == []
