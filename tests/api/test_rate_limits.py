"""Rate limits over HTTP: a terminal, member or staff account over its rate, or an address
trying too many sign-ins, gets 429 with Retry-After and changes nothing; other callers go on;
after the wait the caller goes on too."""
import pytest

from api.rate_limits import parse_rates
from engine import stores
from engine.access.member_logins import set_member_password
from engine.ledger.balances import get_balance
from tests.api.conftest import PASSWORD, PASSWORDS
from tests.support.assertions import unchanged

RATES = "terminal=3/min,member=3/min,staff=3/min,sign_in=3/min"


@pytest.fixture
def app(make_app):
    return make_app(RATE_LIMITS=parse_rates(RATES))


def uid_sale(terminal, clock, receipt: str, card_uid: str) -> dict:
    return {"store_code": terminal.store_code, "terminal_code": terminal.terminal_code, "receipt_number": receipt,
            "occurred_at": clock().isoformat(), "currency": "EUR", "card_uid": card_uid,
            "lines": [{"line_no": 1, "sku": "COFFEE", "quantity": "1", "amount_minor": 1000}]}


def test_a_terminal_over_its_rate_is_told_when_to_come_back_and_nothing_is_posted(
        make_signed_terminal, make_card, database, clock):
    till, other_till = make_signed_terminal("ST1"), make_signed_terminal("ST1")
    card = make_card(kind="uid", number="04A1B2C3D4E5F6")
    for n in range(3):
        assert till.post("/v1/terminal/accruals", uid_sale(till, clock, f"R{n}", card.number)).status_code == 201
    with unchanged(database):
        refused = till.post("/v1/terminal/accruals", uid_sale(till, clock, "R3", card.number))
    assert (refused.status_code, refused.json["error"], refused.headers["Retry-After"]) == (429, "rate_limited", "20")
    assert refused.json["message"] == "too many requests from this terminal; try again in 20 s"
    assert get_balance(database, card.member_id, as_of=clock()).pending == 30
    assert other_till.post("/v1/terminal/accruals", uid_sale(other_till, clock, "S0", card.number)).status_code == 201
    clock.advance(seconds=20)
    assert till.post("/v1/terminal/accruals", uid_sale(till, clock, "R3", card.number)).status_code == 201


def test_a_member_over_the_rate_waits_while_another_member_reads_on(client, make_member, member_headers):
    ada, bob = member_headers(make_member()), member_headers(make_member())
    answers = [client.get("/v1/member/balance", headers=ada).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert client.get("/v1/member/balance", headers=bob).status_code == 200


def test_a_staff_account_over_the_rate_gets_429(client, staff_headers):
    marketer = staff_headers("marketer")
    answers = [client.get("/v1/staff/campaigns", headers=marketer) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) == 20


def test_sign_ins_from_one_address_are_limited_across_accounts_without_checking_the_password(
        client, make_member, database, clock):
    emails = [make_member().email for _ in range(4)]
    tries = [client.post("/v1/member/sessions", json={"email": e, "password": "guess-1234567"}) for e in emails]
    assert [t.status_code for t in tries] == [401, 401, 401, 429]
    assert tries[-1].json["message"] == "too many sign-in attempts from this address; try again in 20 s"
    from_elsewhere = client.post("/v1/member/sessions", json={"email": emails[0], "password": "x" * 12},
                                 environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert from_elsewhere.status_code == 401


def test_a_limited_sign_in_counts_no_wrong_password_against_the_account(client, make_member, database, clock):
    member = make_member()
    set_member_password(database, member.public_id, PASSWORD, passwords=PASSWORDS, now=clock())
    for _ in range(3):
        client.post("/v1/staff/sessions", json={"username": "nobody", "password": "guess-1234567"})
    with unchanged(database):
        limited = client.post("/v1/member/sessions", json={"email": member.email, "password": PASSWORD})
    assert limited.status_code == 429
    clock.advance(seconds=20)
    assert client.post("/v1/member/sessions", json={"email": member.email, "password": PASSWORD}).status_code == 201


def test_a_limit_switched_off_never_refuses(make_app, make_member, member_headers, database, clock):
    client = make_app(RATE_LIMITS=parse_rates("member=off,sign_in=off")).test_client()
    member = make_member()
    set_member_password(database, member.public_id, PASSWORD, passwords=PASSWORDS, now=clock())
    for _ in range(10):
        signed_in = client.post("/v1/member/sessions", json={"email": member.email, "password": PASSWORD})
        assert signed_in.status_code == 201
    headers = {"Authorization": f"Bearer {signed_in.json['token']}"}
    assert {client.get("/v1/member/balance", headers=headers).status_code for _ in range(10)} == {200}


def test_behind_a_proxy_the_forwarded_address_is_the_one_limited(make_app, make_member):
    client = make_app(RATE_LIMITS=parse_rates(RATES), PROXY_HOPS=1).test_client()
    email = make_member().email

    def sign_in_from(address):
        return client.post("/v1/member/sessions", json={"email": email, "password": "guess-1234567"},
                           headers={"X-Forwarded-For": address}).status_code

    assert [sign_in_from("198.51.100.1") for _ in range(4)] == [401, 401, 401, 429]
    assert sign_in_from("198.51.100.2") == 401


def test_sign_ins_from_one_address_are_counted_by_every_worker_together(make_app, make_member):
    # Two applications on one database stand for two worker processes (or two nodes): an
    # address spreading its tries over them gets no more than from one.
    workers = [make_app(RATE_LIMITS=parse_rates(RATES)).test_client() for _ in range(2)]
    email = make_member().email
    tries = [workers[n % 2].post("/v1/member/sessions", json={"email": email, "password": "guess-1234567"})
             for n in range(4)]
    assert [t.status_code for t in tries] == [401, 401, 401, 429]


def test_waiting_less_than_retry_after_is_still_refused(client, make_member, member_headers, clock):
    ada = member_headers(make_member())
    for _ in range(3):
        client.get("/v1/member/balance", headers=ada)
    clock.advance(seconds=19)
    assert client.get("/v1/member/balance", headers=ada).status_code == 429
    clock.advance(seconds=1)
    assert client.get("/v1/member/balance", headers=ada).status_code == 200


def test_a_request_run_again_on_a_moved_configuration_takes_one_token(make_app, make_signed_terminal, make_card,
                                                                     database, clock):
    app = make_app(RATE_LIMITS=parse_rates("terminal=2/min"))
    till = make_signed_terminal("ST1")
    till.client = app.test_client()
    card = make_card(kind="uid", number="04A1B2C3D4E5F6")
    assert till.post("/v1/terminal/accruals", uid_sale(till, clock, "R0", card.number)).status_code == 201
    stores.create_store(database, code="ST2", name="Store 2", timezone="Europe/Berlin", now=clock())  # moves it
    assert till.post("/v1/terminal/accruals", uid_sale(till, clock, "R1", card.number)).status_code == 201
    assert till.post("/v1/terminal/accruals", uid_sale(till, clock, "R2", card.number)).status_code == 429


def test_asking_for_password_links_and_joining_count_as_sign_in_attempts_of_the_address(client, make_member,
                                                                                        database):
    make_member(email="ada@example.org")
    answers = [client.post("/v1/member/password-links", json={"email": "ada@example.org"}),
               client.post("/v1/member/sign-ups", json={"full_name": "Bo", "email": "bo@example.org"}),
               client.post("/v1/member/password-links", json={"email": "ada@example.org"}),
               client.post("/v1/member/password-links", json={"email": "ada@example.org"})]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    with unchanged(database):
        assert client.post("/v1/member/sign-ups", json={"full_name": "Cy", "email": "cy@example.org"}).status_code \
            == 429
