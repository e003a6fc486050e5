from engine.ledger.balances import get_balance
from tests.support.assertions import unchanged

HOLDS = "/v1/terminal/holds"


def test_a_member_pays_part_of_a_bill_with_points(terminal, make_member, make_our_card, card_session, database,
                                                    clock):
    member = make_member(points=1000)
    session = card_session(make_our_card(member))
    hold = terminal.post(HOLDS, {"card_session": session["card_session"], "points": 500})
    assert (hold.status_code, hold.json["value_minor"], hold.json["available"]) == (201, 500, 500)
    captured = terminal.post(f"{HOLDS}/{hold.json['hold_id']}/capture", {"points": 300, "receipt_number": "R1"})
    assert (captured.status_code, captured.json["points"], captured.json["released"]) == (200, 300, 200)
    assert get_balance(database, member.public_id, as_of=clock()).available == 700


def test_a_voided_hold_frees_its_points(terminal, make_member, make_our_card, card_session, database, clock):
    member = make_member(points=400)
    session = card_session(make_our_card(member))
    hold = terminal.post(HOLDS, {"card_session": session["card_session"], "points": 400}).json
    voided = terminal.post(f"{HOLDS}/{hold['hold_id']}/void", {})
    assert (voided.status_code, voided.json["released"]) == (200, 400)
    assert get_balance(database, member.public_id, as_of=clock()).available == 400


def test_a_copied_card_number_cannot_pay(terminal, make_member, make_our_card, database):
    card = make_our_card(make_member(points=1000))
    with unchanged(database):
        response = terminal.post(HOLDS, {"card_session": card.number, "points": 100})
    assert (response.status_code, response.json["error"]) == (403, "card_session_invalid")


def test_a_uid_card_without_the_pin_cannot_pay(terminal, make_member, make_card, database):
    card = make_card(make_member(points=1000), kind="uid", number="04A1B2C3D4E5F6")
    session = terminal.post("/v1/terminal/card-sessions", {"card_uid": card.number}, key=None).json
    with unchanged(database):
        response = terminal.post(HOLDS, {"card_session": session["card_session"], "points": 100})
    assert (response.status_code, response.json["error"]) == (403, "pin_required")


def test_a_card_session_expires(terminal, make_member, make_our_card, card_session, clock):
    session = card_session(make_our_card(make_member(points=1000)))
    clock.advance(minutes=16)
    response = terminal.post(HOLDS, {"card_session": session["card_session"], "points": 100})
    assert (response.status_code, response.json["error"]) == (403, "card_session_invalid")


def test_a_terminal_cannot_capture_or_void_another_stores_hold(make_signed_terminal, make_member, make_our_card,
                                                               card_session, database):
    here, elsewhere = make_signed_terminal(), make_signed_terminal()
    session = card_session(make_our_card(make_member(points=1000)), at=here)
    hold = here.post(HOLDS, {"card_session": session["card_session"], "points": 100}).json
    with unchanged(database):
        captured = elsewhere.post(f"{HOLDS}/{hold['hold_id']}/capture", {})
        voided = elsewhere.post(f"{HOLDS}/{hold['hold_id']}/void", {})
    assert (captured.status_code, voided.status_code) == (404, 404)


def test_more_points_than_available_are_refused(terminal, make_member, make_our_card, card_session, database):
    session = card_session(make_our_card(make_member(points=100)))
    with unchanged(database):
        response = terminal.post(HOLDS, {"card_session": session["card_session"], "points": 101})
    assert (response.status_code, response.json["error"]) == (409, "insufficient_points")


def test_a_hold_resolves_once(terminal, make_member, make_our_card, card_session):
    session = card_session(make_our_card(make_member(points=100)))
    hold = terminal.post(HOLDS, {"card_session": session["card_session"], "points": 50}).json
    assert terminal.post(f"{HOLDS}/{hold['hold_id']}/capture", {}).status_code == 200
    again = terminal.post(f"{HOLDS}/{hold['hold_id']}/void", {})
    assert (again.status_code, again.json["error"]) == (409, "hold_already_resolved")


def test_a_retried_hold_gets_its_first_answer_even_after_the_card_session_ended(
        terminal, make_member, make_our_card, card_session, database, clock):
    session = card_session(make_our_card(make_member(points=1000)))
    first = terminal.post(HOLDS, {"card_session": session["card_session"], "points": 100}, key="pay-1")
    clock.advance(minutes=16)  # the card session has ended; the till retries after a network failure
    with unchanged(database):
        retry = terminal.post(HOLDS, {"card_session": session["card_session"], "points": 100}, key="pay-1")
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json == first.json


def test_a_card_session_of_another_terminal_cannot_pay_and_the_refusal_is_replayed(
        make_signed_terminal, make_member, make_our_card, card_session, database):
    here, elsewhere = make_signed_terminal(), make_signed_terminal()
    session = card_session(make_our_card(make_member(points=1000)), at=here)
    with unchanged(database):
        refused = elsewhere.post(HOLDS, {"card_session": session["card_session"], "points": 100}, key="pay-1")
    assert (refused.status_code, refused.json["error"]) == (403, "card_session_invalid")
    assert elsewhere.post(HOLDS, {"card_session": session["card_session"], "points": 100}, key="pay-1").json \
        == refused.json
