from tests.api.conftest import answer_for
from tests.support.assertions import unchanged


def challenge(terminal, card):
    return terminal.post("/v1/terminal/card-challenges", {"card_number": card.number}, key=None)


def test_a_genuine_card_answering_its_challenge_opens_a_session_showing_the_member(terminal, make_member,
                                                                                 make_our_card):
    card = make_our_card(make_member("Anna Kowalska", points=120))
    issued = challenge(terminal, card)
    assert issued.status_code == 201
    answer = answer_for(card.number, bytes.fromhex(issued.json["challenge"]))
    opened = terminal.post("/v1/terminal/card-sessions",
                           {"challenge_id": issued.json["challenge_id"], "answer": answer.hex()}, key=None)
    assert opened.status_code == 201
    assert opened.json["can_redeem"] is True
    assert opened.json["member"] | {"member_id": None} == {"member_id": None, "display_name": "Anna K.",
                                                         "tier": None, "available": 120, "pending": 0}


def test_a_wrong_answer_is_refused_and_uses_up_the_challenge(terminal, make_our_card):
    card = make_our_card()
    issued = challenge(terminal, card).json
    wrong = terminal.post("/v1/terminal/card-sessions", {"challenge_id": issued["challenge_id"],
                                                         "answer": "00" * 8}, key=None)
    assert (wrong.status_code, wrong.json["error"]) == (403, "card_not_authenticated")
    right = answer_for(card.number, bytes.fromhex(issued["challenge"]))
    again = terminal.post("/v1/terminal/card-sessions", {"challenge_id": issued["challenge_id"],
                                                         "answer": right.hex()}, key=None)
    assert (again.status_code, again.json["error"]) == (409, "challenge_used")


def test_an_answer_from_a_card_with_another_cards_key_is_refused(terminal, make_our_card):
    card, other = make_our_card(), make_our_card()
    issued = challenge(terminal, card).json
    copied = answer_for(other.number, bytes.fromhex(issued["challenge"]))
    response = terminal.post("/v1/terminal/card-sessions", {"challenge_id": issued["challenge_id"],
                                                            "answer": copied.hex()}, key=None)
    assert response.status_code == 403


def test_a_challenge_answered_too_late_is_refused(terminal, make_our_card, clock):
    card = make_our_card()
    issued = challenge(terminal, card).json
    clock.advance(seconds=61)
    answer = answer_for(card.number, bytes.fromhex(issued["challenge"]))
    response = terminal.post("/v1/terminal/card-sessions", {"challenge_id": issued["challenge_id"],
                                                            "answer": answer.hex()}, key=None)
    assert (response.status_code, response.json["error"]) == (409, "challenge_expired")


def test_a_challenge_issued_to_one_terminal_cannot_be_answered_at_another(make_signed_terminal, make_our_card):
    here, there = make_signed_terminal(), make_signed_terminal()
    card = make_our_card()
    issued = challenge(here, card).json
    answer = answer_for(card.number, bytes.fromhex(issued["challenge"]))
    response = there.post("/v1/terminal/card-sessions", {"challenge_id": issued["challenge_id"],
                                                          "answer": answer.hex()}, key=None)
    assert (response.status_code, response.json["error"]) == (404, "unknown_challenge")


def test_a_blocked_card_gets_no_challenge(terminal, make_our_card):
    response = challenge(terminal, make_our_card(status="blocked"))
    assert (response.status_code, response.json["error"]) == (409, "card_blocked")


def test_an_unknown_card_gets_no_challenge(terminal):
    response = terminal.post("/v1/terminal/card-challenges", {"card_number": "9000000000000019"}, key=None)
    assert (response.status_code, response.json["error"]) == (404, "unknown_card")


def test_a_uid_card_without_a_pin_opens_a_session_that_cannot_pay(terminal, make_card):
    card = make_card(kind="uid", number="04A1B2C3D4E5F6")
    response = terminal.post("/v1/terminal/card-sessions", {"card_uid": card.number}, key=None)
    assert response.status_code == 201
    assert response.json["can_redeem"] is False


def test_a_uid_card_with_the_members_pin_may_pay(terminal, make_card, make_member, database, clock):
    from engine.access.member_logins import set_member_pin
    from tests.api.conftest import PASSWORDS
    member = make_member()
    card = make_card(member, kind="uid", number="04A1B2C3D4E5F7")
    set_member_pin(database, member.public_id, "4321", passwords=PASSWORDS, now=clock())
    response = terminal.post("/v1/terminal/card-sessions", {"card_uid": card.number, "pin": "4321"}, key=None)
    assert (response.status_code, response.json["can_redeem"]) == (201, True)


def test_five_wrong_pins_lock_the_pin_even_against_the_right_one(terminal, make_card, make_member, database, clock):
    from engine.access.member_logins import set_member_pin
    from tests.api.conftest import PASSWORDS
    member = make_member()
    card = make_card(member, kind="uid", number="04A1B2C3D4E5F8")
    set_member_pin(database, member.public_id, "4321", passwords=PASSWORDS, now=clock())
    codes = [terminal.post("/v1/terminal/card-sessions", {"card_uid": card.number, "pin": "0000"}, key=None)
             .json["error"] for _ in range(5)]
    assert codes == ["wrong_credentials"] * 4 + ["locked_out"]
    right = terminal.post("/v1/terminal/card-sessions", {"card_uid": card.number, "pin": "4321"}, key=None)
    assert (right.status_code, right.json["error"]) == (401, "locked_out")


def test_a_session_request_mixing_card_kinds_is_refused(terminal):
    response = terminal.post("/v1/terminal/card-sessions", {"card_uid": "04A1", "challenge_id": "ch_x"}, key=None)
    assert response.status_code == 422


def test_a_uid_only_card_gets_no_challenge_it_could_not_answer(terminal, make_card):
    card = make_card(kind="uid", number="04A1B2C3D4E5F9")
    response = challenge(terminal, card)
    assert (response.status_code, response.json["error"]) == (422, "invalid_input")
    assert "card_uid" in response.json["errors"]["card_number"][0]


def test_one_of_our_cards_cannot_open_a_session_by_its_number_alone(terminal, make_our_card, database):
    # the UID path asks no cryptographic answer: our cards must prove themselves with a challenge
    card = make_our_card()
    with unchanged(database):
        response = terminal.post("/v1/terminal/card-sessions", {"card_uid": card.number}, key=None)
    assert (response.status_code, response.json["error"]) == (422, "invalid_input")
    assert "challenge" in response.json["errors"]["card_uid"][0]
