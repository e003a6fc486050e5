"""A member pays a web shop's order with points: they ask for a payment code (signed in), type
it at the checkout, and the shop's backend (a terminal of an online store) holds the points
with it, then captures the hold as a till does. A code pays once, for its member only, up to
the points the member chose, within 15 minutes, and only at an online store; every refusal
changes nothing."""
import pytest

from engine.ledger.balances import get_balance
from engine.payment_codes import IssuePaymentCode, issue_payment_code, payment_codes_of, purge_payment_codes
from engine.settings import update_settings
from tests.api.conftest import PASSWORD
from tests.conftest import new_key
from tests.support.assertions import unchanged

CODES = "/v1/member/payment-codes"
HOLDS = "/v1/terminal/holds"


@pytest.fixture
def shop(make_signed_terminal):
    return make_signed_terminal("WEB", channel="online")


@pytest.fixture
def ask_for_code(client, member_headers):
    """``ask_for_code(member, points=300)``: the member's new payment code (the whole answer);
    the member signs in at their first request."""
    signed_in = {}

    def ask(member, points: int = 300, *, key: str | None = None, **body):
        if member.public_id not in signed_in:
            signed_in[member.public_id] = member_headers(member)
        return client.post(CODES, json={"points": points, **body},
                           headers=signed_in[member.public_id] | {"Idempotency-Key": key or new_key()})
    return ask


def pay(shop, member, code: str, points: int = 200, **body):
    return shop.post(HOLDS, {"member_id": member.public_id, "payment_code": code, "points": points, **body})


def test_a_member_pays_an_online_order_with_the_code_they_asked_for(shop, ask_for_code, make_member, database,
                                                                    clock):
    ada = make_member(points=1000)
    issued = ask_for_code(ada, 300)
    assert issued.status_code == 201
    assert issued.json["points"] == 300
    assert len(issued.json["code"]) == 14 and issued.json["code"].count("-") == 2

    held = pay(shop, ada, issued.json["code"], 250, receipt_number="W-77")
    assert held.status_code == 201, held.json
    captured = shop.post(f"{HOLDS}/{held.json['hold_id']}/capture", {"receipt_number": "W-77"})

    assert captured.status_code == 200
    assert get_balance(database, ada.public_id, as_of=clock()).available == 750


def test_a_code_is_read_as_the_member_may_type_it(shop, ask_for_code, make_member):
    ada = make_member(points=1000)
    code = ask_for_code(ada).json["code"]
    typed = " ".join(code.replace("-", "").lower().replace("0", "o").replace("1", "l"))
    assert pay(shop, ada, typed).status_code == 201


def test_a_code_pays_once(shop, ask_for_code, make_member, database):
    ada = make_member(points=1000)
    code = ask_for_code(ada).json["code"]
    assert pay(shop, ada, code).status_code == 201
    with unchanged(database):
        again = pay(shop, ada, code)
    assert (again.status_code, again.json["error"]) == (403, "payment_code_invalid")


def test_a_retried_payment_gets_its_first_answer_without_taking_the_code_again(shop, ask_for_code, make_member,
                                                                               database):
    ada = make_member(points=1000)
    code, key = ask_for_code(ada).json["code"], new_key()
    first = shop.post(HOLDS, {"member_id": ada.public_id, "payment_code": code, "points": 200}, key=key)
    with unchanged(database):
        retried = shop.post(HOLDS, {"member_id": ada.public_id, "payment_code": code, "points": 200}, key=key)
    assert (retried.status_code, retried.json) == (201, first.json)


def test_another_members_code_pays_nothing(shop, ask_for_code, make_member, database):
    ada, bob = make_member(points=1000), make_member(points=1000)
    code = ask_for_code(ada).json["code"]
    with unchanged(database):
        refused = pay(shop, bob, code)
    assert (refused.status_code, refused.json["error"]) == (403, "payment_code_invalid")
    assert pay(shop, ada, code).status_code == 201  # the code is still the owner's to use


def test_a_made_up_code_pays_nothing(shop, make_member, database):
    ada = make_member(points=1000)
    with unchanged(database):
        refused = pay(shop, ada, "ABCD-EFGH-JKMN")
    assert (refused.status_code, refused.json["error"]) == (403, "payment_code_invalid")


def test_a_code_takes_no_more_than_the_member_allowed(shop, ask_for_code, make_member, database):
    ada = make_member(points=1000)
    code = ask_for_code(ada, 100).json["code"]
    with unchanged(database):
        refused = pay(shop, ada, code, 101)
    assert (refused.status_code, refused.json["error"]) == (403, "payment_code_limit")
    assert pay(shop, ada, code, 100).status_code == 201


def test_a_code_lapses_after_15_minutes(shop, ask_for_code, make_member, database, clock):
    ada = make_member(points=1000)
    code = ask_for_code(ada).json["code"]
    clock.advance(minutes=15)
    with unchanged(database):
        refused = pay(shop, ada, code)
    assert (refused.status_code, refused.json["error"]) == (403, "payment_code_invalid")


def test_a_new_code_withdraws_the_one_before(shop, ask_for_code, make_member, database):
    ada = make_member(points=1000)
    first = ask_for_code(ada).json["code"]
    second = ask_for_code(ada).json["code"]
    with unchanged(database):
        refused = pay(shop, ada, first)
    assert (refused.status_code, refused.json["error"]) == (403, "payment_code_invalid")
    assert pay(shop, ada, second).status_code == 201


def test_a_payment_refused_for_want_of_points_leaves_the_code_usable(shop, ask_for_code, make_member, database):
    ada = make_member(points=100)
    code = ask_for_code(ada, 500).json["code"]
    with unchanged(database):
        refused = pay(shop, ada, code, 200)
    assert (refused.status_code, refused.json["error"]) == (409, "insufficient_points")
    assert pay(shop, ada, code, 100).status_code == 201


def test_a_till_cannot_take_a_payment_code_it_reads_the_card(terminal, ask_for_code, make_member, database):
    ada = make_member(points=1000)
    code = ask_for_code(ada).json["code"]
    with unchanged(database):
        refused = pay(terminal, ada, code)
    assert (refused.status_code, refused.json["error"]) == (403, "card_required")


@pytest.mark.parametrize("body", [
    {"points": 10},  # neither a card session nor a member
    {"points": 10, "card_session": "cs_x", "member_id": "M1", "payment_code": "ABCD"},  # both
    {"points": 10, "member_id": "M1"},  # a member without their code
    {"points": 10, "card_session": "cs_x", "payment_code": "ABCD"},  # a code without its member
])
def test_a_hold_names_its_payer_one_way(shop, database, body):
    with unchanged(database):
        refused = shop.post(HOLDS, body)
    assert refused.status_code == 422


def test_more_points_than_a_session_may_spend_need_the_password(shop, ask_for_code, make_member, database, clock):
    update_settings(database, {"online_redeem_password_above": 400}, now=clock())
    ada = make_member(points=1000)
    key = new_key()
    assert ask_for_code(ada, 400).status_code == 201  # up to a reward's price online: the session will do
    with unchanged(database):
        refused = ask_for_code(ada, 500, key=key)
    assert (refused.status_code, refused.json["error"]) == (403, "password_required")
    wrong = ask_for_code(ada, 500, password="not my password")  # counts toward the sign-in lockout
    assert (wrong.status_code, wrong.json["errors"]) == (422, {"password": ["wrong password"]})
    issued = ask_for_code(ada, 500, key=key, password=PASSWORD)
    assert issued.status_code == 201
    assert pay(shop, ada, issued.json["code"], 500).status_code == 201


def test_a_suspended_member_gets_no_code(client, ask_for_code, make_member, staff_headers, database):
    ada = make_member(points=1000)
    assert ask_for_code(ada).status_code == 201  # signed in before the suspension
    headers = staff_headers("support")
    suspended = client.post(f"/v1/staff/members/{ada.public_id}/suspend", json={"reason": "looked into"},
                            headers=headers | {"Idempotency-Key": new_key()})
    assert suspended.status_code == 200, suspended.json
    with unchanged(database):
        refused = ask_for_code(ada)
    assert refused.status_code in (401, 409)


def test_only_a_signed_in_member_asks_for_a_code(client, shop, staff_headers, database):
    admin = staff_headers("admin")
    with unchanged(database):
        anonymous = client.post(CODES, json={"points": 10}, headers={"Idempotency-Key": new_key()})
        staff = client.post(CODES, json={"points": 10}, headers=admin | {"Idempotency-Key": new_key()})
        terminal = shop.post(CODES, {"points": 10})
    assert anonymous.status_code == 401
    assert staff.status_code == 401  # a staff token is no member session
    assert terminal.status_code in (401, 403)


def test_asking_for_a_code_takes_an_idempotency_key_and_replays_its_answer(client, ask_for_code, make_member,
                                                                           member_headers):
    ada = make_member(points=1000)
    missing = client.post(CODES, json={"points": 10}, headers=member_headers(ada))
    assert missing.status_code == 400
    key = new_key()
    first = ask_for_code(ada, key=key)
    assert ask_for_code(ada, key=key).json == first.json


@pytest.mark.parametrize("points", [0, -5, "100", 1.5, None, 10**10])
def test_a_code_for_no_sensible_number_of_points_is_refused(ask_for_code, make_member, database, points):
    ada = make_member(points=1000)
    assert ask_for_code(ada).status_code == 201  # signed in
    with unchanged(database):
        refused = ask_for_code(ada, points)
    assert refused.status_code == 422


def test_a_code_kept_past_its_quarter_hour_is_not_replaced_by_a_retry(shop, ask_for_code, make_member, clock):
    ada = make_member(points=1000)
    key = new_key()
    first = ask_for_code(ada, key=key).json
    clock.advance(minutes=20)
    assert ask_for_code(ada, key=key).json == first  # the first answer, now lapsed: a new key asks anew
    assert pay(shop, ada, first["code"]).json["error"] == "payment_code_invalid"


def test_the_members_data_lists_their_payment_codes_without_the_codes(client, shop, ask_for_code, make_member,
                                                                      member_headers, clock):
    ada = make_member(points=1000)
    used = ask_for_code(ada, 200).json["code"]
    assert pay(shop, ada, used).status_code == 201
    clock.advance(minutes=1)
    waiting = ask_for_code(ada, 50).json["code"]

    export = client.get("/v1/member/export", headers=member_headers(ada)).json

    assert [(c["points"], c["used_at_store"], c["used_at"] is not None) for c in export["payment_codes"]] == [
        (50, None, False), (200, "WEB", True)]
    assert used not in str(export) and waiting not in str(export)


def test_codes_are_forgotten_30_days_after_their_end(shop, ask_for_code, make_member, database, clock):
    ada = make_member(points=1000)
    assert pay(shop, ada, ask_for_code(ada, 100).json["code"], 100).status_code == 201
    clock.advance(days=20)
    issue_payment_code(database, IssuePaymentCode(ada.public_id, 50), password=None, passwords=None, caller="ada",
                       idempotency_key=new_key(), now=clock())  # the member's sign-in of 20 days ago has lapsed
    clock.advance(days=11)

    assert purge_payment_codes(database, as_of=clock()) == 1

    assert [c.points for c in payment_codes_of(database, ada.public_id)] == [50]
